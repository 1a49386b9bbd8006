"""The commands' logic apart from Discord: searches, answers, follow-ups, the query log."""

from __future__ import annotations

from unittest.mock import AsyncMock

import pytest

from articlebot.bot import render
from articlebot.bot.answers import (
    FOLLOW_UP_WINDOW,
    FollowUps,
    QueryLog,
    looks_like_question,
)
from articlebot.index import (
    QueryError,
)


class TestAnswers:
    async def test_search_pages(self, answers, index):
        reply, result = await answers.search("  cruise   stunt ")
        assert result is not None and result.total == 12
        assert index.searches[-1] == ("cruise stunt", 5, 0)
        assert reply.footer == "Page 1/3 · 12 results"
        reply, _ = await answers.search("cruise stunt", page=2)
        assert index.searches[-1] == ("cruise stunt", 5, 10)
        assert reply.footer == "Page 3/3 · 12 results"

    async def test_only_new_searches_are_counted(self, answers):
        await answers.search("cruise")
        await answers.search("cruise", page=1)
        await answers.search("")
        assert answers.queries.counts() == (1, 1)

    async def test_empty_and_long_queries(self, answers, index):
        reply, result = await answers.search("   ")
        assert result is None and "`!search cruise stunt`" in reply.content
        reply, result = await answers.search("x" * 10_000)
        assert result is None and "too long" in reply.content
        assert index.searches == []

    async def test_query_error_is_one_escaped_sentence(self, answers):
        reply, result = await answers.search('"cruise')
        assert result is None and reply.ephemeral
        assert reply.content == 'Close the quote: "\\*phrase\\* <@\u200b&1>.'

    async def test_latest(self, answers):
        reply = await answers.latest("TV", 3)
        assert reply.title == "Latest in “tv”"  # the category's own spelling
        assert reply.description.count("\n\n") == 2

    async def test_latest_unknown_category(self, answers):
        reply = await answers.latest("@everyone", 3)
        assert reply.ephemeral
        assert "There is no category “@\u200beveryone”" in reply.content
        assert "latest, sports, tv" in reply.content or "tv" in reply.content

    @pytest.mark.parametrize("count", [0, 11, -1])
    async def test_latest_count_range(self, answers, count):
        assert (await answers.latest(None, count)).content == render.COUNT_RANGE

    async def test_article(self, answers):
        assert (await answers.article("post-3")).title == "Cruise stunt number 3"
        missing = await answers.article("nope")
        assert missing.ephemeral and "couldn't find" in missing.content

    async def test_stats_and_reindex(self, answers):
        stats = await answers.stats()
        assert dict((n, v) for n, v, _ in stats.fields)["Articles"] == "12"
        report = await answers.reindex()
        assert report.title == "Index updated"

    async def test_reindex_failure_is_a_sentence(self, answers, index):
        index.reindex = AsyncMock(side_effect=OSError("disk full"))
        reply = await answers.reindex()
        assert reply.ephemeral and "previous index is still in use" in reply.content


