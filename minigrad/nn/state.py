"""Model state on disk: `.npz` files read defensively (names and headers before any data)."""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np


def npz_path(path) -> Path:
    """`path` with `.npz` added unless it ends so: where `np.savez` writes, and `load` reads."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"expected a file path, got {type(path).__name__} {path!r:.40}")
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def read_state(path: Path, own: dict[str, np.ndarray], strict: bool = True) -> dict:
    """The arrays of the `.npz` file `path` whose names are in `own` (the module's state, for
    names, shapes and dtypes). With `strict`, the names must match exactly. Each member's
    header is checked against `own` before its data is read, so a crafted file cannot make
    this read more than the module holds; errors name the file and the member."""
    if not path.is_file():
        raise FileNotFoundError(f"load: no such file: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(
            f"load: {path} is not a readable .npz file ({err}); it may be truncated or not "
            "written by Module.save"
        ) from None
    with archive:
        members = {m[:-4]: m for m in archive.namelist() if m.endswith(".npy")}
        others = [m for m in archive.namelist() if not m.endswith(".npy")]
        missing = sorted(set(own) - set(members))
        unexpected = sorted(set(members) - set(own))
        if others or (strict and (missing or unexpected)):
            raise KeyError(
                f"load: {path} does not hold this module's state: missing {missing}, "
                f"unexpected {unexpected + others}"
            )
        return {
            name: _member(archive, path, members[name], own[name])
            for name in members
            if name in own
        }


_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _member(archive: zipfile.ZipFile, path: Path, member: str, own: np.ndarray) -> np.ndarray:
    where = f"load: {path}, member {member}"
    try:
        with archive.open(member) as stream:
            try:
                version = np.lib.format.read_magic(stream)
                shape, fortran, dtype = _HEADERS[version](stream)
            except (ValueError, KeyError) as err:
                raise ValueError(f"{where} is not a NumPy array ({err})") from None
            if dtype.hasobject or dtype.kind not in "biuf":
                raise ValueError(f"{where} holds {dtype} data, not numbers")
            if shape != own.shape:
                raise ValueError(f"{where} has shape {shape} but the module's is {own.shape}")
            size = int(np.prod(shape)) * dtype.itemsize
            data = stream.read(size)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{where} cannot be read ({err}); the file may be truncated") from None
    if len(data) != size:
        raise ValueError(f"{where} is truncated: {len(data)} of {size} bytes")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")
