"""The stand-in itself, proven with a minimal discord.py bot defined here.

If these pass, the end-to-end tests of articlebot can trust what the stand-in records:
the real client connects, identifies, resumes, takes commands in all three forms, answers
interactions with the right callback types, and survives 429s and dropped connections.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import zlib
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from tests.bot.discord_standin import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    UPDATE_MESSAGE,
    DiscordStandin,
    components_of,
    discord_rejections,
    running,
    snowflake_time,
)

NO_PINGS = discord.AllowedMentions.none()
FRUITS = [f"fruit-{i:02d}" for i in range(40)]


class Pager(discord.ui.View):
    """Two pages; only the asker may turn them, others get an ephemeral refusal."""

    def __init__(self, owner_id: int, timeout: float = 30.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.page = 1
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("Not your pager.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Next", custom_id="pager:next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.page += 1
        await interaction.response.edit_message(content=f"page {self.page}", view=self)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            await self.message.edit(view=self)


def make_bot(pager_timeout: float = 30.0) -> commands.AutoShardedBot:
    """A bot with one command of each kind the real bot uses."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned_or("!"),
        intents=intents,
        help_command=None,
        allowed_mentions=NO_PINGS,
    )
    bot.errors: list[BaseException] = []  # type: ignore[attr-defined]

    @bot.command()
    async def ping(ctx: commands.Context) -> None:
        await ctx.send("pong")

    @bot.command()
    async def huge(ctx: commands.Context) -> None:
        await ctx.send("x" * 2001)

    @bot.command()
    async def pages(ctx: commands.Context) -> None:
        view = Pager(ctx.author.id, pager_timeout)
        view.message = await ctx.send("page 1", view=view)

    @bot.hybrid_command(description="Repeat the text")
    async def echo(ctx: commands.Context, *, text: str) -> None:
        await ctx.send(text)

    @bot.hybrid_command(description="Answer after a deferral")
    async def slow(ctx: commands.Context) -> None:
        await ctx.defer()
        await asyncio.sleep(0.05)
        await ctx.send("done")

    @bot.tree.command(description="Pick a fruit")
    async def fruit(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"you picked {name}", ephemeral=True)

    @fruit.autocomplete("name")
    async def fruit_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = [f for f in FRUITS if current in f]
        return [app_commands.Choice(name=f, value=f) for f in found][:25]

    @bot.tree.command(description="Sleeps past the interaction deadline")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        await interaction.response.send_message("too late")

    @bot.event
    async def on_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
        bot.errors.append(error)  # type: ignore[attr-defined]

    async def on_app_error(interaction: discord.Interaction, error: Exception) -> None:
        bot.errors.append(error)  # type: ignore[attr-defined]

    bot.tree.on_error = on_app_error  # type: ignore[method-assign]

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_connects_identifies_and_caches_the_guild(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        assert standin.identify_count == 1
        url = standin.gateway_urls[0]
        assert "v=10" in url and "encoding=json" in url
        assert bot.user is not None and bot.user.id == standin.bot_user.id
        assert bot.application_id == standin.application_id
        guild = bot.get_guild(standin.guild_id)
        assert guild is not None
        assert guild.get_channel(standin.channel_id) is not None
        admin = guild.get_member(standin.admin.id)
        member = guild.get_member(standin.member.id)
        assert admin is not None and member is not None
        assert admin.guild_permissions.manage_guild
        assert not member.guild_permissions.manage_guild
        assert not admin.guild_permissions.administrator
        # The tree was synced through the bulk upsert route.
        assert {c["name"] for c in standin.global_commands} >= {"echo", "slow", "fruit"}
        identify = next(f for f in standin.gateway_log if f["op"] == 2)
        assert identify["d"]["intents"] == bot.intents.value


async def test_zlib_stream_when_asked_and_plain_json_otherwise(standin: DiscordStandin) -> None:
    """discord.py asks for zlib-stream, and the stand-in compresses then; a client that
    does not ask gets plain text frames (discord.py accepts both)."""
    bot = make_bot()
    async with running(bot, standin):
        assert "compress=zlib-stream" in standin.gateway_urls[0]

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(standin.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive(timeout=5)
            assert hello.type is aiohttp.WSMsgType.TEXT
            assert json.loads(hello.data)["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": standin.token, "intents": 1}})
            ready = json.loads((await ws.receive(timeout=5)).data)
            assert ready["t"] == "READY" and ready["s"] == 1
            assert ready["d"]["resume_gateway_url"] == standin.resume_gateway_url
            guild = json.loads((await ws.receive(timeout=5)).data)
            assert guild["t"] == "GUILD_CREATE"
        async with session.ws_connect(standin.gateway_url + "?compress=zlib-stream") as ws:
            inflate = zlib.decompressobj()
            hello = await ws.receive(timeout=5)
            assert hello.type is aiohttp.WSMsgType.BINARY
            assert hello.data.endswith(b"\x00\x00\xff\xff")
            assert json.loads(inflate.decompress(hello.data))["op"] == 10


