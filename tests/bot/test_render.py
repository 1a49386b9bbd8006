"""The reply builders against Discord's limits, with ordinary, empty and hostile input."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from articlebot.bot import limits, render
from articlebot.bot.embeds import payload, to_embed
from articlebot.bot.render import DISCORD, PLAIN, Reply
from articlebot.bot.render.answer import QUOTE_ROOM
from articlebot.index.posts.article import Article, Refusal
from articlebot.index.ranking.ask import Answer
from articlebot.index.results import Hit, IndexStats, ReindexReport, SearchResult, Snippet

HOSTILE = (
    "@everyone @here <@123> <@!123456789012345678> <@&5> **bold** __under__ ~~s~~ "
    "||spoiler|| `code` ```block``` > quote\n# Heading\n- item "
    "[click](https://evil.example) ](https://evil.example) "
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 "
    "عربي עברית 😀👨‍👩‍👧 \\ \x00\x07 "
)
LONG = HOSTILE * 200  # ~40,000 characters
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\x00-\x08]")


def article(n: int = 1, **changes) -> Article:
    values = dict(
        id=f"posts/post-{n}.md",
        path=f"posts/post-{n}.md",
        slug=f"post-{n}",
        title=f"Comet seen over the valley {n}",
        description="Amateur astronomers photographed the comet.",
        date=datetime(2021, 3, 20, 22, 5, tzinfo=UTC),
        categories=("latest", "science"),
        tags=("space", "comets"),
        author="Jane Doe",
        image="/img/comet.jpg",
        url=f"https://example.com/posts/post-{n}",
        body="Amateur astronomers photographed the comet above the valley.\n\n"
        "Its tail stretched across two degrees of sky.",
    )
    values.update(changes)
    return Article(**values)


def hostile_article(n: int = 1) -> Article:
    return article(
        n,
        id=LONG[:5000],
        slug=LONG[:300],
        title=LONG,
        description=LONG,
        categories=tuple(LONG[i : i + 500] for i in range(0, 5000, 500)),
        tags=(LONG,) * 50,
        author=LONG,
        image="javascript:alert(1)",
        url="https://example.com/posts/" + "a(b)" * 2000,
        body=LONG * 3,
    )


def hit(a: Article, text: str = "…photographed the comet above the valley…", marks=((18, 23),)):
    return Hit(a, 1.0, Snippet(text, marks))


def all_text(reply: Reply) -> str:
    parts = [reply.title, reply.description, reply.footer, reply.content]
    for name, value, _ in reply.fields:
        parts += [name, value]
    return "\n".join(parts)


def assert_safe(reply: Reply) -> None:
    """Within every Discord limit, no pings, nothing invisible, valid URLs."""
    problems = limits.validate_message_payload(payload(reply))
    assert problems == []
    text = all_text(reply)
    assert re.findall(r"@(?:everyone|here)|<@[!&]?\d+>", text) == []
    # The only invisible character left is the one escape puts after "@" to break mentions.
    assert INVISIBLE.search(text.replace("@\u200b", "@")) is None
    assert render.embed_size(reply) <= limits.EMBED_TOTAL
    if reply.has_embed:
        embed = to_embed(reply)
        assert embed is not None and len(embed) <= limits.EMBED_TOTAL


def unescaped(text: str, chars: str) -> list[str]:
    return re.findall(rf"(?<!\\)(?:\\\\)*[{re.escape(chars)}]", text)


# --- search ------------------------------------------------------------------------------


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


# --- listings ------------------------------------------------------------------------------


class TestLatest:
    def test_list(self):
        reply = render.latest_list([article(n) for n in range(1, 4)], category="science")
        assert reply.title == "Latest in “science”"
        assert reply.description.count("\n\n") == 2
        assert "**1. [Comet seen over the valley 1]" in reply.description
        assert_safe(reply)

    def test_empty(self):
        assert render.latest_list([]).content == "There are no articles yet."
        assert "“tv”" in render.latest_list([], category="tv").content

    def test_hostile(self):
        reply = render.latest_list([hostile_article(n) for n in range(10)], category=LONG)
        assert_safe(reply)


class TestCategories:
    def test_list(self):
        reply = render.categories_list([("tv", 12), ("science", 1)])
        assert reply.title == "Categories (2)"
        assert reply.description == "**tv** · 12 articles\n**science** · 1 article"
        assert "!latest <category>" in reply.footer

    def test_many(self):
        cats = [(f"category-{n}", n) for n in range(2000)]
        reply = render.categories_list(cats)
        assert "more" in reply.description.splitlines()[-1] or "… and" in reply.description
        assert_safe(reply)

    def test_hostile(self):
        assert_safe(render.categories_list([(LONG, 10**12)] * 100))

    def test_none(self):
        assert render.categories_list([]).content == "There are no categories yet."


class TestArticleCard:
    def test_ordinary(self):
        reply = render.article_card(article())
        assert reply.title == "Comet seen over the valley 1"
        assert reply.url == "https://example.com/posts/post-1"
        assert reply.image == "https://example.com/img/comet.jpg"
        names = [name for name, _, _ in reply.fields]
        assert names == ["Published", "Categories", "Tags", "Author"]
        assert "Its tail stretched" in reply.description
        # The description repeats the body's opening: it is shown once.
        assert reply.description.count("Amateur astronomers") == 1
        assert_safe(reply)

    def test_hostile(self):
        reply = render.article_card(hostile_article())
        assert_safe(reply)
        assert reply.image == ""  # javascript: is no image

    def test_empty_fields_are_left_out(self):
        reply = render.article_card(
            article(categories=(), tags=(), author="", image="", description="", body="")
        )
        assert [name for name, _, _ in reply.fields] == ["Published"]
        assert reply.footer == ""
        assert_safe(reply)

    def test_no_url(self):
        reply = render.article_card(article(url="not a url"))
        assert reply.url == "" and reply.image == ""
        assert "Read the article" not in reply.description

    def test_not_found(self):
        reply = render.article_not_found("@everyone `x`")
        assert reply.ephemeral
        assert_safe(reply)
        assert "`!search @\u200beveryone ˋxˋ`" in reply.content


# --- answers to questions ----------------------------------------------------------------


def answered(*sentences: str, confidence: float = 1.0, **changes) -> Answer:
    source = changes.pop("source", article())
    question = changes.pop("question", "When was the comet seen?")
    return Answer(question, sentences, source, confidence, False, **changes)


def declined(*related: Article, question: str = "Who won the election?") -> Answer:
    return Answer(question, (), None, 0.2, True, related)


class TestAnswerReply:
    def test_quoted_with_the_source(self):
        reply = render.answer_reply(
            answered("Amateur astronomers photographed the comet.", "Its tail was long.")
        )
        assert reply.title == "“When was the comet seen?”"
        quote, source = reply.description.split("\n\n")
        assert quote == "> Amateur astronomers photographed the comet. Its tail was long."
        assert source == (
            "Source: [Comet seen over the valley 1](https://example.com/posts/post-1) · 20 Mar 2021"
        )
        assert reply.footer == "" and reply.colour == render.BRAND
        assert not reply.ephemeral
        assert_safe(reply)

    def test_site_time_zone_and_undated(self):
        late = article(date=datetime(2021, 3, 20, 23, 30, tzinfo=UTC))
        reply = render.answer_reply(answered("x.", source=late), tz=ZoneInfo("Australia/Sydney"))
        assert reply.description.endswith("· 21 Mar 2021")
        undated = render.answer_reply(answered("x.", source=article(date=None)))
        assert undated.description.endswith("· undated")

    def test_low_confidence_says_so(self):
        reply = render.answer_reply(answered("Perhaps this.", confidence=0.62))
        assert reply.footer == render.UNSURE
        assert_safe(reply)

    def test_sentence_markdown_cannot_escape_the_quote(self):
        sentence = "> # **Breaking** @everyone [click](https://evil.example)\n- item `x`"
        reply = render.answer_reply(answered(sentence))
        quote = reply.description.split("\n\n")[0]
        assert quote.startswith("> \\>") and "\n" not in quote  # one line, its ">" escaped
        assert unescaped(quote[2:], "*_`[]") == []
        heading = render.answer_reply(answered("# Big news", "-# small print"))
        assert heading.description.startswith("> \\# Big news -# small print")
        assert "@\u200beveryone" in quote
        assert_safe(reply)

    def test_hostile_and_long(self):
        reply = render.answer_reply(
            answered(LONG, LONG, question=LONG, source=hostile_article(), confidence=0.0)
        )
        assert_safe(reply)
        assert reply.description.startswith("> ")
        quote, source = reply.description.split("\n\n", 1)
        assert "\n" not in quote and limits.length(quote) <= QUOTE_ROOM + 2
        assert source.startswith("Source: ")
        # Only our own link: none smuggled in through the title or the sentences.
        assert len(re.findall(r"(?<!\\)\]\(", reply.description)) <= 1
        assert limits.length(reply.title) <= limits.EMBED_TITLE

    def test_source_without_a_usable_url_is_not_linked(self):
        reply = render.answer_reply(answered("x.", source=article(url="javascript:alert(1)")))
        assert "Source: Comet seen over the valley 1 · 20 Mar 2021" in reply.description
        assert "](" not in reply.description

    def test_declined_offers_the_closest_articles(self):
        related = [article(n) for n in (1, 2, 1, 3, 4, 5)]  # one twice
        reply = render.answer_reply(declined(*related))
        lines = reply.description.splitlines()
        assert lines[0] == render.DECLINED == "I couldn't find that in the articles."
        assert lines[2] == "**Closest articles**"
        assert lines[3:] == [
            f"- [Comet seen over the valley {n}](https://example.com/posts/post-{n}) · 20 Mar 2021"
            for n in (1, 2, 3)
        ]
        assert reply.colour == render.ORANGE and reply.title == "“Who won the election?”"
        assert ">" not in reply.description  # nothing quoted
        assert_safe(reply)

    def test_declined_without_related_is_one_sentence(self):
        reply = render.answer_reply(declined())
        assert reply.description == render.DECLINED
        assert_safe(reply)

    def test_not_declined_but_nothing_to_quote_declines(self):
        empty = Answer("q?", ("  ",), article(), 0.9, False)
        assert render.answer_reply(empty).description == render.DECLINED

    def test_declined_hostile(self):
        reply = render.answer_reply(
            declined(*(replace(hostile_article(n), id=str(n)) for n in range(10)), question=LONG)
        )
        assert_safe(reply)
        assert reply.description.count("\n- ") == 3

    def test_console_style(self):
        text = render.to_text(
            render.answer_reply(answered("It was **seen** at [dusk].", confidence=0.7), style=PLAIN)
        )
        assert text.splitlines() == [
            "“When was the comet seen?”",
            "> It was **seen** at [dusk].",  # plain text: nothing to escape on a terminal
            "",
            "Source: Comet seen over the valley 1 <https://example.com/posts/post-1> · 20 Mar 2021",
            render.UNSURE,
        ]
        declined_text = render.to_text(render.answer_reply(declined(article()), style=PLAIN))
        assert "- Comet seen over the valley 1 <https://example.com/posts/post-1>" in declined_text


# --- help, admin, errors --------------------------------------------------------------------


class TestHelp:
    def test_discord(self):
        reply = render.help_reply(prefix="?", mention="@articlebot")
        assert "`?search cruise stunt`" in reply.description
        assert "`/search cruise stunt`" in reply.description
        assert "@articlebot cruise stunt" in reply.description
        assert "@articlebot who judged the cooking show?" in reply.description
        assert "`?ask how many takes did the motorbike stunt need?`" in reply.description
        assert [name for name, _, _ in reply.fields] == ["Search syntax", "For server managers"]
        assert_safe(reply)

    def test_console(self):
        text = render.to_text(render.help_reply(style=PLAIN, console=True))
        assert "search cruise stunt" in text and "quit" in text and "more" in text
        assert "ask how many takes did the motorbike stunt need?" in text
        assert "`" not in text and "/search" not in text

    def test_hostile_prefix_and_name(self):
        assert_safe(render.help_reply(prefix="`@everyone", mention=LONG))


class TestReindex:
    def test_report(self):
        report = ReindexReport(
            added=("a.md", "b.md"),
            updated=("c.md",),
            refused=(Refusal("bad.md", "the front matter is not valid YAML"),),
            skipped=(Refusal("draft.md", "draft"),),
            unchanged=40,
            total=43,
            seconds=0.4321,
        )
        reply = render.reindex_reply(report)
        assert reply.title == "Index updated"
        assert reply.description.splitlines() == [
            "43 articles · 2 added · 1 updated · 0 removed · 40 unchanged",
            "1 refused · 1 skipped (drafts, unpublished or duplicates)",
            "Took 0.4 s.",
        ]
        fields = {name: value for name, value, _ in reply.fields}
        assert fields["Added (2)"] == "a.md\nb.md"
        assert fields["Refused (1)"] == "bad.md — the front matter is not valid YAML"
        assert reply.colour == render.ORANGE
        assert_safe(reply)

    def test_huge_report(self):
        names = tuple(f"posts/{'x' * 50}-{n}.md" for n in range(10_000))
        report = ReindexReport(
            added=names,
            updated=names,
            removed=names,
            refused=tuple(Refusal(LONG[:300], LONG) for _ in range(1000)),
            total=10_000,
            full=True,
        )
        reply = render.reindex_reply(report)
        assert reply.title == "Index rebuilt"
        assert "more" in dict((n, v) for n, v, _ in reply.fields)["Added (10000)"]
        assert_safe(reply)

    def test_nothing_changed(self):
        reply = render.reindex_reply(ReindexReport(unchanged=5, total=5))
        assert reply.fields == () and reply.colour == render.GREEN


class TestStats:
    def test_stats(self):
        now = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
        stats = IndexStats(
            articles=43,
            categories=7,
            terms=1234,
            built_at=now - timedelta(hours=3, minutes=5),
            db_bytes=3 * 1024 * 1024 + 1,
            content_dir="/srv/content",
            refused=2,
        )
        reply = render.stats_reply(stats, queries_hour=4, queries_day=17, now=now)
        fields = {name: value for name, value, _ in reply.fields}
        assert fields["Articles"] == "43"
        assert fields["Index built"] == "3 hours ago (2 Jan 2024)"
        assert fields["Index size"] == "3.0 MB"
        assert fields["Searches"] == "4 in the last hour · 17 in the last day"
        assert fields["Refused files"] == "2"
        assert "/srv/content" not in all_text(reply)  # no server paths on Discord
        assert_safe(reply)

    def test_never_built(self):
        stats = IndexStats(0, 0, 0, None, 0, "")
        fields = {n: v for n, v, _ in render.stats_reply(stats, reindexing=True).fields}
        assert fields["Index built"] == "never built · reindexing now"
        assert fields["Index size"] == "0 bytes"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "1 second"), (1.0, "1 second"), (3.4, "4 seconds"), (59.9, "60 seconds")],
)
def test_cooldown_message(seconds, text):
    assert render.cooldown_message(seconds).endswith(f"try again in {text}.")


def test_error_reply():
    reply = render.error("x" * 5000)
    assert reply.ephemeral and not reply.has_embed
    assert_safe(reply)


class TestFinish:
    def test_cuts_an_overfull_reply(self):
        fields = tuple((LONG, LONG, False) for _ in range(40))
        reply = render.finish(Reply(title=LONG, description=LONG, fields=fields, footer=LONG))
        assert len(reply.fields) <= limits.EMBED_FIELDS
        assert render.embed_size(reply) <= limits.EMBED_TOTAL
        assert limits.validate_message_payload(payload(reply)) == []

    def test_empty_fields_are_dropped(self):
        reply = render.finish(Reply(title="t", fields=(("", "v", False), ("n", " ", True))))
        assert reply.fields == ()


def test_to_text():
    reply = Reply(
        title="T",
        url="https://x.org",
        description="D",
        fields=(("A", "1", True), ("B", "2", True), ("Long", "x\ny", False)),
        footer="F",
        content="C",
    )
    assert render.to_text(reply) == "C\nT\nhttps://x.org\nD\nA: 1 · B: 2\nLong\nx\ny\nF"


def test_index_sentences_keep_code_spans_but_not_their_markup() -> None:
    from articlebot.bot.render import DISCORD, sentence_with_code

    text = "I don't know the filter `**x**<@&1>:` — try category: or *tag:*."
    shown = sentence_with_code(text, DISCORD)
    assert shown.startswith("I don't know the filter `")
    code = shown.split("`")[1]
    assert "**x**" in code and "<@&1>" not in code  # literal inside code, mention broken
    assert "\\*tag:\\*" in shown  # prose is escaped
    unbalanced = sentence_with_code("a ` b", DISCORD)
    assert "\\`" in unbalanced
