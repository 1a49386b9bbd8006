"""Narrow tests of the command logic, the paginator, permissions, errors and rate limit,
against a hand-built stand-in for ArticleIndex (no Discord connection)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord.ext import commands

from articlebot.bot import limits, render
from articlebot.bot.answers import (
    FOLLOW_UP_WINDOW,
    Answers,
    FollowUps,
    QueryLog,
    looks_like_question,
)
from articlebot.bot.app import ArticleBot, create_bot, error_sentence
from articlebot.bot.cogs.admin import NotAdmin, admin_check, is_admin_member
from articlebot.bot.cogs.search import (
    category_choices,
    conversation,
    mention_query,
    split_latest_args,
    title_choices,
)
from articlebot.bot.console import Console, split_latest
from articlebot.bot.render import PLAIN
from articlebot.bot.settings import Settings
from articlebot.bot.views import SearchPages
from articlebot.index import (
    Answer,
    Article,
    Hit,
    IndexStats,
    QueryError,
    ReindexReport,
    SearchResult,
    Snippet,
)


def make_article(n: int, category: str = "tv") -> Article:
    return Article(
        id=f"post-{n}.md",
        path=f"post-{n}.md",
        slug=f"post-{n}",
        title=f"Cruise stunt number {n}",
        date=datetime(2021, 1, n % 28 + 1, tzinfo=UTC),
        categories=("latest", category),
        url=f"https://example.com/posts/post-{n}",
        body="The cruise stunt was filmed on a moving train.",
    )


class FakeIndex:
    """The parts of ArticleIndex the bot uses, over a list of articles."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.searches: list[tuple[str, int, int]] = []
        self.asked: list[tuple[str, str | None]] = []
        self.reindexing = False
        self.article_count = len(articles)

    async def search(self, query: str, limit: int = 5, offset: int = 0) -> SearchResult:
        self.searches.append((query, limit, offset))
        if '"' in query and query.count('"') % 2:
            raise QueryError('Close the quote: "*phrase* <@&1>.')
        words = query.casefold().split()
        found = [a for a in self.articles if all(w in a.title.casefold() for w in words)]
        hits = tuple(Hit(a, 1.0, Snippet(a.body, ((4, 10),))) for a in found)
        suggestion = "cruise" if not found else None
        return SearchResult(query, hits[offset : offset + limit], len(found), offset, suggestion)

    async def ask(self, question: str, context_id: str | None = None) -> Answer:
        """Answers from the article whose number is in the question ("post 3"), or from
        the context article; declines questions about elections, offering four."""
        self.asked.append((question, context_id))
        by_id = {a.id: a for a in self.articles}
        numbers = [w for w in question.replace("?", " ").split() if w.isdigit()]
        source = by_id.get(f"post-{numbers[0]}.md") if numbers else by_id.get(context_id or "")
        if source is None or "election" in question:
            return Answer(question, (), None, 0.1, True, tuple(self.articles[:4]))
        return Answer(question, (source.body,), source, 0.9, False)

    async def latest(self, limit: int = 5, category: str | None = None) -> list[Article]:
        chosen = [a for a in self.articles if category is None or category in a.categories]
        return chosen[:limit]

    async def categories(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for a in self.articles:
            for c in a.categories:
                counts[c] = counts.get(c, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])

    async def article(self, ref: str) -> Article | None:
        return next((a for a in self.articles if ref in (a.id, a.slug)), None)

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]:
        names = sorted({c for a in self.articles for c in a.categories})
        return [n for n in names if n.startswith(prefix)][:limit]

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        return [(a.title, a.id) for a in self.articles if text in a.title][:limit]

    async def stats(self) -> IndexStats:
        return IndexStats(len(self.articles), 2, 100, None, 4096, "/content")

    async def reindex(self, progress=None, full: bool = False) -> ReindexReport:
        return ReindexReport(unchanged=len(self.articles), total=len(self.articles))


@pytest.fixture
def index() -> FakeIndex:
    return FakeIndex([make_article(n, "tv" if n % 2 else "sports") for n in range(1, 13)])


@pytest.fixture
def answers(index) -> Answers:
    return Answers(index)


