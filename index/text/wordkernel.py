"""Words numbered in compiled code (numba): a reindex worker's hottest loop.

A worker numbers every word of every post: split into a string each, hashed and looked up
in a dict, ~100 ns a word, a third of reading and analysing a post. Here the words of a
field's folded Latin-1 text (``analysis.folded_latin1``: words separated by single
spaces or runs of them) are found, hashed (FNV-1a) and looked up in an open-addressing
table over their bytes, in one pass without a Python object per word (``WordTable``
holds the arrays). Compiled with the ranking kernel, ahead of time (``kernel_aot``);
imported only where numba is (the build, or tests).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = 32
_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


@njit(cache=True, nogil=True)
def _fnv(text, start, end):
    h = _FNV_OFFSET
    for i in range(start, end):
        h = (h ^ np.uint64(text[i])) * _FNV_PRIME
    return h


@njit(cache=True, nogil=True)
def number_words(text, ends, slots, arena, starts, hashes, ids, state, out, counts):
    """The id of each space-separated word of ``text`` into ``out``; how many. The words
    before each byte offset of ``ends`` (ascending) are counted into ``counts``.

    ``slots`` (a power of two long, -1 where empty) holds known words' local numbers;
    a local number's bytes are ``arena[starts[k]:starts[k + 1]]``, its hash
    ``hashes[k]`` and its id ``ids[k]``. ``state``: [known words, bytes in the arena,
    next id]. A new word takes the next id. The caller leaves room for every word the
    text could add (``WordTable.number``).
    """
    mask = len(slots) - 1
    n = 0
    i = 0
    field = 0
    size = len(text)
    while i < size:
        if text[i] == _SPACE:
            i += 1
            continue
        while field < len(ends) and ends[field] <= i:
            counts[field] = n
            field += 1
        j = i
        while j < size and text[j] != _SPACE:
            j += 1
        h = _fnv(text, i, j)
        at = np.int64(h & np.uint64(mask))
        while True:
            local = slots[at]
            if local < 0:  # new: its bytes to the arena, the next id
                local = state[0]
                begin = state[1]
                for b in range(j - i):
                    arena[begin + b] = text[i + b]
                starts[local + 1] = begin + j - i
                hashes[local] = h
                ids[local] = state[2]
                slots[at] = local
                state[0] = local + 1
                state[1] = begin + j - i
                state[2] += 1
                break
            if hashes[local] == h and starts[local + 1] - starts[local] == j - i:
                same = True
                begin = starts[local]
                for b in range(j - i):
                    if arena[begin + b] != text[i + b]:
                        same = False
                        break
                if same:
                    break
            at = (at + 1) & mask
        out[n] = ids[local]
        n += 1
        i = j
    while field < len(ends):
        counts[field] = n
        field += 1
    return n


@njit(cache=True, nogil=True)
def place_words(hashes, count, slots):
    """Put local numbers ``0..count-1`` into the empty table ``slots`` by their hashes
    (a grown table); returns ``count``."""
    mask = len(slots) - 1
    for local in range(count):
        at = np.int64(hashes[local] & np.uint64(mask))
        while slots[at] >= 0:
            at = (at + 1) & mask
        slots[at] = local
    return count
