"""The compiled numbering of words (``text/wordkernel.py`` through ``wordtable``),
built ahead of time and as numba's JIT form, against a dict doing the same numbering."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest

from articlebot.index.text.analysis import STOP_WORDS, folded_latin1, normal_words
from articlebot.index.text.wordtable import WordTable

FIRST = sorted(STOP_WORDS)


@pytest.fixture(params=["built", "jit"])
def kernel(request: pytest.FixtureRequest) -> object:
    if request.param == "built":
        return request.getfixturevalue("built_kernel")
    pytest.importorskip("numba")
    from articlebot.index.ranking import kernel

    return kernel


class DictNumbering(dict[str, int]):
    """The reference: ids in order of first sight, after ``FIRST``."""

    def __init__(self) -> None:
        super().__init__((w, i) for i, w in enumerate(FIRST))

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self)
        return number


def _texts(rng: random.Random, count: int, vocabulary: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzéèüøñ0123456789'-"
    words = [
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 14))).strip("'-") or "x"
        for _ in range(vocabulary)
    ]
    words += FIRST
    return [
        "  ".join(" ".join(rng.choices(words, k=rng.randint(0, 300))) for _ in range(3))
        for _ in range(count)
    ]


def test_words_get_the_ids_a_dict_gives_them(kernel: object) -> None:
    """Same ids in the same order, the new words as strings in id order, and the words
    counted before each field's end; across enough distinct words that the table, the
    arena and the per-word arrays all grow several times."""
    rng = random.Random(5)
    table = WordTable(kernel, FIRST)
    reference = DictNumbering()
    strings = list(FIRST)
    numbered = 0
    for text in _texts(rng, 400, 60_000):
        fields = [text[: len(text) // 3], text[len(text) // 3 :]]
        folded = [folded_latin1(f) for f in fields]
        if None in folded:  # a word like "it's-a": the worker's dict numbers it
            continue
        numbered += 1
        joined = " ".join(folded)  # type: ignore[arg-type]
        ends = [len(folded[0]) + 1, len(joined) + 1]  # type: ignore[arg-type]
        ids, new, counts = table.number(joined.encode("latin-1"), ends, len(strings))
        strings += new
        words = [normal_words(f) for f in fields]
        assert ids.tolist() == [reference[w] for w in words[0] + words[1]]
        assert counts == [len(words[0]), len(words[0]) + len(words[1])]
        assert strings == list(reference)
    assert numbered > 300
    long_words = [f"{i:06d}" + "w" * 900 for i in range(1500)]  # 1.4 MB: the arena grows
    ids, new, _ = table.number(" ".join(long_words).encode(), [], len(strings))
    assert new == long_words and ids.tolist() == [reference[w] for w in long_words]
    assert ids.tolist() == list(range(len(strings), len(strings) + 1500))
    # The per-word arrays (16k to start), the slots (65k) and the arena (1 MB) all grew.
    assert len(table._ids) > 1 << 14 and len(table._slots) > 1 << 16
    assert len(table._arena) > 1 << 20


def test_ids_continue_from_the_callers_count(kernel: object) -> None:
    """Ids the caller gave elsewhere (its dict) are skipped: new words take the next."""
    table = WordTable(kernel, FIRST)
    ids, new, _ = table.number(b"harbour the storm", [], len(FIRST) + 5)
    assert new == ["harbour", "storm"]
    assert ids.tolist() == [len(FIRST) + 5, FIRST.index("the"), len(FIRST) + 6]
    again, new, _ = table.number(b"storm  harbour", [], 999)
    assert new == [] and again.tolist() == [len(FIRST) + 6, len(FIRST) + 5]


def test_empty_and_space_only_texts(kernel: object) -> None:
    table = WordTable(kernel, FIRST)
    for text in (b"", b" ", b"    "):
        ids, new, counts = table.number(text, [len(text)], 200)
        assert len(ids) == 0 and new == [] and counts == [0]


def test_the_built_kernel_refuses_wrong_arrays(built_kernel: SimpleNamespace) -> None:
    """Arguments are checked before the extension reads them as raw memory."""
    table = WordTable(built_kernel, FIRST)
    with pytest.raises(TypeError):
        built_kernel.number_words(
            np.zeros(3, np.int64), np.zeros(0, np.int64), table._slots, table._arena,
            table._starts, table._hashes, table._ids, table._state, table._out,
            np.zeros(0, np.int64),
        )  # fmt: skip


def test_a_long_text_reserves_room_for_a_part_of_it_only(kernel: object) -> None:
    """Room is kept for every word a call could add (one per two bytes): a 4 MB field of
    four distinct words grew the arrays to 68 MB, kept for the worker's life. A long text
    is numbered in parts cut at spaces, with the same ids, new words and counts."""
    table = WordTable(kernel, FIRST)
    text = b"the harbour storm came twice " * 140_000
    ids, new, counts = table.number(text, [len(text) // 3 + 1, len(text) + 1], 200)
    assert new == ["harbour", "storm", "came", "twice"]
    assert ids.tolist() == [FIRST.index("the"), 200, 201, 202, 203] * 140_000
    assert counts == [len(text[: len(text) // 3 + 1].split()), len(ids)]
    arrays = (table._slots, table._arena, table._starts, table._hashes, table._ids, table._out)
    assert sum(a.nbytes for a in arrays) < 8 << 20


@pytest.mark.parametrize("part", [1, 7, 64])
def test_texts_numbered_in_parts_match_a_dict(
    kernel: object, part: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of a few bytes (words longer than a part, runs of spaces, field ends at,
    inside and between parts): the ids a dict gives and the words before each end."""
    from articlebot.index.text import wordtable

    monkeypatch.setattr(wordtable, "PART", part)
    rng = random.Random(part)
    table = WordTable(kernel, FIRST)
    reference = DictNumbering()
    strings = list(FIRST)
    for text in _texts(rng, 40, 300):
        data = text.encode("latin-1")
        ends = sorted({rng.randint(0, len(data) + 1) for _ in range(rng.randint(0, 6))})
        ids, new, counts = table.number(data, ends, len(strings))
        strings += new
        assert ids.tolist() == [reference[w] for w in text.split(" ") if w]
        assert strings == list(reference)
        assert counts == [len(data[:end].split()) for end in ends]
