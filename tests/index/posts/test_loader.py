"""The loader against hand-written posts that carry every quirk real sites have."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.bot.settings import BUNDLED_CONTENT
from articlebot.index import PostError
from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article, Refusal
from articlebot.index.posts.folder import POST_SUFFIXES, post_sort_key, read_post_bytes, scan_folder
from articlebot.index.posts.loader import _controls, parse_or_skip, parse_post
from tests.sample_posts import index_folder

POSTS = Path(__file__).parent / "fixtures" / "posts"
CONFIG = IndexConfig(
    site_timezone="Europe/London", url_template="https://news.example.com/{year}/{slug}"
)


def load(rel_id: str, config: IndexConfig = CONFIG) -> Article:
    article = parse_post((POSTS / rel_id).read_bytes(), rel_id, config)
    assert article is not None
    return article


def parse(text: str, rel_id: str = "post.md", config: IndexConfig = CONFIG) -> Article:
    article = parse_post(text.encode(), rel_id, config)
    assert article is not None
    return article


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# --------------------------------------------------------------------------- recovery


def test_tab_indented_value_is_recovered() -> None:
    article = load("tab_indented_value.md")
    assert article.title == "Keeper of the northern lighthouse retires after 41 years"
    assert article.image == "https://img.example.org/lighthouse.jpg"
    assert article.categories == ("latest", "news")
    assert any("not valid YAML" in w for w in article.warnings)


def test_value_starting_with_entity_is_recovered_and_unescaped() -> None:
    article = load("entity_start.md")
    assert article.title == "'We were lucky' says ferry captain after engine fire"
    assert article.description == '"Nobody panicked," said Captain Ruiz.'
    assert article.warnings


def test_value_going_on_after_closing_quote_is_kept_whole() -> None:
    article = load("quote_then_more.md")
    assert article.title == '"Quiet Harbour" wins the festival prize in Lisbon'
    assert article.warnings


def test_unquoted_colon_inside_value() -> None:
    article = load("colon_in_value.md")
    assert article.title == "Exclusive: the bakery that opens at 3am"
    assert article.description == "Update: it now also sells soup"


def test_value_cut_at_hash_comes_back_whole() -> None:
    article = load("hash_in_title.md")
    assert article.title == "Why #SaveTheOwls trended for a week"
    assert article.description == "Volunteers counted 312 owls #wildlife"
    assert len(article.warnings) == 2


def test_text_fields_are_cleaned_and_labels_deduplicated() -> None:
    article = load("messy_text_fields.md")
    assert article.title == "Café owner wins baking award & a trip"
    assert article.description == "She baked 2,000 croissants – in one week."
    assert article.author == "Jo Marsh"
    assert article.categories == ("latest", "food", "news")
    assert article.tags == ("pastry", "awards")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("rel_id", "expected"),
    [
        ("dates/unix_timestamp.md", utc(2020, 9, 7, 15, 37, 51)),
        ("dates/offset_string.md", utc(2014, 2, 24, 12)),
        ("dates/dotted.md", utc(2017, 8, 12, 23)),  # midnight in London (BST)
        ("tab_indented_value.md", utc(2018, 3, 2, 9, 15)),  # GMT in March
        ("hash_in_title.md", utc(2020, 9, 10, 9, 10, 10)),  # BST in September
        ("toml_post.md", utc(2020, 9, 15, 6, 30)),  # TOML datetime with +02:00
        ("2019-07-21-moon-walk-anniversary.md", utc(2019, 7, 20, 23)),  # from the name
        ("undated.md", None),
    ],
)
def test_dates(rel_id: str, expected: datetime | None) -> None:
    article = load(rel_id)
    assert article.date == expected
    assert not any(w.startswith("date") for w in article.warnings)


def test_unreadable_date_warns_and_falls_back_to_file_name() -> None:
    named = load("dates/2019-05-04-bad-date-with-name.md")
    assert named.date == utc(2019, 5, 3, 23)
    assert "file name" in named.warnings[0]
    unnamed = load("dates/bad_date.md")
    assert unnamed.date is None
    assert "no date" in unnamed.warnings[0]


# --------------------------------------------------------------------------- fields


def test_jekyll_name_gives_slug_and_string_category() -> None:
    article = load("2019-07-21-moon-walk-anniversary.md")
    assert article.slug == "moon-walk-anniversary"
    assert article.categories == ("science",)
    assert article.url == "https://news.example.com/2019/moon-walk-anniversary"


def test_toml_front_matter() -> None:
    article = load("toml_post.md")
    assert article.title == "Alpine rail pass sells out in two days"
    assert article.categories == ("latest", "travel")
    assert article.tags == ("rail", "alps")
    assert article.body == "All 5,000 passes were sold by Wednesday."


def test_folded_title_false_description_and_empty_lists() -> None:
    article = load("folded_title.md")
    assert article.title == "A title folded over two lines"
    assert article.description == ""
    assert article.featured is True  # 'yes'
    assert (article.image, article.categories, article.tags) == ("", (), ())
    assert article.url == "https://news.example.com/folded_title"  # no date: no empty segment


def test_language_names_and_codes() -> None:
    assert load("german_post.md").language == "de"
    assert load("spanish_language_key.md").language == "es"
    assert load("undated.md").language == "en"
    assert parse("---\ntitle: x\nlang: Klingon\n---\n").language == "en"
    assert parse("---\ntitle: x\nlanguage: Русский\n---\n").language == "ru"
    assert parse("---\ntitle: x\nlang: DE_at\n---\n").language == "de"


def test_slug_and_urls() -> None:
    assert load("slug_post.md").slug == "my-custom-slug"
    assert load("slug_post.md").url == "https://news.example.com/2020/my-custom-slug"
    assert load("permalink_post.md").url == "https://news.example.com/specials/2020/own-address/"
    absolute = parse("---\ntitle: x\nurl: https://other.example/x\n---\n")
    assert absolute.url == "https://other.example/x"


def test_url_template_placeholders() -> None:
    config = IndexConfig(url_template="https://s.example/{category}/{year}/{month}/{day}/{slug}")
    article = parse("---\ntitle: x\ndate: 2020-09-07\ncategories: [tv]\n---\n", "a b.md", config)
    assert article.url == "https://s.example/tv/2020/09/07/a%20b"
    assert parse("---\ntitle: x\n---\n", "p.md", IndexConfig()).url == (
        "https://example.com/posts/p"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("'yes'", True), ("1", True), ("false", False), ("no", False), ("", False)],
)
def test_featured(value: str, expected: bool) -> None:
    assert parse(f"---\ntitle: x\nfeatured: {value}\n---\n").featured is expected


def test_missing_title_comes_from_slug_or_heading() -> None:
    article = load("no_title_here.md")
    assert article.title == "No title here"
    assert "no title" in article.warnings[0]
    bare = load("no_front_matter.md")
    assert bare.title == "Just Markdown"
    assert bare.body == "Just Markdown\n\nNo front matter at all."


def test_empty_body_is_indexed_by_metadata() -> None:
    article = load("empty_body.md")
    assert article.body == ""
    assert article.title == "Headline only"


def test_id_path_and_body() -> None:
    article = load("nested/UPPER.MARKDOWN")
    assert (article.id, article.path, article.slug) == (
        "nested/UPPER.MARKDOWN",
        "nested/UPPER.MARKDOWN",
        "UPPER",
    )


# --------------------------------------------------------------------------- encodings


def test_crlf_and_bom() -> None:
    article = load("crlf_bom.md")
    assert article.title == "Windows line endings"
    assert article.date == utc(2020, 2, 2, 10)  # GMT in February
    assert article.body == "First paragraph.\n\nSecond paragraph."


def test_cp1252_is_read_with_a_warning() -> None:
    article = load("cp1252_post.md")
    assert article.title == "Café prices rise by €2"
    assert article.body == "The naïve “espresso” costs more."
    assert "cp1252" in article.warnings[0]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("rel_id", "reason"),
    [
        ("garbage.md", "binary"),
        ("list_front_matter.md", "is a list"),
        ("unclosed.md", "never closed"),
        ("unrecoverable.md", "could not be recovered"),
    ],
)
def test_unreadable_posts_raise_post_error(rel_id: str, reason: str) -> None:
    with pytest.raises(PostError, match=reason):
        parse_post((POSTS / rel_id).read_bytes(), rel_id, CONFIG)


def test_drafts_and_unpublished_are_none() -> None:
    assert parse_or_skip((POSTS / "draft_post.md").read_bytes(), "d.md", CONFIG) == "draft"
    unpublished = (POSTS / "unpublished_post.md").read_bytes()
    assert parse_or_skip(unpublished, "u.md", CONFIG) == "unpublished"
    assert parse_post(unpublished, "u.md", CONFIG) is None
    assert parse_post(b"---\ntitle: x\ndraft: 'true'\n---\n", "d.md", CONFIG) is None


def test_missing_file_and_empty_file() -> None:
    with pytest.raises(PostError, match="cannot read"):
        read_post_bytes(str(POSTS), "not-there.md", 1 << 20)
    with pytest.raises(PostError, match="empty"):
        parse_post(b"  \n", "e.md", CONFIG)
    with pytest.raises(PostError, match="neither"):
        parse_post(b"---\n---\n", "e.md", CONFIG)


# --------------------------------------------------------------------------- folders


def test_the_scan_skips_hidden_and_other_files() -> None:
    found = sorted(scan_folder(os.path.realpath(POSTS)).posts, key=post_sort_key)
    assert "nested/UPPER.MARKDOWN" in found
    assert not any(part.startswith(".") for f in found for part in f.split("/"))
    assert "notes.txt" not in found
    assert found.index("copy_me.md") < found.index("copy_me 2.md")
    assert all(f.lower().endswith(POST_SUFFIXES) for f in found)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_whole_folder(workers: int, tmp_path: Path) -> None:
    articles, report = index_folder(POSTS, tmp_path / "i.sqlite3", CONFIG, workers=workers)
    refused = list(report.refused)
    assert refused == [
        Refusal("garbage.md", "file is binary (it contains NUL bytes), not Markdown text"),
        Refusal("list_front_matter.md", "front matter is a list, not 'key: value' lines"),
        Refusal("unclosed.md", refused_reason(refused, "unclosed.md")),
        Refusal("unrecoverable.md", refused_reason(refused, "unrecoverable.md")),
    ]
    assert list(report.skipped) == [
        Refusal("copy_me 2.md", "identical copy of copy_me.md"),
        Refusal("draft_post.md", "draft"),
        Refusal("unpublished_post.md", "unpublished"),
    ]
    ids = [a.id for a in articles]
    total = len(scan_folder(os.path.realpath(POSTS)).posts)
    assert len(ids) == total - len(refused) - len(report.skipped) == 26
    assert "copy_me.md" in ids and "copy_me 2.md" not in ids


def refused_reason(refused: list[Refusal], path: str) -> str:
    return next(r.reason for r in refused if r.path == path)


# --------------------------------------------------------------------------- content/


def test_bundled_sample_posts_load_with_their_quirks(tmp_path: Path) -> None:
    config = IndexConfig(site_timezone="Europe/London")
    articles, report = index_folder(BUNDLED_CONTENT, tmp_path / "i.sqlite3", config)
    assert report.refused == ()
    assert [s.reason for s in report.skipped] == ["draft"]
    assert 14 <= len(articles) <= 15
    by_title = {a.title: a for a in articles}
    assert "The Midnight Kitchen #3 final crowns a pastry chef from Leeds" in by_title
    assert "Battery startup Voltwren raises £38m to build its first factory" in by_title
    assert {a.language for a in articles} == {"en", "de"}
    assert any(a.tags == ("marathon", "running", "records") for a in articles)
    jekyll = next(a for a in articles if a.id.startswith("2020-09-18-"))
    assert jekyll.date == utc(2020, 9, 17, 23)
    assert jekyll.slug == "harbour_seals_return_to_the_ennis_estuary_in_record_numbers"
    for article in articles:
        assert article.date is not None and article.categories[0] == "latest"
        assert 150 <= len(article.body.split()) <= 400, article.id


def test_a_file_of_control_characters_is_refused_a_few_are_kept() -> None:
    post = "---\ntitle: Noise\n---\n" + "Words of a post, written plainly. " * 20
    with pytest.raises(PostError, match="looks binary"):
        parse_post((post + "\x01\x02\x7f" * 40).encode(), "n.md", CONFIG)
    kept = parse_post((post + "\x01\x1b\x7f").encode(), "n.md", CONFIG)
    assert kept is not None and kept.title == "Noise"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_control_characters_counted_as_the_pattern_says(text: str) -> None:
    assert _controls(text) == len(re.findall(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text))
