"""FID and KID of artifact images against the float model's images.

The feature network is torch-fidelity's InceptionV3 (torch-fidelity 0.4). Of the maintained FID
libraries it is the one that
- takes the weights file as an argument (`feature_extractor_weights_path`), so an offline
  machine can point at a copy. pytorch-fid 0.3 has no such parameter, and clean-fid 0.1.35
  reads a fixed path under /tmp;
- reproduces the TensorFlow FID network and its TF1 bilinear resize to 299x299, so values are
  comparable with published FIDs (MobileStyleGAN, arXiv 2104.04767, reports FID 7.75 on FFHQ);
- computes KID from the same features and takes uint8 images as they are.

Nothing here downloads: the weights come from `--fid-weights PATH` or from the torch hub cache
(`$TORCH_HOME/hub/checkpoints`). When neither has them, FID is "not computed" with the reason and
the fix, never counted as passed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import logging
import pickle
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

INCEPTION_WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_WEIGHTS_SHA256_PREFIX = "6726825d"  # torch hub names files by the first 8 hex digits of their sha256
INCEPTION_WEIGHTS_SOURCE = (
    f"{INCEPTION_WEIGHTS_FILE} from release v0.2.0 of github.com/toshas/torch-fidelity "
    "(InceptionV3 converted from TensorFlow's 2015-12-05 FID graph)"
)
INCEPTION_NETWORK = "InceptionV3, TensorFlow FID weights 2015-12-05, 2048-d pool3 features"
INCEPTION_RESIZE = "bilinear to 299x299, TensorFlow 1.x compatible (torch-fidelity interpolate_bilinear_2d_like_tensorflow1x)"
FEATURE_LAYER = "2048"
KID_SUBSETS = 100
KID_MAX_SUBSET_SIZE = 1000
KID_RNG_SEED = 2020
FEATURE_BATCH = 16


@dataclasses.dataclass(frozen=True)
class FidBackend:
    """A feature network for FID and KID, with the facts recorded beside every value it produces.

    `extract` maps uint8 images (N, 3, H, W) to features (N, D).
    """

    implementation: str
    version: str
    network: str
    resize: str
    weights_path: str | None
    weights_sha256: str | None
    extract: Callable[[np.ndarray], np.ndarray] = dataclasses.field(repr=False, compare=False)

    def describe(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "version": self.version,
            "network": self.network,
            "resize": self.resize,
            "weights_path": self.weights_path,
            "weights_sha256": self.weights_sha256,
        }


@dataclasses.dataclass(frozen=True)
class FidUnavailable:
    """Reason that FID cannot be computed on this machine, and the fix."""

    reason: str
    how_to_fix: str


@dataclasses.dataclass(frozen=True)
class FidResult:
    """FID and KID of one artifact, or the reason they were not computed.

    `status` is "computed", "not computed" or "not applicable" (mapping artifacts output w).
    """

    status: str
    fid: float | None = None
    kid_mean: float | None = None
    kid_std: float | None = None
    reason: str | None = None
    how_to_fix: str | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return self.status == "computed"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_weights_path() -> Path:
    """Return where torch hub, and so torch-fidelity, caches the Inception weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_FILE


def torch_fidelity_version() -> str | None:
    try:
        return importlib.metadata.version("torch-fidelity")
    except importlib.metadata.PackageNotFoundError:
        return None


def fix_text(cache_path: Path) -> str:
    return (
        f"download {INCEPTION_WEIGHTS_SOURCE} on a machine with internet access, then pass "
        f"--fid-weights PATH or copy it to {cache_path}"
    )


