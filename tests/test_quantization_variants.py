"""`build_variant` and `msg quantize` on random:small: sidecars, audits, pruned kinds, validation and option errors."""

import json

import pytest
from typer.testing import CliRunner

from converters import read_sidecar
from msg_cli.main import app
from msg_model.errors import InvalidInputError
from msg_model.spec import load_model
from quantization.options import QuantizeOptions
from quantization.variant_validation import base_variant, variant_thresholds
from quantization.variants import build_variant

FAST = {"calibration_samples": 8, "seeds": (0, 1, 2)}


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


def test_int8w_variant_writes_sidecar_audit_and_validates(small, tmp_path):
    result = build_variant(small, QuantizeOptions(target="tflite", scheme="int8w", **FAST), out_dir=tmp_path)
    sidecar = read_sidecar(result.path)
    audit = json.loads(result.audit_path.read_text())

    assert result.path.name == "tflite-int8w.tflite"
    assert sidecar["kind"] == "tflite-int8w"
    assert sidecar["variant"] == "int8w"
    assert sidecar["size_bytes"] == result.path.stat().st_size
    assert sidecar["compression"]["recipe"]["dynamic_groups"]
    assert audit["failures"] == []
    assert audit["weight_bytes_after"] < audit["weight_bytes_before"] / 3
    assert result.validation.passed


def test_structured_pruning_gives_smaller_dense_models(small, tmp_path):
    options = QuantizeOptions(target="tflite", scheme="float", prune=0.25, structured=True, **FAST)
    pruned = build_variant(small, options, out_dir=tmp_path)
    dense = build_variant(small, QuantizeOptions(target="tflite", scheme="float", validate=False), out_dir=tmp_path)

    assert pruned.kind == "tflite-fp32-pruned25ch"
    assert pruned.pruning.macs_after < 0.8 * pruned.pruning.macs_before
    assert pruned.size_bytes < 0.9 * dense.size_bytes
    assert read_sidecar(pruned.path)["compression"]["pruning"]["structured"] is True
    assert pruned.validation.passed  # conversion fidelity against the pruned float model


def test_unstructured_pruning_tflite_stays_dense(small, tmp_path):
    pruned = build_variant(small, QuantizeOptions(target="tflite", scheme="float", prune=0.5, validate=False), out_dir=tmp_path)
    dense = build_variant(small, QuantizeOptions(target="tflite", scheme="float", validate=False), out_dir=tmp_path, name="dense")

    assert pruned.kind == "tflite-fp32-pruned50"
    assert abs(pruned.size_bytes - dense.size_bytes) < 0.01 * dense.size_bytes
    assert any("does not shrink" in note for note in pruned.audit.notes)


def test_unstructured_pruning_coreml_is_stored_sparse(small, tmp_path):
    options = QuantizeOptions(target="coreml", scheme="float", prune=0.5, weight_threshold=200, **FAST)
    pruned = build_variant(small, options, out_dir=tmp_path)
    dense = build_variant(small, QuantizeOptions(target="coreml", scheme="float", validate=False), out_dir=tmp_path, name="dense")

    assert pruned.kind == "coreml-fp16-pruned50"
    assert any(layer.storage.startswith("sparse") for layer in pruned.audit.layers)
    assert pruned.audit.bytes_after < 0.75 * pruned.audit.bytes_before
    assert pruned.size_bytes < dense.size_bytes
    assert pruned.validation.passed


def test_thresholds_for_kinds_without_defaults():
    pruned = variant_thresholds("tflite-int8w-pruned25ch", "int8w-pruned25ch", None).for_artifact("tflite-int8w-pruned25ch", "int8w-pruned25ch", "synthesis")
    w8a8 = variant_thresholds("coreml-w8a8", "w8a8", None).for_artifact("coreml-w8a8", "w8a8", "synthesis")
    chosen = variant_thresholds("tflite-int8-full", "int8-full", 33.0).for_artifact("tflite-int8-full", "int8-full", "synthesis")

    assert base_variant("fp16-pruned50") == "fp16"
    assert pruned.min_psnr_db == 40.0
    assert w8a8.min_psnr_db == 20.0
    assert chosen.min_psnr_db == 33.0
    assert chosen.min_ssim == 0.85


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"target": "tflite", "scheme": "pal4"}, "invalid --scheme"),
        ({"target": "coreml", "scheme": "int8w", "target_psnr_db": 30.0}, "--target-psnr applies only"),
        ({"target": "coreml", "scheme": "int8w", "prune": 0.25}, "unstructured pruning on CoreML"),
        ({"target": "tflite", "scheme": "int8w", "structured": True}, "--structured needs --prune"),
        ({"target": "tflite", "scheme": "int8w", "deployment_target": "iOS17"}, "applies only to --target coreml"),
        ({"target": "tflite", "scheme": "int8-full", "calibration_samples": 2}, "too few"),
    ],
)
def test_invalid_options(fields, message):
    with pytest.raises(InvalidInputError, match=message):
        QuantizeOptions(**fields)


def test_cli_int8_full_with_recipe(tmp_path):
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"format": "mobilestylegan-deploy/tflite-recipe-1", "scheme": "int8-full", "float_groups": ["styles", "blocks.2.up"], "calibration_samples": 8}))

    result = CliRunner().invoke(
        app, ["quantize", "random:small", "--target", "tflite", "--scheme", "int8-full", "--recipe", str(recipe), "--out", str(tmp_path / "out"), "--seeds", "0-2", "--min-psnr", "22"]
    )

    assert result.exit_code == 0, result.output
    assert "PASS tflite-int8-full.tflite" in result.output
    assert "minimum PSNR 22.0 dB" in result.output
    written = json.loads((tmp_path / "out" / "tflite-int8-full.recipe.json").read_text())
    assert written["float_groups"] == ["styles", "blocks.2.up"]


def test_cli_fails_under_threshold(tmp_path):
    result = CliRunner().invoke(
        app, ["quantize", "random:small", "--target", "coreml", "--scheme", "pal4", "--weight-threshold", "200", "--min-psnr", "60", "--out", str(tmp_path), "--seeds", "0"]
    )

    assert result.exit_code == 1
    assert "FAIL coreml-pal4.mlpackage" in result.output


def test_cli_rejects_bad_option(tmp_path):
    result = CliRunner().invoke(app, ["quantize", "random:small", "--target", "tflite", "--scheme", "pal4", "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "invalid --scheme 'pal4'" in result.output


def test_quantize_tflite_variants_reuses_workdir(small, tmp_path, monkeypatch):
    from quantization import tflite_variant
    from quantization.tflite_quantize import quantize_tflite_variants

    recipe = tmp_path / "small.recipe.json"
    recipe.write_text(json.dumps({"format": "mobilestylegan-deploy/tflite-recipe-1", "scheme": "int8-full", "calibration_samples": 8}))
    monkeypatch.setitem(tflite_variant.BUILT_IN_RECIPES, "random:small", recipe)  # no search: the built-in recipe is used
    first = quantize_tflite_variants(small, tmp_path)
    stamps = {kind: path.stat().st_mtime_ns for kind, path in first.items()}
    second = quantize_tflite_variants(small, tmp_path)

    assert sorted(first) == ["tflite-int8-full", "tflite-int8w"]
    assert (tmp_path / "tflite-fp32.tflite").is_file()  # the float model both were quantized from
    assert {kind: path.stat().st_mtime_ns for kind, path in second.items()} == stamps