async def test_heartbeats_are_acknowledged() -> None:
    async with DiscordStandin(heartbeat_interval_ms=100) as fast:
        with fast.patch_discord():
            bot = make_bot()
            async with running(bot, fast):
                await fast.wait_until(lambda: fast.heartbeat_count >= 3, timeout=5)
                assert math.isfinite(bot.latency)  # inf until an ack arrives


async def test_bad_token_is_refused(standin: DiscordStandin) -> None:
    bot = make_bot()
    with pytest.raises(discord.LoginFailure):
        await bot.start("not-the-token")
    await bot.close()


async def test_prefix_and_mention_forms(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        sent = await standin.send_message("!ping")
        reply = await standin.wait_for_reply(sent)
        assert reply.json["content"] == "pong"
        assert reply.json["allowed_mentions"]["parse"] == []
        assert reply.headers["Authorization"] == f"Bot {standin.token}"

        sent = await standin.send_message(
            f"{standin.bot_user.mention} ping", mentions=[standin.bot_user]
        )
        assert (await standin.wait_for_reply(sent)).json["content"] == "pong"

        sent = await standin.send_message("!echo hello there")
        assert (await standin.wait_for_reply(sent)).json["content"] == "hello there"


async def test_hybrid_slash_answers_with_type_4(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        ref = await standin.slash("echo", {"text": "from a slash"})
        callback = await standin.wait_for_callback(ref)
        assert callback.status == 200
        assert callback.query["with_response"] == "1"
        assert callback.callback_type == CHANNEL_MESSAGE
        assert callback.json["data"]["content"] == "from a slash"
        # The answer is the interaction callback response object discord.py expects.
        assert callback.response["resource"]["message"]["content"] == "from a slash"
        assert standin.interactions[ref.id].acknowledged
        # Ids encode the current time, or discord.py would think the interaction expired.
        assert abs(snowflake_time(ref.id) - time.time()) < 5


async def test_deferral_then_follow_up_replaces_the_loading_message(
    standin: DiscordStandin,
) -> None:
    bot = make_bot()
    async with running(bot, standin):
        ref = await standin.slash("slow")
        callback = await standin.wait_for_callback(ref)
        assert callback.callback_type == DEFERRED_CHANNEL_MESSAGE
        shown = await standin.wait_for_response(ref)
        assert shown["content"] == "done"
        original = standin.messages[standin.interactions[ref.id].original_id or 0]
        assert original["content"] == "done"
        assert not original["flags"] & (1 << 7)  # no longer loading


async def test_buttons_page_for_the_asker_only_and_switch_off(standin: DiscordStandin) -> None:
    bot = make_bot(pager_timeout=0.5)
    async with running(bot, standin):
        sent = await standin.send_message("!pages", author=standin.member)
        reply = await standin.wait_for_reply(sent)
        message_id = reply.response["id"]
        [button] = components_of(reply.json)
        assert button["custom_id"] == "pager:next" and not button.get("disabled")

        ref = await standin.click(message_id, "pager:next", user=standin.member)
        callback = await standin.wait_for_callback(ref)
        assert callback.callback_type == UPDATE_MESSAGE
        assert callback.json["data"]["content"] == "page 2"
        assert standin.messages[int(message_id)]["content"] == "page 2"

        ref = await standin.click(message_id, "pager:next", user=standin.member2)
        callback = await standin.wait_for_callback(ref)
        assert callback.callback_type == CHANNEL_MESSAGE
        assert callback.json["data"]["flags"] & EPHEMERAL
        assert standin.messages[int(message_id)]["content"] == "page 2"

        edit = await standin.wait_for_request(
            lambda r: r.route == "edit_message" and r.params["message_id"] == message_id,
            timeout=3,
        )
        assert all(c.get("disabled") for c in components_of(edit.json))


async def test_autocomplete_answers_type_8_with_at_most_25(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        ref = await standin.autocomplete("fruit", {"name": "fruit"}, focused="name")
        callback = await standin.wait_for_callback(ref)
        assert callback.status == 200
        assert callback.callback_type == 8
        assert len(callback.json["data"]["choices"]) == 25
        option = ref.payload["data"]["options"][0]
        assert option == {"name": "name", "type": 3, "value": "fruit", "focused": True}

        ref = await standin.slash("fruit", {"name": "fruit-03"})
        callback = await standin.wait_for_callback(ref)
        assert callback.json["data"]["flags"] & EPHEMERAL
        assert callback.response["interaction"]["response_message_ephemeral"]


async def test_resume_after_a_dropped_connection(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        resumed = asyncio.Event()

        async def on_shard_resumed(shard_id: int) -> None:
            resumed.set()

        bot.add_listener(on_shard_resumed)
        await standin.drop_connection(code=4000)
        # Sent while the bot is away: replayed on RESUME, as Discord does.
        sent = await standin.send_message("!ping")
        await asyncio.wait_for(resumed.wait(), 10)
        assert standin.resume_count == 1 and standin.identify_count == 1
        assert any("/gateway-resume" in u for u in standin.gateway_urls)
        assert (await standin.wait_for_reply(sent)).json["content"] == "pong"


async def test_reidentify_after_an_invalid_session(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        await standin.invalidate_session()
        await standin.wait_until(lambda: standin.identify_count == 2 and standin.connected, 15)
        sent = await standin.send_message("!ping")
        assert (await standin.wait_for_reply(sent, timeout=5)).json["content"] == "pong"


async def test_failed_resume_falls_back_to_identify(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        standin.fail_resume = True
        await standin.drop_connection(code=4000)
        await standin.wait_until(lambda: standin.identify_count == 2 and standin.connected, 15)
        assert standin.resume_count == 1
        sent = await standin.send_message("!ping")
        assert (await standin.wait_for_reply(sent)).json["content"] == "pong"


@pytest.mark.parametrize("is_global", [False, True])
async def test_429_is_waited_out_and_the_reply_arrives_once(
    standin: DiscordStandin, is_global: bool
) -> None:
    bot = make_bot()
    async with running(bot, standin):
        standin.rate_limit(1, 0.3, lambda r: r.route == "create_message", is_global=is_global)
        sent = await standin.send_message("!ping")
        reply = await standin.wait_for_reply(sent)
        await standin.wait_quiet(0.2)
        attempts = standin.requests_since(sent["_mark"], lambda r: r.route == "create_message")
        assert [r.status for r in attempts] == [429, 200]
        assert attempts[0].response == {
            "message": "You are being rate limited.",
            "retry_after": 0.3,
            "global": is_global,
        }
        assert reply.at - attempts[0].at >= 0.29
        assert reply.json["content"] == "pong"


async def test_the_global_limit_answers_a_global_429(standin: DiscordStandin) -> None:
    """Over ``global_limit`` requests in one second, Discord's global 429; discord.py waits
    it out and every reply arrives once."""
    bot = make_bot()
    async with running(bot, standin):
        standin.global_limit = 3
        mark = standin.mark()
        sent = [await standin.send_message("!ping", channel=c) for c in standin.channel_ids[:2]]
        sent += [await standin.send_message("!ping") for _ in range(3)]

        def replies() -> list[Any]:
            return standin.requests_since(mark, lambda r: r.route == "create_message")

        await standin.wait_until(lambda: sum(r.status == 200 for r in replies()) >= 5, 10)
        await standin.wait_quiet(1.2)  # longer than a global retry: no sixth reply comes
        refused = [r for r in replies() if r.status == 429]
        assert refused and all((r.response or {}).get("global") for r in refused)
        answered = [r.channel_id for r in replies() if r.status == 200]
        assert sorted(answered) == sorted(int(m["channel_id"]) for m in sent)


async def test_429_on_interaction_callback_is_retried(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        standin.rate_limit(1, 0.2, lambda r: r.route == "interaction_callback")
        ref = await standin.slash("echo", {"text": "again"})
        await standin.wait_for_request(
            lambda r: r.route == "interaction_callback" and r.status == 200
        )
        statuses = [r.status for r in standin.for_interaction(ref)]
        assert statuses == [429, 200]


async def test_privileged_intents_rejected_with_4014(standin: DiscordStandin) -> None:
    standin.reject_privileged_intents = True
    bot = make_bot()
    bot._connection.guild_ready_timeout = 0.05
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(bot.start(standin.token), 10)
    await bot.close()


async def test_interaction_rules_acknowledge_once_within_the_deadline() -> None:
    async with DiscordStandin(interaction_deadline=0.2) as strict:
        with strict.patch_discord():
            bot = make_bot()
            async with running(bot, strict):
                ref = await strict.slash("late")
                callback = await strict.wait_for_callback(ref)
                assert callback.status == 404
                assert callback.response["code"] == 10062
                await strict.wait_until(lambda: bot.errors, 3)  # type: ignore[attr-defined]

                ref = await strict.slash("echo", {"text": "first"})
                await strict.wait_for_callback(ref)
                url = f"{strict.api_base}/interactions/{ref.id}/{ref.token}/callback"
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(url, json={"type": 4, "data": {"content": "x"}}) as resp,
                ):
                    assert resp.status == 400
                    assert resp.headers["Content-Type"] == "application/json"
                    assert (await resp.json())["code"] == 40060


async def test_oversized_payload_gets_400_like_discord(standin: DiscordStandin) -> None:
    bot = make_bot()
    async with running(bot, standin):
        sent = await standin.send_message("!huge")
        reply = await standin.wait_for_request(
            lambda r: r.route == "create_message", since=sent["_mark"]
        )
        assert reply.status == 400
        assert reply.response["code"] == 50035
        await standin.wait_until(lambda: bot.errors, 3)  # type: ignore[attr-defined]


async def test_unknown_routes_are_recorded_as_404(standin: DiscordStandin) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{standin.api_base}/guilds/1/bans",
            headers={"Authorization": f"Bot {standin.token}"},
        ) as resp,
    ):
        assert resp.status == 404
    assert standin.requests[-1].route == "unknown"
    assert standin.requests[-1].status == 404


def test_discord_rejections_know_the_limits() -> None:
    assert discord_rejections({"content": "ok"}) == []
    assert discord_rejections({}) == ["Cannot send an empty message (50006)"]
    assert discord_rejections({}, edit=True) == []
    too_many: dict[str, Any] = {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}
    assert discord_rejections(too_many) == ["embeds[0].fields: 26 > 25"]
    big = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
    assert discord_rejections(big) == ["embeds: 6001 > 6000 characters in total"]


async def test_patch_is_restored() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with DiscordStandin() as server:
        with server.patch_discord():
            assert server.api_base == discord.http.Route.BASE
        assert before == (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        )
    assert before[0] == "https://discord.com/api/v10"


async def test_without_message_content_only_mentions_carry_text(standin: DiscordStandin) -> None:
    """As on Discord: a bot without the Message Content intent sees empty guild messages
    unless they mention it."""
    bot = make_bot()
    bot._connection._intents.message_content = False
    async with running(bot, standin):
        plain = await standin.send_message("!ping")
        await standin.wait_quiet(0.2)
        assert not standin.replies_in(standin.channel_id, plain["_mark"])
        sent = await standin.send_message(
            f"{standin.bot_user.mention} ping", mentions=[standin.bot_user]
        )
        assert (await standin.wait_for_reply(sent)).json["content"] == "pong"


async def test_bucket_limits_are_advertised_and_respected(standin: DiscordStandin) -> None:
    """With Discord-like buckets (here 2 messages per 0.5 s per channel) discord.py reads
    the headers and paces itself: every reply arrives, none lost or doubled."""
    standin.set_bucket_limit("create_message", 2, 0.5)
    bot = make_bot()
    async with running(bot, standin):
        mark = standin.mark()
        sent = [
            await standin.send_message("!ping", author=standin.add_user(f"p{i}")) for i in range(5)
        ]
        assert len(sent) == 5
        await standin.wait_until(lambda: len(standin.replies_in(standin.channel_id, mark)) >= 5)
        await standin.wait_quiet(0.3)
        attempts = standin.requests_since(mark, lambda r: r.route == "create_message")
        ok = [r for r in attempts if r.status == 200]
        assert len(ok) == 5
        assert sum(r.status == 429 for r in attempts) <= 1
        assert ok[4].at - ok[0].at >= 0.9  # three windows for five messages
        assert ok[0].headers["Authorization"] == f"Bot {standin.token}"
