"""The page's JavaScript against NumPy: seeded normal draws and the float-to-RGBA mapping (run in Node.js)."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from mobile_demo.server import WEB_ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not found; install Node.js 18 or newer to test the page's modules")

SEEDS = [0, 1, 42, 123456789, 2**31, 2**32 - 1]
SIZES = [1, 3, 64, 512, 1001]  # odd sizes end on a cached normal; 1001 draws run MT19937 past one state refill


def run_module(module: str, body: str):
    """Import `module` from the page's src/ as `page` in Node.js, run `body` and return what it prints as JSON."""
    url = (WEB_ROOT / "src" / module).as_uri()
    script = f"import * as page from {json.dumps(url)};\n{body}"
    completed = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_normal_draws_match_numpy():
    cases = [[seed, size] for seed in SEEDS for size in SIZES]
    body = f"console.log(JSON.stringify({json.dumps(cases)}.map(([seed, size]) => Array.from(page.normalDraws(seed, size)))));"
    results = run_module("seeds.js", body)

    for (seed, size), values in zip(cases, results):
        expected = np.random.RandomState(seed).randn(1, size)[0]
        # Math.log in V8 and log in C may differ by one ulp, so float64 values agree to a few ulps ...
        np.testing.assert_allclose(np.array(values), expected, rtol=2e-15, atol=0, err_msg=f"seed {seed}, size {size}")
        # ... and the float32 latents the models take are identical.
        np.testing.assert_array_equal(np.array(values).astype(np.float32), expected.astype(np.float32), err_msg=f"seed {seed}, size {size}")


def test_latent_is_float32_of_draws():
    body = "console.log(JSON.stringify(Array.from(page.latentForSeed(7, 512))));"
    values = np.array(run_module("seeds.js", body), dtype=np.float64)

    expected = np.random.RandomState(7).randn(1, 512).astype(np.float32)[0]
    np.testing.assert_array_equal(values, expected.astype(np.float64))


@pytest.mark.parametrize("seed", ["-1", "2 ** 32", "1.5", "'3'"])
def test_invalid_seed_rejected(seed):
    body = f"try {{ page.normalDraws({seed}, 2); console.log('null'); }} catch (error) {{ console.log(JSON.stringify(error.name + ': ' + error.message)); }}"
    message = run_module("seeds.js", body)
    assert message is not None
    assert message.startswith("RangeError: seed must be an integer from 0 to 2**32 - 1")


def test_rgba_matches_rounding_and_clipping():
    height, width = 3, 5
    rng = np.random.RandomState(0)
    image = rng.uniform(-1.2, 1.2, size=(3, height, width)).astype(np.float32)
    image[0, 0, :3] = [-1.0, 0.0, 1.0]
    body = f"console.log(JSON.stringify(Array.from(page.imageToRgba({json.dumps(image.ravel().tolist())}, {height}, {width}))));"
    rgba = np.array(run_module("image.js", body), dtype=np.uint8).reshape(height, width, 4)

    expected = np.clip(np.rint((image.astype(np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(rgba[:, :, :3], expected)
    assert (rgba[:, :, 3] == 255).all()
    assert rgba[0, 0, 0] == 0
    assert rgba[0, 1, 0] == 128  # 127.5 rounds half to even
    assert rgba[0, 2, 0] == 255


def test_rgba_rejects_wrong_size():
    body = "try { page.imageToRgba(new Float32Array(10), 2, 2); } catch (error) { console.log(JSON.stringify(error.message)); }"
    assert run_module("image.js", body) == "image has 10 values, expected 3 x 2 x 2 = 12"
