"""The bot's shape, its error sentences and its rate limit."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest
from discord.ext import commands

from articlebot.bot import render
from articlebot.bot.app import ArticleBot, create_bot, describe_shards, error_sentence
from articlebot.bot.permissions import NotAdmin
from articlebot.bot.settings import Settings
from articlebot.index import QueryError
from tests.bot.fakes import fake_ctx


class TestBot:
    async def test_shape(self, bot):
        assert isinstance(bot, commands.AutoShardedBot) and isinstance(bot, ArticleBot)
        assert bot.intents.message_content and bot.intents.guilds
        assert bot.allowed_mentions.to_dict() == {"parse": []}
        assert bot.allowed_mentions.replied_user is False
        assert bot.case_insensitive
        names = {c.name for c in bot.commands}
        assert names == {
            "search",
            "ask",
            "latest",
            "categories",
            "article",
            "help",
            "reindex",
            "sync",
            "stats",
            "subscribe",
            "unsubscribe",
            "subscriptions",
            "settings",
            "report",
        }
        slash = {c.name for c in bot.tree.get_commands()}
        assert slash == names - {"sync"}
        bot._connection.user = SimpleNamespace(id=42)  # as after login
        prefixes = await bot.get_prefix(SimpleNamespace(content="?x", guild=None))
        assert prefixes == ["<@42> ", "<@!42> ", "?"]

    async def test_intents_can_be_given(self, index):
        intents = discord.Intents.default()
        intents.message_content = False
        bot = create_bot(Settings(), index, intents=intents)
        assert not bot.intents.message_content

    async def test_help_is_ours(self, bot):
        assert bot.help_command is None
        assert bot.get_command("help").cog_name == "Search"

    async def test_error_sentences(self, bot):
        ctx = fake_ctx(bot, "latest")
        param = bot.get_command("search").clean_params["query"]
        assert error_sentence(ctx, commands.CommandNotFound()) is None
        missing = commands.MissingRequiredArgument(param)
        assert error_sentence(fake_ctx(bot, "search"), missing) == "Usage: `?search <query>`"
        slash_ctx = fake_ctx(bot, "search", interaction=object())
        assert error_sentence(slash_ctx, missing) == "Usage: `/search <query>`"
        cooldown = commands.CommandOnCooldown(
            commands.Cooldown(5, 10), 2.5, commands.BucketType.user
        )
        assert error_sentence(ctx, cooldown).endswith("try again in 3 seconds.")
        assert error_sentence(ctx, commands.RangeError(11, 1, 10)) == "That must be from 1 to 10."
        assert error_sentence(ctx, NotAdmin()) == render.NOT_ALLOWED
        assert error_sentence(ctx, commands.NotOwner()) == render.OWNER_ONLY
        wrapped = commands.CommandInvokeError(QueryError("Bad **query** @everyone."))
        assert error_sentence(ctx, wrapped) == "Bad \\*\\*query\\*\\* @\u200beveryone."

    async def test_unexpected_errors_are_logged_not_shown(self, bot, caplog):
        ctx = fake_ctx(bot, "search")
        error = commands.CommandInvokeError(RuntimeError("secret internals /srv/x"))
        sentence = error_sentence(ctx, error)
        assert sentence == render.INTERNAL
        assert "secret internals" not in sentence
        logged = [r for r in caplog.records if r.getMessage() == "command search failed"]
        assert logged and logged[0].exc_info is not None
        assert "secret internals" in str(logged[0].exc_info[1])

    async def test_usage_signatures(self, bot):
        assert bot.get_command("latest").signature == "[category] [count]"
        assert bot.get_command("article").signature == "<title>"

    async def test_rate_limit(self, bot):
        message = SimpleNamespace(author=SimpleNamespace(id=1))
        other = SimpleNamespace(author=SimpleNamespace(id=2))
        assert [bot.rate_limited(message) for _ in range(5)] == [None] * 5
        assert bot.rate_limited(message) > 0
        assert bot.rate_limited(other) is None
        with pytest.raises(commands.CommandOnCooldown):
            await bot._rate_limit(SimpleNamespace(message=message))


def test_invite_url():
    from articlebot.bot.app import invite_url

    url = invite_url(123)
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=123&")
    assert "scope=bot+applications.commands" in url
    assert "permissions=2147568640" in url  # view, send, embed links, history, slash


def test_the_log_says_which_shards_a_process_serves():
    assert describe_shards(None, None) == "every shard (automatic sharding)"
    assert describe_shards(1, None) == "the only shard"
    assert describe_shards(8, [0, 1, 2, 3]) == "shards 0-3 of 8"
    assert describe_shards(8, [0, 1, 2, 5, 7]) == "shards 0-2,5,7 of 8"
    assert describe_shards(8, [6]) == "shard 6 of 8"
    assert describe_shards(2, [0, 1]) == "all 2 shards"


def test_the_bot_runs_the_shards_it_is_given(index):
    settings = Settings(shard_count=8, shard_ids=(2, 3))
    bot = create_bot(settings, index)
    assert (bot.shard_count, bot.shard_ids) == (8, [2, 3])
