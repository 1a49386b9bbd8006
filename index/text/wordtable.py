"""Words -> ids for a reindex worker, through the compiled ``wordkernel.number_words``.

The table shares its id space with the worker's dict of words (``storage.workers``):
ids continue from the number the caller gives, and the new words come back as strings,
in id order, for the caller's list. A word may thus have two ids, one from each way of
numbering; the caller maps ids to terms and words by their strings, so both ids give
the same ones.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

# Bytes of text numbered by one call of the kernel at most (cut at a space): the room kept
# for a call's words is for these, not for a whole long post (a 4 MB field of a few
# distinct words had the arrays grow to 68 MB, kept for the worker's life).
PART = 1 << 16


def _at_least(size: int, wanted: int) -> int:
    while size < wanted:
        size *= 2
    return size


class WordTable:
    """The compiled kernel's table and arena, grown before each call of the kernel to hold
    whatever its text could add (at most one new word per two bytes; a long text is
    given to it in parts of ``PART`` bytes or so)."""

    def __init__(self, kernel: Any, first: list[str]) -> None:
        """``kernel``: the checked functions of the built extension (``kernel_aot``);
        ``first``: distinct Latin-1 words numbered 0, 1, ... (the stop words)."""
        self._kernel = kernel
        self._slots = np.full(1 << 16, -1, dtype=np.int32)
        self._arena = np.zeros(1 << 20, dtype=np.uint8)
        self._starts = np.zeros((1 << 14) + 1, dtype=np.int64)  # one longer: ends
        self._hashes = np.zeros(1 << 14, dtype=np.uint64)
        self._ids = np.zeros(1 << 14, dtype=np.int32)
        self._state = np.zeros(3, dtype=np.int64)  # known words, arena bytes, next id
        self._out = np.zeros(1 << 12, dtype=np.int32)
        ids, new, _ = self.number(" ".join(first).encode("latin-1"), [], 0)
        if ids.tolist() != list(range(len(first))) or new != first:
            raise ValueError("the first words must be distinct Latin-1 words without spaces")

    def number(
        self, text: bytes, ends: list[int], next_id: int
    ) -> tuple[np.ndarray, list[str], list[int]]:
        """The ids of ``text``'s space-separated words (an array of its own), the words
        first seen, in the order of their ids (``next_id`` and on), and how many words
        come before each byte offset of ``ends`` (ascending)."""
        if len(text) <= PART:
            return self._number(text, ends, next_id)
        parts: list[np.ndarray] = []
        new: list[str] = []
        counts = [0] * len(ends)
        lo = numbered = 0
        while lo < len(text):  # parts cut after a space, so no word is cut
            hi = text.rfind(b" ", lo + 1, lo + PART) + 1 if lo + PART < len(text) else len(text)
            if hi <= 0:  # one word longer than a part: to its end
                hi = text.find(b" ", lo + PART) + 1 or len(text)
            inside = [k for k, end in enumerate(ends) if lo < end <= hi]
            ids, fresh, got = self._number(
                text[lo:hi], [ends[k] - lo for k in inside], next_id + len(new)
            )
            for k, count in zip(inside, got, strict=True):
                counts[k] = numbered + count
            parts.append(ids)
            numbered += len(ids)
            new += fresh
            lo = hi
        counts = [numbered if end > len(text) else n for end, n in zip(ends, counts, strict=True)]
        return np.concatenate(parts), new, counts

    def _number(
        self, text: bytes, ends: list[int], next_id: int
    ) -> tuple[np.ndarray, list[str], list[int]]:
        """``number`` in one call of the kernel, with room for every word ``text`` holds."""
        data = np.frombuffer(text, dtype=np.uint8)
        most = (len(text) + 1) // 2
        self._room(len(text), most)
        counts = np.zeros(len(ends), dtype=np.int64)
        bounds = np.array(ends, dtype=np.int64)
        self._state[2] = next_id
        before = int(self._state[0])
        n = self._kernel.number_words(
            data, bounds, self._slots, self._arena, self._starts, self._hashes, self._ids,
            self._state, self._out, counts,
        )  # fmt: skip
        after = int(self._state[0])
        new: list[str] = []
        if after > before:
            lo = int(self._starts[before])
            raw = self._arena[lo : self._starts[after]].tobytes().decode("latin-1")
            cuts = (self._starts[before : after + 1] - lo).tolist()
            new = [raw[a:b] for a, b in itertools.pairwise(cuts)]
        return self._out[:n].copy(), new, counts.tolist()

    def _room(self, size: int, most: int) -> None:
        count, used = int(self._state[0]), int(self._state[1])
        if most > len(self._out):
            self._out = np.zeros(_at_least(len(self._out), most), dtype=np.int32)
        if used + size > len(self._arena):
            self._arena = _grown(self._arena, _at_least(len(self._arena), used + size))
        if count + most > len(self._ids):
            room = _at_least(len(self._ids), count + most)
            self._ids = _grown(self._ids, room)
            self._hashes = _grown(self._hashes, room)
            self._starts = _grown(self._starts, room + 1)
        if 2 * (count + most) > len(self._slots):  # at most half full
            self._slots = np.full(_at_least(len(self._slots), 2 * (count + most)), -1, np.int32)
            self._kernel.place_words(self._hashes, count, self._slots)


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown
