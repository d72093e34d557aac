"""`msg deploy` on random:small: the folder, manifest.json and sidecars; failures leave no partial folder."""

import json

import pytest
from typer.testing import CliRunner

import converters
from converters.deploy_job import DeployOptions, Step, run_deploy
from converters.deploy_job.steps import load_step
from converters.digest import sha256_path, size_bytes
from msg_cli.main import app
from msg_model.errors import InvalidInputError
from validation.thresholds import ThresholdTable, parse_override

EXPECTED_FILES = {
    "manifest.json",
    "synthesis-coreml-fp16.mlpackage",
    "synthesis-coreml-fp16.json",
    "synthesis-tflite-fp32.tflite",
    "synthesis-tflite-fp32.json",
    "mapping-tflite-fp32.tflite",
    "mapping-tflite-fp32.json",
    "mapping-coreml-fp16.mlpackage",
    "mapping-coreml-fp16.json",
    "report",
}
EXPECTED_KINDS = {"coreml-fp16", "tflite-fp32", "mapping-tflite-fp32", "mapping-coreml-fp16"}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """One `msg deploy random:small` run through the CLI; returns (folder, CLI output)."""
    folder = tmp_path_factory.mktemp("deploy-run") / "deploy"
    result = CliRunner().invoke(app, ["deploy", "random:small", "--out", str(folder), "--fid-samples", "0", "--no-quantized"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_deploy_folder_contents(deployed):
    folder, _ = deployed
    assert {path.name for path in folder.iterdir()} == EXPECTED_FILES
    assert not [path for path in folder.parent.iterdir() if ".partial-" in path.name]


def test_deploy_prints_folder_and_table(deployed):
    folder, output = deployed
    assert f"wrote {folder.resolve()}" in output
    assert "synthesis-tflite-fp32.tflite" in output


def test_deploy_manifest(deployed):
    folder, _ = deployed
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source_model"] == "random:small"
    assert manifest["config"]["resolution"] == 64
    assert set(manifest["versions"]) >= {"torch", "coremltools", "litert-torch", "ai-edge-litert"}
    assert manifest["versions"]["torch"]
    assert {entry["kind"] for entry in manifest["artifacts"]} == EXPECTED_KINDS
    for entry in manifest["artifacts"]:
        path = folder / entry["file"]
        assert entry["size_bytes"] == size_bytes(path)
        assert entry["sha256"] == sha256_path(path)
        assert entry["sidecar_sha256"] == sha256_path(folder / entry["sidecar"])
        assert entry["inputs"] and entry["outputs"]


def test_deploy_validates_every_artifact(deployed):
    folder, output = deployed
    manifest = json.loads((folder / "manifest.json").read_text())
    report = json.loads((folder / "report" / "report.json").read_text())

    assert manifest["validation"]["passed"] is True
    assert set(manifest["validation"]["artifacts"]) == {name for name in EXPECTED_FILES if name.endswith((".tflite", ".mlpackage"))}
    assert {entry["kind"] for entry in report["artifacts"]} == EXPECTED_KINDS
    assert all(entry["passed"] for entry in report["artifacts"])
    assert all(str(folder) in entry["path"] for entry in report["artifacts"])
    assert (folder / "report" / "report.html").stat().st_size > 10_000
    assert "validation report:" in output


def test_deploy_fails_when_validation_fails(tmp_path):
    folder = tmp_path / "deploy"
    impossible = ThresholdTable((parse_override("coreml-fp16=500", "min_psnr_db"),))
    options = DeployOptions(model="random:small", out_dir=folder, fid_samples=0, seeds=(0,), thresholds=impossible, quantized=False)

    result = run_deploy(options)

    assert not result.passed
    assert any("is below the minimum 500.00 dB" in failure.message for failure in result.validation.failures)
    assert (folder / "report" / "report.html").exists()
    assert json.loads((folder / "manifest.json").read_text())["validation"]["passed"] is False


def test_deploy_check_runs(deployed):
    folder, _ = deployed
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["artifacts"]:
        run = entry["check_run"]
        if entry["target"] == "coreml" and not run["ran"]:
            continue  # no CoreML runner on this machine
        assert run["ran"], entry["file"]
        assert run["finite"]
        bound = 1e-4 if entry["kind"].endswith("fp32") else 5e-2
        assert max(run["max_abs_error"].values()) <= bound, (entry["file"], run)


def test_deploy_sidecars_match_manifest(deployed):
    folder, _ = deployed
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["artifacts"]:
        sidecar = converters.read_sidecar(folder / entry["file"])
        assert sidecar["kind"] == entry["kind"]
        assert sidecar["sha256"] == entry["sha256"]
        assert sidecar["source_model"] == "random:small"
        assert [tensor["name"] for tensor in sidecar["inputs"]] == [tensor["name"] for tensor in entry["inputs"]]


def test_deploy_failed_step_leaves_previous_folder(tmp_path):
    folder = tmp_path / "deploy"
    folder.mkdir()
    previous = {"manifest_version": 1, "source_model": "random:small", "toolkit_version": "0.1.0", "artifacts": []}
    (folder / "manifest.json").write_text(json.dumps(previous))

    def fail(state):
        (state.work_dir / "half-written.tflite").write_bytes(b"\0")
        raise RuntimeError("conversion crashed")

    steps = (Step("load", "loading", load_step), Step("fail", "failing", fail))
    with pytest.raises(RuntimeError, match="conversion crashed"):
        run_deploy(DeployOptions(model="random:small", out_dir=folder), steps=steps)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["deploy"]
    assert [path.name for path in folder.iterdir()] == ["manifest.json"]


def test_deploy_rejects_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInputError, match="not empty and contains no manifest.json"):
        run_deploy(DeployOptions(model="random:small", out_dir=tmp_path), steps=())
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_deploy_adds_audited_int8_variants(tmp_path):
    folder = tmp_path / "deploy"
    options = DeployOptions(model="random:small", out_dir=folder, validate=False)

    result = run_deploy(options)

    kinds = {artifact.kind for artifact in result.artifacts}
    assert {"tflite-int8w", "coreml-int8w", "tflite-int8-full"} <= kinds
    for kind in ("tflite-int8w", "coreml-int8w", "tflite-int8-full"):
        audit = json.loads(next(folder.glob(f"{kind}.audit.json")).read_text())
        assert audit
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"tflite-int8w", "coreml-int8w", "tflite-int8-full"} <= {entry["kind"] for entry in manifest["artifacts"]}
    assert not (folder / ".float-work").exists()


