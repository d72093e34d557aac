"""Atomic file and folder writes: work in a temporary sibling, then rename over the target."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path | str, directory: bool = False):
    """Yield a temporary path beside `target`; on success it replaces `target`, on error it is removed.

    With `directory=True` the yielded path is an empty folder, for outputs such as `.mlpackage`.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.partial-"
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
        os.close(handle)
        temporary = Path(name)
    try:
        yield temporary
        if directory:
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            os.replace(temporary, target)
        else:
            os.replace(temporary, target)
    except BaseException:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
        raise
