"""validate() on real TFLite, CoreML and OpenVINO artifacts of the small random model."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from msg_model.errors import InvalidInputError
from msg_model.spec import load_model
from validation import ValidationOptions, validate
from validation.runners import TFLiteRunner
from validation_helpers import build_artifacts, perturbed_copy

SEEDS = (0, 1, 2, 3)


@pytest.fixture(scope="module")
def model():
    return load_model("random:small")


@pytest.fixture(scope="module")
def artifacts(model, tmp_path_factory):
    return build_artifacts(model, tmp_path_factory.getbasetemp())


def run(model, paths, **options):
    return validate(model, list(paths), ValidationOptions(seeds=SEEDS, fid_samples=0, **options))


def test_good_tflite_passes(model, artifacts):
    result = run(model, [artifacts["good"]])

    artifact = result.artifacts[0]
    assert artifact.passed, [f.message for f in artifact.failures]
    assert artifact.metrics["psnr_db"].min >= 60
    assert artifact.metrics["max_abs_error"].max < 1e-4
    assert artifact.runner == "LiteRT interpreter (XNNPACK, 2 threads)"
    assert [sample.seed for sample in artifact.grid] == [0, 1, 2]


def test_good_tflite_passes_without_xnnpack(model, artifacts):
    result = run(model, [artifacts["good"]], xnnpack=False, threads=1)

    assert result.passed
    assert result.artifacts[0].runner == "LiteRT interpreter (built-in kernels, XNNPACK off, 1 threads)"


def test_perturbed_weights_fail_on_psnr(model, artifacts):
    result = run(model, [artifacts["perturbed"]])

    artifact = result.artifacts[0]
    assert not result.passed
    psnr = [f for f in artifact.failures if f.metric == "psnr_db"]
    assert len(psnr) == 1
    assert psnr[0].threshold == 60.0
    assert psnr[0].value == artifact.metrics["psnr_db"].min
    assert psnr[0].message.startswith("perturbed.tflite (tflite-fp32): PSNR ")
    assert "below the minimum 60.00 dB" in psnr[0].message


def test_constant_output_fails_loudly(model, artifacts):
    result = run(model, [artifacts["constant"]])

    metrics = {failure.metric for failure in result.artifacts[0].failures}
    assert {"psnr_db", "degenerate.flat_image", "degenerate.clipped", "degenerate.identical_images"} <= metrics


def test_mapping_tflite_passes(model, artifacts):
    result = run(model, [artifacts["mapping"]])

    artifact = result.artifacts[0]
    assert artifact.passed, [f.message for f in artifact.failures]
    assert artifact.metrics["w_relative_error"].max < 1e-5
    assert artifact.fid.status == "not applicable"


def test_mapping_against_other_weights_fails(model, artifacts):
    other = dataclasses.replace(model, mapping=perturbed_copy(model.mapping, relative=0.05))

    result = run(other, [artifacts["mapping"]])

    failures = result.artifacts[0].failures
    assert [f.metric for f in failures] == ["w_relative_error"]
    assert "above the maximum 0.0001" in failures[0].message


def test_several_artifacts_in_one_run(model, artifacts):
    result = run(model, [artifacts["good"], artifacts["perturbed"], artifacts["mapping"]])

    assert [a.passed for a in result.artifacts] == [True, False, True]
    assert not result.passed


def sidecar_without_digest(artifact):
    """The sidecar of `artifact` without size and sha256, as written by hand for a stand-in file."""
    sidecar = json.loads(artifact.with_suffix(".json").read_text())
    return {key: value for key, value in sidecar.items() if key not in ("size_bytes", "sha256")}


def test_corrupt_tflite_fails_as_runner(model, artifacts, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer" * 64)
    broken.with_suffix(".json").write_text(json.dumps(sidecar_without_digest(artifacts["good"])))

    result = run(model, [broken])

    failures = result.artifacts[0].failures
    assert [f.metric for f in failures] == ["runner"]
    assert "broken.tflite" in failures[0].message


def test_missing_sidecar_is_bad_input(model, artifacts, tmp_path):
    lonely = tmp_path / "lonely.tflite"
    lonely.write_bytes(artifacts["good"].read_bytes())

    with pytest.raises(InvalidInputError, match="no sidecar 'lonely.json'"):
        run(model, [lonely])


def test_shape_mismatch_is_bad_input(model, artifacts, tmp_path):
    copy = tmp_path / "wide.tflite"
    copy.write_bytes(artifacts["good"].read_bytes())
    sidecar = json.loads(artifacts["good"].with_suffix(".json").read_text())
    sidecar["inputs"][0]["shape"] = [1, 512]
    copy.with_suffix(".json").write_text(json.dumps(sidecar))

    with pytest.raises(InvalidInputError, match=r"w of shape \[1, 512\] but reference 'random:small' needs \[1, 64\]"):
        run(model, [copy])


def test_tflite_runner_copies_outputs(artifacts):
    runner = TFLiteRunner(artifacts["good"])
    w = np.random.default_rng(0).normal(size=(1, 64)).astype(np.float32)

    first = runner.predict({"w": w})["image"]
    kept = first.copy()
    runner.predict({"w": -w})

    assert np.array_equal(first, kept)


class NaNRunner:
    """Replaces the CoreML runner in a test: the float model's image with a NaN corner."""

    label = "reference runner (Linux)"

    def __init__(self, synthesis):
        self.synthesis = synthesis

    def predict(self, inputs):
        with torch.no_grad():
            image = self.synthesis(torch.from_numpy(inputs["w"])).numpy()
        image[:, :, :2, :2] = np.nan
        return {"image": image}