def test_deploy_rejects_folder_with_foreign_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text('{"manifest_version": 3}')
    (tmp_path / "background.js").write_text("keep me")

    with pytest.raises(InvalidInputError, match="no manifest.json written by msg deploy"):
        run_deploy(DeployOptions(model="random:small", out_dir=tmp_path), steps=())

    assert (tmp_path / "background.js").read_text() == "keep me"


def test_deploy_rejects_nan_model_before_converting(tmp_path):
    import torch

    from msg_model.checkpoints import save_generator
    from msg_model.spec import load_model

    generator = load_model("random:small").generator
    with torch.no_grad():
        next(generator.synthesis.parameters()).fill_(float("nan"))
    source = save_generator(generator, tmp_path / "nan.safetensors")

    result = CliRunner().invoke(app, ["deploy", str(source), "--out", str(tmp_path / "deploy")])

    assert result.exit_code == 2
    assert "computes NaN or Inf in image on seed 0" in result.stderr
    assert not (tmp_path / "deploy").exists()


def test_deploy_nan_artifact_is_one_line(tmp_path, monkeypatch):
    from converters.deploy_job import check_runs

    def broken_run(model, artifact, num_threads):
        raise check_runs.CheckRunError(f"{artifact.path.name} produced NaN or Inf in 'image' on seed 0; the artifact is broken")

    monkeypatch.setattr("converters.deploy_job.steps.run_artifact", broken_run)

    result = CliRunner().invoke(app, ["deploy", "random:small", "--out", str(tmp_path / "deploy"), "--no-quantized"])

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "produced NaN or Inf" in result.stderr
    assert "was not changed" in result.stderr
    assert not (tmp_path / "deploy").exists()
