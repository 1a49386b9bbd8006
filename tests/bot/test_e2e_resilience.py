"""articlebot through Discord's failures: a dropped gateway (RESUME), an invalidated session
(re-IDENTIFY), 429s on every kind of route, and a refused Message Content intent. Each time
the answer must arrive, exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest

from tests.bot.conftest import E2E
from tests.bot.discord_standin import (
    CHANNEL_MESSAGE,
    MESSAGE_CONTENT_INTENT,
    DiscordStandin,
    RecordedRequest,
    message_text,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]


def replies_to(standin: DiscordStandin, message_id: str, since: int) -> list[RecordedRequest]:
    return [
        r
        for r in standin.requests_since(since)
        if r.route == "create_message"
        and r.status == 200
        and str((r.json.get("message_reference") or {}).get("message_id")) == message_id
    ]


async def test_resumes_after_a_dropped_connection(e2e: E2E) -> None:
    standin = e2e.standin
    resumes, identifies = standin.resume_count, standin.identify_count
    await standin.drop_connection(code=4000)
    # Posted while the bot is away: Discord replays it on RESUME.
    sent = await standin.send_message("!search lighthouse", author=e2e.fresh_user())
    reply = await standin.wait_for_reply(sent, timeout=15)
    assert "Lighthouse keeper" in reply.text()
    assert standin.resume_count == resumes + 1 and standin.identify_count == identifies
    await standin.wait_quiet(0.3)
    assert len(replies_to(standin, sent["id"], sent["_mark"])) == 1
    assert (await e2e.ask("!help")).status == 200


async def test_reidentifies_after_an_invalid_session(e2e: E2E) -> None:
    standin = e2e.standin
    identifies = standin.identify_count
    await standin.invalidate_session()
    await standin.wait_until(
        lambda: standin.identify_count == identifies + 1 and standin.connected, 15
    )
    reply = await e2e.ask("!search marathon", timeout=10)
    assert "Marathon runners" in reply.text()
    _, callback, shown = await e2e.slash("categories")
    assert callback.status == 200 and "sports" in message_text(shown)


async def test_reconnect_request_is_followed(e2e: E2E) -> None:
    standin = e2e.standin
    resumes = standin.resume_count
    await standin.request_reconnect()
    await standin.wait_until(lambda: standin.resume_count == resumes + 1 and standin.connected)
    assert "Lighthouse" in (await e2e.ask("!search lighthouse")).text()


@pytest.mark.parametrize("times", [1, 3])
async def test_429_on_replies_is_waited_out(e2e: E2E, times: int) -> None:
    standin = e2e.standin
    standin.rate_limit(times, 0.25, lambda r: r.route == "create_message")
    sent = await standin.send_message("!search lighthouse", author=e2e.fresh_user())
    reply = await standin.wait_for_reply(sent, timeout=10)
    await standin.wait_quiet(0.3)
    attempts = standin.requests_since(sent["_mark"], lambda r: r.route == "create_message")
    assert [r.status for r in attempts] == [429] * times + [200]
    assert reply.at - attempts[0].at >= 0.24 * times
    assert len(replies_to(standin, sent["id"], sent["_mark"])) == 1
    assert attempts[0].json == reply.json  # the same reply, resent unchanged


async def test_global_429_is_waited_out(e2e: E2E) -> None:
    standin = e2e.standin
    standin.rate_limit(1, 0.3, is_global=True)
    sent = await standin.send_message("!categories", author=e2e.fresh_user())
    reply = await standin.wait_for_reply(sent, timeout=10)
    assert "science" in reply.text()
    await standin.wait_quiet(0.3)
    assert len(replies_to(standin, sent["id"], sent["_mark"])) == 1


async def test_429_on_interaction_callback_and_follow_up(e2e: E2E) -> None:
    standin = e2e.standin
    standin.rate_limit(1, 0.2, lambda r: r.route == "interaction_callback")
    ref, callback, shown = await e2e.slash("search", {"query": "lighthouse"})
    assert callback.callback_type == CHANNEL_MESSAGE
    assert [r.status for r in standin.for_interaction(ref)] == [429, 200]
    assert "Lighthouse keeper" in message_text(shown)

    standin.rate_limit(1, 0.2, lambda r: r.route == "followup")
    ref, _, shown = await e2e.slash("reindex", user=standin.admin, timeout=15)
    await standin.wait_quiet(0.3)
    followups = [r for r in standin.for_interaction(ref) if r.route == "followup"]
    assert [r.status for r in followups] == [429, 200]
    assert "Index" in message_text(shown)


async def test_429_on_button_update(e2e: E2E) -> None:
    standin = e2e.standin
    asker = e2e.fresh_user()
    reply = await e2e.ask("!search lighthouse", user=asker)
    next_id = next(
        c["custom_id"]
        for row in reply.json["components"]
        for c in row["components"]
        if c.get("label") == "Next"
    )
    await e2e.wait_for_view(reply.response["id"])
    standin.rate_limit(1, 0.2, lambda r: r.route == "interaction_callback")
    ref = await standin.click(reply.response["id"], next_id, asker)
    await standin.wait_for_request(
        lambda r: r.interaction_id == ref.id and r.status == 200, timeout=5
    )
    assert [r.status for r in standin.for_interaction(ref)] == [429, 200]


async def test_refused_message_content_intent_falls_back(e2e: E2E) -> None:
    """bot.run.serve: Discord closes with 4014 when Message Content is not enabled; the
    runner reconnects without it, and slash commands and mentions keep working. (Last in
    the module: while it runs, discord.py points at a second stand-in.)"""
    from articlebot.bot.run import serve

    async with DiscordStandin() as other:
        with other.patch_discord():
            other.reject_privileged_intents = True
            settings = dataclasses.replace(e2e.settings, token=other.token)
            task = asyncio.create_task(serve(settings, e2e.index))
            try:
                await other.wait_until(lambda: other.identify_count == 2 and other.connected, 15)
                first, second = [f["d"]["intents"] for f in other.gateway_log if f["op"] == 2]
                assert first & MESSAGE_CONTENT_INTENT and not second & MESSAGE_CONTENT_INTENT
                ref = await other.slash("search", {"query": "lighthouse"})
                assert "Lighthouse" in message_text(await other.wait_for_response(ref))
                bot_user = other.bot_user
                sent = await other.send_message(
                    f"{bot_user.mention} lighthouse", mentions=[bot_user]
                )
                assert "Lighthouse" in (await other.wait_for_reply(sent)).text()
                plain = await other.send_message("!search lighthouse")
                await other.wait_quiet(0.3)
                assert not other.replies_in(other.channel_id, plain["_mark"])
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
