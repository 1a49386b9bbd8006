"""Splitting, parsing and recovering front matter, straight from text."""

from __future__ import annotations

import pytest

from articlebot.index.posts.front_matter import (
    PostError,
    parse_front_matter,
    read_lines,
    split_front_matter,
)


def test_split_yaml_with_trailing_spaces_on_delimiters() -> None:
    fmt, raw, body = split_front_matter("---\ntitle: A \n--- \nBody\n")
    assert (fmt, raw, body) == ("yaml", "title: A \n", "Body\n")


def test_split_toml() -> None:
    fmt, raw, body = split_front_matter('+++\ntitle = "A"\n+++\nBody')
    assert (fmt, raw, body) == ("toml", 'title = "A"\n', "Body")


def test_split_without_front_matter_keeps_text() -> None:
    assert split_front_matter("# Heading\n\ntext") == ("", "", "# Heading\n\ntext")


def test_split_unclosed_block_is_an_error() -> None:
    with pytest.raises(PostError, match="never closed"):
        split_front_matter("---\ntitle: x\n\nno end")


def test_empty_front_matter_is_an_empty_mapping() -> None:
    assert parse_front_matter("---\n---\nBody") == ({}, "Body", [])


def test_toml_values_are_typed() -> None:
    meta, body, warnings = parse_front_matter(
        '+++\ntitle = "Rail"\ntags = ["a", "b"]\ndraft = false\n+++\nText'
    )
    assert meta == {"title": "Rail", "tags": ["a", "b"], "draft": False}
    assert (body, warnings) == ("Text", [])


def test_invalid_toml_is_refused() -> None:
    with pytest.raises(PostError, match="not valid TOML"):
        parse_front_matter("+++\ntitle = \n+++\nText")


@pytest.mark.parametrize(
    ("front", "key", "expected"),
    [
        ("title:\n\tTabbed onto the next line", "title", "Tabbed onto the next line"),
        ("title: &#039;Quoted&#039; by entity", "title", "&#039;Quoted&#039; by entity"),
        ('title: "Quoted" and then more', "title", '"Quoted" and then more'),
        ("title: Breaking: a colon inside", "title", "Breaking: a colon inside"),
    ],
)
def test_recovers_what_yaml_refuses(front: str, key: str, expected: str) -> None:
    meta, _, warnings = parse_front_matter(
        f"---\n{front}\ncategories: [latest, tv]\ntags:\n  - one\n  - two\nfeatured: true\n---\nB"
    )
    assert meta[key] == expected
    assert meta["categories"] == ["latest", "tv"]
    assert meta["tags"] == ["one", "two"]
    assert meta["featured"] is True
    assert len(warnings) == 1 and "not valid YAML (line " in warnings[0]


def test_line_reader_block_scalars_and_quotes() -> None:
    raw = "title: >-\n  folded\n  text\nnote: |\n  line one\n  line two\nq: 'it''s'\nempty:\n"
    assert read_lines(raw) == {
        "title": "folded text",
        "note": "line one\nline two",
        "q": "it's",
        "empty": None,
    }


def test_unrecoverable_yaml_is_refused_with_line() -> None:
    with pytest.raises(PostError, match=r"not valid YAML \(line \d+: .*could not be recovered"):
        parse_front_matter("---\n[not, {a mapping\n---\nBody")


def test_hash_cut_is_restored() -> None:
    meta, _, warnings = parse_front_matter(
        "---\ntitle: Is #MeToo the topic \ndescription: Count 3 #owls \nnote: kept # a comment\n"
        'quoted: "Q" # comment\n---\n'
    )
    assert meta["title"] == "Is #MeToo the topic"
    assert meta["description"] == "Count 3 #owls"
    assert meta["note"] == "kept # a comment"  # plain scalars are text on these sites
    assert meta["quoted"] == "Q"  # a quoted value really ends at its quote
    assert len(warnings) == 3


def test_value_that_is_all_hash_is_kept_for_text_keys() -> None:
    meta, _, warnings = parse_front_matter("---\ntitle: #1 hit of the summer\n---\n")
    assert meta["title"] == "#1 hit of the summer"
    assert warnings


@pytest.mark.parametrize(
    ("front", "message"),
    [("- a\n- b", "is a list"), ("just words", "single str")],
)
def test_front_matter_must_be_a_mapping(front: str, message: str) -> None:
    with pytest.raises(PostError, match=message):
        parse_front_matter(f"---\n{front}\n---\nBody")
