"""`ask` in its prefix, slash and mention forms, through the Discord stand-in: the answer
quoted with its source, the plain decline with the closest articles, follow-ups in the
same channel, and every payload within Discord's limits and unable to ping.

One real bot (bot.app.create_bot over a real ArticleIndex of the posts in conftest) serves
the whole module; the ``audit`` fixture also checks every request each test caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from articlebot.bot import render
from articlebot.bot.answers import FOLLOW_UP_WINDOW, FollowUps
from articlebot.bot.limits import validate_message_payload
from tests.bot.conftest import E2E
from tests.bot.discord_standin import CHANNEL_MESSAGE, EPHEMERAL, message_text

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

QUESTION = "how many runners crossed the bridge?"
QUOTE = "> Nine thousand runners crossed the suspension bridge in the spring marathon."
SOURCE = "Source: [Marathon runners cross the bridge](http"
DATE = "· 2 Mar 2024"
MARATHON = "marathon_runners_cross_the_bridge.md"


def E2E_ENV(standin: Any) -> dict[str, str]:
    return {"ARTICLEBOT_PREFIX": "!"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A fresh follow-up memory per test (the bot is shared by the module), on a clock
    the test can move."""
    clock = Clock()
    monkeypatch.setattr(e2e.bot.answers, "follow_ups", FollowUps(clock=clock))
    yield clock


