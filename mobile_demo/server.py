"""A loopback HTTP server for the demo page, LiteRT.js and the two TFLite models.

Only the URLs in a fixed route table are served: the page, its scripts, the LiteRT.js files
installed by npm, the two models and a generated `config.json`. Every other path is a 404, so
no folder is listed and nothing outside the table can be reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from mobile_demo.deploy_folder import DemoModels
from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
WEB_ROOT = Path(__file__).resolve().parent / "web"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".tflite": "application/octet-stream",
}
# Cross-origin isolation lets the page use SharedArrayBuffer, which threaded wasm needs.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


@dataclasses.dataclass(frozen=True)
class Route:
    """Response body of one URL: a file on disk or bytes made at start-up."""

    content_type: str
    path: Path | None = None
    body: bytes | None = None


class LiteRtNotInstalledError(InvalidInputError):
    pass


def install_hint(web_root: Path | None = None) -> str:
    web_root = web_root or WEB_ROOT
    return f"LiteRT.js is not installed; run `npm ci --prefix {web_root}` once (needs Node.js and npm)"


def file_route(path: Path) -> Route:
    return Route(CONTENT_TYPES[path.suffix], path=path)


def litert_routes(web_root: Path) -> dict[str, Route]:
    """Build the routes of the LiteRT.js module, its wasm helper and the wasm builds in `node_modules`."""
    packages = web_root / "node_modules" / "@litertjs"
    folders = {
        "/vendor/litertjs/core/dist/": (packages / "core" / "dist", "*.js"),
        "/vendor/litertjs/core/wasm/": (packages / "core" / "wasm", "*"),
        "/vendor/litertjs/wasm-utils/dist/": (packages / "wasm-utils" / "dist", "*.js"),
    }
    routes = {}
    for prefix, (folder, pattern) in folders.items():
        files = sorted(path for path in folder.glob(pattern) if path.suffix in CONTENT_TYPES)
        if not files:
            raise LiteRtNotInstalledError(install_hint(web_root))
        routes.update({prefix + path.name: file_route(path) for path in files})
    return routes


def page_routes(web_root: Path) -> dict[str, Route]:
    routes = {"/": file_route(web_root / "index.html"), "/app/style.css": file_route(web_root / "style.css")}
    for path in sorted((web_root / "src").glob("*.js")):
        routes[f"/app/src/{path.name}"] = file_route(path)
    return routes


def model_routes(models: DemoModels) -> dict[str, Route]:
    config = json.dumps(models.page_config(), indent=2).encode()
    return {
        "/models/config.json": Route(CONTENT_TYPES[".json"], body=config),
        "/models/mapping.tflite": file_route(models.mapping.path),
        "/models/synthesis.tflite": file_route(models.synthesis.path),
    }


def build_routes(models: DemoModels, web_root: Path | None = None) -> dict[str, Route]:
    web_root = web_root or WEB_ROOT
    return {**page_routes(web_root), **litert_routes(web_root), **model_routes(models)}


class DemoRequestHandler(BaseHTTPRequestHandler):
    server: "DemoServer"

    def do_GET(self) -> None:
        self.respond(send_body=True)

    def do_HEAD(self) -> None:
        self.respond(send_body=False)

    def respond(self, send_body: bool) -> None:
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            logger.info("not found: %s %s (the demo serves only its fixed list of URLs)", self.command, self.path)
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        size = len(route.body) if route.body is not None else route.path.stat().st_size
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        if route.body is not None:
            self.wfile.write(route.body)
        else:
            with open(route.path, "rb") as handle:
                shutil.copyfileobj(handle, self.wfile)

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route], port: int):
        self.routes = routes
        try:
            super().__init__((HOST, port), DemoRequestHandler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise InvalidInputError(f"port {port} on {HOST} is in use; pass another with --port, or --port 0 for a free one") from None
            raise

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


def create_server(models: DemoModels, port: int = 8000, web_root: Path | None = None) -> DemoServer:
    """Bind the demo server on 127.0.0.1; `port=0` picks a free port."""
    return DemoServer(build_routes(models, web_root), port)


@contextlib.contextmanager
def running_server(models: DemoModels, port: int = 0, web_root: Path | None = None) -> Iterator[DemoServer]:
    """Serve in a background thread for the duration of the `with` block."""
    server = create_server(models, port, web_root)
    # A short poll interval lets shutdown() return quickly when the block ends.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
