"""Paired metrics, degenerate-output checks and thresholds against known values."""

import math

import numpy as np
import pytest

from msg_model.errors import InvalidInputError
from validation.degenerate import degenerate_image_failures, degenerate_w_failures, fingerprint
from validation.images import app_image, float_to_uint8, to_chw
from validation.metrics import image_pair_metrics, psnr_db, ssim, summarize_samples, w_pair_metrics
from validation.seeds import format_seeds
from validation.thresholds import ThresholdTable, parse_override, threshold_failures


def random_image(seed: int, side: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(3, side, side), dtype=np.uint8)


def test_psnr_of_known_mse():
    reference = np.full((3, 8, 8), 100, dtype=np.uint8)
    artifact = reference + np.uint8(5)  # MSE 25

    assert psnr_db(reference, artifact) == pytest.approx(34.1514, abs=1e-4)  # 20 log10(255 / 5)


def test_psnr_identical_is_infinite():
    image = random_image(0)

    assert psnr_db(image, image.copy()) == math.inf


def test_psnr_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        psnr_db(np.zeros((3, 4, 4)), np.zeros((3, 4, 5)))


def test_ssim_identical_is_one():
    image = random_image(1)

    assert ssim(image, image.copy()) == pytest.approx(1.0)


def test_ssim_drops_for_noise():
    ramp = np.linspace(0, 255, 32, dtype=np.float32)
    image = np.broadcast_to(ramp[None, None, :], (3, 32, 32)).astype(np.uint8)
    noisy = np.clip(image.astype(int) + np.random.default_rng(3).integers(-40, 41, image.shape), 0, 255).astype(np.uint8)

    assert ssim(image, noisy) < 0.9


def test_float_to_uint8_like_an_app():
    values = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0], dtype=np.float32)

    assert float_to_uint8(values).tolist() == [0, 0, 128, 191, 255, 255]


def test_app_image_counts_nonfinite():
    image = np.zeros((3, 4, 4), dtype=np.float32)
    image[0, 0, :3] = np.nan
    image[1, 1, 1] = np.inf

    as_uint8, as_float, nonfinite = app_image(image, "float")

    assert nonfinite == 4
    assert np.isfinite(as_float).all()
    assert as_uint8.dtype == np.uint8


def test_uint8_output_errors_use_clipped_reference():
    reference = np.full((3, 8, 8), 1.5, dtype=np.float32)  # beyond the uint8 range
    artifact = np.full((3, 8, 8), 255, dtype=np.uint8)

    metrics = image_pair_metrics(reference, artifact, "uint8").metrics

    assert metrics["max_abs_error"] == pytest.approx(0.0)
    assert metrics["psnr_db"] == math.inf


def test_image_metrics_nan_output():
    reference = np.full((3, 16, 16), 0.5, dtype=np.float32)
    artifact = reference.copy()
    artifact[:, :2, :2] = np.nan

    metrics = image_pair_metrics(reference, artifact, "float").metrics

    assert metrics["nonfinite_count"] == 12
    assert metrics["max_abs_error"] == pytest.approx(0.5)  # NaN counts as 0 in the other metrics
    assert math.isfinite(metrics["psnr_db"])


def test_to_chw_accepts_image_layouts():
    chw = random_image(4, side=6)
    hwc_alpha = np.concatenate([chw.transpose(1, 2, 0), np.full((6, 6, 1), 255, np.uint8)], axis=2)

    assert np.array_equal(to_chw(chw[None], 6, 6), chw)
    assert np.array_equal(to_chw(hwc_alpha, 6, 6), chw)
    with pytest.raises(ValueError, match=r"expected \(1, 3, 6, 6\)"):
        to_chw(np.zeros((1, 3, 5, 6)), 6, 6)


def test_w_relative_error_known_value():
    reference = np.array([[3.0, 4.0]], dtype=np.float32)  # norm 5
    artifact = np.array([[3.0, 4.5]], dtype=np.float32)

    metrics = w_pair_metrics(reference, artifact)

    assert metrics["w_relative_error"] == pytest.approx(0.1)
    assert metrics["w_max_abs_error"] == pytest.approx(0.5)


def test_summary_mean_min_max():
    summary = summarize_samples([{"psnr_db": 40.0}, {"psnr_db": 50.0}, {"psnr_db": 45.0}])["psnr_db"]

    assert (summary.mean, summary.min, summary.max) == (45.0, 40.0, 50.0)
    assert summary.values == (40.0, 50.0, 45.0)


def sample_metrics(reference: np.ndarray, artifact: np.ndarray) -> dict:
    return image_pair_metrics(reference.astype(np.float32) / 127.5 - 1, artifact.astype(np.float32) / 127.5 - 1, "float").metrics


