"""The Core ML reference runner on converted models: the small generator, compressed and quantized forms, errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

ct = pytest.importorskip("coremltools")
import coremltools.optimize.coreml as cto  # noqa: E402

from converters.coreml_runner import REFERENCE_LABEL, UnsupportedOperationError, open_coreml  # noqa: E402
from converters.coreml_runner import runner as runner_module  # noqa: E402
from msg_model.errors import InvalidInputError  # noqa: E402
from msg_model.generator import z_from_seed  # noqa: E402
from msg_model.spec import load_model  # noqa: E402

PRECISIONS = {"fp32": ct.precision.FLOAT32, "fp16": ct.precision.FLOAT16}
SEEDS = (0, 1, 2)
# Largest |runner - PyTorch| allowed on the small generator (images in about [-1, 1]).
MAX_ABS_ERROR = {"fp32": 1e-4, "fp16": 2e-2}


def convert_module(module, example_inputs, input_names, precision="fp16", target=None, outputs=None):
    exported = torch.export.export(module.eval(), tuple(example_inputs)).run_decompositions({})
    inputs = [
        ct.TensorType(name=name, shape=tuple(value.shape), dtype=np.float32)
        for name, value in zip(input_names, example_inputs)
    ]
    return ct.convert(
        exported,
        convert_to="mlprogram",
        inputs=inputs,
        outputs=outputs,
        minimum_deployment_target=target or ct.target.iOS16,
        compute_precision=PRECISIONS[precision],
        skip_model_load=True,
    )


def op_types(model) -> set[str]:
    function = model.get_spec().mlProgram.functions["main"]
    return {op.type for op in function.block_specializations[function.opset].operations}


@pytest.fixture(scope="module")
def small_model():
    return load_model("random:small")


@pytest.fixture(scope="module")
def styles(small_model):
    """w for each seed, truncated with psi 0.5 as the released model's demo does."""
    style_dim = small_model.config.style_dim
    with torch.no_grad():
        return [small_model.mapping(z_from_seed(seed, style_dim), torch.full((1, 1), 0.5)) for seed in SEEDS]


