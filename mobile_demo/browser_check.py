"""Check the demo page in headless Chromium against the LiteRT Python interpreter.

The page is served on 127.0.0.1, Chromium draws one seed with LiteRT.js (wasm), and the canvas
pixels are compared with the interpreter's image for the same seed and psi. Playwright-core
(installed by `npm ci` in mobile_demo/web) drives Debian's Chromium; it never downloads a browser.

    python -m mobile_demo.browser_check deploy --screenshot docs/demo.png
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from mobile_demo.deploy_folder import find_demo_models
from mobile_demo.litert_reference import draw_with_interpreter
from mobile_demo.server import WEB_ROOT, install_hint, running_server
from msg_model.errors import InvalidInputError
from validation.images import float_to_uint8
from validation.metrics import psnr_db

logger = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_HINT = "Chromium not found; install Debian's with `apt-get update && apt-get install -y chromium`"
MIN_PSNR_DB = 40.0
TOOL = Path("tools") / "browser_check.mjs"


@dataclasses.dataclass(frozen=True)
class BrowserCheckOptions:
    """Seed and psi the page draws, the max seconds of each wait in the browser, and a screenshot path."""

    seed: int = 0
    psi: float = 1.0
    timeout_s: float = 120.0
    screenshot: Path | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**32:
            raise InvalidInputError(f"seed {self.seed} is out of range; seeds are integers from 0 to 2**32 - 1")
        if not 0.0 <= self.psi <= 1.0:
            raise InvalidInputError(f"psi {self.psi} is out of range; the page's slider covers 0 to 1")
        if self.timeout_s <= 0:
            raise InvalidInputError(f"timeout {self.timeout_s} s must be positive")


@dataclasses.dataclass(frozen=True)
class BrowserCheckResult:
    """Page output: canvas pixels (3, H, W) uint8, backend, timings and requests."""

    pixels: np.ndarray
    backend: str
    inference_ms: float
    load_ms: float
    click_to_image_ms: float
    requests: tuple[str, ...]
    blocked: tuple[str, ...]
    page_errors: tuple[str, ...]

    def non_loopback_requests(self) -> list[str]:
        return [url for url in self.requests + self.blocked if not is_loopback(url)]


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1"


def find_chromium() -> Path | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def browser_tools_missing(web_root: Path = WEB_ROOT) -> str | None:
    """Return a one-line reason why the browser check cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "Node.js not found; install Node.js 18 or newer with npm"
    if not (web_root / "node_modules" / "playwright-core").is_dir():
        return install_hint(web_root)
    if find_chromium() is None:
        return CHROMIUM_HINT
    return None


def read_result(out_dir: Path) -> BrowserCheckResult:
    result = json.loads((out_dir / "result.json").read_text())
    height, width = result["height"], result["width"]
    rgba = np.fromfile(out_dir / "pixels.rgba", dtype=np.uint8)
    if rgba.size != height * width * 4:
        raise RuntimeError(f"canvas dump has {rgba.size} bytes, expected {height} x {width} x 4 = {height * width * 4}")
    return BrowserCheckResult(
        pixels=np.ascontiguousarray(rgba.reshape(height, width, 4)[:, :, :3].transpose(2, 0, 1)),
        backend=result["backend"],
        inference_ms=result["inferenceMs"],
        load_ms=result["loadMs"],
        click_to_image_ms=result["clickToImageMs"],
        requests=tuple(result["requests"]),
        blocked=tuple(result["blocked"]),
        page_errors=tuple(result["pageErrors"]),
    )


def run_browser_check(url: str, options: BrowserCheckOptions, web_root: Path = WEB_ROOT) -> BrowserCheckResult:
    """Open `url` in headless Chromium, draw `options.seed` at `options.psi` and return what the canvas shows."""
    missing = browser_tools_missing(web_root)
    if missing:
        raise InvalidInputError(missing)
    with tempfile.TemporaryDirectory(prefix="msg-browser-check-") as folder:
        tool_options = {
            "url": url,
            "chromium": str(find_chromium()),
            "outDir": folder,
            "seed": options.seed,
            "psi": options.psi,
            "timeoutMs": int(options.timeout_s * 1000),
            "screenshot": str(Path(options.screenshot).resolve()) if options.screenshot else None,
        }
        command = ["node", str(web_root / TOOL), json.dumps(tool_options)]
        # Page load and the draw each wait up to timeout_s; the rest is browser start and exit.
        completed = subprocess.run(command, capture_output=True, text=True, timeout=3 * options.timeout_s + 60, cwd=web_root)
        if completed.returncode != 0:
            raise RuntimeError(f"browser check failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}")
        return read_result(Path(folder))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The browser's image against the interpreter's, with the PSNR in dB."""

    browser: BrowserCheckResult
    reference: np.ndarray
    psnr_db: float
    seconds: float


def check_deploy_folder(deploy_dir: Path, options: BrowserCheckOptions, variant: str = "fp32") -> Comparison:
    """Serve `deploy_dir`, draw in Chromium and compare with the LiteRT interpreter's uint8 image."""
    start = time.perf_counter()
    models = find_demo_models(deploy_dir, variant=variant)
    with running_server(models) as server:
        browser = run_browser_check(server.url, options)
    reference = float_to_uint8(draw_with_interpreter(models, options.seed, options.psi))
    return Comparison(browser, reference, psnr_db(reference, browser.pixels), time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("deploy_dir", type=Path, help="folder written by `msg deploy`")
    parser.add_argument("--seed", type=int, default=0, help="seed to draw (default 0)")
    parser.add_argument("--psi", type=float, default=1.0, help="truncation psi, 0 to 1 (default 1)")
    parser.add_argument("--screenshot", type=Path, help="write a PNG screenshot of the page here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each wait in the browser may take (default 300)")
    arguments = parser.parse_args(argv)

    options = BrowserCheckOptions(arguments.seed, arguments.psi, arguments.timeout, arguments.screenshot)
    try:
        comparison = check_deploy_folder(arguments.deploy_dir, options)
    except InvalidInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    browser = comparison.browser
    print(f"backend: {browser.backend}")
    print(f"page load and first draw: {browser.load_ms / 1000:.1f} s; inference for seed {options.seed}: {browser.inference_ms:.1f} ms")
    print(f"PSNR against the LiteRT interpreter: {comparison.psnr_db:.2f} dB (minimum {MIN_PSNR_DB} dB)")
    print(f"requests not to 127.0.0.1: {len(browser.non_loopback_requests())}; whole check {comparison.seconds:.1f} s")
    return 0 if comparison.psnr_db >= MIN_PSNR_DB and not browser.non_loopback_requests() else 1


if __name__ == "__main__":
    sys.exit(main())
