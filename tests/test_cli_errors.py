"""One-line errors from `msg` commands, and the traceback that `msg --debug` requests."""

import json

import pytest
from typer.testing import CliRunner

from msg_cli.main import app


def test_error_is_one_line_without_debug(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--reference", "random:small", str(tmp_path / "absent.tflite"), "--report", str(tmp_path / "r")])

    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: artifact {str(tmp_path / 'absent.tflite')!r} not found"


def test_debug_prints_traceback_and_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["--debug", "validate", "--reference", "random:small", str(tmp_path / "absent.tflite"), "--report", str(tmp_path / "r")])

    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "InvalidInputError: artifact" in result.stderr


@pytest.mark.parametrize("command", ["bench", "convert", "deploy", "generate", "inspect", "prune", "quantize", "validate"])
def test_help_hides_context_parameter(command):
    result = CliRunner().invoke(app, [command, "--help"])

    assert result.exit_code == 0
    assert "msg-context" not in result.output
    assert "msg_context" not in result.output


@pytest.fixture
def plain_file(tmp_path):
    path = tmp_path / "plain"
    path.write_text("keep")
    return path


@pytest.mark.parametrize(
    "arguments",
    [
        ["convert", "random:small", "--target", "tflite", "--out", "{file}"],
        ["quantize", "random:small", "--target", "tflite", "--scheme", "int8w", "--out", "{file}/sub"],
        ["generate", "random:small", "--seeds", "0", "--out", "{file}/faces.png"],
        ["prune", "random:small", "--sparsity", "0.25", "--out", "{file}/pruned.safetensors"],
        ["validate", "--reference", "random:small", "{file}", "--report", "{file}"],
        ["bench", "random:small", "--workdir", "{file}", "--out", "{file}/r.md"],
    ],
    ids=lambda arguments: arguments[0],
)
def test_output_under_file_is_one_line(arguments, plain_file):
    result = CliRunner().invoke(app, [argument.format(file=plain_file) for argument in arguments])

    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"'{plain_file}' is a file" in result.stderr
    assert plain_file.read_text() == "keep"


def test_prune_rejects_other_suffix(tmp_path):
    result = CliRunner().invoke(app, ["prune", "random:small", "--sparsity", "0.25", "--out", str(tmp_path / "pruned.png")])

    assert result.exit_code == 2
    assert "must end in .safetensors" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_convert_sidecar_folder_writes_nothing(tmp_path):
    (tmp_path / "small.json").mkdir()

    result = CliRunner().invoke(app, ["convert", "random:small", "--target", "tflite", "--out", str(tmp_path), "--name", "small"])

    assert result.exit_code == 2
    assert "small.json' is a folder" in result.stderr
    assert [entry.name for entry in tmp_path.iterdir()] == ["small.json"]


def test_cache_dir_file_is_one_line(plain_file, monkeypatch):
    monkeypatch.setenv("MSG_CACHE_DIR", str(plain_file))

    result = CliRunner().invoke(app, ["generate", "pretrained:ffhq", "--seeds", "0", "--out", str(plain_file.parent / "f.png")])

    assert result.exit_code == 2
    assert "cache folder" in result.stderr
    assert f"'{plain_file}' is a file" in result.stderr


@pytest.mark.parametrize("command", ["bench", "convert", "deploy", "generate", "inspect", "prune", "quantize", "validate"])
def test_model_commands_offer_trust_checkpoint(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})  # wide enough that no option name is cut

    assert "--trust-checkpoint" in result.output