# --- argument helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "count", "expected"),
    [
        (None, None, (None, 5)),
        ("tv", None, ("tv", 5)),
        ("tv", 3, ("tv", 3)),
        ("3", None, (None, 3)),
        ("3", 4, ("3", 4)),
    ],
)
def test_split_latest_args(category, count, expected):
    assert split_latest_args(category, count) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tv 3", ("tv", 3)),
        ("3", (None, 3)),
        ("", (None, 5)),
        ("science fiction", ("science fiction", 5)),
    ],
)
def test_console_split_latest(text, expected):
    assert split_latest(text) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<@42> cruise stunt", "cruise stunt"),
        ("<@!42>   cruise", "cruise"),
        ("  <@42>", ""),
        ("<@43> cruise", None),
        ("cruise <@42>", None),
        ("<@&42> cruise", None),
    ],
)
def test_mention_query(content, expected):
    assert mention_query(content, 42) == expected


def test_category_choices_fit_discord():
    names = ["tv", "x" * 100, "y" * 101, "\u202eevil"] + [f"c{n}" for n in range(40)]
    choices = category_choices(names)
    assert len(choices) == limits.AUTOCOMPLETE_CHOICES
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert "y" * 101 not in [c.value for c in choices]  # would not match when sent back
    assert choices[2].name == "evil" and choices[2].value == "\u202eevil"


def test_title_choices_fit_discord():
    titles = [("A " * 200, "short.md"), ("Title", "p/" + "x" * 200 + ".md")] * 20
    choices = title_choices(titles)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert choices[0].value == "short.md"
    assert choices[1].value == "Title"  # the id is too long: the title resolves it too


# --- answers -------------------------------------------------------------------------------


class TestAnswers:
    async def test_search_pages(self, answers, index):
        reply, result = await answers.search("  cruise   stunt ")
        assert result is not None and result.total == 12
        assert index.searches[-1] == ("cruise stunt", 5, 0)
        assert reply.footer == "Page 1/3 · 12 results"
        reply, _ = await answers.search("cruise stunt", page=2)
        assert index.searches[-1] == ("cruise stunt", 5, 10)
        assert reply.footer == "Page 3/3 · 12 results"

    async def test_only_new_searches_are_counted(self, answers):
        await answers.search("cruise")
        await answers.search("cruise", page=1)
        await answers.search("")
        assert answers.queries.counts() == (1, 1)

    async def test_empty_and_long_queries(self, answers, index):
        reply, result = await answers.search("   ")
        assert result is None and "`!search cruise stunt`" in reply.content
        reply, result = await answers.search("x" * 10_000)
        assert result is None and "too long" in reply.content
        assert index.searches == []

    async def test_query_error_is_one_escaped_sentence(self, answers):
        reply, result = await answers.search('"cruise')
        assert result is None and reply.ephemeral
        assert reply.content == 'Close the quote: "\\*phrase\\* <@\u200b&1>.'

    async def test_latest(self, answers):
        reply = await answers.latest("TV", 3)
        assert reply.title == "Latest in “tv”"  # the category's own spelling
        assert reply.description.count("\n\n") == 2

    async def test_latest_unknown_category(self, answers):
        reply = await answers.latest("@everyone", 3)
        assert reply.ephemeral
        assert "There is no category “@\u200beveryone”" in reply.content
        assert "latest, sports, tv" in reply.content or "tv" in reply.content

    @pytest.mark.parametrize("count", [0, 11, -1])
    async def test_latest_count_range(self, answers, count):
        assert (await answers.latest(None, count)).content == render.COUNT_RANGE

    async def test_article(self, answers):
        assert (await answers.article("post-3")).title == "Cruise stunt number 3"
        missing = await answers.article("nope")
        assert missing.ephemeral and "couldn't find" in missing.content

    async def test_stats_and_reindex(self, answers):
        stats = await answers.stats()
        assert dict((n, v) for n, v, _ in stats.fields)["Articles"] == "12"
        report = await answers.reindex()
        assert report.title == "Index updated"

    async def test_reindex_failure_is_a_sentence(self, answers, index):
        index.reindex = AsyncMock(side_effect=OSError("disk full"))
        reply = await answers.reindex()
        assert reply.ephemeral and "previous index is still in use" in reply.content


