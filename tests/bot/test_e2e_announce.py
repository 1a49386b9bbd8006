"""Subscriptions and announcements through the real client against the stand-in: exactly
one announcement per new article and matching channel, digests, an opted-in role ping,
nothing for edits, restarts, rebuilt indexes or old posts, failing channels marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from articlebot.index import ReindexReport
from tests.bot.conftest import E2E, write_post
from tests.bot.discord_standin import DiscordStandin, RecordedRequest

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("audit")]

ROLES: dict[str, Any] = {}
NOT_ALLOWED = "only server managers and the bot's admins"


def E2E_ENV(standin: DiscordStandin) -> dict[str, str]:
    """ "Editors" is a configured admin role; "Readers" is a role members opt in to be
    pinged with announcements."""
    ROLES["readers"] = standin.add_role("Readers")
    ROLES["editors"] = standin.add_role("Editors")
    return {
        "ARTICLEBOT_ADMIN_ROLE_IDS": str(ROLES["editors"]),
        "ARTICLEBOT_PUBLISH_ANNOUNCEMENTS": "on",
    }


def stamp(days_ago: float = 0.0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%d-%H-%M-%S")


def post(e2e: E2E, name: str, category: str, *, days_ago: float = 0.0) -> str:
    title = name.replace("_", " ").capitalize()
    write_post(e2e.content, f"{name}.md", title, stamp(days_ago), category, f"{title} today.")
    return f"{name}.md"


async def publish(e2e: E2E, full: bool = False) -> ReindexReport:
    """A reindex, and its report handled by the announcer's listener to the end (the
    event's delivery to the listener is tested on its own below)."""
    report = await e2e.index.reindex(full=full)
    await e2e.bot.get_cog("Announcer").on_articles_changed(report)
    return report


def sent_to(e2e: E2E, channel_id: int, since: int) -> list[RecordedRequest]:
    return e2e.standin.requests_since(
        since, lambda r: r.route == "create_message" and r.channel_id == channel_id and r.status
    )


def titles(request: RecordedRequest) -> list[str]:
    return [e.get("title", "") for e in (request.message or {}).get("embeds", [])]


async def admin(e2e: E2E, command: str) -> str:
    # A fresh editor each time: the per-user rate limit is not what is tested here.
    reply = await e2e.ask(command, user=e2e.fresh_user(roles=(ROLES["editors"],)))
    return reply.text()


async def test_a_plain_member_cannot_subscribe(e2e: E2E) -> None:
    reply = await e2e.ask(f"!subscribe <#{e2e.standin.channel_id}>", user=e2e.standin.member)
    assert NOT_ALLOWED in reply.text()
    assert await e2e.bot.get_cog("Announcer").state.subscriptions() == []


async def test_subscribe_rejects_an_unknown_category(e2e: E2E) -> None:
    text = await admin(e2e, f"!subscribe <#{e2e.standin.channel_id}> knitting")
    assert "knitting" in text
    assert await e2e.bot.get_cog("Announcer").state.subscriptions() == []


async def test_a_new_post_is_announced_once_where_it_matches(e2e: E2E) -> None:
    general, random = e2e.standin.channel_id, e2e.standin.other_channel_id
    role = ROLES["readers"]
    text = await admin(e2e, f"!subscribe <#{random}> <@&{role}> news")
    assert f"<#{random}>" in text and "news" in text
    text = await admin(e2e, f"!subscribe <#{general}> sports")
    assert f"<#{general}>" in text
    listed = await admin(e2e, "!subscriptions")
    assert "nothing posted yet" in listed and f"<@&{role}>" in listed

    mark = e2e.standin.mark()
    post(e2e, "harbour_wall_repaired_before_the_storms", "news")
    await publish(e2e)
    [message] = sent_to(e2e, random, mark)
    assert titles(message) == ["Harbour wall repaired before the storms"]
    # The opted-in role ping: in the content (mentions in embeds notify nobody), and the
    # only mention Discord may act on.
    assert message.json["content"] == f"<@&{role}>"
    assert message.json["allowed_mentions"] == {"parse": [], "roles": [role]}
    assert message.json["nonce"] and message.json["enforce_nonce"] is True
    assert sent_to(e2e, general, mark) == []  # sports only

    mark = e2e.standin.mark()
    await publish(e2e)  # nothing changed
    path = e2e.content / "harbour_wall_repaired_before_the_storms.md"
    path.write_text(path.read_text().replace("today", "this week"))  # an edit is not new
    report = await publish(e2e)
    assert report.updated == ("harbour_wall_repaired_before_the_storms.md",)
    await publish(e2e, full=True)  # every article re-read, as after the index is rebuilt
    assert sent_to(e2e, random, mark) == [] and sent_to(e2e, general, mark) == []


