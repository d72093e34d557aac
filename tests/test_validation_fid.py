"""FID and KID: the math on known cases, the code path with a stand-in network, and offline behaviour."""

import hashlib

import numpy as np
import pytest
import torch

from msg_model.errors import InvalidInputError
from msg_model.spec import load_model
from validation import ValidationOptions, validate
from validation.fid import FidBackend, FidUnavailable, fid_from_features, frechet_distance, kid_from_features, resolve_fid_backend
from validation.thresholds import ThresholdTable, parse_override
from validation_helpers import build_artifacts


def test_frechet_distance_diagonal_gaussians():
    mu1, variances1 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 4.0, 9.0])
    mu2, variances2 = np.array([1.0, 1.0, 0.0]), np.array([4.0, 4.0, 1.0])
    # Closed form for diagonal covariances: |mu1 - mu2|^2 + sum (sqrt(v1) - sqrt(v2))^2 = 5 + 5.
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(variances1) - np.sqrt(variances2)) ** 2)

    distance = frechet_distance(mu1, np.diag(variances1), mu2, np.diag(variances2))

    assert expected == pytest.approx(10.0)
    assert distance == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_same_gaussian_is_zero():
    covariance = np.array([[2.0, 0.5], [0.5, 1.0]])

    assert frechet_distance(np.ones(2), covariance, np.ones(2), covariance) == pytest.approx(0.0, abs=1e-9)


def test_fid_from_samples_matches_closed_form():
    rng = np.random.default_rng(0)
    first = rng.normal([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], size=(50_000, 3))
    second = rng.normal([1.0, 1.0, 0.0], [2.0, 2.0, 1.0], size=(50_000, 3))

    assert fid_from_features(first, second) == pytest.approx(10.0, abs=0.3)


def test_kid_hand_checked_case():
    # Cubic kernel k(x, y) = (x y / D + 1)^3 with D = 1; X = {0, 1}, Y = {1, 2}.
    # Unbiased MMD^2 = mean off-diagonal k(X, X) + mean off-diagonal k(Y, Y) - 2 mean k(X, Y)
    #               = 1 + 27 - 2 * (1 + 1 + 8 + 27) / 4 = 9.5; every subset of size 2 is the whole set.
    first = np.array([[0.0], [1.0]])
    second = np.array([[1.0], [2.0]])

    mean, std, subset_size = kid_from_features(first, second, subsets=5)

    assert subset_size == 2
    assert mean == pytest.approx(9.5)
    assert std == pytest.approx(0.0)


class TinyFeatures(torch.nn.Module):
    """A fixed random conv net that replaces InceptionV3 in tests: uint8 images -> 16 features."""

    def __init__(self):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.nn.Parameter(torch.randn(16, 3, 5, 5, generator=generator) * 0.1, requires_grad=False)

    @torch.no_grad()
    def __call__(self, images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(images).float() / 127.5 - 1.0
        return torch.relu(torch.nn.functional.conv2d(x, self.weight, stride=2)).mean(dim=(2, 3)).double().numpy()


def stand_in_backend() -> FidBackend:
    return FidBackend("stand-in", "test", "tiny random conv net", "none", None, None, TinyFeatures())


@pytest.fixture(scope="module")
def model():
    return load_model("random:small")


@pytest.fixture(scope="module")
def artifacts(model, tmp_path_factory):
    return build_artifacts(model, tmp_path_factory.getbasetemp())


def test_fid_code_path_with_stand_in_network(model, artifacts):
    lenient = ThresholdTable((parse_override("all=0", "min_psnr_db"), parse_override("all=0", "min_ssim")))
    options = ValidationOptions(seeds=(0, 1), fid_samples=6, thresholds=lenient)

    result = validate(model, [artifacts["good"], artifacts["perturbed"]], options, fid_backend=stand_in_backend())

    good, perturbed = (artifact.fid for artifact in result.artifacts)
    assert good.status == perturbed.status == "computed"
    assert abs(good.fid) < 1e-3
    assert perturbed.fid > 100 * max(abs(good.fid), 1e-9)
    assert perturbed.kid_mean is not None
    assert good.details["samples"] == 6
    assert good.details["resolution"] == 64
    assert good.details["seeds"] == "0-5"
    assert good.details["implementation"] == "stand-in"
    assert good.details["kid_subset_size"] == 6


def test_fid_max_threshold_fails(model, artifacts):
    thresholds = ThresholdTable((parse_override("all=0", "min_psnr_db"), parse_override("all=0", "min_ssim"), parse_override("all=0", "max_fid")))
    options = ValidationOptions(seeds=(0, 1), fid_samples=4, thresholds=thresholds)

    result = validate(model, [artifacts["perturbed"]], options, fid_backend=stand_in_backend())

    failures = result.artifacts[0].failures
    assert [f.metric for f in failures] == ["fid"]
    assert "is above the maximum 0.000" in failures[0].message


def test_missing_weights_mean_not_computed(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    backend = resolve_fid_backend(None)

    assert isinstance(backend, FidUnavailable)
    assert str(tmp_path) in backend.reason
    assert "--fid-weights" in backend.how_to_fix
    assert "weights-inception-2015-12-05-6726825d.pth" in backend.how_to_fix


def test_require_fid_fails_without_weights(model, artifacts, monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    options = ValidationOptions(seeds=(0, 1), fid_samples=4, require_fid=True)

    result = validate(model, [artifacts["good"]], options)

    artifact = result.artifacts[0]
    assert artifact.fid.status == "not computed"
    assert [f.metric for f in artifact.failures] == ["fid"]
    assert "--require-fid" in artifact.failures[0].message


def test_fid_weights_not_found_is_bad_input(tmp_path):
    with pytest.raises(InvalidInputError, match="--fid-weights .* not found"):
        resolve_fid_backend(tmp_path / "missing.pth")


def test_fid_weights_garbage_is_bad_input(tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a checkpoint" * 10)

    with pytest.raises(InvalidInputError, match="is not a file written by torch.save"):
        resolve_fid_backend(garbage)


def random_inception_weights(path, monkeypatch) -> None:
    """Save torch-fidelity's InceptionV3 state dict with random values, built without downloading anything."""
    from torch_fidelity import feature_extractor_inceptionv3 as inception

    with monkeypatch.context() as patch:
        patch.setattr(inception, "load_state_dict_from_url", lambda *args, **kwargs: {})
        patch.setattr(inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        network = inception.FeatureExtractorInceptionV3("random-inception", ["2048"])
    torch.save(network.state_dict(), path)


def test_inception_backend_from_weights_file(tmp_path, monkeypatch):
    weights = tmp_path / "stand-in-inception.pth"
    random_inception_weights(weights, monkeypatch)

    backend = resolve_fid_backend(weights)

    assert isinstance(backend, FidBackend)
    assert backend.implementation == "torch-fidelity"
    assert backend.weights_path == str(weights)
    assert backend.weights_sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert "299x299" in backend.resize
    images = np.random.default_rng(0).integers(0, 256, size=(2, 3, 64, 64), dtype=np.uint8)
    assert backend.extract(images).shape == (2, 2048)
