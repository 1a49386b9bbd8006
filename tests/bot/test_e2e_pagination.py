"""Page buttons under a search: the asker turns pages (type 7 updates), anyone else gets an
ephemeral refusal and the message stays as it was, and the buttons switch off on timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot.conftest import E2E
from tests.bot.discord_standin import (
    CHANNEL_MESSAGE,
    EPHEMERAL,
    UPDATE_MESSAGE,
    components_of,
    message_text,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

SHORT_TIMEOUT = 0.6


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Buttons by label (the bot's custom ids are random)."""
    return {b.get("label", ""): b for b in components_of(message)}


def position(message: dict[str, Any]) -> str:
    return next(label for label in buttons(message) if "/" in label)


@pytest.fixture
def short_view_timeout() -> Iterator[None]:
    """The page view's 180 s timeout, shortened for this test. bot.views.SearchPages takes
    ``timeout`` as a keyword whose default is bound at definition, and the search cog does
    not pass one, so the default itself is swapped (and restored)."""
    from articlebot.bot.views import SearchPages

    defaults = SearchPages.__init__.__kwdefaults__
    assert defaults is not None and "timeout" in defaults
    saved = defaults["timeout"]
    defaults["timeout"] = SHORT_TIMEOUT
    try:
        yield
    finally:
        defaults["timeout"] = saved


async def test_prefix_search_pages_for_the_asker(e2e: E2E) -> None:
    asker = e2e.fresh_user()
    reply = await e2e.ask("!search lighthouse", user=asker)
    message_id = reply.response["id"]
    await e2e.wait_for_view(message_id)
    assert position(reply.json) == "1/3"
    assert buttons(reply.json)["Previous"]["disabled"] is True
    assert not buttons(reply.json)["Next"].get("disabled")
    first_page = message_text(reply.json)

    ref = await e2e.standin.click(message_id, buttons(reply.json)["Next"]["custom_id"], asker)
    callback = await e2e.standin.wait_for_callback(ref)
    assert callback.callback_type == UPDATE_MESSAGE
    page = callback.json["data"]
    assert position(page) == "2/3"
    assert message_text(page) != first_page
    assert not buttons(page)["Previous"].get("disabled")

    ref = await e2e.standin.click(message_id, buttons(page)["Next"]["custom_id"], asker)
    last = (await e2e.standin.wait_for_callback(ref)).json["data"]
    assert position(last) == "3/3"
    assert buttons(last)["Next"]["disabled"] is True

    ref = await e2e.standin.click(message_id, buttons(last)["Previous"]["custom_id"], asker)
    back = (await e2e.standin.wait_for_callback(ref)).json["data"]
    assert position(back) == "2/3"
    assert e2e.standin.messages[int(message_id)]["embeds"] == back["embeds"]


async def test_other_members_are_refused_ephemerally(e2e: E2E) -> None:
    asker, other = e2e.fresh_user(), e2e.fresh_user()
    reply = await e2e.ask("!search lighthouse", user=asker)
    message_id = reply.response["id"]
    await e2e.wait_for_view(message_id)
    before = dict(e2e.standin.messages[int(message_id)])

    ref = await e2e.standin.click(message_id, buttons(reply.json)["Next"]["custom_id"], other)
    callback = await e2e.standin.wait_for_callback(ref)
    assert callback.callback_type == CHANNEL_MESSAGE
    assert callback.json["data"]["flags"] & EPHEMERAL
    assert "Only the person who searched" in message_text(callback.json["data"])
    await e2e.standin.wait_quiet(0.1)
    after = e2e.standin.messages[int(message_id)]
    assert after["embeds"] == before["embeds"] and after["components"] == before["components"]


async def test_slash_search_pages_and_refuses_others(e2e: E2E) -> None:
    asker, other = e2e.fresh_user(), e2e.fresh_user()
    _ref, callback, shown = await e2e.slash("search", {"query": "lighthouse"}, asker)
    message_id = callback.response["resource"]["message"]["id"]
    await e2e.wait_for_view(message_id)
    assert position(shown) == "1/3"
    next_id = buttons(shown)["Next"]["custom_id"]

    click = await e2e.standin.click(message_id, next_id, other)
    refusal = await e2e.standin.wait_for_callback(click)
    assert refusal.callback_type == CHANNEL_MESSAGE
    assert refusal.json["data"]["flags"] & EPHEMERAL

    click = await e2e.standin.click(message_id, next_id, asker)
    turned = await e2e.standin.wait_for_callback(click)
    assert turned.callback_type == UPDATE_MESSAGE
    assert position(turned.json["data"]) == "2/3"


