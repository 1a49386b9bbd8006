"""The plain-lines reader gives exactly what PyYAML gives, or declines."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.index.posts import front_matter
from articlebot.index.posts.simple_yaml import read_simple


def _pyyaml(raw: str) -> Any:
    loader = front_matter._Loader(raw)
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _same_or_declined(raw: str) -> bool:
    """Whether the reader took ``raw``; when it did, PyYAML reads the same keys, in the
    same order, to equal values of the same types."""
    simple = read_simple(raw, front_matter._scalars())
    if simple is None:
        return False
    full = _pyyaml(raw)  # raises if the reader took what YAML refuses
    assert simple == full
    assert list(simple) == list(full)
    assert [type(v) for v in simple.values()] == [type(v) for v in full.values()]
    return True


@pytest.mark.parametrize(
    "raw",
    [
        "title: Zzzzz-zoomies! Santana the whippet  \ndate: 2020-09-08-10-42-07 \n",
        "categories: [latest, news] \nfeatured: true\ncount: 10\nnothing:\n",
        "date: 2020-09-08\nat: 2020-09-08 10:00:00\nratio: 1.5\nhex: 0x1f\nbad: 2020-02-30\n",
        "title: \"Quoted: yes\"\nname: 'it''s'\nempty: []\nnums: [1, 2, on]\n",
        "title: C# and F#, [video] {x} 100% a:b\n",
    ],
)
def test_common_front_matter_is_read_the_same(raw: str) -> None:
    assert _same_or_declined(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "title: a: b",  # a nested mapping, or an error
        "title: a #comment",
        "title: &anchor x\nother: *anchor",
        "tags:\n- a\n- b",
        "tags:\n  - a",
        "title: x\n  continued",
        "true: x",  # a boolean key
        'title: "esc\\u00e9"',
        "title: |\n  block",
        "title:\tx",
        "# comment\ntitle: x",
        "title: [a, b",
        "title: [a, [b]]",
        "title: -1",
        "<<: x",
        "",
    ],
)
def test_what_yaml_might_read_otherwise_is_declined(raw: str) -> None:
    assert read_simple(raw, front_matter._scalars()) is None


_PIECES = st.sampled_from(
    [*"ab Z09_-:#'\"[],{}!&*|>%@`?=~.<\t\\/é€\u00a0\u2028\x85\ufeff\x01", "true", "no",
     "null", "1", "0x1", "2020-01-02", "1.5", ": ", " #", "''", "yes", "On", "1_0", ".inf",
     "1:20", "\n", "\n  ", "\n- "]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["title", "a", "tags", "true", "null", "x_1", "on", "", "y"]),
            st.sampled_from([": ", ":", ":  ", " : ", ":\t"]),
            st.sampled_from(["", "[", '"', "'"]),
            st.lists(_PIECES, max_size=8).map("".join),
            st.sampled_from(["", "]", '"', "'", " ", "  "]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_lines_are_read_the_same_or_declined(
    lines: list[tuple[str, str, str, str, str]],
) -> None:
    _same_or_declined("\n".join("".join(parts) for parts in lines))
