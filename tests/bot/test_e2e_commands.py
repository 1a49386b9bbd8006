"""Every command in its prefix, slash and mention forms, judged by what articlebot sent.

One real bot (bot.app.create_bot over a real ArticleIndex) serves the whole module through
the Discord stand-in; the ``audit`` fixture checks every payload each test caused against
Discord's limits (bot.limits.validate_message_payload) and for pings, tracebacks and
unescaped @everyone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import E2E
from tests.bot.discord_standin import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    message_text,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

COMMANDS = {"search", "ask", "latest", "categories", "article", "help", "reindex", "stats"}


def E2E_ENV(standin: Any) -> dict[str, str]:
    return {"ARTICLEBOT_PREFIX": "!"}


def embed_of(message: dict[str, Any]) -> dict[str, Any]:
    [embed] = message["embeds"]
    return embed


# (prefix text, slash command, slash options, what the answer must contain)
FORMS = [
    ("search lighthouse", "search", {"query": "lighthouse"}, "Lighthouse keeper"),
    (
        "ask how many runners crossed the bridge?",
        "ask",
        {"question": "how many runners crossed the bridge?"},
        "Nine thousand runners",
    ),
    ("latest", "latest", {}, "Tell"),
    ("latest sports 2", "latest", {"category": "sports", "count": 2}, "Marathon runners"),
    ("categories", "categories", {}, "science"),
    ("article marathon runners", "article", {"title": "marathon runners"}, "Nine thousand"),
    ("help", "help", {}, "search"),
    ("stats", "stats", {}, "18"),
]


@pytest.mark.parametrize(("text", "command", "options", "expected"), FORMS)
async def test_prefix_form(
    e2e: E2E, text: str, command: str, options: dict[str, Any], expected: str
) -> None:
    sent = await e2e.standin.send_message(f"!{text}", author=e2e.fresh_user())
    reply = await e2e.standin.wait_for_reply(sent)
    assert reply.status == 200
    # A reply to the command message that does not ping its author.
    assert str(reply.json["message_reference"]["message_id"]) == sent["id"]
    assert reply.json["allowed_mentions"].get("replied_user") is False
    assert reply.json.get("embeds"), reply.json
    assert expected in reply.text()
    await e2e.standin.wait_quiet(0.1)
    assert len(e2e.standin.replies_in(e2e.standin.channel_id, sent["_mark"])) == 1


@pytest.mark.parametrize(("text", "command", "options", "expected"), FORMS)
async def test_slash_form(
    e2e: E2E, text: str, command: str, options: dict[str, Any], expected: str
) -> None:
    ref, callback, shown = await e2e.slash(command, options)
    assert callback.status == 200
    assert callback.callback_type == CHANNEL_MESSAGE
    assert not (shown.get("flags") or 0) & EPHEMERAL
    assert shown.get("embeds"), shown
    assert expected in message_text(shown)
    await e2e.standin.wait_quiet(0.1)
    # Exactly one answer: the callback, no stray follow-ups or channel messages.
    assert [r.route for r in e2e.standin.for_interaction(ref)] == ["interaction_callback"]


@pytest.mark.parametrize(("text", "command", "options", "expected"), FORMS)
async def test_mention_form(
    e2e: E2E, text: str, command: str, options: dict[str, Any], expected: str
) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(f"{bot_user.mention} {text}", mentions=(bot_user,))
    assert reply.json.get("embeds"), reply.json
    assert expected in reply.text()


async def test_mention_without_a_command_searches_or_answers(e2e: E2E) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(f"{bot_user.mention} lighthouse fog horn", mentions=(bot_user,))
    assert "Lighthouse keeper" in reply.text()
    question = await e2e.ask(
        f"{bot_user.mention} how many runners crossed the bridge?", mentions=(bot_user,)
    )
    assert "Nine thousand runners" in question.text()
    bare = await e2e.ask(f"<@!{bot_user.id}>", mentions=(bot_user,))
    assert "search" in bare.text()  # the help


async def test_reindex_slash_defers_then_follows_up(e2e: E2E) -> None:
    admin = e2e.standin.admin
    ref, callback, shown = await e2e.slash("reindex", user=admin, timeout=15)
    assert callback.callback_type == DEFERRED_CHANNEL_MESSAGE
    assert "Index" in message_text(shown)
    followups = [r for r in e2e.standin.for_interaction(ref) if r.route == "followup"]
    assert len(followups) == 1


async def test_reindex_prefix_types_then_replies(e2e: E2E) -> None:
    sent = await e2e.standin.send_message("!reindex", author=e2e.standin.admin)
    reply = await e2e.standin.wait_for_reply(sent, timeout=15)
    assert "Index updated" in reply.text() or "Index rebuilt" in reply.text()
    routes = [r.route for r in e2e.standin.requests_since(sent["_mark"])]
    assert "typing" in routes


async def test_owner_sync_publishes_every_command(e2e: E2E) -> None:
    reply = await e2e.ask("!sync global", user=e2e.standin.owner)
    upsert = [r for r in e2e.standin.requests_since(0) if r.route == "bulk_upsert_global"][-1]
    names = {c["name"] for c in upsert.json}
    assert names >= COMMANDS
    assert names == {c.name for c in e2e.bot.tree.get_commands()}
    for command in upsert.json:
        assert 1 <= len(command["description"]) <= 100
    assert f"Published {len(names)} slash commands" in reply.text()


async def test_sync_refused_for_others(e2e: E2E) -> None:
    mark = e2e.standin.mark()
    reply = await e2e.ask("!sync global", user=e2e.standin.admin)
    assert "owner" in reply.text()
    assert not e2e.standin.requests_since(mark, lambda r: r.route == "bulk_upsert_global")


@pytest.mark.parametrize(
    ("command", "option", "typed"),
    [("latest", "category", "s"), ("article", "title", "lighthouse"), ("article", "title", "")],
)
async def test_autocomplete_answers_type_8(e2e: E2E, command: str, option: str, typed: str) -> None:
    ref = await e2e.standin.autocomplete(
        command, {option: typed}, focused=option, user=e2e.fresh_user()
    )
    callback = await e2e.standin.wait_for_callback(ref)
    assert callback.status == 200
    assert callback.callback_type == AUTOCOMPLETE_RESULT
    choices = callback.json["data"]["choices"]
    assert 0 < len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice["name"]) <= 100 and 1 <= len(str(choice["value"])) <= 100


async def test_autocompleted_title_opens_that_article(e2e: E2E) -> None:
    ref = await e2e.standin.autocomplete(
        "article", {"title": "cooking"}, focused="title", user=e2e.fresh_user()
    )
    [choice] = (await e2e.standin.wait_for_callback(ref)).json["data"]["choices"]
    _, _, shown = await e2e.slash("article", {"title": choice["value"]})
    assert embed_of(shown)["title"].startswith("Cooking show returns")


async def test_article_with_everyone_cannot_ping(e2e: E2E) -> None:
    """The post's title and body say @everyone, @here and <@&1234>: shown, never pinging
    (the audit also checks no unescaped @everyone/@here is in any payload)."""
    reply = await e2e.ask("!article village fete")
    embed = embed_of(reply.json)
    assert "everyone" in embed["title"]
    assert reply.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    for text in (reply.text(),):
        assert "<@&1234>" not in text and "<@5678>" not in text

    found = await e2e.ask("!search fete lifeboat")
    assert "everyone" in found.text()
    _, _, shown = await e2e.slash("search", {"query": "village fete"})
    assert shown["allowed_mentions"]["parse"] == []
    assert "everyone" in message_text(shown)


def synced(e2e: E2E, name: str) -> dict[str, Any]:
    return next(c for c in e2e.standin.global_commands if c["name"] == name)


async def test_slash_definitions_give_discord_the_right_option_types(e2e: E2E) -> None:
    """What Discord's client shows: required text options where a value is required."""
    search = synced(e2e, "search")
    assert search["options"] == [
        {**search["options"][0], "type": 3, "name": "query", "required": True}
    ]
    assert synced(e2e, "article")["options"][0]["autocomplete"] is True
    assert synced(e2e, "latest")["options"][0] == {
        **synced(e2e, "latest")["options"][0],
        "type": 3,
        "name": "category",
        "autocomplete": True,
    }


async def test_latest_count_is_an_integer_option_from_1_to_10(e2e: E2E) -> None:
    count = synced(e2e, "latest")["options"][1]
    assert count["name"] == "count"
    assert (count["type"], count.get("min_value"), count.get("max_value")) == (4, 1, 10)