async def test_the_articles_changed_event_reaches_the_announcer(e2e: E2E) -> None:
    random = e2e.standin.other_channel_id
    mark = e2e.standin.mark()
    post(e2e, "new_bus_shelter_for_the_harbour_road", "news")
    report = await e2e.index.reindex()
    await e2e.bot.articles_changed(report)  # as the folder's follower reports it
    message = await e2e.standin.wait_for_request(
        lambda r: r.route == "create_message" and r.channel_id == random, timeout=10, since=mark
    )
    assert titles(message) == ["New bus shelter for the harbour road"]


async def test_a_restart_announces_nothing_twice(e2e: E2E) -> None:
    cog = e2e.bot.get_cog("Announcer")
    assert cog is not None and type(cog).__name__ == "Announcer"
    mark = e2e.standin.mark()
    # What a restart does: the start-up catch-up over every article in the index.
    assert await cog.announce(e2e.index.article_ids()) == 0
    assert await cog.retry_unsent() == 0
    assert e2e.standin.requests_since(mark, lambda r: r.route == "create_message") == []


async def test_an_old_post_copied_in_is_not_announced(e2e: E2E) -> None:
    mark = e2e.standin.mark()
    post(e2e, "archive_photo_of_the_old_ferry", "news", days_ago=400)
    report = await publish(e2e)
    assert report.added == ("archive_photo_of_the_old_ferry.md",)
    assert sent_to(e2e, e2e.standin.other_channel_id, mark) == []


async def test_a_burst_goes_as_digests_of_ten(e2e: E2E) -> None:
    random = e2e.standin.other_channel_id
    mark = e2e.standin.mark()
    names = [post(e2e, f"council_meeting_notes_part_{n:02d}", "news") for n in range(31)]
    report = await publish(e2e)
    assert set(report.added) == set(names)
    messages = sent_to(e2e, random, mark)
    assert [len(titles(m)) for m in messages] == [10, 10, 10, 1]
    announced = [t for m in messages for t in titles(m)]
    assert len(announced) == len(set(announced)) == 31


async def test_a_crash_between_send_and_record_sends_no_second_message(e2e: E2E) -> None:
    cog = e2e.bot.get_cog("Announcer")
    assert cog is not None and type(cog).__name__ == "Announcer"
    random = e2e.standin.other_channel_id
    mark = e2e.standin.mark()
    post(e2e, "lifeboat_crew_trains_at_night", "news")
    await publish(e2e)
    [first] = sent_to(e2e, random, mark)
    # The send happened; now forget that it was recorded, as a kill before `sent` would.
    db = cog.state._db
    await db.run(
        "UPDATE ledger SET state='sending', message_id=NULL WHERE nonce=?", (first.json["nonce"],)
    )
    assert await cog.retry_unsent() == 1  # retried with the same nonce ...
    retried = sent_to(e2e, random, mark)
    assert len(retried) == 2 and retried[1].json["nonce"] == first.json["nonce"]
    assert retried[1].response["id"] == first.response["id"]  # ... and Discord made no second
    made = [m for m in e2e.standin.messages.values() if int(m["channel_id"]) == random]
    assert sum(1 for m in made if m["id"] == first.response["id"]) == 1
    assert await cog.retry_unsent() == 0  # now recorded as sent


async def test_a_deleted_channel_marks_its_subscription_failing(e2e: E2E, audit) -> None:
    general = e2e.standin.channel_id
    audit.statuses.add(404)
    e2e.standin.deleted_channels.add(general)
    try:
        post(e2e, "cup_final_tickets_sell_out", "sports")
        await publish(e2e)
    finally:
        e2e.standin.deleted_channels.discard(general)
    cog = e2e.bot.get_cog("Announcer")
    [sub] = [s for s in await cog.state.subscriptions() if s.channel_id == general]
    assert sub.status == "failing" and "404" in sub.reason
    listed = await admin(e2e, "!subscriptions")
    assert "failing" in listed
    # Subscribing again is how an admin says it is mended.
    renewed = await admin(e2e, f"!subscribe <#{general}> sports")
    [sub] = [s for s in await cog.state.subscriptions() if s.channel_id == general]
    assert sub.status == "ok" and sub.failures == 0, renewed


