"""One-line errors from `msg` commands, and the traceback that `msg --debug` requests."""

import pytest
from typer.testing import CliRunner

from msg_cli.main import app
from msg_model.errors import InvalidInputError


def test_error_is_one_line_without_debug(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--reference", "random:small", str(tmp_path / "absent.tflite"), "--report", str(tmp_path / "r")])

    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: artifact {str(tmp_path / 'absent.tflite')!r} not found"


def test_debug_raises_with_traceback(tmp_path):
    result = CliRunner().invoke(app, ["--debug", "validate", "--reference", "random:small", str(tmp_path / "absent.tflite"), "--report", str(tmp_path / "r")])

    assert isinstance(result.exception, InvalidInputError)
    assert "not found" in str(result.exception)


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
    ],
    ids=lambda arguments: arguments[0],
)
def test_truncation_outside_range_writes_nothing(arguments, tmp_path):
    result = CliRunner().invoke(app, [argument.format(folder=tmp_path) for argument in arguments])

    assert result.exit_code == 2
    assert "expected a number from 0 to 2" in result.stderr
    assert list(tmp_path.iterdir()) == []