@pytest.mark.usefixtures("short_view_timeout")
async def test_buttons_switch_off_on_timeout_prefix(e2e: E2E) -> None:
    reply = await e2e.ask("!search lighthouse")
    message_id = reply.response["id"]
    edit = await e2e.standin.wait_for_request(
        lambda r: r.route == "edit_message" and r.params.get("message_id") == message_id,
        timeout=SHORT_TIMEOUT + 3,
        since=e2e.standin.mark() - 1,
    )
    assert edit.status == 200
    assert all(b.get("disabled") for b in components_of(edit.json))
    stored = e2e.standin.messages[int(message_id)]
    assert all(b.get("disabled") for b in components_of(stored))
    assert stored["embeds"] == reply.json["embeds"]  # the page itself is kept


@pytest.mark.usefixtures("short_view_timeout")
async def test_buttons_switch_off_on_timeout_slash(e2e: E2E) -> None:
    ref, _callback, _ = await e2e.slash("search", {"query": "lighthouse"})
    edit = await e2e.standin.wait_for_request(
        lambda r: r.route == "edit_original" and r.token == ref.token,
        timeout=SHORT_TIMEOUT + 3,
    )
    assert edit.status == 200
    assert all(b.get("disabled") for b in components_of(edit.json))


@pytest.mark.usefixtures("short_view_timeout")
async def test_a_press_after_timeout_is_not_acted_on(e2e: E2E) -> None:
    """Once the view has stopped, a late press (a client with a stale message) must not
    turn the page."""
    asker = e2e.fresh_user()
    reply = await e2e.ask("!search lighthouse", user=asker)
    message_id = reply.response["id"]
    next_id = buttons(reply.json)["Next"]["custom_id"]
    await e2e.standin.wait_for_request(
        lambda r: r.route == "edit_message" and r.params.get("message_id") == message_id,
        timeout=SHORT_TIMEOUT + 3,
    )
    before = dict(e2e.standin.messages[int(message_id)])
    ref = await e2e.standin.click(message_id, next_id, asker)
    await asyncio.sleep(0.3)
    callbacks = [r for r in e2e.standin.for_interaction(ref) if r.route == "interaction_callback"]
    assert all(r.callback_type != UPDATE_MESSAGE for r in callbacks)
    assert e2e.standin.messages[int(message_id)]["embeds"] == before["embeds"]


async def test_slow_answers_are_deferred_not_failed(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press whose answer takes longer than the bot allows itself (Discord fails an
    interaction not answered within 3 s): the bot defers first and answers through the
    deferral, for an opened article (ephemeral) and for a page turn (the message)."""
    from articlebot.bot import embeds
    from tests.bot.discord_standin import DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE

    monkeypatch.setattr(embeds, "DEFER_AFTER", 0.05)
    answers = e2e.bot.answers
    article, search = answers.article, answers.search

    async def slowly(work: Any) -> Any:
        await asyncio.sleep(0.3)  # longer than DEFER_AFTER, as on a loaded machine
        return await work

    monkeypatch.setattr(answers, "article", lambda *a, **k: slowly(article(*a, **k)))
    monkeypatch.setattr(answers, "search", lambda *a, **k: slowly(search(*a, **k)))
    asker = e2e.fresh_user()
    sent = await e2e.standin.send_message("!search lighthouse", author=asker)
    reply = await e2e.standin.wait_for_reply(sent, timeout=20)
    message = reply.response
    await e2e.wait_for_view(message["id"])
    menu = next(c for c in components_of(message) if c["type"] == 3)
    opened = await e2e.standin.click(
        message["id"], menu["custom_id"], asker, component_type=3, values=["0"]
    )
    card = await e2e.standin.wait_for_response(opened, timeout=20)
    assert card["embeds"][0]["title"] == menu["options"][0]["label"]
    assert card["flags"] & EPHEMERAL
    turned = await e2e.standin.click(message["id"], buttons(message)["Next"]["custom_id"], asker)
    page = await e2e.standin.wait_for_response(turned, timeout=20)
    assert position(page).startswith("2/")
    kinds = [
        r.callback_type
        for ref in (opened, turned)
        for r in e2e.standin.for_interaction(ref)
        if r.route == "interaction_callback"
    ]
    assert kinds == [DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE]