async def test_a_forum_gets_one_post_per_article_tagged_by_category(e2e: E2E, audit) -> None:
    standin, cog = e2e.standin, e2e.bot.get_cog("Announcer")
    forum, role = standin.forum_channel_id, ROLES["readers"]
    text = await admin(e2e, f"!subscribe <#{forum}> <@&{role}>")
    assert f"<#{forum}>" in text
    mark = standin.mark()
    names = ["seal_pup_rescued_at_the_slipway", "rowing_club_wins_the_regatta"]
    post(e2e, names[0], "news")
    post(e2e, names[1], "sports")
    await publish(e2e)
    posts = standin.requests_since(mark, lambda r: r.route == "start_forum_thread")
    assert sorted(r.json["name"] for r in posts) == [
        "Rowing club wins the regatta",
        "Seal pup rescued at the slipway",
    ]
    tags = {t["name"]: t["id"] for t in standin.forum_tags}
    for request in posts:
        starter = request.json["message"]
        assert titles(request) == [request.json["name"]]  # one card per post, no digest
        assert starter["content"] == f"<@&{role}>"
        assert starter["allowed_mentions"] == {"parse": [], "roles": [role]}
        category = "News" if "Seal" in request.json["name"] else "Sport"  # the tag "Sport"
        expected = [tags[category]] if category == "News" else []  # "sports" ≠ "Sport"
        assert request.json["applied_tags"] == expected
    assert len(standin.threads) == 2
    assert all(int(t["parent_id"]) == forum for t in standin.threads.values())

    # A crash after the post was made and before it was recorded: the retry finds the
    # post (forum posts take no nonce) and records it instead of posting again.
    [seal] = [r for r in posts if "Seal" in r.json["name"]]
    await cog.state._db.run(
        "UPDATE ledger SET state='sending', message_id=NULL WHERE article_id=? "
        "AND subscription_id IN (SELECT id FROM subscriptions WHERE channel_id=?)",
        (f"{names[0]}.md", forum),
    )
    mark = standin.mark()
    assert await cog.retry_unsent() == 0
    assert standin.requests_since(mark, lambda r: r.route == "start_forum_thread") == []
    [sub] = [s for s in await cog.state.subscriptions() if s.channel_id == forum]
    assert ("seal_pup_rescued_at_the_slipway.md", "sent") in await cog.state.ledger(sub.id)
    assert seal.response["id"] in {str(t) for t in standin.threads}

    # A forum that requires a tag refuses a post none of whose categories names one: the
    # subscription says why.
    audit.statuses.add(400)
    standin.forum_requires_tag = True
    try:
        post(e2e, "kite_festival_moves_to_the_dunes", "sports")
        await publish(e2e)
    finally:
        standin.forum_requires_tag = False
    [sub] = [s for s in await cog.state.subscriptions() if s.channel_id == forum]
    assert sub.status == "failing" and "tag is required" in sub.reason
    assert "tag is required" in await admin(e2e, "!subscriptions")
    assert "Removed 1" in await admin(e2e, f"!unsubscribe <#{forum}>")


async def test_an_announcement_channel_publishes_to_followers(e2e: E2E) -> None:
    standin, news = e2e.standin, e2e.standin.news_channel_id
    await admin(e2e, f"!subscribe <#{news}>")
    mark = standin.mark()
    post(e2e, "tide_tables_for_the_new_year", "news")
    await publish(e2e)
    [message] = sent_to(e2e, news, mark)
    published = await standin.wait_for_request(
        lambda r: r.route == "crosspost" and r.status == 200, timeout=5, since=mark
    )
    assert published.params["message_id"] == message.response["id"]
    assert standin.messages[int(message.response["id"])]["flags"] & 1  # CROSSPOSTED
    assert "Removed 1" in await admin(e2e, f"!unsubscribe <#{news}>")


async def test_subscribe_offers_text_announcement_and_forum_channels(e2e: E2E) -> None:
    [command] = [c for c in e2e.standin.global_commands if c["name"] == "subscribe"]
    [channel] = [o for o in command["options"] if o["name"] == "channel"]
    # Text, announcement, forum, and media channels (forums for media: posted alike).
    assert set(channel["channel_types"]) == {0, 5, 15, 16}


async def test_unsubscribe(e2e: E2E) -> None:
    general = e2e.standin.channel_id
    text = await admin(e2e, f"!unsubscribe <#{general}>")
    assert "Removed 1 subscription" in text
    text = await admin(e2e, f"!unsubscribe <#{general}>")
    assert "no subscription to remove" in text
