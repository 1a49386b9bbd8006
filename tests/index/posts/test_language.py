"""A post's language from each source in turn: front matter, path, site setting, detection."""

from __future__ import annotations

import pytest

from articlebot.index.config import IndexConfig
from articlebot.index.posts.language import code_of, detect, from_path, resolve
from articlebot.index.posts.loader import parse_post, site_path

ENGLISH = "The ferry crossed the bay twice before the storm closed the harbour for the night."
RUSSIAN = "Паром дважды пересёк залив, прежде чем шторм закрыл гавань на всю ночь до утра."
JAPANESE = "嵐が港を閉ざす前に、フェリーは湾を二度渡りました。夜の間はずっと閉じられていました。"


@pytest.mark.parametrize(
    ("value", "code"),
    [("de", "de"), ("pt-BR", "pt"), ("zh_CN", "zh"), ("Deutsch", "de"), ("русский", "ru"),
     ("", ""), (None, ""), (3, ""), ("not a language", "")],
)  # fmt: skip
def test_front_matter_values(value: object, code: str) -> None:
    assert code_of(value) == code


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("ja/docs/setup.md", "ja"),
        ("source/zh-cn/docs/index.md", "zh"),
        ("content/pt_BR/post.md", "pt"),
        ("posts/about.de.md", "de"),
        ("docs/setup.md", ""),  # "docs" is no language
        ("blog/italy-trip.md", ""),  # nor a word that starts like one
        ("it.md", ""),  # a file named like a code is not a folder or suffix
    ],
)
def test_languages_in_paths(path: str, code: str) -> None:
    assert from_path(path) == code


def test_detection_knows_scripts_and_declines_too_little_text() -> None:
    assert detect(ENGLISH) == "en"
    assert detect(RUSSIAN) == "ru"
    assert detect(JAPANESE) == "ja"
    assert detect("2020 ok") == ""


def test_sources_in_order() -> None:
    assert resolve("de", "ja/x.md", "fr", RUSSIAN) == ("de", "front matter")
    assert resolve(None, "ja/x.md", "fr", RUSSIAN) == ("ja", "path")
    assert resolve(None, "x.md", "fr", RUSSIAN) == ("fr", "site")
    assert resolve(None, "x.md", "", RUSSIAN) == ("ru", "detected")
    assert resolve(None, "x.md", "", "") == ("", "fallback")


def post(body: str, front: str = "title: A post") -> bytes:
    return f"---\n{front}\n---\n{body}\n".encode()


def test_a_loaded_post_records_its_language_and_where_it_came_from() -> None:
    config = IndexConfig()
    article = parse_post(post(RUSSIAN), "news/storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("ru", "detected")
    article = parse_post(post(ENGLISH), "ko/storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("ko", "path")
    article = parse_post(post(RUSSIAN), "storm.md", IndexConfig(site_language="en"))
    assert article is not None and (article.language, article.language_from) == ("en", "site")
    article = parse_post(post("", "title: 42"), "storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("en", "fallback")


def test_same_named_files_in_different_folders_get_different_links() -> None:
    config = IndexConfig(url_template="https://site.example/{lang}/{path}")
    a = parse_post(post(ENGLISH), "ja/docs/setup.md", config)
    b = parse_post(post(ENGLISH), "ko/docs/setup.md", config)
    c = parse_post(post(ENGLISH), "ko/docs/index.md", config)
    assert a is not None and b is not None and c is not None
    assert a.url == "https://site.example/ja/ja/docs/setup"
    assert b.url == "https://site.example/ko/ko/docs/setup"
    assert c.url == "https://site.example/ko/ko/docs"
    assert len({a.id, b.id, c.id}) == 3


@pytest.mark.parametrize(
    ("rel_id", "slug", "path"),
    [
        ("harbour_seals.md", "harbour_seals", "harbour_seals"),  # a flat folder: the slug
        ("_posts/2020-09-18-seals.md", "seals", "seals"),  # generator folders left out
        ("docs/_index.md", "_index", "docs"),  # Hugo: the folder's own page
        ("en/docs/index.md", "index", "en/docs"),
        ("index.md", "index", "index"),
    ],
)
def test_site_paths(rel_id: str, slug: str, path: str) -> None:
    assert site_path(rel_id, slug) == path