@pytest.fixture(scope="module")
def small_packages(small_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("coreml_small")
    paths = {}
    for precision in PRECISIONS:
        model = convert_module(
            small_model.synthesis, [torch.zeros(1, small_model.config.style_dim)], ["w"], precision,
            outputs=[ct.TensorType(name="image", dtype=np.float32)],
        )
        paths[precision] = folder / f"small_{precision}.mlpackage"
        model.save(str(paths[precision]))
    return paths


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
def test_small_generator_matches_torch(small_model, styles, small_packages, precision):
    runner = open_coreml(small_packages[precision])

    errors = []
    for w in styles:
        with torch.no_grad():
            expected = small_model.synthesis(w).numpy()
        image = runner.predict({"w": w.numpy()})["image"]
        assert image.shape == expected.shape
        assert image.dtype == np.float32
        errors.append(float(np.abs(image - expected).max()))

    assert runner.label == REFERENCE_LABEL
    assert runner.input_names == ["w"]
    assert runner.output_names == ["image"]
    assert max(errors) <= MAX_ABS_ERROR[precision], f"max abs error {max(errors):.3g} > {MAX_ABS_ERROR[precision]}"
    if precision == "fp16":
        # Float16 emulation must round: an exact match would mean the ops ran in float32.
        assert max(errors) > 1e-5, f"float16 max abs error {max(errors):.3g} is too small to be float16"


def test_small_mapping_float16_matches_torch(small_model):
    style_dim = small_model.config.style_dim
    z, psi = z_from_seed(3, style_dim), torch.full((1, 1), 0.5)
    model = convert_module(small_model.mapping, [z, psi], ["z", "psi"], "fp16")
    runner = open_coreml(model)

    (w,) = runner.predict({"z": z.numpy(), "psi": psi.numpy()}).values()

    with torch.no_grad():
        expected = small_model.mapping(z, psi).numpy()
    assert {"reduce_mean", "rsqrt", "linear", "leaky_relu"} <= op_types(model)
    np.testing.assert_allclose(w, expected, atol=1e-2)


def test_intermediates_and_trace(styles, small_packages):
    runner = open_coreml(small_packages["fp16"])
    names = runner.intermediate_names
    first_conv = next(name for name in names if name.startswith("conv"))
    inputs = {"w": styles[0].numpy()}

    requested = runner.predict(inputs, outputs=[first_conv, "image"])
    records = list(runner.trace(inputs))

    assert requested[first_conv].dtype == np.float16
    assert [record.name for record in records] == names
    by_name = {record.name: record for record in records}
    np.testing.assert_array_equal(by_name[first_conv].value, requested[first_conv])
    np.testing.assert_array_equal(by_name["image"].value, requested["image"])
    assert by_name[first_conv].op_type == "conv"
    assert by_name[first_conv].location.function == "main"


def test_bare_mlmodel_file_reads_weights_beside_it(styles, small_packages, tmp_path):
    data = small_packages["fp32"] / "Data" / "com.apple.CoreML"
    shutil.copy(data / "model.mlmodel", tmp_path / "small.mlmodel")
    shutil.copytree(data / "weights", tmp_path / "weights")

    from_file = open_coreml(tmp_path / "small.mlmodel").predict({"w": styles[0].numpy()})
    from_package = open_coreml(small_packages["fp32"]).predict({"w": styles[0].numpy()})

    np.testing.assert_array_equal(from_file["image"], from_package["image"])


def _quantize(joint_compression=False, **options):
    return lambda model: cto.linear_quantize_weights(
        model, cto.OptimizationConfig(global_config=cto.OpLinearQuantizerConfig(weight_threshold=0, **options)),
        joint_compression=joint_compression,
    )


def _palettize(joint_compression=False, **options):
    return lambda model: cto.palettize_weights(
        model, cto.OptimizationConfig(global_config=cto.OpPalettizerConfig(weight_threshold=0, **options)),
        joint_compression=joint_compression,
    )


def _prune(**options):
    return lambda model: cto.prune_weights(
        model, cto.OptimizationConfig(global_config=cto.OpMagnitudePrunerConfig(weight_threshold=0, **options))
    )


def _then(first, second):
    return lambda model: second(first(model))


# (name, deployment target, compression, constexpr ops it must emit). Palettization uses
# mode="uniform" because "kmeans" needs scikit-learn.
COMPRESSIONS = [
    ("int8-per-channel-ios16", "iOS16", _quantize(mode="linear_symmetric", dtype="int8"), {"constexpr_affine_dequantize"}),
    ("uint8-per-tensor-ios16", "iOS16", _quantize(mode="linear", dtype="uint8", granularity="per_tensor"), {"constexpr_affine_dequantize"}),
    ("palettize-4bit-ios16", "iOS16", _palettize(mode="uniform", nbits=4), {"constexpr_lut_to_dense"}),
    ("palettize-6bit-ios16", "iOS16", _palettize(mode="uniform", nbits=6), {"constexpr_lut_to_dense"}),
    ("prune-50-ios16", "iOS16", _prune(target_sparsity=0.5), {"constexpr_sparse_to_dense"}),
    ("int8-per-channel-ios18", "iOS18", _quantize(mode="linear_symmetric", dtype="int8"), {"constexpr_blockwise_shift_scale"}),
    ("int4-per-block-ios18", "iOS18", _quantize(mode="linear_symmetric", dtype="int4", granularity="per_block", block_size=16), {"constexpr_blockwise_shift_scale"}),
    ("uint8-per-tensor-ios18", "iOS18", _quantize(mode="linear", dtype="uint8", granularity="per_tensor"), {"constexpr_blockwise_shift_scale"}),
    ("palettize-4bit-grouped-ios18", "iOS18", _palettize(mode="uniform", nbits=4, granularity="per_grouped_channel", group_size=4), {"constexpr_lut_to_dense"}),
    ("palettize-6bit-ios18", "iOS18", _palettize(mode="uniform", nbits=6), {"constexpr_lut_to_dense"}),
    ("prune-2-of-4-ios18", "iOS18", _prune(n_m_ratio=(2, 4)), {"constexpr_sparse_to_dense"}),
    ("prune-palettize-joint-ios18", "iOS18", _then(_prune(target_sparsity=0.75), _palettize(joint_compression=True, mode="uniform", nbits=4)),
     {"constexpr_lut_to_sparse", "constexpr_sparse_to_dense"}),
    ("prune-int8-joint-ios18", "iOS18", _then(_prune(target_sparsity=0.75), _quantize(joint_compression=True, mode="linear_symmetric", dtype="int8")),
     {"constexpr_sparse_blockwise_shift_scale", "constexpr_sparse_to_dense"}),
]


@pytest.fixture(scope="module")
def float16_models(small_model, styles):
    """The small generator converted to float16 once per deployment target that compression needs."""
    return {
        target: convert_module(small_model.synthesis, [styles[0]], ["w"], "fp16", target=getattr(ct.target, target))
        for target in ("iOS16", "iOS18")
    }


@pytest.mark.parametrize("case", COMPRESSIONS, ids=[case[0] for case in COMPRESSIONS])
def test_compressed_model_matches_decompressed_weights(float16_models, styles, case):
    _, target, compress, expected_ops = case
    compressed = compress(float16_models[target])
    decompressed = cto.decompress_weights(compressed)

    compressed_runner = open_coreml(compressed)
    decompressed_runner = open_coreml(decompressed)

    assert expected_ops <= op_types(compressed)
    assert not any(op.startswith("constexpr") for op in op_types(decompressed))
    for w in styles:
        actual = compressed_runner.predict({"w": w.numpy()})
        expected = decompressed_runner.predict({"w": w.numpy()})
        np.testing.assert_array_equal(next(iter(actual.values())), next(iter(expected.values())))


def reference_calibration_stats(model, sample_data, calibration_op_group_size=-1):
    """Activation ranges computed with the reference runner, in the format coremltools' calibration returns."""
    runner = open_coreml(model)
    names = [name for name in runner.intermediate_names if name not in runner.output_names]
    stats = {}
    for sample in sample_data:
        values = runner.predict(sample, outputs=names)
        values.update(sample)
        for name, value in values.items():
            if value.dtype.kind != "f":
                continue
            entry = stats.setdefault(name, {"rmin": np.inf, "rmax": -np.inf})
            entry["rmin"] = min(entry["rmin"], float(value.min()))
            entry["rmax"] = max(entry["rmax"], float(value.max()))
    return stats


def test_activation_quantized_model_runs(small_model, styles, monkeypatch):
    # coremltools calibrates activations with MLModel.predict, which needs macOS; the reference
    # runner supplies the ranges instead (this patches an internal function of coremltools 9.0).
    from coremltools.optimize.coreml import _post_training_quantization

    monkeypatch.setattr(_post_training_quantization, "_get_activation_calibration_stats", reference_calibration_stats)
    base = convert_module(small_model.synthesis, [styles[0]], ["w"], "fp16", target=ct.target.iOS17)
    activation_config = cto.experimental.OpActivationLinearQuantizerConfig(mode="linear_symmetric")
    config = cto.OptimizationConfig(global_config=activation_config)
    quantized = cto.linear_quantize_activations(base, config, [{"w": w.numpy()} for w in styles])

    runner = open_coreml(quantized)
    with torch.no_grad():
        expected = small_model.synthesis(styles[0]).numpy()
    (image,) = runner.predict({"w": styles[0].numpy()}).values()

    assert {"quantize", "dequantize"} <= op_types(quantized)
    assert np.isfinite(image).all()
    mean_error = float(np.abs(image - expected).mean())
    # 8-bit activations cost accuracy, but the image must stay close to the float one.
    assert 1e-4 < mean_error < 0.1, f"mean abs error {mean_error:.3g} of the int8-activation model"


class Overflow(torch.nn.Module):
    """An intermediate of 250,000 * x**2, beyond float16's 65,504 for x > 0.512, scaled back down by 2**-18."""

    def forward(self, x):
        big = x * 500.0
        return (big * big) * 2.0**-18


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
def test_float16_overflow_becomes_inf(precision):
    x = torch.linspace(0.2, 2.0, 10).reshape(1, 10)
    model = convert_module(Overflow(), [x], ["x"], precision)

    (output,) = open_coreml(model).predict({"x": x.numpy()}).values()

    expected = (x.numpy() * 500.0) ** 2 * 2.0**-18
    if precision == "fp32":
        np.testing.assert_allclose(output, expected, rtol=1e-5)
    else:
        overflowing = (x.numpy() * 500.0) ** 2 > 65504
        assert np.all(~np.isfinite(output[overflowing]))
        np.testing.assert_allclose(output[~overflowing], expected[~overflowing], rtol=2e-3)


def test_unknown_op_gives_one_line_error(small_packages, tmp_path):
    package = tmp_path / "renamed.mlpackage"
    shutil.copytree(small_packages["fp32"], package)
    model_file = package / "Data" / "com.apple.CoreML" / "model.mlmodel"
    spec = ct.models.utils.load_spec(str(package))
    operations = spec.mlProgram.functions["main"].block_specializations[spec.mlProgram.functions["main"].opset].operations
    index = next(i for i, op in enumerate(operations) if op.type == "leaky_relu")
    operations[index].type = "made_up_activation"
    output_name = operations[index].outputs[0].name
    model_file.write_bytes(spec.SerializeToString())

    with pytest.raises(UnsupportedOperationError) as raised:
        open_coreml(package)

    message = str(raised.value)
    assert "\n" not in message
    assert "'made_up_activation'" in message
    assert f"'{output_name}'" in message
    assert f"function 'main', block 'CoreML6', op {index}" in message
    assert f"coremltools {ct.__version__}" in message


class ToPixels(torch.nn.Module):
    def forward(self, x):
        return ((torch.tanh(x) + 1.0) * 127.5).clamp(0.0, 255.0)


@pytest.mark.parametrize("layout", ["RGB", "BGR"])
def test_image_output_is_float_rgb_array(layout):
    x = torch.randn(1, 3, 6, 5)
    model = convert_module(
        ToPixels(), [x], ["x"], "fp16",
        outputs=[ct.ImageType(name="image", color_layout=getattr(ct.colorlayout, layout))],
    )

    image = open_coreml(model).predict({"x": x.numpy()})["image"]

    assert image.dtype == np.float32
    assert image.shape == (1, 3, 6, 5)
    assert image.min() >= 0.0
    assert image.max() <= 255.0
    with torch.no_grad():
        expected = ToPixels()(x).numpy()
    # In a BGR image the program's channel 0 is blue, so it becomes channel 2 of the RGB array.
    if layout == "BGR":
        expected = expected[:, ::-1]
    np.testing.assert_allclose(image, expected, atol=0.25)


def test_image_input_takes_rgb_pixels():
    class Identity(torch.nn.Module):
        def forward(self, x):
            return x * 1.0

    x = torch.zeros(1, 3, 4, 4)
    exported = torch.export.export(Identity(), (x,)).run_decompositions({})
    model = ct.convert(
        exported, convert_to="mlprogram",
        inputs=[ct.ImageType(name="x", shape=(1, 3, 4, 4), scale=1 / 255.0, color_layout=ct.colorlayout.BGR)],
        minimum_deployment_target=ct.target.iOS16, compute_precision=ct.precision.FLOAT32, skip_model_load=True,
    )
    pixels = np.random.RandomState(0).randint(0, 256, size=(1, 3, 4, 4)).astype(np.float32)

    (output,) = open_coreml(model).predict({"x": pixels}).values()

    # The program receives BGR pixels scaled to 0..1, which Identity returns unchanged.
    np.testing.assert_allclose(output, pixels[:, ::-1] / 255.0, rtol=1e-6)


def test_invalid_inputs_raise_clear_errors(small_packages):
    runner = open_coreml(small_packages["fp32"])

    with pytest.raises(InvalidInputError, match=r"input 'w' has shape \(1, 3\); the model expects \(1, 64\)"):
        runner.predict({"w": np.zeros((1, 3), dtype=np.float32)})
    with pytest.raises(InvalidInputError, match=r"missing \['w'\], unknown \['z'\]"):
        runner.predict({"z": np.zeros((1, 64), dtype=np.float32)})
    with pytest.raises(InvalidInputError, match="'no_such_value' is not a value of the program"):
        runner.predict({"w": np.zeros((1, 64), dtype=np.float32)}, outputs=["no_such_value"])
    with pytest.raises(InvalidInputError, match="compute units 'gpu' are unknown"):
        open_coreml(small_packages["fp32"], compute_units="gpu")
    with pytest.raises(InvalidInputError, match="not found"):
        open_coreml(small_packages["fp32"].parent / "missing.mlpackage")


def test_coreml_backend_needs_macos(small_packages, monkeypatch):
    monkeypatch.setattr(runner_module, "is_macos", lambda: False)

    with pytest.raises(InvalidInputError, match="backend 'coreml' needs macOS"):
        open_coreml(small_packages["fp32"], backend="coreml")


class StandInMLModel:
    """Stand-in for `coremltools.models.MLModel`: records the calls and returns an image as Core ML's `predict` does."""

    calls: list = []

    def __init__(self, path, compute_units=None):
        self.spec = ct.models.utils.load_spec(path)
        StandInMLModel.calls.append(("load", path, compute_units))

    def get_spec(self):
        return self.spec

    def predict(self, feed):
        from PIL import Image

        StandInMLModel.calls.append(("predict", sorted(feed)))
        pixels = np.zeros((6, 5, 3), dtype=np.uint8)
        pixels[..., 0] = 200
        return {"image": Image.fromarray(pixels, mode="RGB")}


def test_macos_backend_uses_coremltools_predict(monkeypatch, tmp_path):
    x = torch.randn(1, 3, 6, 5)
    image_output = ct.ImageType(name="image", color_layout=ct.colorlayout.RGB)
    model = convert_module(ToPixels(), [x], ["x"], "fp16", outputs=[image_output])
    model.save(str(tmp_path / "pixels.mlpackage"))
    monkeypatch.setattr(runner_module, "is_macos", lambda: True)
    monkeypatch.setattr(ct.models, "MLModel", StandInMLModel)
    StandInMLModel.calls = []

    runner = open_coreml(tmp_path / "pixels.mlpackage", compute_units="all")
    image = runner.predict({"x": x.numpy()})["image"]

    assert runner.label == "Core ML runtime (macOS, all)"
    assert StandInMLModel.calls[0] == ("load", str(tmp_path / "pixels.mlpackage"), ct.ComputeUnit.ALL)
    assert StandInMLModel.calls[1] == ("predict", ["x"])
    assert image.shape == (1, 3, 6, 5)
    assert image.dtype == np.float32
    assert np.all(image[:, 0] == 200.0)
    assert np.all(image[:, 1:] == 0.0)


def test_compute_units_all_uses_reference_on_linux(small_packages, monkeypatch):
    monkeypatch.setattr(runner_module, "is_macos", lambda: False)

    runner = open_coreml(small_packages["fp16"], compute_units="all")

    assert runner.label == REFERENCE_LABEL
    assert runner.compute_units == "all"
