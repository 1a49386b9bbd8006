"""Hostile and broken input through the whole stack (gateway, discord.py's parsing, the bot,
the index, REST): every message gets a clear reply or deliberate silence, never a
traceback, a crash, a payload Discord would refuse, or a ping; and the bot keeps answering.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import E2E, Audit
from tests.bot.discord_standin import EPHEMERAL, message_text

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

INTERNAL = "Something went wrong on my side"

HOSTILE_QUERIES = {
    "huge": "lighthouse " * 800,
    "huge-word": "x" * 5000,
    "markdown": "**lighthouse** __fog__ `horn` ||spoiler|| > quote [link](https://evil.example)",
    "mentions": "@everyone @here <@123456789012345678> <@&123456789012345678> lighthouse",
    "unknown-filter": "colour:blue lighthouse",
    "bad-date": "after:2020-13-45 lighthouse",
    "only-operators": '-"" -- "" : ::',
    "unbalanced-quote": '"lighthouse fog',
    "zero-width": "light\u200bhouse\u202e",
    "emoji": "🏝️" * 300,
    "regex-ish": ".*+?[(]{}\\",
    "code-fence": "```py\nimport os\n```",
    "newlines": "lighthouse\n\n\n\nfog",
    "sql": "'; DROP TABLE articles; --",
    "nul": "light\x00house",
}


def assert_clear(text: str) -> None:
    assert text.strip(), "an empty reply"
    assert INTERNAL not in text, text[:300]


@pytest.mark.parametrize("name", sorted(HOSTILE_QUERIES))
async def test_hostile_search_prefix(e2e: E2E, name: str) -> None:
    reply = await e2e.ask(f"!search {HOSTILE_QUERIES[name]}"[:4000])
    assert reply.status == 200
    assert_clear(reply.text())


@pytest.mark.parametrize("name", sorted(HOSTILE_QUERIES))
async def test_hostile_search_slash(e2e: E2E, name: str) -> None:
    _, callback, shown = await e2e.slash("search", {"query": HOSTILE_QUERIES[name]})
    assert callback.status == 200
    assert_clear(message_text(shown))


@pytest.mark.parametrize(
    "content",
    [
        "!search",  # missing argument
        "!search    ",
        "!article",
        "!latest nosuchcategory",
        "!latest 0",
        "!latest 99",
        "!latest -3",
        "!latest sports lots",
        "!latest sports 3 extra words",
        "!article zzzz nothing like this qqqq",
        "!article " + "word " * 500,
        "!categories with arguments",
        "!help me please",
        "!SEARCH lighthouse",  # case-insensitive commands
        "!search @everyone",
        '!search "unclosed',
        "!reindex now please",  # a plain member: refusal, not a crash
        "!stats --verbose",
        "!sync everything",
    ],
)
async def test_broken_commands_get_a_clear_reply(e2e: E2E, content: str) -> None:
    reply = await e2e.ask(content)
    assert reply.status == 200
    assert_clear(reply.text())


@pytest.mark.parametrize(
    "content",
    [
        "!nosuchcommand",
        "!",
        "!!!",
        "!?",
        "hello everyone, nothing for the bot here",
        "",
        "<@123> search lighthouse",  # mentions someone else
    ],
)
async def test_deliberate_silence(e2e: E2E, content: str) -> None:
    sent = await e2e.standin.send_message(content, author=e2e.fresh_user())
    await e2e.standin.wait_quiet(0.3)
    assert not e2e.standin.replies_in(e2e.standin.channel_id, sent["_mark"])
    # ...and it still answers.
    assert "search" in (await e2e.ask("!help")).text()


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("search", {"query": ""}),
        ("latest", {"count": 0}),
        ("latest", {"count": 11}),
        ("latest", {"category": "no such thing", "count": 3}),
        ("latest", {"category": "x" * 300}),
        ("article", {"title": "@everyone"}),
        ("article", {"title": "   "}),
    ],
)
async def test_hostile_slash_options(e2e: E2E, command: str, options: dict[str, Any]) -> None:
    _ref, callback, shown = await e2e.slash(command, options)
    assert callback.status == 200
    text = message_text(shown)
    assert_clear(text)
    if callback.callback_type == 4 and not shown.get("embeds"):
        assert shown["flags"] & EPHEMERAL, "an error sentence should be ephemeral"


async def test_stale_slash_definition_is_answered(e2e: E2E, audit: Audit) -> None:
    """Discord still has an older definition of /search (no ``query``), as after an upgrade
    before anyone ran !sync: the user gets an ephemeral answer, and the bot goes on."""
    audit.error_logs_ok = True  # judged separately below
    _, callback, shown = await e2e.slash("search", {})
    assert callback.status == 200
    assert shown["flags"] & EPHEMERAL
    assert message_text(shown).strip()
    assert "Lighthouse" in (await e2e.ask("!search lighthouse")).text()


async def test_stale_slash_definition_says_what_to_do(e2e: E2E, audit: Audit) -> None:
    audit.error_logs_ok = True
    _, _, shown = await e2e.slash("search", {})
    assert INTERNAL not in message_text(shown)


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\x00"])
async def test_invisible_characters_inside_a_word_do_not_hide_it(e2e: E2E, invisible: str) -> None:
    reply = await e2e.ask(f"!search light{invisible}house")
    assert "Lighthouse keeper" in reply.text()


async def test_autocomplete_with_hostile_text(e2e: E2E) -> None:
    for typed in ("", "x" * 200, "@everyone", "\u202e", ".*"):
        for command, option in (("latest", "category"), ("article", "title")):
            ref = await e2e.standin.autocomplete(
                command, {option: typed}, focused=option, user=e2e.fresh_user()
            )
            callback = await e2e.standin.wait_for_callback(ref)
            assert callback.status == 200
            assert len(callback.json["data"]["choices"]) <= 25


async def test_cooldown_is_a_clear_answer(e2e: E2E) -> None:
    """The per-user rate limit answers with a sentence, not silence or an error."""
    user = e2e.fresh_user()
    texts = [(await e2e.ask("!categories", user=user)).text() for _ in range(7)]
    assert "going a little fast" in texts[-1]
    assert all(t.strip() for t in texts)


async def test_still_answering_after_all_that(e2e: E2E) -> None:
    assert "Lighthouse keeper" in (await e2e.ask("!search lighthouse")).text()
    assert not e2e.bot.is_closed()
