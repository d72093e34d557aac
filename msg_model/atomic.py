"""Atomic file and folder writes: work in a temporary sibling, then rename over the target."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path | str, directory: bool = False):
    """Yield a temporary path beside `target`; on success it replaces `target`, on error it is removed.

    With `directory=True` the yielded path is an empty folder, for outputs such as `.mlpackage`.
    """
    target = Path(target)
    check_writable(target, directory)
    make_folder(target.parent)
    remove_abandoned_partials(target)
    prefix = f"{partial_prefix(target)}{socket.gethostname()}-{os.getpid()}-"
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
        os.close(handle)
        temporary = Path(name)
    # mkstemp and mkdtemp create private entries; give the result the permissions of a normal write.
    temporary.chmod((0o777 if directory else 0o666) & ~current_umask())
    try:
        yield temporary
        if directory and target.exists():
            replace_folder(temporary, target)
        else:
            os.replace(temporary, target)
    except BaseException:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
        raise


def partial_prefix(target: Path) -> str:
    return f".{target.name}.partial-"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the process exists but belongs to another user
        return True
    return True


def remove_abandoned_partials(target: Path) -> None:
    """Delete temporary siblings of `target` left by runs of this host that were killed (SIGKILL, power loss).

    A partial entry is named `.NAME.partial-HOST-PID-RANDOM`. It is abandoned when HOST is this
    machine and no process PID runs. Entries of other hosts (in a shared folder) are left alone.
    """
    host = socket.gethostname()
    for entry in target.parent.glob(f"{glob.escape(partial_prefix(target))}*"):
        owner = entry.name[len(partial_prefix(target)):].rsplit("-", 2)
        if len(owner) != 3 or owner[0] != host or not owner[1].isdigit() or process_alive(int(owner[1])):
            continue
        logger.info("removing %s, left by a run that ended without cleaning up", entry)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def replace_folder(source: Path, target: Path) -> None:
    """Swap `source` in for the existing `target`: move the old one aside first, delete it last."""
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    backup.rmdir()
    os.replace(target, backup)
    try:
        os.replace(source, target)
    except BaseException:
        os.replace(backup, target)
        raise
    if backup.is_dir() and not backup.is_symlink():
        shutil.rmtree(backup, ignore_errors=True)
    else:
        backup.unlink(missing_ok=True)


def check_writable(target: Path | str, directory: bool = False) -> None:
    """Raise `InvalidInputError` when `target` cannot be written: it is the other kind of entry, or a parent is a file."""
    target = Path(target)
    if not directory and target.is_dir():
        raise InvalidInputError(f"output {str(target)!r} is a folder, but a file is written there; pass a file path or remove the folder")
    if directory and target.exists() and not target.is_dir():
        raise InvalidInputError(f"output {str(target)!r} is a file, but a folder is written there; pass another path or remove the file")
    blocking = next((parent for parent in target.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise InvalidInputError(f"output {str(target)!r} cannot be written because {str(blocking)!r} is a file; pass a path inside a folder")


def make_folder(path: Path | str, description: str = "output folder") -> Path:
    """Create `path` and its parents, and raise `InvalidInputError` when the path or a parent is a file."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((parent for parent in (path, *path.parents) if parent.exists() and not parent.is_dir()), path)
        raise InvalidInputError(f"{description} {str(path)!r} cannot be created because {str(blocking)!r} is a file; pass a folder path") from None
    return path
