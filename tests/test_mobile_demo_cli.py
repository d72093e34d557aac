"""`msg demo`: one-line errors, and a real server process that prints its URL and stops on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest
from typer.testing import CliRunner

from mobile_demo import server
from mobile_demo_helpers import fake_deploy_folder, fake_web_root
from msg_cli.main import app


def run_cli(*arguments: str):
    return CliRunner().invoke(app, ["demo", *arguments])


def test_missing_deploy_folder_one_line(tmp_path):
    result = run_cli(str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "error: deploy folder" in result.output
    assert "run `msg deploy` first" in result.output


def test_file_as_deploy_folder_one_line(tmp_path):
    plain = tmp_path / "keep.txt"
    plain.write_text("keep")

    result = run_cli(str(plain))

    assert result.exit_code == 2
    assert "is a file, not a deploy folder" in result.output
    assert plain.read_text() == "keep"


def test_missing_npm_install_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "WEB_ROOT", fake_web_root(tmp_path / "web", with_litert=False))
    result = run_cli(str(fake_deploy_folder(tmp_path / "deploy")))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "error: LiteRT.js is not installed; run `npm ci --prefix" in result.output


def test_port_out_of_range(tmp_path):
    result = run_cli(str(fake_deploy_folder(tmp_path / "deploy")), "--port", "70000")
    assert result.exit_code == 2
    assert "65535" in result.output


@pytest.mark.skipif(not (server.WEB_ROOT / "node_modules" / "@litertjs" / "core").is_dir(), reason=server.install_hint())
def test_serves_until_interrupt(tmp_path):
    deploy = fake_deploy_folder(tmp_path / "deploy")
    command = [sys.executable, "-m", "msg_cli", "demo", str(deploy), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        second = process.stdout.readline()
        url = second.split()[1]
        with urllib.request.urlopen(url + "models/config.json", timeout=10) as response:
            config = json.load(response)
    finally:
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=20)

    assert first.startswith("serving mapping-tflite-fp32.tflite and synthesis-tflite-fp32.tflite (16x16)")
    assert second.startswith("open http://127.0.0.1:")
    assert config["synthesis"]["url"] == "/models/synthesis.tflite"
    assert process.returncode == 0, errors
    assert output.strip() == "stopped"
