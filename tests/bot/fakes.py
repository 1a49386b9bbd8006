"""A stand-in for ArticleIndex and small Discord objects, for the narrow bot tests.

The stand-in is checked against the real class (tests/bot/test_fakes.py), so it cannot
drift from what ArticleIndex offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest.mock import AsyncMock, MagicMock

import discord

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
        self.posts = articles
        self.searches: list[tuple[str, int, int]] = []
        self.asked: list[tuple[str, str | None]] = []
        self.reindexing = False
        self.article_count = len(articles)

    async def search(
        self,
        query: str,
        limit: int = 5,
        offset: int = 0,
        *,
        literal: bool = False,
        snippets: bool = True,
    ) -> SearchResult:
        self.searches.append((query, limit, offset))
        if not literal and '"' in query and query.count('"') % 2:
            raise QueryError('Close the quote: "*phrase* <@&1>.')
        words = query.casefold().split()
        found = [a for a in self.posts if all(w in a.title.casefold() for w in words)]
        hits = tuple(
            Hit(a, 1.0, Snippet(a.body, ((4, 10),)) if snippets else Snippet("")) for a in found
        )
        suggestion = "cruise" if not found else None
        return SearchResult(query, hits[offset : offset + limit], len(found), offset, suggestion)

    async def ask(self, question: str, context_id: str | None = None) -> Answer:
        """Answers from the article whose number is in the question ("post 3"), or from
        the context article; declines questions about elections, offering four."""
        self.asked.append((question, context_id))
        by_id = {a.id: a for a in self.posts}
        numbers = [w for w in question.replace("?", " ").split() if w.isdigit()]
        source = by_id.get(f"post-{numbers[0]}.md") if numbers else by_id.get(context_id or "")
        if source is None or "election" in question:
            return Answer(question, (), None, 0.1, True, tuple(self.posts[:4]))
        return Answer(question, (source.body,), source, 0.9, False)

    async def latest(self, limit: int = 5, category: str | None = None) -> list[Article]:
        chosen = [a for a in self.posts if category is None or category in a.categories]
        return chosen[:limit]

    async def categories(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for a in self.posts:
            for c in a.categories:
                counts[c] = counts.get(c, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])

    async def article(self, ref: str) -> Article | None:
        return next((a for a in self.posts if ref in (a.id, a.slug)), None)

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]:
        names = sorted({c for a in self.posts for c in a.categories})
        return [n for n in names if n.startswith(prefix)][:limit]

    def article_ids(self) -> list[str]:
        return [a.id for a in self.posts]

    async def articles(self, ids: Sequence[str]) -> list[Article]:
        by_id = {a.id: a for a in self.posts}
        return [by_id[i] for i in ids if i in by_id]

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        return [(a.title, a.id) for a in self.posts if text in a.title][:limit]

    async def stats(self) -> IndexStats:
        return IndexStats(len(self.posts), 2, 100, None, 4096, "/content")

    async def reindex(self, progress=None, full: bool = False, paths=None) -> ReindexReport:
        return ReindexReport(unchanged=len(self.posts), total=len(self.posts))


def fake_ctx(bot, command_name: str | None = None, interaction=None):
    command = bot.get_command(command_name) if command_name else None
    return SimpleNamespace(
        command=command, interaction=interaction, clean_prefix="?", channel="#general"
    )


def member(*, manage_guild=False, role_ids=(), user_id=5):
    m = MagicMock(spec=discord.Member)
    m.id = user_id
    m.resolved_permissions = None
    m.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    m.roles = [SimpleNamespace(id=r) for r in role_ids]
    return m


def prefix_ctx(bot, author_id=5):
    ctx = MagicMock()
    ctx.bot = bot
    ctx.interaction = None
    ctx.guild = None  # as in a DM: the environment's settings, a query logged without a server
    ctx.author = SimpleNamespace(id=author_id)
    ctx.send = AsyncMock(return_value=MagicMock(spec=discord.Message))
    return ctx


def interaction(user_id: int, custom_id: str = "a-button"):
    response = SimpleNamespace(
        send_message=AsyncMock(), edit_message=AsyncMock(), is_done=lambda: False, defer=AsyncMock()
    )
    return SimpleNamespace(
        user=SimpleNamespace(id=user_id), response=response, data={"custom_id": custom_id}
    )
