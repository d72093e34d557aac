
import os

import pytest

from msg_model.atomic import atomic_path, check_writable, current_umask, make_folder
from msg_model.errors import InvalidInputError


def test_file_written_with_normal_permissions(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as temporary:
        temporary.write_text("done")

    assert target.read_text() == "done"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def test_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("interrupted")

    assert list(tmp_path.iterdir()) == []


def test_folder_replaces_existing(tmp_path):
    target = tmp_path / "model.mlpackage"
    target.mkdir()
    (target / "old").write_text("old")
    with atomic_path(target, directory=True) as temporary:
        (temporary / "new").write_text("new")

    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["model.mlpackage"]


def test_failed_folder_keeps_the_old_one(tmp_path):
    target = tmp_path / "model.mlpackage"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target, directory=True) as temporary:
            (temporary / "new").write_text("new")
            raise RuntimeError("interrupted")

    assert sorted(p.name for p in target.iterdir()) == ["old"]
    assert [p.name for p in tmp_path.iterdir()] == ["model.mlpackage"]


def test_file_over_folder_is_rejected(tmp_path):
    (tmp_path / "out.png").mkdir()

    with pytest.raises(InvalidInputError, match="is a folder, but a file is written there"):
        with atomic_path(tmp_path / "out.png"):
            pass
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.png"]


def test_folder_over_file_is_rejected(tmp_path):
    (tmp_path / "model.mlpackage").write_text("keep")

    with pytest.raises(InvalidInputError, match="is a file, but a folder is written there"):
        with atomic_path(tmp_path / "model.mlpackage", directory=True):
            pass
    assert (tmp_path / "model.mlpackage").read_text() == "keep"


def test_parent_file_is_named(tmp_path):
    (tmp_path / "plain").write_text("keep")

    with pytest.raises(InvalidInputError, match="because '.*plain' is a file"):
        check_writable(tmp_path / "plain" / "sub" / "x.png")
    with pytest.raises(InvalidInputError, match="cannot be created because '.*plain' is a file"):
        make_folder(tmp_path / "plain" / "sub")
    assert (tmp_path / "plain").read_text() == "keep"


def test_abandoned_partials_of_this_host_are_removed(tmp_path):
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(finished.stdout)
    host = socket.gethostname()
    abandoned = tmp_path / f".out.bin.partial-{host}-{dead_pid}-abc123"
    abandoned.mkdir()
    (abandoned / "half.bin").write_bytes(b"\0")
    running = tmp_path / f".out.bin.partial-{host}-{os.getpid()}-def456"
    running.write_bytes(b"\0")
    other_host = tmp_path / f".out.bin.partial-elsewhere-{dead_pid}-ghi789"
    other_host.write_bytes(b"\0")

    with atomic_path(tmp_path / "out.bin") as temporary:
        temporary.write_bytes(b"new")

    assert not abandoned.exists()
    assert running.exists()
    assert other_host.exists()
    assert (tmp_path / "out.bin").read_bytes() == b"new"
