"""Deploy folders and fake files for the mobile demo tests.

Real conversions (random:small, and the released model for the slow test) are made once per test
session with `converters.convert`, because each takes several seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mobile_demo.server import WEB_ROOT

_CONVERTED: dict[tuple[str, str], Path] = {}


def converted_deploy_folder(tmp_path_factory, spec: str, target: str) -> Path:
    """Mapping and synthesis (input w, float image) of `spec` for `target`, in their default files."""
    key = (spec, target)
    if key not in _CONVERTED:
        from converters import convert, convert_mapping
        from msg_model.spec import load_model

        folder = tmp_path_factory.mktemp(f"deploy-{spec.replace(':', '-')}-{target}")
        model = load_model(spec)
        convert(model, target=target, out_dir=folder)
        convert_mapping(model, target=target, out_dir=folder)
        _CONVERTED[key] = folder
    return _CONVERTED[key]


def tensor(name: str, shape: list[int]) -> dict:
    return {"name": name, "shape": shape, "dtype": "float32", "description": name}


def write_fake_model(folder: Path, name: str, **fields) -> Path:
    """A placeholder NAME.tflite with a contract-style sidecar NAME.json; `fields` override the sidecar."""
    style_dim = fields.pop("style_dim", 8)
    role = fields.get("role", "synthesis")
    if role == "mapping":
        sidecar = {
            "kind": "mapping-tflite-fp32", "target": "tflite", "role": "mapping", "variant": "fp32", "input": "z",
            "inputs": [tensor("z", [1, style_dim]), tensor("psi", [1, 1])], "outputs": [tensor("w", [1, style_dim])],
        }
    else:
        sidecar = {
            "kind": "tflite-fp32", "target": "tflite", "role": "synthesis", "variant": "fp32", "input": "w",
            "image_output": "float", "inputs": [tensor("w", [1, style_dim])], "outputs": [tensor("image", [1, 3, 16, 16])],
        }
    sidecar.update(source_model="random:fake", sha256="0" * 64, size_bytes=12)
    sidecar.update(fields)
    path = folder / f"{name}.tflite"
    path.write_bytes(f"fake {name}".encode())
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    return path


def fake_deploy_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_fake_model(folder, "mapping-tflite-fp32", role="mapping")
    write_fake_model(folder, "synthesis-tflite-fp32")
    return folder


def fake_web_root(folder: Path, with_litert: bool = True) -> Path:
    """A copy of the page with stand-in LiteRT.js files, so server tests need no npm install."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(WEB_ROOT / "index.html", folder / "index.html")
    shutil.copy(WEB_ROOT / "style.css", folder / "style.css")
    shutil.copytree(WEB_ROOT / "src", folder / "src")
    shutil.copytree(WEB_ROOT / "tools", folder / "tools")
    if with_litert:
        packages = folder / "node_modules" / "@litertjs"
        for relative, content in {
            "core/dist/index.js": b"export const core = 1;",
            "core/package.json": b"{}",
            "core/wasm/litert_wasm_internal.js": b"var ModuleFactory;",
            "core/wasm/litert_wasm_internal.wasm": b"\0asm\1\0\0\0",
            "wasm-utils/dist/index.js": b"export const utils = 1;",
        }.items():
            (packages / relative).parent.mkdir(parents=True, exist_ok=True)
            (packages / relative).write_bytes(content)
    return folder
