"""MNIST: parse the gzipped IDX files, verify their SHA-256, find them or download them.

Looks in `path=`, `$MINIGRAD_MNIST`, then the cache; bad files are reported, never used or deleted.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ENV_VAR = "MINIGRAD_MNIST"
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# file name -> (array shape, decompressed bytes, SHA-256 of the decompressed bytes)
FILES: dict[str, tuple[tuple[int, ...], int, str]] = {
    "train-images-idx3-ubyte.gz": (
        (60000, 28, 28),
        47040016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte.gz": (
        (60000,),
        60008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte.gz": (
        (10000, 28, 28),
        7840016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        (10000,),
        10008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}
SPLITS = ("standard", "nielsen", "50k/10k/10k")
_UBYTE = 0x08  # IDX type code of unsigned bytes, the only type MNIST uses


class MnistError(ValueError):
    """An MNIST file is missing, corrupt or not what the checksums say."""


class MnistDownloadError(MnistError, ConnectionError):
    """The MNIST files could not be downloaded from any mirror."""


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare
class Mnist:
    """Images of shape (n, 784) and int64 labels of shape (n,); no validation set in "standard"."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    validation_images: np.ndarray | None = None
    validation_labels: np.ndarray | None = None
    folder: Path | None = None


def cache_dir() -> Path:
    """The download cache: `$XDG_CACHE_HOME/minigrad/mnist`, else `~/.cache/minigrad/mnist`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "minigrad" / "mnist"


def locate_mnist(path: str | os.PathLike | None = None) -> Path:
    """The folder to read: `path` if given, else `$MINIGRAD_MNIST` if set, else `cache_dir()`."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return cache_dir()


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse decompressed IDX bytes of unsigned bytes into a uint8 array (a read-only view).

    >>> parse_idx(bytes.fromhex("00000801" "00000003" "070201"))
    array([7, 2, 1], dtype=uint8)
    """
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != _UBYTE:
        raise MnistError(f"{name}: bad magic number {data[:4].hex()}, expected 000008xx")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError(
            f"{name}: header of {ndim} dimensions needs {header} bytes, has {len(data)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    payload = len(data) - header
    if payload != int(np.prod(shape)):
        raise MnistError(f"{name}: header says shape {shape} but the payload has {payload} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_mnist_file(file: Path, name: str | None = None, advice: str = "") -> np.ndarray:
    """Decompress, parse and verify the MNIST file `name` (default: the file's own name).

    Raises MnistError naming the file and the problem (expected vs actual) if any check fails.
    """
    name = name or file.name
    advice = advice or f"It was left in place: replace it with a good copy of {name}"
    try:
        return _verified_array(_decompress(file, FILES[name][1]), name)
    except _Invalid as problem:
        raise MnistError(f"MNIST file {file} {problem}; it was not used. {advice}.") from None


class _Invalid(Exception):
    """What is wrong with a file, as the end of a sentence that begins with its name."""


def _decompress(file: Path, size: int) -> bytes:
    try:
        with gzip.open(file, "rb") as stream:
            data = stream.read(size + 1)  # one byte more reveals a too-long file, without a bomb
    except (OSError, EOFError, zlib.error) as error:
        raise _Invalid(f"cannot be decompressed as gzip ({error})") from error
    if len(data) > size:
        raise _Invalid(f"decompresses to more than the expected {size} bytes")
    return data


def _verified_array(data: bytes, name: str) -> np.ndarray:
    shape, size, sha256 = FILES[name]
    magic = bytes([0, 0, _UBYTE, len(shape)])
    if data[:4] != magic:
        raise _Invalid(f"has magic number {data[:4].hex()}, expected {magic.hex()}")
    try:
        array = parse_idx(data, name)
    except MnistError as error:
        raise _Invalid(f"is not a valid IDX file ({error})") from error
    if array.shape != shape:
        raise _Invalid(f"holds an array of shape {array.shape}, expected {shape}")
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != size or actual != sha256:
        problem = f"decompresses to {len(data)} bytes with SHA-256 {actual}"
        raise _Invalid(f"{problem}, expected {size} bytes with SHA-256 {sha256}")
    return array


def _progress_bar(total: int | None, description: str):
    """A tqdm bar if tqdm is installed, else None (tqdm is optional, so imported lazily)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=description)