class TestAsk:
    async def test_answer_is_quoted_with_its_source(self, answers, index):
        reply = await answers.ask("  how did   post 3 end? ", channel=1)
        assert index.asked == [("how did post 3 end?", None)]
        assert reply.title == "“how did post 3 end?”"
        assert reply.description.startswith("> The cruise stunt was filmed on a moving train.")
        assert "Source: [Cruise stunt number 3](https://example.com/posts/post-3)" in (
            reply.description
        )
        assert answers.queries.counts() == (1, 1)

    async def test_declined(self, answers):
        reply = await answers.ask("who won the election?", channel=1)
        assert reply.description.startswith(render.DECLINED)
        assert reply.description.count("\n- ") == 3  # the closest three of four
        assert answers.follow_ups.get(1) is None

    async def test_empty_and_long_questions(self, answers, index):
        empty = await answers.ask("   ")
        assert (
            empty.ephemeral
            and "`!ask how many takes did the motorbike stunt need?`" in empty.content
        )
        long = await answers.ask("why " * 200)
        assert long.ephemeral and "too long" in long.content
        assert index.asked == []

    async def test_query_error_is_one_sentence(self, answers, index):
        index.ask = AsyncMock(side_effect=QueryError("Too **many** words."))
        reply = await answers.ask("why?")
        assert reply.ephemeral and reply.content == "Too \\*\\*many\\*\\* words."

    async def test_follow_up_in_the_same_channel_within_the_window(self, answers, index):
        now = [1000.0]
        answers.follow_ups = FollowUps(clock=lambda: now[0])
        await answers.ask("what happened in post 3?", channel=10)
        now[0] += FOLLOW_UP_WINDOW - 1
        reply = await answers.ask("what about the train?", channel=10)
        assert index.asked[-1] == ("what about the train?", "post-3.md")
        assert "Cruise stunt number 3" in reply.description
        # Another channel (or a DM) is another conversation.
        await answers.ask("what about the train?", channel=11)
        assert index.asked[-1][1] is None
        # A declined question keeps the last answer's article, and the clock of it.
        now[0] += 10
        await answers.ask("who won the election?", channel=10)
        assert index.asked[-1][1] == "post-3.md"
        assert answers.follow_ups.get(10) == "post-3.md"
        now[0] += FOLLOW_UP_WINDOW - 9  # the answer above (the follow-up) renewed it
        await answers.ask("and then?", channel=10)
        assert index.asked[-1][1] is None
        assert len(answers.follow_ups) == 0

    async def test_a_new_answer_replaces_the_context(self, answers, index):
        await answers.ask("post 3?", channel="dm-5")
        await answers.ask("post 7?", channel="dm-5")
        await answers.ask("and?", channel="dm-5")
        assert index.asked[-1][1] == "post-7.md"

    async def test_no_channel_no_follow_up(self, answers, index):
        await answers.ask("post 3?")
        await answers.ask("and?")
        assert index.asked[-1][1] is None and len(answers.follow_ups) == 0


class TestFollowUps:
    def test_bounded(self):
        follow_ups = FollowUps(limit=3, clock=lambda: 0.0)
        for channel in range(10):
            follow_ups.remember(channel, f"a{channel}")
        assert len(follow_ups) == 3
        assert [follow_ups.get(c) for c in (6, 7, 8, 9)] == [None, "a7", "a8", "a9"]

    def test_least_recent_goes_first(self):
        follow_ups = FollowUps(limit=2, clock=lambda: 0.0)
        follow_ups.remember(1, "a")
        follow_ups.remember(2, "b")
        follow_ups.remember(1, "c")  # channel 1 is now the most recent
        follow_ups.remember(3, "d")
        assert (follow_ups.get(1), follow_ups.get(2), follow_ups.get(3)) == ("c", None, "d")

    def test_expired_entries_are_dropped(self):
        now = [0.0]
        follow_ups = FollowUps(window=300.0, clock=lambda: now[0])
        for channel in range(100):
            now[0] = channel
            follow_ups.remember(channel, "x")
        now[0] = 350.0  # channels 0..49 answered more than 300 s ago
        assert follow_ups.get(50) == "x" and follow_ups.get(49) is None
        assert len(follow_ups) == 50
        assert follow_ups.get(None) is None
        follow_ups.remember(None, "ignored")
        assert len(follow_ups) == 50


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how many takes did the motorbike stunt need?", True),
        ("How many takes did the motorbike stunt need", True),
        ("what's the budget", True),
        ("Who judged the show", True),
        ("is the pharmacy open late", True),
        ("the motorbike stunt?", True),
        ("motorbike stunt ?  ", True),
        ("cruise stunt", False),
        ("island ferry", False),  # "is..." inside a word is not "is"
        ("howl at the moon", False),
        ("whatever", False),
        ("", False),
        ("category:tv who", False),
    ],
)
def test_looks_like_question(text, expected):
    assert looks_like_question(text) is expected


