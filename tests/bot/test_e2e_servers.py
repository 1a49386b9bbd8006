"""Per-server settings through the real client against the stand-in, with two servers:
each setting changes the bot in the server that set it and not in the other; only admins
change them; the query log holds no user and keeps to its retention."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest

from articlebot.bot.render import strings
from articlebot.bot.state import now
from tests.bot.conftest import E2E
from tests.bot.discord_standin import EPHEMERAL, FakeUser, RecordedRequest

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

STANDIN = {"second_guild": True}
NOT_ALLOWED = "only server managers and the bot's admins"

WAIT = 20.0  # seconds a step may take on a loaded machine (never reached when it works)


async def say(e2e: E2E, text: str, *, channel: int | None = None, user: FakeUser | None = None):
    """Post ``text`` (as a fresh member, so the per-user rate limit stays out of the way)
    and return the bot's reply."""
    sent = await e2e.standin.send_message(
        text, author=user or e2e.fresh_user(), channel=channel or e2e.standin.channel_id
    )
    return await e2e.standin.wait_for_reply(sent, timeout=5)


async def silent(e2e: E2E, text: str, *, channel: int | None = None) -> bool:
    """Whether the bot leaves ``text`` unanswered."""
    where = channel or e2e.standin.channel_id
    mark = e2e.standin.mark()
    await e2e.standin.send_message(text, author=e2e.fresh_user(), channel=where)
    await e2e.standin.wait_quiet(0.4)
    return e2e.standin.replies_in(where, since=mark) == []


async def admin(e2e: E2E, text: str, *, channel: int | None = None) -> str:
    user = e2e.fresh_user(roles=(e2e.standin.admin_role_id,))
    return (await say(e2e, text, channel=channel, user=user)).text()


def second(e2e: E2E) -> int:
    assert e2e.standin.second_channel_id is not None
    return e2e.standin.second_channel_id


def footer(reply: RecordedRequest) -> str:
    return reply.json["embeds"][0]["footer"]["text"]


async def test_a_member_cannot_change_settings(e2e: E2E) -> None:
    assert NOT_ALLOWED in (await say(e2e, "!settings prefix ?")).text()
    assert NOT_ALLOWED in (await say(e2e, "!settings")).text()
    assert e2e.bot.server(e2e.bot.get_guild(e2e.standin.guild_id)).prefix == "!"


async def test_settings_shows_every_setting(e2e: E2E) -> None:
    text = await admin(e2e, "!settings")
    for name in ("prefix", "channels", "elsewhere", "replies", "page-size", "latest-count"):
        assert name in text
    assert "every channel" in text


async def test_a_bad_value_names_what_is_allowed(e2e: E2E, audit) -> None:
    assert "1 to 10 characters" in await admin(e2e, '!settings prefix "a b"')
    assert "Choose public or private" in await admin(e2e, "!settings replies sometimes")
    assert "from 1 to 10" in await admin(e2e, "!settings page-size 40")


async def test_the_prefix_is_the_servers_own(e2e: E2E) -> None:
    assert "`?`" in await admin(e2e, "!settings prefix ?")
    try:
        assert "Latest" in (await say(e2e, "?latest")).text()
        assert await silent(e2e, "!latest")  # no longer the prefix here ...
        assert "Latest" in (await say(e2e, "!latest", channel=second(e2e))).text()  # ... there
        assert await silent(e2e, "?latest", channel=second(e2e))
        mention = f"<@{e2e.standin.bot_user.id}> latest"
        sent = await e2e.standin.send_message(
            mention, author=e2e.fresh_user(), mentions=(e2e.standin.bot_user,)
        )
        assert "Latest" in (await e2e.standin.wait_for_reply(sent)).text()  # always works
    finally:
        assert "default" in await admin(e2e, "?settings reset prefix")


