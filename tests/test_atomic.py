
import pytest

from msg_model.atomic import atomic_path, current_umask


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