def test_query_log_windows():
    now = [0.0]
    log = QueryLog(clock=lambda: now[0])
    for t in (0.0, 100.0, 90_000.0 - 3000, 90_000.0 - 10):
        now[0] = t
        log.record()
    now[0] = 90_000.0
    assert log.counts() == (2, 2)  # the first two are more than a day old


# --- console --------------------------------------------------------------------------------


class TestConsoleCommands:
    async def test_commands_and_paging(self, index):
        console = Console(Answers(index, style=PLAIN))
        out = await console.handle("search cruise")
        assert "Page 1/3" in out and "type more" in out
        assert "Page 2/3" in await console.handle("more")
        assert "Page 3/3" in await console.handle("!next")
        assert await console.handle("more") == "That was the last page."
        assert "Page 2/3" in await console.handle("back")
        assert "Latest in “tv”" in await console.handle("/latest tv 2")
        assert "Categories" in await console.handle("categories")
        assert "Cruise stunt number 4" in await console.handle("article post-4")
        assert "Search syntax" in await console.handle("help")
        assert "Page 1/3" in await console.handle("cruise stunt")  # anything else searches
        assert "> The cruise stunt" in await console.handle("ask what happened in post 4?")
        follow_up = await console.handle("!ask and then?")
        assert "Source: Cruise stunt number 4" in follow_up
        assert index.asked[-1] == ("and then?", "post-4.md")
        assert "Source: Cruise stunt number 5" in await console.handle("what about post 5")
        assert render.DECLINED in await console.handle("Who won the election?")
        assert "For example: !ask how many" in await console.handle("ask")
        assert await console.handle("   ") == ""
        assert await console.handle("quit") is None
        assert await console.handle("EXIT") is None

    async def test_paging_before_searching(self, index):
        console = Console(Answers(index, style=PLAIN))
        assert "no search" in await console.handle("more")


# --- bot: errors, permissions, rate limit ---------------------------------------------------


@pytest.fixture
async def bot(index):
    bot = create_bot(Settings(prefix="?", admin_role_ids=frozenset({77})), index)
    await bot.setup_hook()  # loads the cogs; no connection is made (nothing to close)
    return bot


def fake_ctx(bot, command_name: str | None = None, interaction=None):
    command = bot.get_command(command_name) if command_name else None
    return SimpleNamespace(
        command=command, interaction=interaction, clean_prefix="?", channel="#general"
    )


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
        }
        slash = {c.name for c in bot.tree.get_commands()}
        assert slash == names - {"sync"}
        bot._connection.user = SimpleNamespace(id=42)  # as after login
        prefixes = await bot.get_prefix(SimpleNamespace(content="?x"))
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


def member(*, manage_guild=False, role_ids=(), user_id=5):
    m = MagicMock(spec=discord.Member)
    m.id = user_id
    m.resolved_permissions = None
    m.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    m.roles = [SimpleNamespace(id=r) for r in role_ids]
    return m


class TestPermissions:
    settings = Settings(admin_role_ids=frozenset({77}), admin_user_ids=frozenset({99}))

    def test_manage_server(self):
        assert is_admin_member(member(manage_guild=True), self.settings)

    def test_interaction_permissions(self):
        m = member()
        m.resolved_permissions = discord.Permissions(administrator=True)
        assert is_admin_member(m, self.settings)

    def test_admin_role(self):
        assert is_admin_member(member(role_ids=(1, 77)), self.settings)

    def test_admin_user_even_in_dms(self):
        assert is_admin_member(SimpleNamespace(id=99), self.settings)

    def test_everyone_else(self):
        assert not is_admin_member(member(role_ids=(1,)), self.settings)
        assert not is_admin_member(SimpleNamespace(id=5), self.settings)

    async def test_check_refuses_politely(self, bot):
        bot.is_owner = AsyncMock(return_value=False)
        ctx = SimpleNamespace(bot=bot, author=member())
        with pytest.raises(NotAdmin) as caught:
            await admin_check(ctx)
        assert str(caught.value) == render.NOT_ALLOWED

    async def test_owner_passes(self, bot):
        bot.is_owner = AsyncMock(return_value=True)
        assert await admin_check(SimpleNamespace(bot=bot, author=member()))

    async def test_owner_lookup_failure_is_a_refusal(self, bot):
        bot.is_owner = AsyncMock(side_effect=discord.HTTPException(MagicMock(status=500), "x"))
        with pytest.raises(NotAdmin):
            await admin_check(SimpleNamespace(bot=bot, author=member()))


