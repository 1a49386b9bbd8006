""" "Did you mean" suggestions."""

from __future__ import annotations

import random
import string

from articlebot.index.text.suggest import Suggester

COUNTS = {
    "cruise": 120,
    "bruise": 3,
    "train": 300,
    "brain": 40,
    "chase": 80,
    "vaccine": 50,
    "vaccines": 20,
    "harbour": 12,
    "harbor": 2,
    "comet": 7,
}


def test_nearest_word() -> None:
    suggester = Suggester(COUNTS)
    assert suggester.suggest("cruize") == "cruise"
    assert suggester.suggest("vacine") == "vaccine"
    assert suggester.suggest("Harbuor") == "harbour"


def test_transposition_is_one_edit() -> None:
    # As plain Levenshtein both are two edits away and the frequent "crates" would win.
    assert Suggester({"cruise": 1, "crates": 50}).suggest("cruies") == "cruise"
    assert Suggester(COUNTS).suggest("rtain") == "train"  # first two letters swapped


def test_frequent_word_wins_a_tie() -> None:
    # "brain" and "train" are both one edit from "drain"; "train" is more common.
    assert Suggester(COUNTS).suggest("drain") == "train"
    assert Suggester({"train": 1, "brain": 9}).suggest("drain") == "brain"
    # Counts of words differing only in case add up.
    assert Suggester({"train": 5, "Brain": 3, "BRAIN": 3}).suggest("drain") == "brain"


def test_nothing_close() -> None:
    suggester = Suggester(COUNTS)
    assert suggester.suggest("xylophone") is None
    assert suggester.suggest("cruxxxe") is None  # three edits
    assert suggester.suggest("tv") is None  # too short to guess
    assert suggester.suggest("comt") == "comet"
    assert suggester.suggest("cmt") is None  # short words get one edit only
    assert suggester.suggest("2021") is None  # numbers are not typos
    assert suggester.suggest("train") is None  # already known
    assert Suggester({}).suggest("train") is None


def test_suggest_query_replaces_only_unknown_words() -> None:
    suggester = Suggester(COUNTS)
    known = {"tom", "cruise", "train", "chase"}.__contains__
    assert suggester.suggest_query(["tom", "cruize", "trian", "chase"], known) == (
        "tom cruise train chase"
    )
    assert suggester.suggest_query(["tom", "cruise"], known) is None
    assert suggester.suggest_query(["tom", "qqqqqq"], known) is None


def test_finds_typos_in_a_large_vocabulary() -> None:
    """A substitution in the third letter is always in reach (speed: bench/)."""
    rng = random.Random(1)
    letters = string.ascii_lowercase
    words = {"".join(rng.choices(letters, k=rng.randint(6, 12))) for _ in range(300_000)}
    suggester = Suggester({w: rng.randint(1, 1000) for w in words})
    for word in rng.sample(sorted(words), 20):
        typo = word[:2] + ("q" if word[2] != "q" else "z") + word[3:]
        found = suggester.suggest(typo)
        assert found is not None and sum(a != b for a, b in zip(found, typo, strict=False)) <= 2
