"""A failed or interrupted conversion leaves nothing at the target: no model, no sidecar, no temporary files."""

import pathlib

import pytest

import converters
from msg_model.spec import load_model


@pytest.fixture(scope="module")
def small_model():
    return load_model("random:small")


def test_tflite_interrupted_write_leaves_nothing(small_model, tmp_path, monkeypatch):
    original = pathlib.Path.write_bytes

    def write_half_then_interrupt(self, data):
        original(self, data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        converters.convert_mapping(small_model, target="tflite", out_dir=tmp_path, name="mapping")
    assert list(tmp_path.iterdir()) == []


def test_coreml_failed_save_leaves_nothing(small_model, tmp_path, monkeypatch):
    from converters.coreml import import_coremltools

    ct = import_coremltools()
    original = ct.models.MLModel.save

    def save_then_fail(self, path):
        original(self, path)  # the package is complete in the temporary folder when the failure hits
        raise OSError("disk full")

    monkeypatch.setattr(ct.models.MLModel, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        converters.convert(small_model, target="coreml", out_dir=tmp_path, name="face")
    assert list(tmp_path.iterdir()) == []


def test_failed_conversion_keeps_previous_artifact(small_model, tmp_path, monkeypatch):
    first = converters.convert_mapping(small_model, target="coreml", out_dir=tmp_path, name="mapping")
    before = sorted(path.name for path in tmp_path.iterdir())

    def fail(*args, **kwargs):
        raise RuntimeError("converter crashed")

    monkeypatch.setattr("converters.coreml.convert_coreml", fail)
    with pytest.raises(RuntimeError, match="converter crashed"):
        converters.convert_mapping(small_model, target="coreml", out_dir=tmp_path, name="mapping")
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    assert converters.read_sidecar(first.path)["sha256"] == first.sha256
