"""The demo page in headless Chromium (LiteRT.js, wasm) against the LiteRT Python interpreter.

Needs Node.js, `npm ci --prefix mobile_demo/web` and Debian's Chromium; `.ci/run` installs them.
"""

from __future__ import annotations

import pytest

from mobile_demo.browser_check import MIN_PSNR_DB, BrowserCheckOptions, browser_tools_missing, check_deploy_folder
from mobile_demo.deploy_folder import find_demo_models
from mobile_demo.litert_reference import draw_with_interpreter
from mobile_demo_helpers import converted_deploy_folder
from validation.images import float_to_uint8
from validation.metrics import psnr_db

MISSING = browser_tools_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"browser test skipped: {MISSING}")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_page(deploy, screenshot, timeout_s):
    comparison = check_deploy_folder(deploy, BrowserCheckOptions(seed=0, psi=1.0, timeout_s=timeout_s, screenshot=screenshot))
    browser = comparison.browser
    print(
        f"browser check: {comparison.seconds:.1f} s in all, page load and first draw {browser.load_ms / 1000:.1f} s, "
        f"inference {browser.inference_ms:.1f} ms, PSNR {comparison.psnr_db:.2f} dB, {browser.backend}"
    )
    return comparison


@pytest.fixture(scope="module")
def small_deploy(tmp_path_factory):
    return converted_deploy_folder(tmp_path_factory, "random:small", "tflite")


@pytest.fixture(scope="module")
def small_screenshot(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-screenshot") / "demo.png"


@pytest.fixture(scope="module")
def small_check(small_deploy, small_screenshot):
    return check_page(small_deploy, small_screenshot, timeout_s=60)


def test_page_matches_interpreter(small_deploy, small_check, small_screenshot):
    comparison = small_check
    browser = comparison.browser

    assert browser.pixels.shape == (3, 64, 64)
    assert browser.pixels.std() > 10, "the canvas is nearly flat; the page drew no image"
    assert comparison.psnr_db >= MIN_PSNR_DB, f"PSNR {comparison.psnr_db:.2f} dB < {MIN_PSNR_DB} dB"
    assert browser.backend.startswith("LiteRT.js, wasm (XNNPACK")
    assert browser.page_errors == ()
    assert small_screenshot.read_bytes().startswith(PNG_SIGNATURE)

    # A different seed must fail the same threshold, so the comparison can tell faces apart.
    other_seed = float_to_uint8(draw_with_interpreter(find_demo_models(small_deploy), seed=1, psi=1.0))
    assert psnr_db(other_seed, browser.pixels) < MIN_PSNR_DB


def test_page_requests_stay_on_loopback(small_check):
    browser = small_check.browser
    paths = {request.split("/", 3)[3].split("?")[0] for request in browser.requests}

    assert browser.non_loopback_requests() == []
    assert browser.blocked == ()
    assert {"models/mapping.tflite", "models/synthesis.tflite", "models/config.json"} <= paths
    assert any(path.startswith("vendor/litertjs/core/wasm/") and path.endswith(".wasm") for path in paths)


@pytest.mark.slow
def test_released_model_in_browser(tmp_path_factory, tmp_path):
    deploy = converted_deploy_folder(tmp_path_factory, "pretrained:ffhq", "tflite")

    comparison = check_page(deploy, tmp_path / "demo-ffhq.png", timeout_s=300)

    assert comparison.browser.pixels.shape == (3, 1024, 1024)
    assert comparison.psnr_db >= MIN_PSNR_DB, f"PSNR {comparison.psnr_db:.2f} dB < {MIN_PSNR_DB} dB"
    assert comparison.browser.non_loopback_requests() == []