# --- commands called directly ---------------------------------------------------------------


def prefix_ctx(bot, author_id=5):
    ctx = MagicMock()
    ctx.bot = bot
    ctx.interaction = None
    ctx.author = SimpleNamespace(id=author_id)
    ctx.send = AsyncMock(return_value=MagicMock(spec=discord.Message))
    return ctx


class TestCommandCallbacks:
    async def test_search_sends_an_embed_with_pages(self, bot):
        ctx = prefix_ctx(bot)
        cog = bot.get_cog("Search")
        await bot.get_command("search").callback(cog, ctx, query="cruise")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["allowed_mentions"].to_dict()["parse"] == []
        assert kwargs["mention_author"] is False
        assert kwargs["embed"].footer.text == "Page 1/3 · 12 results"
        assert isinstance(kwargs["view"], SearchPages)
        assert kwargs["view"].message is ctx.send.return_value

    async def test_one_page_has_no_buttons(self, bot):
        ctx = prefix_ctx(bot)
        await bot.get_command("search").callback(bot.get_cog("Search"), ctx, query="number 12")
        assert "view" not in ctx.send.await_args.kwargs

    async def test_latest_count_first(self, bot):
        ctx = prefix_ctx(bot)
        await bot.get_command("latest").callback(bot.get_cog("Search"), ctx, "2", None)
        embed = ctx.send.await_args.kwargs["embed"]
        assert embed.title == "Latest articles" and embed.description.count("\n\n") == 1

    async def test_ask_sends_the_answer_and_remembers_the_channel(self, bot, index):
        ctx = prefix_ctx(bot)
        ctx.channel = SimpleNamespace(id=555)
        cog = bot.get_cog("Search")
        await bot.get_command("ask").callback(cog, ctx, question="what about post 2?")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["allowed_mentions"].to_dict()["parse"] == []
        assert kwargs["mention_author"] is False and "view" not in kwargs
        assert kwargs["embed"].description.startswith("> The cruise stunt")
        assert "Cruise stunt number 2" in kwargs["embed"].description
        await bot.get_command("ask").callback(cog, ctx, question="and then?")
        assert index.asked[-1] == ("and then?", "post-2.md")

    async def test_ask_usage(self, bot):
        assert bot.get_command("ask").signature == "<question>"

    def test_conversation_is_the_channel(self):
        prefix = SimpleNamespace(interaction=None, channel=SimpleNamespace(id=7))
        assert conversation(prefix) == 7
        slash = SimpleNamespace(interaction=SimpleNamespace(channel_id=8), channel=None)
        assert conversation(slash) == 8
        assert conversation(SimpleNamespace(interaction=None, channel=None)) is None

    async def test_autocomplete(self, bot):
        cog = bot.get_cog("Search")
        choices = await cog.latest_category(None, "t")
        assert [c.value for c in choices] == ["tv"]
        titles = await cog.article_title(None, "number 1")
        assert titles[0].value == "post-1.md"


# --- mentions -------------------------------------------------------------------------------


class TestMentions:
    async def mention(self, bot, text: str):
        bot._connection.user = SimpleNamespace(id=42, name="articlebot")  # as after login
        ctx = prefix_ctx(bot)
        ctx.command = None
        ctx.channel = SimpleNamespace(id=900)
        bot.get_context = AsyncMock(return_value=ctx)
        message = SimpleNamespace(
            author=SimpleNamespace(id=5, bot=False), content=f"<@42> {text}", channel=ctx.channel
        )
        await bot.get_cog("Search").on_message(message)
        return ctx

    @pytest.mark.parametrize("text", ["how did post 3 end", "the cruise of post 3?"])
    async def test_a_question_is_answered(self, bot, index, text):
        ctx = await self.mention(bot, text)
        assert index.asked == [(text, None)] and index.searches == []
        embed = ctx.send.await_args.kwargs["embed"]
        assert embed.description.startswith("> ") and "Cruise stunt number 3" in embed.description

    async def test_words_are_searched(self, bot, index):
        ctx = await self.mention(bot, "cruise stunt")
        assert index.asked == [] and index.searches == [("cruise stunt", 5, 0)]
        assert ctx.send.await_args.kwargs["embed"].footer.text == "Page 1/3 · 12 results"

    async def test_a_failure_is_one_sentence(self, bot, index, caplog):
        index.ask = AsyncMock(side_effect=RuntimeError("secret internals"))
        ctx = await self.mention(bot, "why?")
        kwargs = ctx.send.await_args.kwargs
        assert kwargs["content"] == render.INTERNAL and kwargs["allowed_mentions"] is not None
        assert "secret internals" in caplog.text  # logged, not shown