def fetch(url: str, dest: Path) -> None:
    """Download `url` into the file `dest`, with a progress bar when tqdm is installed."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = _progress_bar(total, url.rsplit("/", 1)[-1])
        while chunk := response.read(1 << 16):
            out.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()


def _remove_stale_parts(folder: Path, name: str) -> None:
    """Delete partial downloads of `name` left by processes that no longer run (a download
    that was killed cannot clean up after itself); the process id is in the file name."""
    for part in folder.glob(f".{name}.*.part"):
        pid = part.name[len(name) + 2 :].split(".", 1)[0]
        if not pid.isdigit() or not _running(int(pid)):
            part.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (owned by someone else) or we cannot tell: leave its file
    return True


def _download(name: str, folder: Path) -> None:
    """Fetch `name` from the first mirror that serves a good copy; move it into place only then."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(folder, name)
    failures: list[str] = []
    for mirror in MIRRORS:
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{name}.{os.getpid()}.", suffix=".part", dir=folder
        )
        os.close(handle)
        tmp = Path(tmp_name)
        try:
            fetch(mirror + name, tmp)
            read_mnist_file(tmp, name, advice=f"The download from {mirror} was discarded")
            os.replace(tmp, folder / name)
            return
        except (OSError, http.client.HTTPException, MnistError) as error:  # URLError: OSError
            failures.append(f"{mirror + name}: {error}")
        finally:
            tmp.unlink(missing_ok=True)
    raise MnistDownloadError(
        f"Could not download {name} into {folder} ({'; '.join(failures)}). If this machine is "
        f"offline, get the four files {', '.join(FILES)} elsewhere, put them in one folder and "
        f"pass load_mnist(path=FOLDER) or set {ENV_VAR}=FOLDER."
    )


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    split: str = "standard",
    download: bool = True,
    dtype: npt.DTypeLike = np.float32,
    normalize: bool = True,
) -> Mnist:
    """Load MNIST as flat images (n, 784) and int64 labels, checking every file's SHA-256.

    The folder is `path`, else `$MINIGRAD_MNIST`, else `cache_dir()`; only into the cache are
    missing files downloaded (when `download` is true). `split="standard"` gives 60k train and
    10k test; `"nielsen"` (or `"50k/10k/10k"`) splits the training files into the first 50k as
    train and the last 10k as validation. `normalize` scales pixels to [0, 1].
    """
    if split not in SPLITS:
        raise ValueError(f"load_mnist: unknown split {split!r}, expected one of {SPLITS}")
    if normalize and not np.issubdtype(dtype, np.floating):
        raise ValueError(f"load_mnist: normalize=True needs a float dtype, got {np.dtype(dtype)}")
    if not np.can_cast(np.uint8, dtype):
        raise ValueError(
            f"load_mnist: pixels are 0..255, which {np.dtype(dtype)} cannot hold; use uint8, a "
            "wider integer or a float dtype"
        )
    source = "path=" if path is not None else f"${ENV_VAR}" if os.environ.get(ENV_VAR) else ""
    folder = locate_mnist(path)
    _ensure_files(folder, source, download)
    redownload = "It was left in place: delete it and call load_mnist() again to re-download it"
    advice = "" if source else redownload
    arrays = [read_mnist_file(folder / name, advice=advice) for name in FILES]
    train_images, test_images = (_flat_images(arrays[i], dtype, normalize) for i in (0, 2))
    train_labels, test_labels = (arrays[i].astype(np.int64) for i in (1, 3))
    if split == "standard":
        return Mnist(train_images, train_labels, test_images, test_labels, folder=folder)
    return Mnist(
        train_images[:50000],
        train_labels[:50000],
        test_images,
        test_labels,
        validation_images=train_images[50000:],
        validation_labels=train_labels[50000:],
        folder=folder,
    )


def _ensure_files(folder: Path, source: str, download: bool) -> None:
    """Download the files missing from the cache; a folder the user chose must hold all four."""
    missing = [name for name in FILES if not (folder / name).is_file()]
    if not missing:
        return
    every_file = ", ".join(FILES)
    if source:
        raise MnistError(
            f"MNIST files missing from {folder} (given by {source}): {', '.join(missing)}. "
            f"Put all four files ({every_file}) in that folder."
        )
    if not download:
        raise MnistError(
            f"MNIST files missing from the cache {folder}: {', '.join(missing)}. Pass "
            f"download=True, or put the four files ({every_file}) in a folder and pass "
            f"path=FOLDER or set {ENV_VAR}=FOLDER."
        )
    for name in missing:
        _download(name, folder)


def _flat_images(pixels: np.ndarray, dtype: npt.DTypeLike, normalize: bool) -> np.ndarray:
    """Flatten (n, 28, 28) uint8 pixels to (n, 784) of `dtype`, scaled to [0, 1] if `normalize`."""
    images = pixels.reshape(len(pixels), -1).astype(dtype)
    if normalize:
        images /= 255
    return images
