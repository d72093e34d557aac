"""`msg validate`: exit codes 0 (all passed), 1 (an artifact failed), 2 (bad input), and the report files."""

import json
import re

import pytest
from typer.testing import CliRunner

from msg_cli.main import app
from msg_model.spec import load_model
from validation_helpers import build_artifacts


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    return build_artifacts(load_model("random:small"), tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def empty_torch_home(monkeypatch, tmp_path):
    """No FID weights in the torch hub cache, whatever the machine has."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))


def msg_validate(*arguments):
    return CliRunner().invoke(app, ["validate", "--reference", "random:small", "--seeds", "0-2", *map(str, arguments)])


def test_exit_0_when_all_pass(artifacts, tmp_path):
    result = msg_validate(artifacts["good"], artifacts["mapping"], "--report", tmp_path / "report")

    assert result.exit_code == 0, result.output
    assert "PASS good.tflite (tflite-fp32, LiteRT interpreter (XNNPACK, 2 threads))" in result.stdout
    assert (tmp_path / "report" / "report.json").is_file()
    assert (tmp_path / "report" / "report.html").is_file()


def test_exit_1_names_artifact_metric_value_threshold(artifacts, tmp_path):
    result = msg_validate(artifacts["good"], artifacts["perturbed"], "--report", tmp_path / "report")

    assert result.exit_code == 1
    assert re.search(r"failed: perturbed\.tflite \(tflite-fp32\): PSNR \d+\.\d\d dB at seed \d is below the minimum 60\.00 dB", result.stderr)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [a["passed"] for a in report["artifacts"]] == [True, False]


def test_threshold_override_lets_it_pass(artifacts, tmp_path):
    result = msg_validate(artifacts["perturbed"], "--min-psnr", "tflite-fp32=20", "--min-ssim", "all=0.9", "--report", tmp_path / "report")

    assert result.exit_code == 0, result.output


def test_require_fid_without_weights_fails(artifacts, tmp_path):
    result = msg_validate(artifacts["good"], "--require-fid", "--fid-samples", "4", "--report", tmp_path / "report")

    assert result.exit_code == 1
    assert "FID not computed" in result.stderr
    assert "--fid-weights" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--seeds", "5-2"], "invalid seed list '5-2'"),
        (["--min-psnr", "fp32"], "invalid --min-psnr 'fp32'; expected KIND=VALUE"),
        (["--fid-weights", "missing.pth"], "--fid-weights 'missing.pth' not found"),
        (["--require-fid", "--fid-samples", "0"], "--require-fid needs --fid-samples of 2 or more"),
    ],
)
def test_exit_2_for_bad_options(artifacts, tmp_path, arguments, message):
    result = msg_validate(artifacts["good"], *arguments, "--report", tmp_path / "report")

    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "report").exists()


def test_exit_2_for_missing_artifact(tmp_path):
    result = msg_validate(tmp_path / "absent.tflite", "--report", tmp_path / "report")

    assert result.exit_code == 2
    assert "absent.tflite' not found" in result.stderr


def test_exit_2_for_unknown_reference(artifacts, tmp_path):
    result = CliRunner().invoke(app, ["validate", "--reference", "random:huge", str(artifacts["good"]), "--report", str(tmp_path / "report")])

    assert result.exit_code == 2
    assert "unknown random model 'huge'" in result.stderr


def test_exit_2_when_artifact_changed_after_conversion(artifacts, tmp_path):
    changed = tmp_path / artifacts["good"].name
    content = bytearray(artifacts["good"].read_bytes())
    content[-1] ^= 0xFF  # same size, other bytes
    changed.write_bytes(bytes(content))
    sidecar = artifacts["good"].with_suffix(".json")
    (tmp_path / sidecar.name).write_text(sidecar.read_text())

    result = msg_validate(changed, "--report", tmp_path / "report")

    assert result.exit_code == 2
    assert "but its sidecar records" in result.stderr
    assert "convert or quantize it again" in result.stderr
    assert not (tmp_path / "report").exists()


def test_exit_2_for_threshold_key_naming_no_artifact(artifacts, tmp_path):
    result = msg_validate(artifacts["good"], "--report", tmp_path / "report", "--min-psnr", "tflite-fp33=30")

    assert result.exit_code == 2
    assert "invalid --min-psnr key 'tflite-fp33'" in result.stderr
    assert not (tmp_path / "report").exists()


def test_exit_2_for_artifact_listed_twice(artifacts, tmp_path):
    result = msg_validate(artifacts["good"], artifacts["good"], "--report", tmp_path / "report")

    assert result.exit_code == 2
    assert "is listed more than once" in result.stderr
