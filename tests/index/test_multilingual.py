"""A small site in several languages (posts written for this test), end to end through the
real index: each language's posts are found by a piece of their text, the marks fall on
the matched characters, links stay apart, and "did you mean" works in every script."""

from __future__ import annotations

from pathlib import Path

import pytest

from articlebot.index import ArticleIndex, IndexConfig

# (path, title, body): the language comes from the folder, as on a Hexo or Hugo site.
POSTS = [
    ("ja/guide/setup.md", "灯台の設定",
     "港の灯台は毎晩八時に点灯します。霧の夜は汽笛も鳴らします。"),
    ("zh-cn/guide/setup.md", "灯塔设置", "港口的灯塔每晚八点亮起。起雾的夜里还会鸣笛。"),
    ("ko/guide/setup.md", "등대 설정",
     "항구의 등대는 매일 밤 여덟 시에 켜집니다. 안개가 낀 밤에는 경적을 울립니다."),
    ("th/guide/setup.md", "การตั้งค่าประภาคาร", "ประภาคารที่ท่าเรือเปิดไฟทุกคืนตอนสองทุ่ม"),
    ("ru/guide/setup.md", "Настройка маяка",
     "Маяк в гавани зажигается каждый вечер в восемь часов."),
    ("guide/setup.md", "Setting up the lighthouse", "The harbour lighthouse is lit at eight."),
]  # fmt: skip


@pytest.fixture
async def index(tmp_path: Path):
    content = tmp_path / "site"
    for rel, title, body in POSTS:
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
    config = IndexConfig(url_template="https://docs.example/{path}")
    idx = await ArticleIndex.open(tmp_path / "index.sqlite3", content, config)
    await idx.reindex()
    yield idx
    await idx.close()


@pytest.mark.parametrize(
    ("query", "expected", "marked"),
    [
        ("灯台", "ja/guide/setup.md", "灯台"),
        ("汽笛", "ja/guide/setup.md", "汽笛"),
        ("每晚八点", "zh-cn/guide/setup.md", "每晚八点"),
        ("경적", "ko/guide/setup.md", "경적"),
        ("등대는", "ko/guide/setup.md", "등대는"),
        ("ท่าเรือ", "th/guide/setup.md", "ท่าเรือ"),
        ("маяки", "ru/guide/setup.md", "Маяк"),  # another form of the word: Russian stems
    ],
)
async def test_each_language_is_found_by_a_piece_of_its_text(
    index: ArticleIndex, query: str, expected: str, marked: str
) -> None:
    result = await index.search(query)
    assert result.hits and result.hits[0].article.id == expected
    snippet = result.hits[0].snippet
    assert marked in [snippet.text[a:b] for a, b in snippet.marks]


async def test_languages_links_and_stats(index: ArticleIndex) -> None:
    articles = await index.articles(index.article_ids())
    assert {a.id: a.language for a in articles} == {
        "ja/guide/setup.md": "ja",
        "zh-cn/guide/setup.md": "zh",
        "ko/guide/setup.md": "ko",
        "th/guide/setup.md": "th",
        "ru/guide/setup.md": "ru",
        "guide/setup.md": "en",
    }
    urls = {a.url for a in articles}
    assert len(urls) == len(POSTS)  # six setup.md files, six links
    assert "https://docs.example/zh-cn/guide/setup" in urls
    stats = await index.stats()
    assert ("ja", "path", 1) in stats.languages and ("en", "detected", 1) in stats.languages


async def test_did_you_mean_in_other_scripts(index: ArticleIndex) -> None:
    result = await index.search("灯塔设")  # a piece no post has ...
    assert result.total >= 1  # ... still finds the post by its bigrams
    result = await index.search("Маякк")
    assert result.total == 0 and result.suggestion is not None
