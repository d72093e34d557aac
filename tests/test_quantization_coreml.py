"""Compressed CoreML variants of random:small, run with the reference runner, and their audits."""

import numpy as np
import pytest
import torch

from converters import convert
from converters.coreml import import_coremltools
from converters.coreml_runner import open_coreml
from msg_model.spec import load_model
from quantization.audit import CompressionNotApplied
from quantization.calibration import calibration_ws
from quantization.coreml_activations import activation_ranges, concat_groups, precomputed_activation_ranges, quantize_activations
from quantization.coreml_audit import audit_coreml
from quantization.coreml_compress import CoreMLCompression, compress, required_deployment_target
from validation.images import float_to_uint8
from validation.latents import make_latents
from validation.metrics import psnr_db

# random:small's tensors are small: with coremltools' default threshold (2048 elements) only 3 of
# its 15 weight tensors would be compressed.
THRESHOLD = 200
# Worst seed of 0-2 against the float32 PyTorch model, measured on random:small with THRESHOLD:
# int8w 44.4 dB, pal6 35.4, pal4 22.4, w8a8 23.1. The minimums leave about 3 dB for other
# library versions.
MIN_PSNR = {"int8w": 40.0, "pal6": 32.0, "pal4": 19.0, "w8a8": 20.0}
STORAGE = {"int8w": "int8", "w8a8": "int8", "pal6": "uint6 palette", "pal4": "uint4 palette"}


@pytest.fixture(scope="module")
def ct():
    return import_coremltools()


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


@pytest.fixture(scope="module")
def base_models(small, tmp_path_factory):
    out = tmp_path_factory.mktemp("coreml-base")
    return {target: convert(small, target="coreml", precision="fp16", out_dir=out, name=f"fp16-{target}", deployment_target=target).path for target in ("iOS16", "iOS17")}


@pytest.fixture(scope="module")
def samples(small):
    return [{"w": row[None]} for row in calibration_ws(small, 8, 0.5).numpy()]


@pytest.fixture(scope="module")
def compressed(ct, base_models, samples, tmp_path_factory):
    from converters.coreml import save_mlpackage

    out = tmp_path_factory.mktemp("coreml-compressed")
    paths = {}
    for scheme in MIN_PSNR:
        base = base_models[required_deployment_target(scheme, None)]
        mlmodel = compress(ct.models.MLModel(str(base), skip_model_load=True), CoreMLCompression(scheme, THRESHOLD), samples)
        paths[scheme] = out / f"{scheme}.mlpackage"
        save_mlpackage(mlmodel, paths[scheme])
    return paths


@pytest.fixture(scope="module")
def references(small):
    latents = make_latents(small, range(3), 0.5)
    with torch.no_grad():
        return latents.w, small.synthesis(torch.from_numpy(latents.w)).numpy()


@pytest.mark.parametrize("scheme", list(MIN_PSNR))
def test_scheme_runs_and_keeps_quality(scheme, compressed, references):
    ws, images = references
    runner = open_coreml(compressed[scheme])
    values = [psnr_db(float_to_uint8(images[i]), float_to_uint8(runner.predict({"w": ws[i : i + 1]})["image"][0])) for i in range(len(ws))]

    assert min(values) > MIN_PSNR[scheme], values


@pytest.mark.parametrize("scheme", list(MIN_PSNR))
def test_audit_lists_storage_and_passes(scheme, compressed):
    audit = audit_coreml(compressed[scheme], f"coreml-{scheme}", scheme, THRESHOLD)

    assert audit.failures == ()
    for layer in audit.layers:
        if layer.compressed:
            expected = "int8" if layer.op == "linear" else STORAGE[scheme]  # palettized variants keep the style matrix int8
            assert layer.storage.startswith(expected), layer
    assert all("weight_threshold" in layer.reason for layer in audit.float_layers)
    assert audit.bytes_after < 0.6 * audit.bytes_before


def test_audit_fails_when_compression_was_skipped(ct, base_models, tmp_path):
    from converters.coreml import save_mlpackage

    # A threshold above every tensor makes coremltools skip all of them without an error.
    skipped = compress(ct.models.MLModel(str(base_models["iOS16"]), skip_model_load=True), CoreMLCompression("int8w", 10**9))
    save_mlpackage(skipped, tmp_path / "skipped.mlpackage")

    audit = audit_coreml(tmp_path / "skipped.mlpackage", "coreml-int8w", "int8w", THRESHOLD)

    assert not any(layer.compressed for layer in audit.layers)
    with pytest.raises(CompressionNotApplied, match="expected constexpr_affine_dequantize"):
        audit.check()


def test_audit_fails_w8a8_without_activation_quantization(compressed):
    audit = audit_coreml(compressed["int8w"], "coreml-w8a8", "w8a8", THRESHOLD)

    assert "no activation quantize ops" in " ".join(audit.failures)


def test_w8a8_has_activation_quantize_ops(compressed):
    audit = audit_coreml(compressed["w8a8"], "coreml-w8a8", "w8a8", THRESHOLD)

    assert audit.activations["quantize"] > 10
    assert audit.activations["dequantize"] >= audit.activations["quantize"]


def test_deployment_targets():
    assert required_deployment_target("int8w", None) == "iOS16"
    assert required_deployment_target("pal4", None) == "iOS16"
    assert required_deployment_target("w8a8", None) == "iOS17"
    assert required_deployment_target("w8a8", "iOS16") == "iOS17"
    assert required_deployment_target("int8w", "iOS18") == "iOS18"


def test_activation_ranges_cover_intermediates_and_share_concat(ct, base_models, samples):
    mlmodel = ct.models.MLModel(str(base_models["iOS17"]), skip_model_load=True)
    ranges = activation_ranges(mlmodel, samples[:2])
    runner = open_coreml(mlmodel)
    first = runner.predict(samples[0], outputs=runner.intermediate_names[:5])

    assert "w" in ranges
    assert "image" not in ranges
    for name, value in first.items():
        if value.dtype.kind == "f":
            assert ranges[name]["rmin"] <= value.min()
            assert ranges[name]["rmax"] >= value.max()
    for group in concat_groups(mlmodel):
        present = [ranges[name] for name in group if name in ranges]
        assert len({(entry["rmin"], entry["rmax"]) for entry in present}) <= 1


def test_range_hook_is_restored_and_checks_version(monkeypatch):
    import coremltools
    from coremltools.optimize.coreml import _post_training_quantization as internals

    original = internals._get_activation_calibration_stats
    with precomputed_activation_ranges({"x": {"rmin": -1.0, "rmax": 1.0}}):
        assert internals._get_activation_calibration_stats(None, []) == {"x": {"rmin": -1.0, "rmax": 1.0}}
    assert internals._get_activation_calibration_stats is original

    monkeypatch.setattr(coremltools, "__version__", "8.3")
    with pytest.raises(RuntimeError, match="needs coremltools 9.0"):
        with precomputed_activation_ranges({}):
            pass


def test_quantize_activations_inserts_pairs(ct, base_models, samples):
    mlmodel = quantize_activations(ct.models.MLModel(str(base_models["iOS17"]), skip_model_load=True), samples[:2])
    spec = mlmodel.get_spec()
    function = spec.mlProgram.functions["main"]
    types = [op.type for op in function.block_specializations[function.opset].operations]

    assert types.count("quantize") > 10
    assert np.isin(["dequantize"], types).all()