def check_state_dict(path: Path) -> None:
    """Load `path` without unpickling code (weights_only=True); raise ValueError unless it is a state dict."""
    from msg_model.checkpoints import is_torch_save_file

    if not is_torch_save_file(path):
        raise ValueError("is not a file written by torch.save (neither a zip archive nor the legacy format)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, OSError) as error:
        raise ValueError(f"cannot be read as a PyTorch state dict ({error})") from error
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError("does not hold a state dict of tensors")


def load_inception(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """torch-fidelity's FID InceptionV3 with the weights at `path`, as a uint8 images -> features function."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    check_state_dict(path)
    try:
        # The file has passed the weights_only load above, so unpickling it again runs no code.
        network = FeatureExtractorInceptionV3("inception-v3-compat", [FEATURE_LAYER], feature_extractor_weights_path=str(path))
    except RuntimeError as error:
        raise ValueError(f"does not match torch-fidelity's InceptionV3 ({str(error).splitlines()[0]})") from error

    @torch.no_grad()
    def extract(images: np.ndarray) -> np.ndarray:
        return network(torch.from_numpy(np.ascontiguousarray(images)))[0].numpy().astype(np.float64)

    return extract


def resolve_fid_backend(weights: Path | None = None) -> FidBackend | FidUnavailable:
    """Load the Inception backend from `weights` or the torch hub cache; return FidUnavailable when it cannot load.

    Raises InvalidInputError when an explicitly given `weights` file is missing or unusable.
    """
    cache_path = default_weights_path()
    version = torch_fidelity_version()
    if version is None:
        return FidUnavailable(
            "torch-fidelity is not installed",
            "install the fid extra: pip install 'mobilestylegan-deploy[fid]'; then " + fix_text(cache_path),
        )
    if weights is not None and not Path(weights).is_file():
        raise InvalidInputError(f"--fid-weights {str(weights)!r} not found; expected {INCEPTION_WEIGHTS_FILE}")

    path = Path(weights) if weights is not None else cache_path
    if not path.is_file():
        return FidUnavailable(
            f"the FID InceptionV3 weights are not in the torch hub cache ({cache_path}) and --fid-weights was not given; "
            f"validation never downloads them",
            fix_text(cache_path),
        )
    try:
        extract = load_inception(path)
    except ValueError as error:
        if weights is not None:
            raise InvalidInputError(f"--fid-weights {str(weights)!r} {error}") from error
        return FidUnavailable(f"the cached weights {path} {error}", fix_text(cache_path))

    digest = sha256_of(path)
    if not digest.startswith(INCEPTION_WEIGHTS_SHA256_PREFIX):
        logger.warning("FID weights %s have sha256 %s, not the released file's prefix %s", path, digest, INCEPTION_WEIGHTS_SHA256_PREFIX)
    return FidBackend("torch-fidelity", version, INCEPTION_NETWORK, INCEPTION_RESIZE, str(path), digest, extract)


def extract_features(backend: FidBackend, images: Iterable[np.ndarray]) -> np.ndarray:
    """Features (N, D) of uint8 images, each (3, H, W), extracted FEATURE_BATCH images at a time.

    `images` may be a generator, so only one batch of images is held in memory.
    """
    batches, pending = [], []
    for image in images:
        pending.append(image)
        if len(pending) == FEATURE_BATCH:
            batches.append(backend.extract(np.stack(pending)))
            pending = []
    if pending:
        batches.append(backend.extract(np.stack(pending)))
    return np.concatenate(batches)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), by torch-fidelity's TTUR-derived code."""
    from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_statistics_to_metric

    statistics = [{"mu": np.asarray(mu, np.float64), "sigma": np.asarray(sigma, np.float64)} for mu, sigma in ((mu1, sigma1), (mu2, sigma2))]
    return float(fid_statistics_to_metric(statistics[0], statistics[1], verbose=False)[KEY_METRIC_FID])


def fid_from_features(features_1: np.ndarray, features_2: np.ndarray) -> float:
    """FID of two feature sets (N, D): the Frechet distance of Gaussians fitted to each."""
    mu1, mu2 = features_1.mean(axis=0), features_2.mean(axis=0)
    sigma1, sigma2 = np.cov(features_1, rowvar=False), np.cov(features_2, rowvar=False)
    return frechet_distance(mu1, np.atleast_2d(sigma1), mu2, np.atleast_2d(sigma2))


def kid_from_features(features_1: np.ndarray, features_2: np.ndarray, subsets: int = KID_SUBSETS) -> tuple[float, float, int]:
    """KID (mean, std over `subsets` random subsets, subset size) with torch-fidelity's cubic polynomial kernel.

    The subset size is min(N, KID_MAX_SUBSET_SIZE); each value is the unbiased MMD^2 estimate.
    """
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    subset_size = min(len(features_1), len(features_2), KID_MAX_SUBSET_SIZE)
    result = kid_features_to_metric(
        torch.from_numpy(features_1),
        torch.from_numpy(features_2),
        kid_subsets=subsets,
        kid_subset_size=subset_size,
        rng_seed=KID_RNG_SEED,
        verbose=False,
    )
    return float(result[KEY_METRIC_KID_MEAN]), float(result[KEY_METRIC_KID_STD]), subset_size


def fid_result(backend: FidBackend, reference_features: np.ndarray, artifact_features: np.ndarray, resolution: int, seeds: str) -> FidResult:
    """FID and KID of artifact features against reference features, with the facts to record beside them."""
    samples = len(artifact_features)
    details = backend.describe() | {"samples": samples, "resolution": resolution, "seeds": seeds}
    if samples < 2:
        return FidResult("not computed", reason=f"FID needs at least 2 samples, got {samples}", how_to_fix="pass --fid-samples 2 or more", details=details)

    kid_mean, kid_std, subset_size = kid_from_features(artifact_features, reference_features)
    details |= {"kid_subsets": KID_SUBSETS, "kid_subset_size": subset_size, "feature_dim": int(artifact_features.shape[1])}
    fid = fid_from_features(artifact_features, reference_features)
    return FidResult("computed", fid=fid, kid_mean=kid_mean, kid_std=kid_std, details=details)
