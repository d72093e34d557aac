"""Size and sha256 of an artifact: a file, or a folder such as NAME.mlpackage."""

from __future__ import annotations

import hashlib
from pathlib import Path

from msg_model.spec import sha256_file


def folder_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def sha256_path(path: Path) -> str:
    """sha256 of a file's bytes; for a folder, sha256 of its listing.

    The listing has one line per file, sorted by relative POSIX path: "<path>\\0<sha256 of the file>\\n".
    """
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in folder_files(path):
        digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def size_bytes(path: Path) -> int:
    """Size of a file, or the total size of the files in a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for file in folder_files(path))


def sidecar_mismatch(path: Path, sidecar: dict) -> str | None:
    """Describe how `path` differs from the size and sha256 its sidecar records, or return None when it matches.

    Sidecars without these fields (written by hand) match any file.
    """
    recorded_size, recorded_sha256 = sidecar.get("size_bytes"), sidecar.get("sha256")
    if isinstance(recorded_size, int):
        size = size_bytes(path)
        if size != recorded_size:
            return f"{size} bytes, but its sidecar records {recorded_size}"
    if isinstance(recorded_sha256, str):
        digest = sha256_path(path)
        if digest != recorded_sha256:
            return f"sha256 {digest}, but its sidecar records {recorded_sha256}"
    return None
