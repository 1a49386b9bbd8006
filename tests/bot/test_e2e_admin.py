"""Who may reindex: refused for plain members (politely, ephemerally for slash), allowed for
Manage Server, a configured admin role and a configured admin user; stats for everyone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import E2E, write_post
from tests.bot.discord_standin import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    DiscordStandin,
    message_text,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

NOT_ALLOWED = "only server managers and the bot's admins"
LIBRARIANS: dict[str, Any] = {}


def E2E_ENV(standin: DiscordStandin) -> dict[str, str]:
    """A "Librarians" role without Manage Server, configured as an admin role, and
    member2 configured as an admin user."""
    role_id = standin.add_role("Librarians")
    LIBRARIANS["role"] = role_id
    LIBRARIANS["user"] = standin.add_user("librarian", roles=(role_id,))
    return {
        "ARTICLEBOT_ADMIN_ROLE_IDS": str(role_id),
        "ARTICLEBOT_ADMIN_USER_IDS": str(standin.member2.id),
    }


async def test_plain_member_is_refused_by_prefix(e2e: E2E) -> None:
    mark = e2e.standin.mark()
    reply = await e2e.ask("!reindex", user=e2e.standin.member)
    assert NOT_ALLOWED in reply.text()
    await e2e.standin.wait_quiet(0.2)
    assert not e2e.standin.requests_since(mark, lambda r: r.route == "typing")
    assert not e2e.bot.index.reindexing


async def test_plain_member_is_refused_by_slash_ephemerally(e2e: E2E) -> None:
    _, callback, shown = await e2e.slash("reindex", user=e2e.standin.member)
    assert callback.callback_type == CHANNEL_MESSAGE  # refused before any deferral
    assert shown["flags"] & EPHEMERAL
    assert NOT_ALLOWED in message_text(shown)


async def test_plain_member_is_refused_by_mention(e2e: E2E) -> None:
    bot_user = e2e.standin.bot_user
    reply = await e2e.ask(
        f"{bot_user.mention} reindex", user=e2e.standin.member, mentions=(bot_user,)
    )
    assert NOT_ALLOWED in reply.text()


@pytest.mark.parametrize("who", ["admin", "member2", "librarian"])
async def test_admins_may_reindex(e2e: E2E, who: str) -> None:
    """Manage Server (role), a configured admin user id and a configured admin role id."""
    user = LIBRARIANS["user"] if who == "librarian" else getattr(e2e.standin, who)
    reply = await e2e.ask("!reindex", user=user, timeout=15)
    assert "Index updated" in reply.text() or "Index rebuilt" in reply.text()


async def test_reindex_picks_up_a_new_post(e2e: E2E) -> None:
    write_post(
        e2e.content,
        "ferry_timetable_changes.md",
        "Ferry timetable changes for the summer",
        "2024-04-01-06-00-00",
        "travel",
        "The island ferry adds an early crossing at six and a late one at eleven.",
    )
    try:
        before = await e2e.ask("!search ferry timetable")
        assert "Ferry timetable" not in before.text()
        _ref, callback, shown = await e2e.slash("reindex", user=e2e.standin.admin, timeout=15)
        assert callback.callback_type == DEFERRED_CHANNEL_MESSAGE
        assert "1 added" in message_text(shown)
        after = await e2e.ask("!search ferry timetable")
        assert "Ferry timetable" in after.text()
    finally:
        (e2e.content / "ferry_timetable_changes.md").unlink()
        await e2e.bot.index.reindex()


async def test_stats_for_everyone(e2e: E2E) -> None:
    reply = await e2e.ask("!stats", user=e2e.standin.member)
    text = reply.text()
    assert "18" in text  # articles
    # Which shards this process serves and how late its loop runs (several processes).
    assert "This process" in text and "event loop lag" in text
    _, callback, shown = await e2e.slash("stats", user=e2e.standin.member)
    assert callback.callback_type == CHANNEL_MESSAGE
    assert not (shown.get("flags") or 0) & EPHEMERAL