async def test_channels_with_a_hint_or_silence_elsewhere(e2e: E2E) -> None:
    general, random = e2e.standin.channel_id, e2e.standin.other_channel_id
    assert f"<#{general}>" in await admin(e2e, f"!settings channels add <#{general}>")
    try:
        assert "lighthouse" in (await say(e2e, "!search lighthouse")).text().lower()
        hint = (await say(e2e, "!search lighthouse", channel=random)).text()
        assert strings.WRONG_CHANNEL.format(channels=f"<#{general}>") in hint
        # Slash commands elsewhere get the pointer only the asker sees.
        ref = await e2e.standin.slash("search", {"query": "lighthouse"}, channel=random)
        shown = await e2e.standin.wait_for_response(ref)
        assert shown["flags"] & EPHEMERAL and f"<#{general}>" in shown["content"]
        # Admin commands work anywhere: an admin cannot lock the bot out.
        assert "silence" in await admin(e2e, "!settings elsewhere silent", channel=random)
        assert await silent(e2e, "!search lighthouse", channel=random)
        assert "lighthouse" in (await say(e2e, "!search lighthouse", channel=second(e2e))).text()
    finally:
        await admin(e2e, "!settings channels all")
        await admin(e2e, "!settings reset elsewhere")
    assert "lighthouse" in (await say(e2e, "!search lighthouse", channel=random)).text().lower()


async def test_private_slash_replies(e2e: E2E) -> None:
    await admin(e2e, "!settings replies private")
    try:
        ref = await e2e.standin.slash("latest", {})
        assert (await e2e.standin.wait_for_response(ref))["flags"] & EPHEMERAL
        ref = await e2e.standin.slash("latest", {}, channel=second(e2e))
        assert not (await e2e.standin.wait_for_response(ref)).get("flags", 0) & EPHEMERAL
    finally:
        await admin(e2e, "!settings reset replies")


async def test_page_size_and_latest_count(e2e: E2E) -> None:
    await admin(e2e, "!settings page-size 3")
    await admin(e2e, "!settings latest-count 2")
    try:
        here = await say(e2e, "!search lighthouse")
        there = await say(e2e, "!search lighthouse", channel=second(e2e))
        assert footer(here).startswith("Page 1/5") and footer(there).startswith("Page 1/3")
        latest_here = (await say(e2e, "!latest")).json["embeds"][0]["description"]
        latest_there = (await say(e2e, "!latest", channel=second(e2e))).json["embeds"][0]
        assert latest_here.count("\n\n") == 1 and latest_there["description"].count("\n\n") == 4
    finally:
        await admin(e2e, "!settings reset page-size")
        await admin(e2e, "!settings reset latest-count")


async def test_slash_settings_with_pickers(e2e: E2E) -> None:
    admin = e2e.fresh_user(roles=(e2e.standin.admin_role_id,))
    ref = await e2e.standin.slash("settings", {"page-size": {"count": 4}}, user=admin)
    assert (
        "Results per page: 4"
        in (await e2e.standin.wait_for_response(ref))["embeds"][0]["description"]
    )
    try:
        assert e2e.bot.server(e2e.bot.get_guild(e2e.standin.guild_id)).page_size == 4
        ref = await e2e.standin.slash(
            "settings", {"replies": {"visibility": "sometimes"}}, user=admin
        )
        shown = await e2e.standin.wait_for_response(ref)
        assert "public or private" in str(shown)  # Discord offers only the choices; still
        member = await e2e.standin.slash("settings", {"show": {}})
        assert NOT_ALLOWED in (await e2e.standin.wait_for_response(member))["content"]
    finally:
        await e2e.standin.wait_for_response(
            await e2e.standin.slash("settings", {"reset": {"name": "page-size"}}, user=admin)
        )


async def test_admin_roles_are_per_server(e2e: E2E) -> None:
    moderators = e2e.standin.add_role("Moderators")
    await e2e.standin.dispatch(  # as Discord tells the bot of a new role
        "GUILD_ROLE_CREATE",
        {"guild_id": str(e2e.standin.guild_id), "role": e2e.standin.roles[-1]},
    )
    await e2e.standin.wait_until(
        lambda: e2e.bot.get_guild(e2e.standin.guild_id).get_role(moderators) is not None
    )
    text = await admin(e2e, f"!settings admin-roles add <@&{moderators}>")
    assert f"<@&{moderators}>" in text
    moderator = e2e.fresh_user(roles=(moderators,))
    reply = await say(e2e, "!settings", user=moderator)
    assert "Settings for this server" in reply.text()
    other = await say(e2e, "!settings", user=moderator, channel=second(e2e))
    assert NOT_ALLOWED in other.text()


