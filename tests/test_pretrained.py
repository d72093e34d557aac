"""The released-model fetcher (with fake wheels, no network) and the released model against OpenVINO."""

from __future__ import annotations

import hashlib
import shutil
import stat
import zipfile

import numpy as np
import pytest
import torch

from msg_model import FFHQ_CONFIG, truncate, z_from_seed
from msg_model import pretrained
from msg_model.errors import InvalidInputError
from msg_model.pretrained import CacheIntegrityError, PretrainedSource, fetch_pretrained, load_pretrained, resolve_cache_dir, verify_cache
from msg_model.spec import load_model
from msg_model.w_avg_cache import compute_w_avg

IR_MEMBERS = {
    "random_face/data/MappingNetwork.xml": b"<net/>",
    "random_face/data/MappingNetwork.bin": bytes(range(64)),
    "random_face/data/SynthesisNetwork.xml": b"<net name='synthesis'/>",
    "random_face/data/SynthesisNetwork.bin": bytes(range(255, 127, -1)),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def fake_source(wheel, members=IR_MEMBERS, **changes) -> PretrainedSource:
    source = PretrainedSource(
        name="fake",
        requirement="fake-faces==1.0",
        folder_name="fake-faces-1.0",
        wheel_name="fake_faces-1.0-py3-none-any.whl",
        wheel_sha256=sha256(wheel.read_bytes()),
        members=tuple((name, sha256(data)) for name, data in members.items()),
        config=FFHQ_CONFIG,
        licence="test licence",
        description="fake model for tests",
    )
    return PretrainedSource(**{**source.__dict__, **changes})


class FakeDownload:
    """Copies a prepared wheel where pip would put it and counts the calls."""

    def __init__(self, wheel):
        self.wheel = wheel
        self.calls = 0

    def __call__(self, source, destination):
        self.calls += 1
        target = destination / source.wheel_name
        shutil.copy(self.wheel, target)
        return target


def no_download(source, destination):
    raise AssertionError("the fetcher downloaded although the cache was complete")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake released model registered as 'fake', with its wheel and an empty cache folder."""
    wheel = make_wheel(tmp_path / "wheel.whl", {**IR_MEMBERS, "random_face/__init__.py": b""})
    source = fake_source(wheel)
    monkeypatch.setitem(pretrained.PRETRAINED, "fake", source)
    return source, FakeDownload(wheel), tmp_path / "cache"


def tree(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def flip_byte(path, position=10):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("MSG_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    assert resolve_cache_dir(tmp_path / "option") == tmp_path / "option"
    assert resolve_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("MSG_CACHE_DIR")
    assert resolve_cache_dir() == tmp_path / "xdg" / "mobilestylegan-deploy"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "mobilestylegan-deploy"


def test_unknown_name_lists_known(tmp_path):
    with pytest.raises(InvalidInputError, match="unknown pretrained model 'cats'; known models: ffhq"):
        load_pretrained("cats", cache_dir=tmp_path)
    with pytest.raises(InvalidInputError, match="known models: ffhq"):
        load_model("pretrained:cats", cache_dir=tmp_path)


def test_fetch_extracts_only_ir_files(fake):
    source, download, cache = fake
    folder = fetch_pretrained("fake", cache_dir=cache, download=download)

    assert folder == cache / "fake-faces-1.0"
    assert sorted(path.name for path in folder.iterdir()) == sorted(name.rsplit("/", 1)[1] for name in IR_MEMBERS)
    for name, data in IR_MEMBERS.items():
        assert (folder / name.rsplit("/", 1)[1]).read_bytes() == data
    assert tree(cache) == ["fake-faces-1.0", *sorted(f"fake-faces-1.0/{name.rsplit('/', 1)[1]}" for name in IR_MEMBERS)]
    assert download.calls == 1


def test_filled_cache_needs_no_download(fake):
    source, download, cache = fake
    folder = fetch_pretrained("fake", cache_dir=cache, download=download)

    assert fetch_pretrained("fake", cache_dir=cache, download=no_download) == folder
    assert verify_cache(source, folder)


def test_tampered_cache_file_rejected(fake):
    source, download, cache = fake
    folder = fetch_pretrained("fake", cache_dir=cache, download=download)
    flip_byte(folder / "SynthesisNetwork.bin")

    with pytest.raises(CacheIntegrityError, match=r"SynthesisNetwork\.bin has sha256 \w+, expected \w+; delete .* or run `msg fetch-pretrained --cache-dir .*`"):
        load_pretrained("fake", cache_dir=cache, download=no_download)
    with pytest.raises(CacheIntegrityError):
        verify_cache(source, folder)


def test_fetch_replaces_tampered_file(fake):
    source, download, cache = fake
    folder = fetch_pretrained("fake", cache_dir=cache, download=download)
    flip_byte(folder / "MappingNetwork.bin")

    fetch_pretrained("fake", cache_dir=cache, download=download)
    assert download.calls == 2
    assert verify_cache(source, folder)


def test_missing_file_is_downloaded_again(fake):
    source, download, cache = fake
    folder = fetch_pretrained("fake", cache_dir=cache, download=download)
    (folder / "MappingNetwork.xml").unlink()

    assert not verify_cache(source, folder)
    fetch_pretrained("fake", cache_dir=cache, download=download)
    assert download.calls == 2
    assert verify_cache(source, folder)


UNSAFE_MEMBERS = {
    "parent": ("../x", {}, r"member '\.\./x' contains '\.\.'"),
    "nested parent": ("random_face/../../x", {}, r"contains '\.\.'"),
    "backslash parent": ("..\\x", {}, r"contains '\.\.'"),
    "absolute": ("/x", {}, "is an absolute path"),
    "symlink": ("random_face/data/link", {"symlink": True}, "is a symbolic link"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_MEMBERS))
def test_unsafe_member_rejected(tmp_path, monkeypatch, case):
    name, options, message = UNSAFE_MEMBERS[case]
    wheel_folder = tmp_path / "wheels"
    wheel_folder.mkdir()
    extra = {} if options.get("symlink") else {name: b"escaped"}
    wheel = make_wheel(wheel_folder / "evil.whl", {**IR_MEMBERS, **extra}, symlinks=(name,) if options.get("symlink") else ())
    monkeypatch.setitem(pretrained.PRETRAINED, "fake", fake_source(wheel))
    cache = tmp_path / "cache"
    before = tree(tmp_path)

    with pytest.raises(InvalidInputError, match=message):
        fetch_pretrained("fake", cache_dir=cache, download=FakeDownload(wheel))
    assert not (tmp_path / "x").exists()
    assert tree(cache) == []
    assert [path for path in tree(tmp_path) if not path.startswith("cache")] == before


def test_wheel_digest_mismatch_rejected(tmp_path, monkeypatch):
    wheel = make_wheel(tmp_path / "wheel.whl", IR_MEMBERS)
    monkeypatch.setitem(pretrained.PRETRAINED, "fake", fake_source(wheel, wheel_sha256="0" * 64))
    cache = tmp_path / "cache"

    with pytest.raises(InvalidInputError, match=r"wheel fake_faces-1\.0-py3-none-any\.whl has sha256 \w+, expected 0{64}"):
        fetch_pretrained("fake", cache_dir=cache, download=FakeDownload(wheel))
    assert tree(cache) == []


def test_member_digest_mismatch_rejected(tmp_path, monkeypatch):
    wheel = make_wheel(tmp_path / "wheel.whl", IR_MEMBERS)
    changed = {**IR_MEMBERS, "random_face/data/MappingNetwork.bin": b"other weights"}
    monkeypatch.setitem(pretrained.PRETRAINED, "fake", fake_source(wheel, members=changed))
    cache = tmp_path / "cache"

    with pytest.raises(InvalidInputError, match=r"random_face/data/MappingNetwork\.bin from .* has sha256"):
        fetch_pretrained("fake", cache_dir=cache, download=FakeDownload(wheel))
    assert tree(cache) == []


def test_missing_member_rejected(tmp_path, monkeypatch):
    members = dict(IR_MEMBERS)
    members.pop("random_face/data/SynthesisNetwork.xml")
    wheel = make_wheel(tmp_path / "wheel.whl", members)
    monkeypatch.setitem(pretrained.PRETRAINED, "fake", fake_source(wheel, members=IR_MEMBERS))
    cache = tmp_path / "cache"

    with pytest.raises(InvalidInputError, match=r"lacks the member 'random_face/data/SynthesisNetwork\.xml'"):
        fetch_pretrained("fake", cache_dir=cache, download=FakeDownload(wheel))
    assert tree(cache) == []


# The released model: fetched once into the user cache (or $MSG_CACHE_DIR) and reused by later runs.

SEEDS = (0, 1, 2, 3)
TRUNCATION_PSI = 0.5
W_TOLERANCE = 1e-4
IMAGE_TOLERANCE = 2e-3
MIN_PSNR_DB = 60.0
OPENVINO_CONFIG = {"INFERENCE_NUM_THREADS": 2, "INFERENCE_PRECISION_HINT": "f32"}


@pytest.fixture(scope="module")
def released_folder():
    return fetch_pretrained("ffhq")


@pytest.fixture(scope="module")
def released_model(released_folder):
    return load_model("pretrained:ffhq")


@pytest.fixture(scope="module")
def openvino_models(released_folder):
    pytest.importorskip("openvino")
    from msg_model.openvino_import import import_openvino

    core = import_openvino().Core()
    mapping = core.compile_model(str(released_folder / "MappingNetwork.xml"), "CPU", OPENVINO_CONFIG)
    synthesis = core.compile_model(str(released_folder / "SynthesisNetwork.xml"), "CPU", OPENVINO_CONFIG)
    return mapping, synthesis


def psnr_255(image: np.ndarray, reference: np.ndarray) -> float:
    """Compute the PSNR in dB of two images in [-1, 1] after mapping them to [0, 255]."""
    error = ((image - reference) * 127.5).astype(np.float64)
    return float(10 * np.log10(255.0**2 / np.mean(error**2)))


@pytest.mark.slow
def test_released_model_fields(released_model):
    assert released_model.spec == "pretrained:ffhq"
    assert released_model.config == FFHQ_CONFIG
    assert released_model.source_sha256 == dict(pretrained.FFHQ.members)["random_face/data/SynthesisNetwork.bin"]
    assert released_model.generator is None
    assert "NVIDIA Source Code License-NC" in released_model.licence
    assert "CC BY-NC-SA" in released_model.licence


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_w_matches_openvino(released_model, openvino_models, seed):
    z = z_from_seed(seed)
    w_openvino = openvino_models[0](z.numpy())[0]
    with torch.no_grad():
        w = released_model.mapping.map(z).numpy()

    assert np.abs(w - w_openvino).max() <= W_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_image_matches_openvino(released_model, openvino_models, seed):
    mapping, synthesis = openvino_models
    w_openvino = torch.from_numpy(mapping(z_from_seed(seed).numpy())[0])
    w = truncate(w_openvino, released_model.mapping.w_avg, TRUNCATION_PSI)
    reference = synthesis(w.numpy())[0]
    with torch.no_grad():
        image = released_model.synthesis(w).numpy()

    assert image.shape == reference.shape == (1, 3, 1024, 1024)
    assert np.abs(image - reference).max() <= IMAGE_TOLERANCE
    assert psnr_255(image, reference) >= MIN_PSNR_DB


@pytest.mark.slow
def test_mapping_forward_applies_truncation(released_model):
    z = z_from_seed(0)
    with torch.no_grad():
        expected = truncate(released_model.mapping.map(z), released_model.mapping.w_avg, TRUNCATION_PSI)
        w = released_model.mapping(z, torch.full((1, 1), TRUNCATION_PSI))

    torch.testing.assert_close(w, expected)


@pytest.mark.slow
def test_w_plus_copies_give_w_image(released_model):
    with torch.no_grad():
        w = released_model.mapping(z_from_seed(1), torch.full((1, 1), TRUNCATION_PSI))
        image_w = released_model.synthesis(w)
        image_w_plus = released_model.synthesis(w[:, None].expand(-1, FFHQ_CONFIG.num_ws, -1))

    assert FFHQ_CONFIG.num_ws == 23
    # The W+ styles go through a batched matrix multiply, so float32 rounding differs by a few 1e-6.
    torch.testing.assert_close(image_w_plus, image_w, rtol=0, atol=1e-5)


@pytest.mark.slow
def test_w_avg_cached_beside_ir(released_model, released_folder):
    cached = list(released_folder.glob("w_avg-*.npy"))

    assert len(cached) == 1
    np.testing.assert_array_equal(np.load(cached[0]), released_model.mapping.w_avg.numpy())
    torch.testing.assert_close(compute_w_avg(released_model.mapping), released_model.mapping.w_avg)


@pytest.mark.slow
def test_released_tampered_file_rejected(released_folder, tmp_path):
    copy = tmp_path / released_folder.name
    shutil.copytree(released_folder, copy)
    flip_byte(copy / "SynthesisNetwork.bin", position=1_000_000)

    with pytest.raises(CacheIntegrityError, match=r"SynthesisNetwork\.bin has sha256 .*run `msg fetch-pretrained --cache-dir .*`"):
        load_pretrained("ffhq", cache_dir=tmp_path, download=no_download)


@pytest.mark.slow
def test_released_cache_loads_offline(released_folder, tmp_path):
    copy = tmp_path / released_folder.name
    shutil.copytree(released_folder, copy)

    loaded = load_pretrained("ffhq", cache_dir=tmp_path, download=no_download)
    assert loaded.config == FFHQ_CONFIG
