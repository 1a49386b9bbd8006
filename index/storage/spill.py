"""Arrays a reindex gathers batch by batch and needs only when it writes the new segment
(postings chunks, positions), kept in a temporary file beside the index instead of in
memory: at 100,000 posts they were ~800 MB of the indexing process's peak.

Records stay in memory up to ``LIMIT`` bytes, so a small reindex never touches the disk.
The file is anonymous (never named where the system allows it, as Linux does; elsewhere
unlinked at once), so a kill -9 leaves nothing behind but, on such other systems, a file
killed in the moment between its creation and unlinking, which the next reindex removes
(``segfile.remove_except``). The last good index is all there is either way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from articlebot.index.errors import StoreError

LIMIT = 4 << 20  # bytes held in memory before the records go to the file

_Layout = tuple[tuple[np.dtype, int], ...]  # per array of a record: dtype, length


class Spill:
    """Records (tuples of 1-d arrays) appended in order and read back in order, once or
    many times; beside ``db_path``'s index file once they outgrow ``limit`` bytes."""

    def __init__(self, db_path: Path | None, limit: int | None = None) -> None:
        self._db_path = db_path
        self._limit = LIMIT if limit is None else limit
        self._held: list[tuple[np.ndarray, ...]] = []
        self._held_bytes = 0
        self._file: BinaryIO | None = None
        self._records: list[tuple[int, _Layout]] = []  # in the file: offset, layout
        self._end = 0

    def __len__(self) -> int:
        return len(self._held) + len(self._records)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def append(self, *arrays: np.ndarray) -> None:
        if self._file is None:
            self._held.append(arrays)
            self._held_bytes += sum(a.nbytes for a in arrays)
            if self._db_path is not None and self._held_bytes > self._limit:
                self._spill()
        else:
            self._write(arrays)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        """The records in order; those in the file are read back one at a time."""
        yield from self._held
        for offset, layout in self._records:
            yield self._read(offset, layout)

    def length(self, i: int) -> int:
        """Elements in the first array of record ``i``."""
        if self._held:
            return len(self._held[i][0])
        return self._records[i][1][0][1]

    def part(self, i: int, lo: int, hi: int, arrays: int | None = None) -> tuple[np.ndarray, ...]:
        """Elements ``lo:hi`` of each array of record ``i`` (the first ``arrays`` of them
        only, when given), read without the rest of the record."""
        if self._held:
            return tuple(a[lo:hi] for a in self._held[i][:arrays])
        offset, layout = self._records[i]
        return self._read(offset, layout[:arrays], lo, hi)

    def drain(self) -> Iterator[tuple[np.ndarray, ...]]:
        """The records in order, each let go of once the next is asked for; the spill is
        empty (and its file closed) at the end."""
        self._held.reverse()
        while self._held:
            yield self._held.pop()
        records, self._records = self._records, []
        for offset, layout in records:
            yield self._read(offset, layout)
        self.close()

    def close(self) -> None:
        self._held, self._held_bytes, self._records, self._end = [], 0, [], 0
        if self._file is not None:
            self._file.close()
            self._file = None

    def _spill(self) -> None:
        assert self._db_path is not None
        try:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115 (closed by close())
                dir=self._db_path.parent, prefix=f"{self._db_path.name}.", suffix=".spill"
            )
        except OSError as exc:
            raise self._error(exc) from None
        held, self._held, self._held_bytes = self._held, [], 0
        for arrays in held:
            self._write(arrays)

    def _write(self, arrays: tuple[np.ndarray, ...]) -> None:
        assert self._file is not None
        layout: list[tuple[np.dtype, int]] = []
        try:
            for a in arrays:
                data = np.ascontiguousarray(a).reshape(-1)
                self._file.write(memoryview(data.view(np.uint8)))
                layout.append((data.dtype, len(data)))
        except OSError as exc:
            raise self._error(exc) from None
        self._records.append((self._end, tuple(layout)))
        self._end += sum(dtype.itemsize * n for dtype, n in layout)

    def _read(
        self, offset: int, layout: _Layout, lo: int = 0, hi: int | None = None
    ) -> tuple[np.ndarray, ...]:
        assert self._file is not None
        self._file.flush()
        out: list[np.ndarray] = []
        for dtype, n in layout:
            end = n if hi is None else min(hi, n)
            a = np.empty(max(end - lo, 0), dtype=dtype)
            self._file.seek(offset + lo * dtype.itemsize)
            if a.nbytes and self._file.readinto(memoryview(a.view(np.uint8))) != a.nbytes:
                raise StoreError(f"A temporary file beside the index file {self._db_path} "
                                 "was cut short; the previous index is kept.")  # fmt: skip
            out.append(a)
            offset += dtype.itemsize * n
        self._file.seek(self._end)
        return tuple(out)

    def _error(self, exc: OSError) -> StoreError:
        return StoreError(
            f"Cannot write a temporary file beside the index file {self._db_path} "
            f"({exc.strerror or exc}); the previous index is kept."
        )


class SpilledArray:
    """One array as the back-to-back chunks of a spill's records (each a 1-tuple): what
    ``segfile.write`` copies into a segment file chunk by chunk, never joined."""

    def __init__(self, spill: Spill, dtype: np.dtype | type, size: int) -> None:
        self._spill = spill
        self.dtype = np.dtype(dtype)
        self.size = size

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * self.size

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.size and not len(self._spill):
            raise ValueError("the spilled array was let go of (its spill is closed)")
        for (chunk,) in self._spill:
            yield chunk
