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