@pytest.fixture
def contexts(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The ``context_id`` of every question the bot puts to the index."""
    seen: list[str | None] = []
    real = e2e.index.ask

    async def ask(question: str, context_id: str | None = None) -> Any:
        seen.append(context_id)
        return await real(question, context_id)

    monkeypatch.setattr(e2e.index, "ask", ask)
    return seen


def assert_clean(message: dict[str, Any]) -> None:
    """Within Discord's limits, and no mention in it can ping anyone."""
    assert validate_message_payload(message) == []
    allowed = message["allowed_mentions"]
    assert allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles")
    assert not allowed.get("replied_user")


def description(message: dict[str, Any]) -> str:
    [embed] = message["embeds"]
    return embed["description"]


def assert_answered(message: dict[str, Any]) -> None:
    assert_clean(message)
    quote, source = description(message).split("\n\n")
    assert quote.startswith(QUOTE) and "\n" not in quote
    assert source.startswith(SOURCE) and source.endswith(DATE)


# --- the three forms -------------------------------------------------------------------


async def test_prefix_form(e2e: E2E) -> None:
    sent = await e2e.standin.send_message(f"!ask {QUESTION}", author=e2e.fresh_user())
    reply = await e2e.standin.wait_for_reply(sent)
    assert reply.status == 200
    assert str(reply.json["message_reference"]["message_id"]) == sent["id"]
    assert_answered(reply.json)
    [embed] = reply.json["embeds"]
    assert embed["title"] == f"“{QUESTION}”"
    assert "footer" not in embed  # a confident answer carries no hint
    await e2e.standin.wait_quiet(0.1)
    assert len(e2e.standin.replies_in(e2e.standin.channel_id, sent["_mark"])) == 1


async def test_slash_form(e2e: E2E) -> None:
    ref, callback, shown = await e2e.slash("ask", {"question": QUESTION})
    assert callback.status == 200 and callback.callback_type == CHANNEL_MESSAGE
    assert not (shown.get("flags") or 0) & EPHEMERAL
    assert_answered(callback.json["data"])
    await e2e.standin.wait_quiet(0.1)
    assert [r.route for r in e2e.standin.for_interaction(ref)] == ["interaction_callback"]


@pytest.mark.parametrize(
    "text",
    [
        QUESTION,
        "How many runners crossed the bridge",  # a question word, no question mark
        f"ask {QUESTION}",  # the command itself
    ],
)
async def test_mention_form(e2e: E2E, text: str) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(f"{bot_user.mention} {text}", mentions=(bot_user,))
    assert_answered(reply.json)


async def test_mention_with_words_still_searches(e2e: E2E, contexts: list[str | None]) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(f"<@!{bot_user.id}> runners bridge", mentions=(bot_user,))
    [embed] = reply.json["embeds"]
    assert embed["title"] == "Results for “runners bridge”"
    assert contexts == []  # not asked


async def test_help_lists_ask(e2e: E2E) -> None:
    reply = await e2e.ask("!help")
    assert "`!ask how many takes did the motorbike stunt need?`" in reply.text()


async def test_ask_is_a_slash_command_with_a_required_question(e2e: E2E) -> None:
    ask = next(c for c in e2e.standin.global_commands if c["name"] == "ask")
    [option] = ask["options"]
    assert (option["name"], option["type"], option["required"]) == ("question", 3, True)
    assert 1 <= len(ask["description"]) <= 100 and 1 <= len(option["description"]) <= 100


# --- declining -------------------------------------------------------------------------


async def test_decline_offers_the_closest_articles(e2e: E2E) -> None:
    reply = await e2e.ask("!ask when was the lighthouse built?")
    assert_clean(reply.json)
    lines = description(reply.json).splitlines()
    assert lines[0] == "I couldn't find that in the articles."
    assert lines[2] == "**Closest articles**"
    links = lines[3:]
    assert len(links) == 3
    assert all(line.startswith("- [Lighthouse keeper's log, week ") for line in links)
    assert not any(line.startswith(">") for line in lines)  # nothing loosely related quoted


async def test_decline_without_anything_close(e2e: E2E) -> None:
    _, callback, shown = await e2e.slash("ask", {"question": "who won the election in peru?"})
    assert_clean(callback.json["data"])
    assert description(shown) == render.DECLINED
    assert not (shown.get("flags") or 0) & EPHEMERAL  # an answer, not an error


async def test_decline_by_mention(e2e: E2E) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(
        f"{bot_user.mention} who is the new judge on the cooking show?", mentions=(bot_user,)
    )
    assert_clean(reply.json)
    text = description(reply.json)
    assert text.startswith(render.DECLINED) and "Cooking show returns" in text


# --- follow-ups ------------------------------------------------------------------------


async def test_follow_up_leans_on_the_previous_answer(
    e2e: E2E, contexts: list[str | None], clock: Clock
) -> None:
    first = await e2e.ask(f"!ask {QUESTION}")
    assert_answered(first.json)
    # A minute later someone follows up in the same channel, as a slash command.
    clock.now += 60
    _, callback, shown = await e2e.slash("ask", {"question": "how did the winner finish?"})
    assert_clean(callback.json["data"])
    follow_up = description(shown)
    assert follow_up.startswith("> The winner finished in two hours and eleven minutes.")
    assert "Marathon runners cross the bridge" in follow_up
    # ...and by mention, still within the window of the last answer.
    clock.now += FOLLOW_UP_WINDOW - 1
    bot_user = e2e.standin.bot_user
    third = await e2e.ask(f"{bot_user.mention} and the winner?", mentions=(bot_user,))
    assert_clean(third.json)
    assert contexts == [None, MARATHON, MARATHON]


async def test_no_follow_up_elsewhere_or_later(
    e2e: E2E, contexts: list[str | None], clock: Clock
) -> None:
    await e2e.ask(f"!ask {QUESTION}")
    # Another channel is another conversation.
    other = e2e.standin.other_channel_id
    sent = await e2e.standin.send_message(
        "!ask how did the winner finish?", author=e2e.fresh_user(), channel=other
    )
    assert_clean((await e2e.standin.wait_for_reply(sent)).json)
    # A declined question does not replace the article...
    await e2e.ask("!ask who won the election in peru?")
    # ...but after the window the channel starts afresh.
    clock.now += FOLLOW_UP_WINDOW + 1
    await e2e.ask("!ask how did the winner finish?")
    assert contexts == [None, None, MARATHON, None]


# --- hostile input ---------------------------------------------------------------------


async def test_quoted_sentence_with_everyone_cannot_ping(e2e: E2E) -> None:
    """The fete post says "@everyone and @here are invited … in <@&1234> and <@5678>"."""
    reply = await e2e.ask("!ask what are they invited to?")
    assert_clean(reply.json)
    text = description(reply.json)
    assert text.startswith("> @\u200beveryone and @\u200bhere are invited to the village fete")
    assert "<@&1234>" not in text and "<@5678>" not in text
    _, callback, _ = await e2e.slash("ask", {"question": "@everyone what are they invited to?"})
    assert_clean(callback.json["data"])


@pytest.mark.parametrize(
    "question",
    [
        "@everyone **how** <@&123> [x](https://evil.example) many runners crossed the bridge?",
        "```py\nimport os\n``` how many runners?",
        "how many \u202erunners\u200b crossed\x00 the bridge?",
        "🏝️" * 140 + "?",
        "> # why?",
    ],
)
async def test_hostile_questions(e2e: E2E, question: str) -> None:
    reply = await e2e.ask(f"!ask {question}")
    assert reply.status == 200
    assert_clean(reply.json)
    _, callback, shown = await e2e.slash("ask", {"question": question})
    assert callback.status == 200
    assert_clean(callback.json["data"])
    assert message_text(shown).strip()


async def test_empty_and_long_questions_are_one_sentence(e2e: E2E) -> None:
    missing = await e2e.ask("!ask")
    assert missing.json["content"] == "Usage: `!ask <question>`"
    _, callback, shown = await e2e.slash("ask", {"question": "   "})
    assert shown["flags"] & EPHEMERAL and "For example: `!ask" in shown["content"]
    _, callback, shown = await e2e.slash("ask", {"question": "why " * 500})
    assert shown["flags"] & EPHEMERAL and "too long" in shown["content"]
    assert_clean(callback.json["data"])
    long = await e2e.ask("!ask " + "why " * 500)
    assert "too long" in long.json["content"]
    assert_clean(long.json)
