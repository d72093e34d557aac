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