async def test_the_query_log_holds_no_user_and_can_be_off(e2e: E2E) -> None:
    state = e2e.bot.state
    since = now() - timedelta(minutes=1)
    asker = e2e.fresh_user()
    await say(e2e, "!search Lighthouse  KEEPER", user=asker)
    await say(e2e, "!ask who painted the lighthouse?")
    await say(e2e, "!search zeppelin", channel=second(e2e))
    logged = await state.logged_queries(since)
    mine = [(q.guild_id, q.command, q.query) for q in logged]
    guild, other = e2e.standin.guild_id, e2e.standin.second_guild_id
    assert (guild, "search", "Lighthouse KEEPER") in mine
    assert (other, "search", "zeppelin") in mine
    assert [q.results for q in logged if q.query == "zeppelin"] == [0]
    assert any(q.command == "ask" for q in logged)
    # No id of any person anywhere in the log.
    people = {str(u.id) for u in [*e2e.standin.users, e2e.standin.owner]} | {asker.name}
    with sqlite3.connect(e2e.settings.state_path) as conn:
        for table in ("queries", "opened"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                assert not people & {str(v) for v in row}, row
    # Off in one server: nothing more from it, the other server still logged.
    await admin(e2e, "!settings query-log off")
    mark = now()
    await say(e2e, "!search harbour")
    await say(e2e, "!search harbour", channel=second(e2e))
    after = [(q.guild_id, q.query) for q in await state.logged_queries(mark)]
    assert after == [(other, "harbour")]
    await admin(e2e, "!settings reset query-log")


async def test_opening_and_paging_are_logged(e2e: E2E) -> None:
    standin, since = e2e.standin, now() - timedelta(seconds=1)
    asker = e2e.fresh_user()
    reply = await say(e2e, "!search lighthouse", user=asker)
    message_id = reply.response["id"]
    await e2e.wait_for_view(message_id)
    rows = reply.json["components"]
    menu = next(c for row in rows for c in row["components"] if c["type"] == 3)
    buttons = [c for row in rows for c in row["components"] if c["type"] == 2]
    next_page = next(b for b in buttons if b.get("label") == "Next")
    # Someone else opens the second result: its card, shown to them alone.
    ref = await standin.click(
        message_id, menu["custom_id"], e2e.fresh_user(), component_type=3, values=["1"]
    )
    shown = await standin.wait_for_response(ref, timeout=WAIT)
    assert shown["flags"] & EPHEMERAL and shown["embeds"][0]["title"] == menu["options"][1]["label"]
    paged = await standin.click(message_id, next_page["custom_id"], asker)
    await standin.wait_for_response(paged, timeout=WAIT)
    for _ in range(int(WAIT / 0.05)):  # written just after the replies
        logged = [q for q in await e2e.bot.state.logged_queries(since) if q.query == "lighthouse"][
            -1
        ]
        if logged.paged and logged.opened:
            break
        await asyncio.sleep(0.05)
    assert logged.paged and len(logged.opened) == 1 and logged.opened[0].endswith(".md")


async def test_retention_prunes_the_log(e2e: E2E) -> None:
    state, cog = e2e.bot.state, e2e.bot.get_cog("Servers")
    old = await state.log_query(1, "search", "ancient", 1, at=now() - timedelta(days=91))
    recent = await state.log_query(1, "search", "recent", 1, at=now() - timedelta(days=89))
    await cog.upkeep()  # one round of the upkeep loop
    kept = {q.id for q in await state.logged_queries(now() - timedelta(days=365))}
    assert recent in kept and old not in kept


async def test_leaving_a_server_marks_its_settings_for_forgetting(e2e: E2E) -> None:
    other = e2e.standin.second_guild_id
    assert other is not None
    await e2e.bot.state.set_server_setting(other, "prefix", ">")
    await e2e.standin.dispatch("GUILD_DELETE", {"id": str(other)})
    await e2e.standin.wait_until(lambda: e2e.bot.get_guild(other) is None)
    for _ in range(50):  # the listener records it just after the guild is gone
        forgotten = await e2e.bot.state.forget_servers_left(now() + timedelta(seconds=1))
        if forgotten:
            break
        await asyncio.sleep(0.05)
    assert forgotten == [other]
    assert other not in await e2e.bot.state.server_settings()