def test_nan_output_fails_with_count(model, artifacts, tmp_path, monkeypatch):
    import converters.coreml_runner

    package = tmp_path / "nan.mlpackage"
    package.mkdir()
    sidecar = sidecar_without_digest(artifacts["good"]) | {"kind": "coreml-fp32", "target": "coreml"}
    package.with_suffix(".json").write_text(json.dumps(sidecar))
    monkeypatch.setattr(converters.coreml_runner, "open_coreml", lambda path, compute_units: NaNRunner(model.synthesis))

    result = run(model, [package])

    artifact = result.artifacts[0]
    assert artifact.runner == "CoreML reference runner (Linux)"
    assert artifact.metrics["nonfinite_count"].values == (12.0,) * len(SEEDS)
    assert "nonfinite_count" in {f.metric for f in artifact.failures}


def test_coreml_fp16_through_reference_runner(model, tmp_path):
    from converters import convert

    artifact_path = convert(model, target="coreml", precision="fp16", out_dir=tmp_path).path

    result = run(model, [artifact_path])

    artifact = result.artifacts[0]
    assert artifact.passed, [f.message for f in artifact.failures]
    assert "reference runner (Linux)" in artifact.runner
    assert 40 <= artifact.metrics["psnr_db"].min < math.inf


def test_openvino_ir_folder_passes(model, tmp_path):
    from msg_model.openvino_import import import_openvino, telemetry_declined

    ov = import_openvino()
    folder = tmp_path / "ir"
    folder.mkdir()
    with telemetry_declined():
        converted = ov.convert_model(model.synthesis.eval(), example_input=(torch.zeros(1, 64),), input=[1, 64])
    ov.save_model(converted, str(folder / "SynthesisNetwork.xml"), compress_to_fp16=False)

    result = run(model, [folder])

    artifact = result.artifacts[0]
    assert artifact.passed, [f.message for f in artifact.failures]
    assert artifact.info.kind == "openvino-fp32"
    assert "float32 precision hint, 2 threads" in artifact.runner


@pytest.fixture(scope="module")
def released():
    from msg_model.pretrained import fetch_pretrained

    return fetch_pretrained("ffhq"), load_model("pretrained:ffhq")


@pytest.mark.slow
def test_released_openvino_ir_matches_import(released):
    folder, released_model = released

    result = validate(released_model, [folder], ValidationOptions(seeds=(0, 1), fid_samples=0))

    artifact = result.artifacts[0]
    assert artifact.passed, [f.message for f in artifact.failures]
    assert artifact.metrics["psnr_db"].min > 80  # float32 against float32: 90.7 to 93.4 dB measured on seeds 0-7 (2-CPU Linux machine)


@pytest.mark.slow
def test_released_tflite_fp16w_in_expected_band(released, tmp_path):
    from converters import convert

    _, released_model = released
    path = convert(released_model, target="tflite", precision="fp16", out_dir=tmp_path).path

    result = validate(released_model, [path], ValidationOptions(seeds=(0, 1), fid_samples=0))

    psnr = result.artifacts[0].metrics["psnr_db"]
    assert result.passed, [f.message for f in result.artifacts[0].failures]
    assert 50 < psnr.min  # float16 weights: 63.7 to 65.4 dB measured on seeds 0-7; near 40 dB would mean a bug
    assert psnr.max < 80  # well above that, the weights would not be float16 at all