def degenerate_failures(references: list[np.ndarray], artifacts: list[np.ndarray]) -> list:
    seeds = tuple(range(len(references)))
    samples = [sample_metrics(r, a) for r, a in zip(references, artifacts)]
    return degenerate_image_failures(
        "model.tflite (tflite-fp32)", seeds, samples, np.stack([fingerprint(a) for a in artifacts]), np.stack([fingerprint(r) for r in references])
    )


def test_degenerate_checks_pass_good_images():
    references = [random_image(seed) for seed in range(3)]

    assert degenerate_failures(references, [r.copy() for r in references]) == []


def test_degenerate_flat_image():
    references = [random_image(seed) for seed in range(2)]
    flat = [np.full_like(references[0], 77), random_image(9)]

    metrics = [failure.metric for failure in degenerate_failures(references, flat)]

    assert metrics == ["degenerate.flat_image"]


def test_degenerate_clipped_image():
    references = [np.clip(random_image(seed), 1, 254) for seed in range(2)]
    clipped = [np.where(r > 128, 255, 0).astype(np.uint8) for r in references]

    metrics = [failure.metric for failure in degenerate_failures(references, clipped)]

    assert metrics == ["degenerate.clipped"]


def test_degenerate_identical_images():
    references = [random_image(seed) for seed in range(3)]
    same = [references[0].copy(), references[0].copy(), references[2].copy()]

    failures = degenerate_failures(references, same)

    assert [failure.metric for failure in failures] == ["degenerate.identical_images"]
    assert "seeds 0 and 1" in failures[0].message


def test_degenerate_identical_w():
    reference = np.random.default_rng(0).normal(size=(3, 8))
    artifact = np.stack([reference[0], reference[0], reference[2]])

    failures = degenerate_w_failures("mapping.tflite (mapping-tflite-fp32)", (5, 6, 7), artifact, reference)

    assert len(failures) == 1
    assert "seeds 5 and 6" in failures[0].message


def test_default_thresholds_per_variant():
    table = ThresholdTable()

    assert table.for_artifact("tflite-fp32", "fp32", "synthesis").min_psnr_db == 60
    assert table.for_artifact("coreml-fp16", "fp16", "synthesis").min_psnr_db == 40
    assert table.for_artifact("coreml-pal4", "pal4", "synthesis").min_psnr_db == 25
    assert table.for_artifact("mapping-tflite-fp32", "fp32", "mapping").max_w_relative_error == 1e-4


def test_threshold_overrides_most_specific_wins():
    table = ThresholdTable((
        parse_override("all=20", "min_psnr_db"),
        parse_override("fp16w=30", "min_psnr_db"),
        parse_override("tflite-fp16w=35", "min_psnr_db"),
    ))

    assert table.for_artifact("tflite-fp16w", "fp16w", "synthesis").min_psnr_db == 35
    assert table.for_artifact("coreml-fp16w", "fp16w", "synthesis").min_psnr_db == 30
    assert table.for_artifact("tflite-fp32", "fp32", "synthesis").min_psnr_db == 20


def test_unknown_kind_needs_a_threshold():
    with pytest.raises(InvalidInputError, match="--min-psnr tflite-int4=VALUE"):
        ThresholdTable().for_artifact("tflite-int4", "int4", "synthesis")


@pytest.mark.parametrize("text", ["fp16w", "=30", "fp16w=loud", "fp16w=inf"])
def test_parse_override_rejects(text):
    with pytest.raises(InvalidInputError, match="--min-psnr"):
        parse_override(text, "min_psnr_db")


def test_threshold_failure_names_everything():
    metrics = summarize_samples([{"psnr_db": 45.0, "ssim": 0.99, "nonfinite_count": 0.0}, {"psnr_db": 38.5, "ssim": 0.995, "nonfinite_count": 2.0}])
    thresholds = ThresholdTable().for_artifact("tflite-fp16w", "fp16w", "synthesis")

    failures = threshold_failures("face.tflite (tflite-fp16w)", thresholds, metrics, (3, 9))

    messages = {failure.metric: failure.message for failure in failures}
    assert set(messages) == {"psnr_db", "nonfinite_count"}
    assert messages["psnr_db"] == "face.tflite (tflite-fp16w): PSNR 38.50 dB at seed 9 is below the minimum 40.00 dB"
    assert "2 NaN or Inf" in messages["nonfinite_count"]


def test_format_seeds_compacts_ranges():
    assert format_seeds((0, 1, 2, 3, 9, 11, 12)) == "0-3,9,11-12"