# --- the paginator --------------------------------------------------------------------------


def interaction(user_id: int):
    response = SimpleNamespace(
        send_message=AsyncMock(), edit_message=AsyncMock(), is_done=lambda: False
    )
    return SimpleNamespace(user=SimpleNamespace(id=user_id), response=response)


class TestSearchPages:
    async def make(self, answers):
        _, result = await answers.search("cruise")
        return SearchPages(answers, result, author_id=5)

    async def test_buttons(self, answers):
        view = await self.make(answers)
        assert view.previous.disabled and not view.next.disabled
        assert view.position.label == "1/3" and view.position.disabled
        assert len(view.children) <= limits.BUTTONS_PER_ROW

    async def test_only_the_asker(self, answers):
        view = await self.make(answers)
        stranger = interaction(6)
        assert await view.interaction_check(stranger) is False
        stranger.response.send_message.assert_awaited_once()
        args, kwargs = stranger.response.send_message.await_args
        assert args == (render.ONLY_ASKER,)
        assert kwargs["ephemeral"] is True
        assert await view.interaction_check(interaction(5)) is True

    async def test_turning(self, answers):
        view = await self.make(answers)
        press = interaction(5)
        await view.turn(press, 1)
        kwargs = press.response.edit_message.await_args.kwargs
        assert kwargs["embed"].footer.text == "Page 2/3 · 12 results"
        assert kwargs["view"] is view and kwargs["allowed_mentions"] is not None
        assert not view.previous.disabled and view.position.label == "2/3"
        await view.turn(interaction(5), 2)
        assert view.next.disabled
        await view.turn(interaction(5), 99)  # clamped to the last page
        assert view.page == 2

    async def test_timeout_disables_buttons(self, answers):
        view = await self.make(answers)
        view.message = MagicMock()
        view.message.edit = AsyncMock()
        await view.on_timeout()
        assert all(item.disabled for item in view.children)
        view.message.edit.assert_awaited_once()
        assert view.message.edit.await_args.kwargs["view"] is view

    async def test_timeout_survives_a_deleted_message(self, answers):
        view = await self.make(answers)
        view.message = MagicMock()
        view.message.edit = AsyncMock(
            side_effect=discord.NotFound(MagicMock(status=404), "Unknown Message")
        )
        await view.on_timeout()  # no exception


# --- the runner -----------------------------------------------------------------------------


class FakeBot:
    def __init__(self, intents, outcome):
        self.intents, self.outcome = intents, outcome
        self.closed = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.closed = True

    async def start(self, token):
        if self.outcome is not None:
            raise self.outcome


class TestServe:
    async def run(self, monkeypatch, outcomes):
        from articlebot.bot import run

        made = []

        def fake_create_bot(settings, index, *, intents=None):
            made.append(FakeBot(intents, outcomes[len(made)]))
            return made[-1]

        monkeypatch.setattr(run, "create_bot", fake_create_bot)
        status = await run.serve(Settings(token="t" * 60), FakeIndex([]))
        return status, made

    async def test_retries_without_message_content(self, monkeypatch, caplog):
        status, made = await self.run(monkeypatch, [discord.PrivilegedIntentsRequired(None), None])
        assert status == 0
        assert [b.intents.message_content for b in made] == [True, False]
        assert all(b.closed for b in made)
        assert "Message Content intent" in caplog.text and "!search" in caplog.text

    async def test_refused_twice_gives_up(self, monkeypatch):
        refused = discord.PrivilegedIntentsRequired(None)
        status, made = await self.run(monkeypatch, [refused, refused])
        assert status == 1 and len(made) == 2

    async def test_bad_token(self, monkeypatch, caplog):
        status, _ = await self.run(monkeypatch, [discord.LoginFailure("Improper token")])
        assert status == 2
        assert "DISCORD_TOKEN" in caplog.text and "t" * 60 not in caplog.text


def test_invite_url():
    from articlebot.bot.app import invite_url

    url = invite_url(123)
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=123&")
    assert "scope=bot+applications.commands" in url
    assert "permissions=2147568640" in url  # view, send, embed links, history, slash
