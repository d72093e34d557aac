"""The demo's deploy-folder reader and its loopback HTTP server, with placeholder models."""

from __future__ import annotations

import http.client
import json

import pytest

from mobile_demo.deploy_folder import find_demo_models
from mobile_demo.server import LiteRtNotInstalledError, build_routes, create_server, running_server
from mobile_demo_helpers import fake_deploy_folder, fake_web_root, write_fake_model
from msg_model.errors import InvalidInputError


@pytest.fixture
def deploy(tmp_path):
    return fake_deploy_folder(tmp_path / "deploy")


@pytest.fixture
def web_root(tmp_path):
    return fake_web_root(tmp_path / "web")


def fetch(server, path: str, method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_find_models_picks_roles(deploy):
    write_fake_model(deploy, "synthesis-tflite-fp16w", variant="fp16w", kind="tflite-fp16w")
    write_fake_model(deploy, "synthesis-wplus-tflite-fp32", input="w_plus")
    write_fake_model(deploy, "synthesis-tflite-fp32-uint8", image_output="uint8")
    write_fake_model(deploy, "generator-tflite-fp32", role="generator", input="z")

    models = find_demo_models(deploy)

    assert models.mapping.path.name == "mapping-tflite-fp32.tflite"
    assert models.synthesis.path.name == "synthesis-tflite-fp32.tflite"
    assert models.style_dim == 8
    assert models.resolution == 16


def test_find_models_variant_fp16w(deploy):
    write_fake_model(deploy, "synthesis-tflite-fp16w", variant="fp16w", kind="tflite-fp16w")
    models = find_demo_models(deploy, variant="fp16w")
    assert models.synthesis.path.name == "synthesis-tflite-fp16w.tflite"


def test_manifest_limits_candidates(deploy, tmp_path):
    nested = deploy / "tflite"
    nested.mkdir()
    write_fake_model(nested, "synthesis-tflite-fp32")
    outside = write_fake_model(tmp_path, "outside-mapping", role="mapping")
    manifest = {
        "artifacts": [
            {"file": "mapping-tflite-fp32.tflite", "sidecar": "mapping-tflite-fp32.json"},
            {"file": "tflite/synthesis-tflite-fp32.tflite", "sidecar": "tflite/synthesis-tflite-fp32.json"},
            {"file": str(outside), "sidecar": str(outside.with_suffix(".json"))},
        ],
    }
    (deploy / "manifest.json").write_text(json.dumps(manifest))

    models = find_demo_models(deploy)

    assert models.synthesis.path == (nested / "synthesis-tflite-fp32.tflite").resolve()
    assert models.mapping.path == (deploy / "mapping-tflite-fp32.tflite").resolve()


def test_missing_folder_error(tmp_path):
    with pytest.raises(InvalidInputError, match="deploy folder .*nowhere not found; run `msg deploy`"):
        find_demo_models(tmp_path / "nowhere")


def test_missing_synthesis_lists_found_kinds(deploy):
    (deploy / "synthesis-tflite-fp32.tflite").unlink()
    with pytest.raises(InvalidInputError, match=r"no TFLite fp32 synthesis model \(input w\) in .* \(found: mapping-tflite-fp32\)"):
        find_demo_models(deploy)


def test_model_without_sidecar_is_skipped(deploy):
    (deploy / "mapping-tflite-fp32.json").unlink()
    with pytest.raises(InvalidInputError, match="no TFLite fp32 mapping model"):
        find_demo_models(deploy)


def test_two_synthesis_models_rejected(deploy):
    nested = deploy / "copy"
    nested.mkdir()
    write_fake_model(nested, "synthesis-tflite-fp32")
    with pytest.raises(InvalidInputError, match="contains several TFLite fp32 synthesis model"):
        find_demo_models(deploy)


def test_wrong_tensor_names_rejected(deploy):
    write_fake_model(deploy, "mapping-tflite-fp32", role="mapping", outputs=[{"name": "output_0", "shape": [1, 8]}])
    with pytest.raises(InvalidInputError, match=r"outputs \['output_0'\], expected .* \['w'\]"):
        find_demo_models(deploy)


def test_style_dim_mismatch_rejected(deploy):
    write_fake_model(deploy, "mapping-tflite-fp32", role="mapping", style_dim=16)
    with pytest.raises(InvalidInputError, match=r"mapping output w \(1, 16\) does not fit synthesis input w \(1, 8\)"):
        find_demo_models(deploy)


def test_server_serves_page_and_models(deploy, web_root):
    models = find_demo_models(deploy)
    with running_server(models, web_root=web_root) as server:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"

        status, headers, body = fetch(server, "/?seed=3")
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert b'src="/app/src/main.js"' in body
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"

        status, _, body = fetch(server, "/models/config.json")
        config = json.loads(body)
        assert status == 200
        assert config["mapping"]["url"] == "/models/mapping.tflite"
        assert config["synthesis"]["kind"] == "tflite-fp32"
        assert (config["style_dim"], config["resolution"], config["source_model"]) == (8, 16, "random:fake")

        status, _, body = fetch(server, "/models/synthesis.tflite")
        assert (status, body) == (200, (deploy / "synthesis-tflite-fp32.tflite").read_bytes())
        status, headers, _ = fetch(server, "/vendor/litertjs/core/wasm/litert_wasm_internal.wasm")
        assert (status, headers["Content-Type"]) == (200, "application/wasm")
        status, _, body = fetch(server, "/app/src/seeds.js")
        assert status == 200
        assert b"export function normalDraws" in body


@pytest.mark.parametrize(
    "path",
    [
        "/app/",
        "/app/src/",
        "/app/../server.py",
        "/app/src/../../deploy_folder.py",
        "/%2e%2e/mobile_demo/server.py",
        "/tools/browser_check.mjs",
        "/app/tools/browser_check.mjs",
        "/models/",
        "/models/mapping-tflite-fp32.json",
        "/vendor/litertjs/core/package.json",
        "/vendor/litertjs/core/",
        "/node_modules/@litertjs/core/dist/index.js",
        "/index.html/",
    ],
)
def test_server_rejects_unlisted_paths(deploy, web_root, path):
    with running_server(find_demo_models(deploy), web_root=web_root) as server:
        status, _, body = fetch(server, path)
    assert status == 404
    assert b"fake" not in body


def test_head_sends_no_body(deploy, web_root):
    with running_server(find_demo_models(deploy), web_root=web_root) as server:
        status, headers, body = fetch(server, "/models/mapping.tflite", method="HEAD")
    assert status == 200
    assert headers["Content-Length"] == str((deploy / "mapping-tflite-fp32.tflite").stat().st_size)
    assert body == b""


def test_missing_litert_gives_npm_hint(deploy, tmp_path):
    bare = fake_web_root(tmp_path / "bare", with_litert=False)
    with pytest.raises(LiteRtNotInstalledError, match=r"LiteRT.js is not installed; run `npm ci --prefix .*bare` once"):
        build_routes(find_demo_models(deploy), bare)


def test_busy_port_error(deploy, web_root):
    models = find_demo_models(deploy)
    with running_server(models, web_root=web_root) as server:
        port = server.server_address[1]
        with pytest.raises(InvalidInputError, match=f"port {port} on 127.0.0.1 is in use; pass another with --port"):
            create_server(models, port, web_root)
