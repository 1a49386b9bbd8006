"""One immutable segment file beside the index file: named numpy arrays, memory-mapped.

Layout: an 8-byte magic, the length of a JSON header, the header (name -> dtype, length,
byte offset) and the arrays, each 64-byte aligned. Opening maps the file once and hands
out views: nothing is copied, so opening costs microseconds whatever the size, and every
process serving the same index shares the page cache instead of holding its own copy.

A file is written under a temporary name, flushed to disk and renamed: a segment file
either is whole or does not exist. Whether it belongs to the index is decided by the
SQLite commit alone (``meta.segments``), never by the file's presence.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from articlebot.index.ranking.segment import Chunked

    Array = np.ndarray | tuple[np.ndarray, ...] | Chunked

MAGIC = b"ARBSEG1\n"
SUFFIX = ".seg"
_ALIGN = 64


_NAME = re.compile(r"\d{8}-[0-9a-f]{8}")


def segment_path(db_path: Path, name: str) -> Path:
    """Segment ``name`` of an index file: ``index.sqlite3.00000012-9f3a61c2.seg`` beside
    it, so whatever deletes or copies ``index.sqlite3*`` takes the segments too."""
    return db_path.parent / f"{db_path.name}.{name}{SUFFIX}"


def new_name(generation: int) -> str:
    """A fresh segment name: the generation it is written for, and random bits so that a
    writer without the lock can never overwrite a segment another writer committed."""
    return f"{generation:08d}-{secrets.token_hex(4)}"


def write(db_path: Path, name: str, arrays: Mapping[str, Array]) -> int:
    """Write ``arrays`` as segment ``name`` (whole or not at all); returns its size. An
    array may be given as a tuple of chunks, or as a ``Chunked`` one read chunk by chunk
    (a spilled one), written back to back (never joined in memory)."""
    with Writer(db_path, name, {key: shape(key, a) for key, a in arrays.items()}) as out:
        for key, array in arrays.items():
            out.put_whole(key, array)
    return out.size


class Writer:
    """A segment file of arrays laid out in advance (name -> dtype, length), each written
    whole or a range at a time in any order (``put``); under a temporary name until every
    byte of every array is written, then flushed to disk and renamed in place."""

    def __init__(self, db_path: Path, name: str, layout: Mapping[str, tuple[np.dtype, int]]):
        header: dict[str, list[object]] = {}
        self._left: dict[str, int] = {}  # bytes still to write, per array
        self._where: dict[str, tuple[np.dtype, int, int]] = {}  # dtype, length, offset
        offset = 0
        for key, (dtype, size) in layout.items():
            dtype = np.dtype(dtype)
            header[key] = [dtype.str, size, offset]
            self._where[key] = (dtype, size, offset)
            self._left[key] = dtype.itemsize * size
            offset += _aligned(self._left[key])
        head = json.dumps(header, separators=(",", ":")).encode()
        self._start = _aligned(len(MAGIC) + 8 + len(head))  # where the arrays begin
        self.size = self._start + offset
        self._final = segment_path(db_path, name)
        self._tmp = self._final.with_suffix(".tmp")
        self._file = open(self._tmp, "wb")  # noqa: SIM115 (closed by __exit__)
        self._file.write(MAGIC + len(head).to_bytes(8, "little") + head)

    def put(self, key: str, at: int, array: np.ndarray) -> None:
        """Elements ``at:at + len(array)`` of array ``key``."""
        dtype, size, base = self._where[key]
        data = np.ascontiguousarray(array).reshape(-1)
        if data.dtype != dtype:
            raise ValueError(f"array {key} is {dtype}, not {data.dtype}")
        if at < 0 or at + len(data) > size:
            raise ValueError(f"array {key} has {size} elements, not {at + len(data)}")
        self._file.seek(self._start + base + at * dtype.itemsize)
        self._file.write(memoryview(data.view(np.uint8)))
        self._left[key] -= data.nbytes

    def put_whole(self, key: str, array: Array) -> None:
        """All of array ``key``: an array, a tuple of chunks or a chunked one."""
        at = 0
        for part in _parts(array):
            self.put(key, at, part)
            at += len(part)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        whole = False
        try:
            if kind is None:
                short = {key: left for key, left in self._left.items() if left}
                if short:
                    raise ValueError(f"arrays not written whole (bytes missing): {short}")
                self._file.truncate(self.size)  # the last array's padding: zeros
                self._file.flush()
                os.fsync(self._file.fileno())
                whole = True
        finally:
            self._file.close()
            if not whole:  # nothing half written is left behind
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)
        if whole:  # else the error that stopped the writing goes on, not one of ours
            os.replace(self._tmp, self._final)
            _sync_dir(self._final.parent)


def read(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a segment file as read-only views of one memory map.

    Raises ValueError for a file that is not a whole segment (the caller says which
    index is damaged) and FileNotFoundError when it is gone.
    """
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"segment {path.name} is empty")
    whole = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(whole[: len(MAGIC)]) != MAGIC:
        raise ValueError(f"segment {path.name} is not a segment file")
    length = int.from_bytes(bytes(whole[len(MAGIC) : len(MAGIC) + 8]), "little")
    end = len(MAGIC) + 8 + length
    header = json.loads(bytes(whole[len(MAGIC) + 8 : end]).decode())
    start = _aligned(end)
    arrays: dict[str, np.ndarray] = {}
    for key, (dtype, count, offset) in header.items():
        dt = np.dtype(dtype)
        lo = start + offset
        hi = lo + dt.itemsize * count
        if hi > size:
            raise ValueError(f"segment {path.name} is cut short")
        arrays[key] = whole[lo:hi].view(dt)
    return arrays


def remove_except(db_path: Path, keep: Iterable[str]) -> list[str]:
    """Delete the index file's segment files (and leftover temporary files) not named in
    ``keep``; returns the names deleted. Only names of our own pattern are touched."""
    keep = set(keep)
    prefix = f"{db_path.name}."
    removed: list[str] = []
    try:
        entries = list(os.scandir(db_path.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        rest = entry.name.removeprefix(prefix)
        name, dot, ext = rest.rpartition(".")
        if rest == entry.name or not dot:
            continue
        # A reindex's spill (``spill.py``) is unnamed where the system allows; elsewhere a
        # kill in the moment between creating and unlinking it can leave one behind.
        # Only writers make them and this runs under the writer lock: none is in use.
        spill = ext == "spill"  # (the prefix is ours; tempfile's name part is random)
        if not spill and (ext not in ("seg", "tmp") or not _NAME.fullmatch(name)):
            continue
        if ext == "seg" and name in keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(name)
    return removed


def shape(key: str, array: Array) -> tuple[np.dtype, int]:
    """(dtype, length) of an array, of its chunks together, or of a chunked one (whose
    chunks are not read for it)."""
    if isinstance(array, np.ndarray):
        return array.dtype, int(array.size)
    if not isinstance(array, tuple):
        return np.dtype(array.dtype), int(array.size)
    dtype = array[0].dtype if array else np.dtype(np.int32)
    if any(p.dtype != dtype for p in array):
        raise ValueError(f"array {key} is written in chunks of different types")
    return dtype, sum(int(p.size) for p in array)


def _parts(array: Array) -> Iterable[np.ndarray]:
    return (array,) if isinstance(array, np.ndarray) else array


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