class TestAsk:
    async def test_answer_is_quoted_with_its_source(self, answers, index):
        reply = await answers.ask("  how did   post 3 end? ", channel=1)
        assert index.asked == [("how did post 3 end?", None)]
        assert reply.title == "“how did post 3 end?”"
        assert reply.description.startswith("> The cruise stunt was filmed on a moving train.")
        assert "Source: [Cruise stunt number 3](https://example.com/posts/post-3)" in (
            reply.description
        )
        assert answers.queries.counts() == (1, 1)

    async def test_declined(self, answers):
        reply = await answers.ask("who won the election?", channel=1)
        assert reply.description.startswith(render.DECLINED)
        assert reply.description.count("\n- ") == 3  # the closest three of four
        assert answers.follow_ups.get(1) is None

    async def test_empty_and_long_questions(self, answers, index):
        empty = await answers.ask("   ")
        assert (
            empty.ephemeral
            and "`!ask how many takes did the motorbike stunt need?`" in empty.content
        )
        long = await answers.ask("why " * 200)
        assert long.ephemeral and "too long" in long.content
        assert index.asked == []

    async def test_query_error_is_one_sentence(self, answers, index):
        index.ask = AsyncMock(side_effect=QueryError("Too **many** words."))
        reply = await answers.ask("why?")
        assert reply.ephemeral and reply.content == "Too \\*\\*many\\*\\* words."

    async def test_follow_up_in_the_same_channel_within_the_window(self, answers, index):
        now = [1000.0]
        answers.follow_ups = FollowUps(clock=lambda: now[0])
        await answers.ask("what happened in post 3?", channel=10)
        now[0] += FOLLOW_UP_WINDOW - 1
        reply = await answers.ask("what about the train?", channel=10)
        assert index.asked[-1] == ("what about the train?", "post-3.md")
        assert "Cruise stunt number 3" in reply.description
        # Another channel (or a DM) is another conversation.
        await answers.ask("what about the train?", channel=11)
        assert index.asked[-1][1] is None
        # A declined question keeps the last answer's article, and the clock of it.
        now[0] += 10
        await answers.ask("who won the election?", channel=10)
        assert index.asked[-1][1] == "post-3.md"
        assert answers.follow_ups.get(10) == "post-3.md"
        now[0] += FOLLOW_UP_WINDOW - 9  # the answer above (the follow-up) renewed it
        await answers.ask("and then?", channel=10)
        assert index.asked[-1][1] is None
        assert len(answers.follow_ups) == 0

    async def test_a_new_answer_replaces_the_context(self, answers, index):
        await answers.ask("post 3?", channel="dm-5")
        await answers.ask("post 7?", channel="dm-5")
        await answers.ask("and?", channel="dm-5")
        assert index.asked[-1][1] == "post-7.md"

    async def test_no_channel_no_follow_up(self, answers, index):
        await answers.ask("post 3?")
        await answers.ask("and?")
        assert index.asked[-1][1] is None and len(answers.follow_ups) == 0


class TestFollowUps:
    def test_bounded(self):
        follow_ups = FollowUps(limit=3, clock=lambda: 0.0)
        for channel in range(10):
            follow_ups.remember(channel, f"a{channel}")
        assert len(follow_ups) == 3
        assert [follow_ups.get(c) for c in (6, 7, 8, 9)] == [None, "a7", "a8", "a9"]

    def test_least_recent_goes_first(self):
        follow_ups = FollowUps(limit=2, clock=lambda: 0.0)
        follow_ups.remember(1, "a")
        follow_ups.remember(2, "b")
        follow_ups.remember(1, "c")  # channel 1 is now the most recent
        follow_ups.remember(3, "d")
        assert (follow_ups.get(1), follow_ups.get(2), follow_ups.get(3)) == ("c", None, "d")

    def test_expired_entries_are_dropped(self):
        now = [0.0]
        follow_ups = FollowUps(window=300.0, clock=lambda: now[0])
        for channel in range(100):
            now[0] = channel
            follow_ups.remember(channel, "x")
        now[0] = 350.0  # channels 0..49 answered more than 300 s ago
        assert follow_ups.get(50) == "x" and follow_ups.get(49) is None
        assert len(follow_ups) == 50
        assert follow_ups.get(None) is None
        follow_ups.remember(None, "ignored")
        assert len(follow_ups) == 50


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how many takes did the motorbike stunt need?", True),
        ("How many takes did the motorbike stunt need", True),
        ("what's the budget", True),
        ("Who judged the show", True),
        ("is the pharmacy open late", True),
        ("the motorbike stunt?", True),
        ("motorbike stunt ?  ", True),
        ("cruise stunt", False),
        ("island ferry", False),  # "is..." inside a word is not "is"
        ("howl at the moon", False),
        ("whatever", False),
        ("", False),
        ("category:tv who", False),
    ],
)
def test_looks_like_question(text, expected):
    assert looks_like_question(text) is expected


def test_query_log_windows():
    now = [0.0]
    log = QueryLog(clock=lambda: now[0])
    for t in (0.0, 100.0, 90_000.0 - 3000, 90_000.0 - 10):
        now[0] = t
        log.record()
    now[0] = 90_000.0
    assert log.counts() == (2, 2)  # the first two are more than a day old