def test_convert_name_shared_across_targets_is_rejected(tmp_path):
    first = CliRunner().invoke(app, ["convert", "random:small", "--target", "tflite", "--out", str(tmp_path), "--name", "small"])
    sidecar = (tmp_path / "small.json").read_text()

    second = CliRunner().invoke(app, ["convert", "random:small", "--target", "coreml", "--out", str(tmp_path), "--name", "small"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 2
    assert "describes" in second.stderr
    assert "pass another --name" in second.stderr
    assert (tmp_path / "small.json").read_text() == sidecar
    assert not (tmp_path / "small.mlpackage").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["deploy", "random:small", "--truncation", "nan", "--out", "{folder}/deploy"],
        ["validate", "--reference", "random:small", "{folder}/a.tflite", "--report", "{folder}/r", "--truncation", "5"],
        ["quantize", "random:small", "--target", "tflite", "--scheme", "int8w", "--truncation", "-1", "--out", "{folder}/q"],
        ["prune", "random:small", "--sparsity", "0.25", "--truncation", "inf", "--out", "{folder}/p.safetensors"],
        ["convert", "random:small", "--target", "tflite", "--input", "z", "--truncation", "3", "--out", "{folder}/c"],
        ["generate", "random:small", "--truncation", "nan", "--out", "{folder}/faces.png"],
    ],
    ids=lambda arguments: arguments[0],
)
def test_truncation_outside_range_writes_nothing(arguments, tmp_path):
    result = CliRunner().invoke(app, [argument.format(folder=tmp_path) for argument in arguments])

    assert result.exit_code == 2
    assert "expected a number from 0 to 2" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_convert_keeps_folder_that_is_not_a_package(tmp_path):
    mine = tmp_path / "synthesis-coreml-fp16.mlpackage"
    mine.mkdir()
    (mine / "mine.txt").write_text("keep")

    result = CliRunner().invoke(app, ["convert", "random:small", "--target", "coreml", "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "is a folder but not a CoreML package" in result.stderr
    assert (mine / "mine.txt").read_text() == "keep"


def test_deploy_keeps_files_added_to_deploy_folder(tmp_path):
    folder = tmp_path / "deploy"
    folder.mkdir()
    manifest = {"manifest_version": 1, "source_model": "random:small", "toolkit_version": "0.1.0", "artifacts": [{"file": "a.tflite"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "a.tflite").write_bytes(b"\0")
    (folder / "a.json").write_text("{}")
    (folder / "notes.txt").write_text("keep")

    result = CliRunner().invoke(app, ["deploy", "random:small", "--out", str(folder)])

    assert result.exit_code == 2
    assert "holds files an earlier msg deploy did not write (notes.txt)" in result.stderr
    assert (folder / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize(
    ("out", "message"),
    [("keep.txt", "must end in .md"), ("results.md", "is a folder, but a file is written there")],
)
def test_bench_checks_out_before_running(tmp_path, out, message):
    (tmp_path / "keep.txt").write_text("keep")
    (tmp_path / "results.json").mkdir()

    result = CliRunner().invoke(app, ["bench", "random:small", "--out", str(tmp_path / out), "--workdir", str(tmp_path / "work")])

    assert result.exit_code == 2
    assert message in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "keep"
    assert not (tmp_path / "work").exists()


@pytest.mark.parametrize("value", ["nan", "-inf", "0"])
def test_quantize_rejects_min_psnr(tmp_path, value):
    result = CliRunner().invoke(app, ["quantize", "random:small", "--target", "tflite", "--scheme", "int8w", "--min-psnr", value, "--out", str(tmp_path / "q")])

    assert result.exit_code == 2
    assert "invalid --min-psnr" in result.stderr


def test_quantize_rejects_name_with_folder(tmp_path):
    result = CliRunner().invoke(app, ["quantize", "random:small", "--target", "tflite", "--scheme", "int8w", "--name", "../escape", "--out", str(tmp_path / "q")])

    assert result.exit_code == 2
    assert "invalid artifact name '../escape'" in result.stderr
    assert not (tmp_path / "escape.tflite").exists()


def test_quantize_rejects_broken_recipe_before_converting(tmp_path):
    recipe = tmp_path / "empty.recipe.json"
    recipe.write_text("{}")

    result = CliRunner().invoke(app, ["quantize", "random:small", "--target", "tflite", "--scheme", "int8-full", "--recipe", str(recipe), "--out", str(tmp_path / "q")])

    assert result.exit_code == 2
    assert "has no 'format' field" in result.stderr
    assert not (tmp_path / "q").exists()
