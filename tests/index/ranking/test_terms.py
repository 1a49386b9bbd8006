"""PackedTerms answers what the list of terms and the dict of their ids answered."""

from __future__ import annotations

import random

import numpy as np
import pytest

from articlebot.index.ranking.columns import sorted_order
from articlebot.index.ranking.terms import PackedTerms


def _terms(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdeéßжя日本-0123"
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))] = None
    return list(out)


def _packed(terms: list[str], stored_order: bool = True) -> PackedTerms:
    order = sorted_order(terms) if stored_order else None
    return PackedTerms("\n".join(terms).encode(), len(terms), order)


@pytest.mark.parametrize("stored_order", [True, False])
def test_every_term_is_found_at_its_id_and_others_are_not(stored_order: bool) -> None:
    terms = _terms(3000)
    packed = _packed(terms, stored_order)
    assert len(packed) == len(terms) and list(packed) == terms and packed == terms
    assert all(packed.ids.get(t) == i for i, t in enumerate(terms))
    assert all(packed[i] == t for i, t in enumerate(terms)) and packed[-1] == terms[-1]
    held = set(terms)
    for absent in [t + "z" for t in terms[:200]] + ["", "zzz", "a\nb"]:
        if absent not in held:
            assert packed.ids.get(absent) is None and absent not in packed.ids
    assert dict(packed.ids) == {t: i for i, t in enumerate(terms)}


def test_the_order_computed_when_absent_is_the_stored_one() -> None:
    terms = _terms(500, seed=3)
    assert (_packed(terms, False).order == sorted_order(terms)).all()
    # code point order and UTF-8 byte order agree, so a stored order made from str works
    assert [terms[i] for i in sorted_order(terms)] == sorted(terms)


def test_no_terms_and_odd_keys() -> None:
    empty = PackedTerms(b"", 0, np.zeros(0, np.int32))
    assert len(empty) == 0 and list(empty) == [] and empty.ids.get("a") is None
    one = _packed(["solo"])
    assert one.ids["solo"] == 0 and one.ids.get("\ud800") is None and 5 not in one.ids
    with pytest.raises(KeyError):
        one.ids["other"]
    with pytest.raises(IndexError):
        one[1]
    assert _packed(["a", "b"]) == ["a", "b"] and _packed(["a", "b"]) != "ab"  # no column


def test_a_damaged_file_is_refused() -> None:
    with pytest.raises(ValueError, match="stored strings"):
        PackedTerms(b"a\nb", 3)
    with pytest.raises(ValueError, match="order"):
        PackedTerms(b"a\nb", 2, np.array([0, 5], dtype=np.int32))
    with pytest.raises(ValueError, match="order"):
        PackedTerms(b"a\nb", 2, np.array([0], dtype=np.int32))
