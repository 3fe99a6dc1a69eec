"""MNIST loader: shapes, splits, label order, folder lookup, corrupt files and mocked downloads."""

from __future__ import annotations

import gzip
import os
import shutil
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from minigrad.data import mnist
from minigrad.data.mnist import (
    ENV_VAR,
    FILES,
    MIRRORS,
    MnistDownloadError,
    MnistError,
    cache_dir,
    load_mnist,
    locate_mnist,
    parse_idx,
    read_mnist_file,
)
from minigrad.data.mnist import fetch as real_fetch

# Read before the autouse fixture below hides the variable from the code under test.
SHARED = Path(
    os.environ.get(ENV_VAR)
    or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
)
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4]


def _no_network(url: str, dest: Path) -> None:
    raise urllib.error.URLError(f"no network in tests ({url})")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test sees the user's cache or MINIGRAD_MNIST, and none can reach the network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(mnist, "fetch", _no_network)


@pytest.fixture
def shared() -> Path:
    """The folder of the four real files; CI must have it, a developer may not."""
    if not all((SHARED / name).is_file() for name in FILES):
        message = f"the MNIST files are not in {SHARED}; set {ENV_VAR} to their folder"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


def _folder_with(folder: Path, names) -> Path:
    """A folder holding symlinks to the shared copies of `names`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(SHARED / name)
    return folder


def _serve_shared(urls: list[str]):
    """A fake `fetch` that serves the shared files and records the urls asked for."""

    def fake_fetch(url: str, dest: Path) -> None:
        urls.append(url)
        shutil.copyfile(SHARED / url.rsplit("/", 1)[-1], dest)

    return fake_fetch


# --- the real files: shapes, dtypes, splits, order ---------------------------------------------


def test_standard_split_has_60k_train_and_10k_test(shared):
    data = load_mnist(shared)
    assert data.train_images.shape == (60000, 784) and data.test_images.shape == (10000, 784)
    assert data.train_labels.shape == (60000,) and data.test_labels.shape == (10000,)
    assert data.validation_images is None and data.validation_labels is None
    assert data.train_images.dtype == np.float32 and data.train_labels.dtype == np.int64
    for images in (data.train_images, data.test_images):
        assert images.min() == 0.0 and images.max() == 1.0
    assert set(np.unique(data.train_labels)) == set(range(10))
    assert data.train_labels[:10].tolist() == FIRST_TRAIN_LABELS
    assert data.test_labels[:5].tolist() == FIRST_TEST_LABELS
    assert data.folder == shared


def test_nielsen_split_is_first_50k_train_last_10k_validation(shared):
    data = load_mnist(shared, split="nielsen", dtype=np.float64, normalize=False)
    assert data.train_images.shape == (50000, 784) and data.train_labels.shape == (50000,)
    assert data.validation_images.shape == (10000, 784)
    assert data.validation_labels.shape == (10000,)
    assert data.test_images.shape == (10000, 784) and data.test_labels.shape == (10000,)
    assert data.train_images.dtype == np.float64 and data.train_images.max() == 255.0
    assert np.array_equal(data.train_images[:1000], np.round(data.train_images[:1000]))
    all_train_labels = read_mnist_file(shared / "train-labels-idx1-ubyte.gz")
    assert np.array_equal(data.train_labels, all_train_labels[:50000])
    assert np.array_equal(data.validation_labels, all_train_labels[50000:])
    assert data.train_labels[:10].tolist() == FIRST_TRAIN_LABELS
    assert data.test_labels[:5].tolist() == FIRST_TEST_LABELS


def test_env_var_is_used_when_no_path_is_given(shared, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(shared))
    data = load_mnist(download=False)
    assert data.folder == shared and data.test_labels[:5].tolist() == FIRST_TEST_LABELS


# --- where the files are looked for --------------------------------------------------------------


def test_lookup_order_is_path_then_env_var_then_cache(monkeypatch, tmp_path):
    assert locate_mnist() == cache_dir() == tmp_path / "xdg-cache" / "minigrad" / "mnist"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert locate_mnist() == tmp_path / "from-env"
    assert locate_mnist(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "minigrad" / "mnist"


def test_explicit_path_wins_over_env_var_and_must_hold_the_files(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(SHARED))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MnistError, match=r"missing from .*empty \(given by path=\)"):
        load_mnist(empty)


def test_env_var_folder_must_hold_the_files(shared, monkeypatch, tmp_path):
    folder = _folder_with(tmp_path / "partial", ["train-labels-idx1-ubyte.gz"])
    monkeypatch.setenv(ENV_VAR, str(folder))
    with pytest.raises(MnistError, match=r"given by \$MINIGRAD_MNIST\): train-images") as info:
        load_mnist()
    assert "train-labels" not in str(info.value).split("):")[1].split(".")[0]


# --- corrupt files are reported, never used, never deleted -------------------------------------


def _flip_compressed_byte(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :]


def _edit_content(edit):
    """Corrupt the decompressed content with `edit`, then recompress it into a valid gzip."""
    return lambda raw: gzip.compress(edit(bytearray(gzip.decompress(raw))), compresslevel=1)


def _set_magic(content: bytearray) -> bytes:
    content[3] = 3  # a labels file claiming to hold images: magic 0x00000803
    return bytes(content)


def _flip_last_label(content: bytearray) -> bytes:
    content[-1] = (content[-1] + 1) % 10  # still a valid IDX file, so only the hash can tell
    return bytes(content)


CORRUPTIONS = {
    "flipped-byte": (
        "train-labels-idx1-ubyte.gz",
        _flip_compressed_byte,
        "cannot be decompressed as gzip",
    ),
    "truncated": (
        "train-images-idx3-ubyte.gz",
        lambda raw: raw[: len(raw) // 3],
        "cannot be decompressed as gzip (Compressed file ended",
    ),
    "not-gzip": ("t10k-images-idx3-ubyte.gz", lambda raw: b"<html>404</html>", "Not a gzip"),
    "wrong-magic": (
        "t10k-labels-idx1-ubyte.gz",
        _edit_content(_set_magic),
        "has magic number 00000803, expected 00000801",
    ),
    "short-payload": (
        "train-labels-idx1-ubyte.gz",
        _edit_content(lambda content: bytes(content[:-7])),
        "is not a valid IDX file (train-labels-idx1-ubyte.gz: header says shape (60000,) "
        "but the payload has 59993 bytes)",
    ),
    "wrong-hash": (
        "t10k-labels-idx1-ubyte.gz",
        _edit_content(_flip_last_label),
        "expected 10008 bytes with SHA-256 ff7bcfd4",
    ),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_user_file_is_reported_and_kept(case, shared, tmp_path):
    name, corrupt, problem = CORRUPTIONS[case]
    folder = _folder_with(tmp_path / "mine", [other for other in FILES if other != name])
    bad_bytes = corrupt((shared / name).read_bytes())
    (folder / name).write_bytes(bad_bytes)
    with pytest.raises(MnistError) as info:
        load_mnist(folder)
    message = str(info.value)
    assert f"MNIST file {folder / name} " in message
    assert problem in message
    assert "left in place: replace it with a good copy" in message
    assert (folder / name).read_bytes() == bad_bytes


def test_corrupt_cached_file_is_kept_and_not_redownloaded(shared):
    name = "t10k-labels-idx1-ubyte.gz"
    cache = _folder_with(cache_dir(), [other for other in FILES if other != name])
    (cache / name).write_bytes(b"garbage")
    with pytest.raises(MnistError, match="delete it and call load_mnist.. again") as info:
        load_mnist()
    assert not isinstance(info.value, MnistDownloadError)
    assert (cache / name).read_bytes() == b"garbage"


def test_parse_idx_checks_the_header():
    assert parse_idx(bytes.fromhex("00000802 00000001 00000002 0102")).tolist() == [[1, 2]]
    with pytest.raises(MnistError, match="bad magic number 00000d01"):
        parse_idx(bytes.fromhex("00000d01 00000001 00000000"))  # floats, not MNIST bytes
    with pytest.raises(MnistError, match="shape \\(3,\\) but the payload has 2 bytes"):
        parse_idx(bytes.fromhex("00000801 00000003 0102"), "labels")


# --- downloads, all simulated --------------------------------------------------------------------


def test_offline_download_explains_how_to_provide_the_files():
    with pytest.raises(MnistDownloadError) as info:
        load_mnist()
    message = str(info.value)
    assert "Could not download train-images-idx3-ubyte.gz" in message
    assert all(mirror in message for mirror in MIRRORS) and "no network in tests" in message
    assert all(name in message for name in FILES)
    assert "load_mnist(path=FOLDER)" in message and f"{ENV_VAR}=FOLDER" in message
    assert isinstance(info.value, ConnectionError)
    assert list(cache_dir().iterdir()) == []


def test_no_download_when_not_allowed():
    with pytest.raises(MnistError, match="missing from the cache .*download=True"):
        load_mnist(download=False)
    assert not cache_dir().exists()


def test_download_lands_in_cache_and_loads(shared, monkeypatch):
    urls: list[str] = []
    monkeypatch.setattr(mnist, "fetch", _serve_shared(urls))
    data = load_mnist(split="nielsen")
    assert urls == [MIRRORS[0] + name for name in FILES]
    assert data.folder == cache_dir()
    assert sorted(path.name for path in cache_dir().iterdir()) == sorted(FILES)
    assert data.validation_labels.shape == (10000,)
    assert data.train_labels[:10].tolist() == FIRST_TRAIN_LABELS


def test_download_falls_back_to_next_mirror_for_missing_files_only(shared, monkeypatch, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    _folder_with(cache_dir(), [other for other in FILES if other != name])
    # The real `fetch` through urllib, on file:// mirrors: the first has no files.
    mirrors = ((tmp_path / "dead-mirror").as_uri() + "/", shared.as_uri() + "/")
    monkeypatch.setattr(mnist, "MIRRORS", mirrors)
    monkeypatch.setattr(mnist, "fetch", real_fetch)
    assert load_mnist().test_labels[:5].tolist() == FIRST_TEST_LABELS
    assert (cache_dir() / name).read_bytes() == (shared / name).read_bytes()
    assert not (cache_dir() / name).is_symlink()
    assert len(list(cache_dir().iterdir())) == 4  # no temporary file left behind


def test_fetch_works_without_tqdm(shared, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `import tqdm.auto` fail
    name = "train-labels-idx1-ubyte.gz"
    real_fetch((shared / name).as_uri(), tmp_path / name)
    assert (tmp_path / name).read_bytes() == (shared / name).read_bytes()


def _corrupt_download(url: str, dest: Path) -> None:
    dest.write_bytes(_flip_compressed_byte((SHARED / url.rsplit("/", 1)[-1]).read_bytes()))


def _interrupted_download(url: str, dest: Path) -> None:
    dest.write_bytes((SHARED / url.rsplit("/", 1)[-1]).read_bytes()[:1000])
    raise urllib.error.URLError("connection reset")


@pytest.mark.parametrize(
    ("fake_fetch", "problem"),
    [(_corrupt_download, "was discarded"), (_interrupted_download, "connection reset")],
)
def test_bad_download_is_rejected_and_leaves_no_file(fake_fetch, problem, shared, monkeypatch):
    monkeypatch.setattr(mnist, "fetch", fake_fetch)
    with pytest.raises(MnistDownloadError, match=problem):
        load_mnist()
    assert list(cache_dir().iterdir()) == []


# --- argument checks -----------------------------------------------------------------------------


def test_bad_arguments_are_rejected_before_any_file_is_read():
    with pytest.raises(ValueError, match="unknown split '60/10'"):
        load_mnist(split="60/10")
    with pytest.raises(ValueError, match="normalize=True needs a float dtype, got uint8"):
        load_mnist(dtype=np.uint8)
