"""A page of search results and its snippets."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from articlebot.bot import limits, render
from articlebot.bot.render import DISCORD, PLAIN
from articlebot.index.results import SearchResult, Snippet
from tests.bot.render.samples import (
    LONG,
    article,
    assert_safe,
    hit,
    hostile_article,
)


class TestSearchPage:
    def test_ordinary_page(self):
        hits = tuple(hit(article(n)) for n in range(6, 11))
        reply = render.search_page(SearchResult("comet", hits, 43, offset=5))
        assert reply.title == "Results for “comet”"
        assert reply.footer == "Page 2/9 · 43 results"
        assert "**6. [Comet seen over the valley 6](https://example.com/posts/post-6)**" in (
            reply.description
        )
        assert "20 Mar 2021 · latest, science" in reply.description
        assert "…photographed the **comet** above the valley…" in reply.description
        assert_safe(reply)

    def test_one_result(self):
        reply = render.search_page(SearchResult("comet", (hit(article()),), 1))
        assert reply.footer == "Page 1/1 · 1 result"

    def test_site_time_zone(self):
        late = article(date=datetime(2021, 3, 20, 23, 30, tzinfo=UTC))
        reply = render.search_page(
            SearchResult("comet", (hit(late),), 1), tz=ZoneInfo("Australia/Sydney")
        )
        assert "21 Mar 2021" in reply.description

    def test_undated(self):
        reply = render.search_page(SearchResult("x", (hit(article(date=None)),), 1))
        assert "undated" in reply.description

    def test_console_style(self):
        reply = render.search_page(SearchResult("comet", (hit(article()),), 1), style=PLAIN)
        assert "1. Comet seen over the valley 1 <https://example.com/posts/post-1>" in (
            reply.description
        )
        assert "[comet]" in reply.description
        assert "**" not in reply.description

    def test_nothing_matched_suggests(self):
        reply = render.search_page(SearchResult("comt", (), 0, suggestion="comet"))
        assert reply.title == "No results for “comt”"
        assert "Did you mean **comet**?" in reply.description
        assert "`!help`" in reply.description
        assert_safe(reply)

    def test_nothing_matched_without_suggestion(self):
        reply = render.search_page(SearchResult("zzz", (), 0), prefix="?")
        assert "Did you mean" not in reply.description
        assert "`?help`" in reply.description

    def test_page_past_the_end(self):
        reply = render.search_page(SearchResult("comet", (), 3, offset=10))
        assert "no more results" in reply.content
        assert reply.ephemeral

    def test_hostile_query_and_articles(self):
        hits = tuple(hit(hostile_article(n), LONG, ((0, 9), (40, 60))) for n in range(5))
        reply = render.search_page(SearchResult(LONG[:10_000], hits, 10**9))
        assert_safe(reply)
        # Only our own five links: no link smuggled in through a title.
        assert len(re.findall(r"(?<!\\)\]\(", reply.description)) <= 5
        assert re.search(r"(?<!\\)(?:\\\\)*\]\(https://evil", reply.description) is None

    def test_hostile_suggestion(self):
        assert_safe(render.search_page(SearchResult(LONG, (), 0, suggestion=LONG)))

    def test_empty_everything(self):
        empty = article(title="", description="", categories=(), body="", url="", slug="")
        reply = render.search_page(SearchResult("", (hit(empty, "", ()),), 1))
        assert_safe(reply)
        assert "posts/post-1.md" in reply.description  # falls back to the id

    def test_ten_thousand_character_query(self):
        reply = render.search_page(SearchResult("q" * 10_000, (hit(article()),), 1))
        assert limits.length(reply.title) <= limits.EMBED_TITLE
        assert_safe(reply)


class TestSnippet:
    def test_marks(self):
        snippet = Snippet("the cruise stunt was filmed", ((4, 10), (11, 16)))
        assert render.render_snippet(snippet, DISCORD) == "the **cruise** **stunt** was filmed"
        assert render.render_snippet(snippet, PLAIN) == "the [cruise] [stunt] was filmed"

    def test_matched_markdown_is_escaped(self):
        snippet = Snippet("a *b* c", ((2, 5),))
        assert render.render_snippet(snippet, DISCORD) == "a **\\*b\\*** c"

    def test_bad_marks_are_tolerated(self):
        snippet = Snippet("abcdef", ((4, 99), (-5, 2), (1, 3), (3, 3), (2, 1)))
        out = render.render_snippet(snippet, PLAIN)
        assert out == "[ab]c[d][ef]" or out.replace("[", "").replace("]", "") == "abcdef"

    def test_whitespace_at_mark_edges(self):
        snippet = Snippet("the comet rose", ((3, 10),))
        assert render.render_snippet(snippet, DISCORD) == "the **comet** rose"

    def test_cut_to_the_limit(self):
        text = "comet " * 1000
        marks = tuple((i * 6, i * 6 + 5) for i in range(1000))
        out = render.render_snippet(Snippet(text, marks), DISCORD, 100)
        assert limits.length(out) <= 100
        assert out.endswith("…")
        assert out.count("**") % 2 == 0  # no half-open bold

    def test_one_line(self):
        assert render.render_snippet(Snippet("a\nb\tc"), PLAIN) == "a b c"
