"""Work folders reuse a converted file only when it comes from the same model and toolkit code."""

import dataclasses
import shutil
from pathlib import Path

import pytest

import converters.reuse
from converters import convert
from converters.provenance import code_fingerprint
from converters.reuse import reusable_artifact
from converters.sidecar import read_sidecar
from msg_model.spec import load_model


@pytest.fixture(scope="module")
def small():
    return load_model("random:small")


@pytest.fixture(scope="module")
def original(small, tmp_path_factory):
    return convert(small, target="tflite", precision="fp32", out_dir=tmp_path_factory.mktemp("reuse"), name="tflite-fp32").path


@pytest.fixture
def converted(original, tmp_path):
    """A copy of the converted file and its sidecar that a test may change."""
    shutil.copy(original.with_suffix(".json"), tmp_path)
    return Path(shutil.copy(original, tmp_path))


def test_sidecar_records_code_fingerprint(converted):
    assert read_sidecar(converted)["toolkit_code"] == code_fingerprint()
    assert len(code_fingerprint()) == 16


def test_same_model_and_code_is_reused(small, converted):
    assert reusable_artifact(small, converted, "tflite-fp32")


def test_other_kind_or_model_is_not_reused(small, converted):
    assert not reusable_artifact(small, converted, "tflite-fp16w")
    assert not reusable_artifact(dataclasses.replace(small, spec="other.safetensors"), converted, "tflite-fp32")


def test_other_code_is_not_reused(small, converted, monkeypatch):
    monkeypatch.setattr(converters.reuse, "code_fingerprint", lambda: "0123456789abcdef")

    assert not reusable_artifact(small, converted, "tflite-fp32")


def test_changed_file_is_not_reused(small, converted):
    with open(converted, "ab") as handle:
        handle.write(b"\0")

    assert not reusable_artifact(small, converted, "tflite-fp32")


def test_missing_file_or_sidecar_is_not_reused(small, converted, tmp_path):
    converted.with_suffix(".json").unlink()

    assert not reusable_artifact(small, converted, "tflite-fp32")
    assert not reusable_artifact(small, tmp_path / "absent.tflite", "tflite-fp32")
