"""Fixtures that run discord.py clients against the local Discord stand-in.

Every fixture patches discord.py's module globals (REST base, default gateway, CDN) only
for its own lifetime and restores them on teardown, so no test can reach the real Discord
and no patch leaks into another test.
"""

from __future__ import annotations

import itertools
import logging
import re
import tarfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from articlebot.bot.answers import Answers
from articlebot.bot.app import create_bot
from articlebot.bot.settings import Settings
from tests.bot.discord_standin import (
    DiscordStandin,
    FakeUser,
    InteractionRef,
    RecordedRequest,
    message_text,
    running,
)
from tests.bot.fakes import FakeIndex, make_article
from tests.sample_posts import write_post


@pytest_asyncio.fixture
async def standin(request: pytest.FixtureRequest) -> AsyncIterator[DiscordStandin]:
    """A fresh stand-in per test, with discord.py pointed at it; a module's ``STANDIN =
    {...}`` gives its options, as for ``module_standin``."""
    async with DiscordStandin(**getattr(request.module, "STANDIN", {})) as server:
        with server.patch_discord():
            yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_standin(request: pytest.FixtureRequest) -> AsyncIterator[DiscordStandin]:
    """One stand-in for a whole module (its tests share one bot to stay fast); the module
    must run its tests in the module loop: ``pytestmark = pytest.mark.asyncio(loop_scope=
    "module")``. A module's ``STANDIN = {...}`` gives the stand-in's options."""
    async with DiscordStandin(**getattr(request.module, "STANDIN", {})) as server:
        with server.patch_discord():
            yield server


# --- content for the end-to-end tests -------------------------------------------------

# (file name, title, date, category, body). Written for these tests; fourteen mention the
# lighthouse so a search for it needs more than one page.
LIGHTHOUSE_POSTS = [
    (
        f"lighthouse_log_{i:02d}.md",
        f"Lighthouse keeper's log, week {i}",
        f"2023-0{1 + i % 9}-{10 + i:02d}-08-30-00",
        ("science", "travel", "news")[i % 3],
        f"Week {i} at the lighthouse: the lamp was cleaned, the fog horn tested and "
        f"{i * 3} ships passed the point before the storm shutters went up.",
    )
    for i in range(1, 15)
]
OTHER_POSTS = [
    (
        "marathon_runners_cross_the_bridge.md",
        "Marathon runners cross the bridge",
        "2024-03-02-09-00-00",
        "sports",
        "Nine thousand runners crossed the suspension bridge in the spring marathon. The "
        "winner finished in two hours and eleven minutes.",
    ),
    (
        "cooking_show_returns_for_a_fifth_series.md",
        "Cooking show returns for a fifth series",
        "2024-03-05-19-30-00",
        "tv",
        "The cooking show returns with twelve amateur bakers and a new judge who once ran a "
        "village bakery.",
    ),
    (
        "pharmacy_opening_hours_extended.md",
        "Pharmacy opening hours extended",
        "2024-03-07-07-45-00",
        "health",
        "The town pharmacy will open until ten at night during the winter flu season.",
    ),
    (
        "ping_everyone_about_the_fete.md",
        "Tell @everyone about the village fete",
        "2024-03-09-12-00-00",
        "news",
        "@everyone and @here are invited to the village fete, say the organisers in <@&1234> "
        "and <@5678>. **Bold** claims, `code`, ||spoilers|| and [a link](https://example.org) "
        "sit next to the raffle: the fete raises money for the lifeboat.",
    ),
]


def write_articles(folder: Path) -> Path:
    """The small site every e2e module serves."""
    folder.mkdir(parents=True, exist_ok=True)
    for post in [*LIGHTHOUSE_POSTS, *OTHER_POSTS]:
        write_post(folder, *post)
    return folder


WORDS = [
    "harbour",
    "council",
    "school",
    "river",
    "market",
    "bridge",
    "garden",
    "festival",
    "orchestra",
    "station",
    "museum",
    "library",
    "railway",
    "meadow",
    "village",
    "election",
    "weather",
    "season",
    "concert",
    "factory",
    "hospital",
    "airport",
    "canal",
    "castle",
    "forest",
    "island",
    "lantern",
    "mountain",
    "parade",
    "quarry",
    "stadium",
    "theatre",
]


def write_generated_corpus(folder: Path, count: int = 25_000) -> Path:
    """Many small posts, for a reindex big enough to take a while (used when the real
    corpus archive is not beside the project)."""
    folder.mkdir(parents=True, exist_ok=True)
    categories = ("news", "tv", "sports", "science", "health", "business")
    for i in range(count):
        words = [WORDS[(i * 7 + k * 13) % len(WORDS)] for k in range(60)]
        write_post(
            folder,
            f"generated_post_{i:05d}.md",
            f"Generated {WORDS[i % len(WORDS)]} story {i}",
            f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}-12-00-00",
            categories[i % len(categories)],
            " ".join(words).capitalize() + ".",
        )
    return folder


def real_corpus_archive() -> Path | None:
    """The shared real corpus, when the project sits beside ../shared (not in a fresh clone)."""
    path = Path(__file__).resolve().parents[3] / "shared/corpora/finescoop-2020.tar.xz"
    return path if path.exists() else None


def extract_corpus(archive: Path, into: Path) -> Path:
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(into, filter="data")
    folders = [p for p in into.iterdir() if p.is_dir()]
    return folders[0] if len(folders) == 1 else into


# --- the real bot against the stand-in -------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")
PING = re.compile(r"@(everyone|here)\b")


@dataclass
class E2E:
    """The real articlebot, connected to the stand-in, over a small site of posts."""

    standin: DiscordStandin
    bot: Any
    index: Any
    settings: Any
    content: Path
    _names: Iterator[int] = field(default_factory=itertools.count)

    def fresh_user(self, *, roles: tuple[int, ...] = ()) -> FakeUser:
        """A member the bot has never seen, so its per-user cooldown starts empty."""
        return self.standin.add_user(f"user{next(self._names)}", roles=roles)

    async def ask(
        self,
        content: str,
        user: FakeUser | None = None,
        *,
        mentions: tuple[FakeUser, ...] = (),
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Post ``content`` as ``user`` (a fresh one by default) and return the bot's reply."""
        sent = await self.standin.send_message(
            content, author=user or self.fresh_user(), mentions=mentions
        )
        return await self.standin.wait_for_reply(sent, timeout=timeout)

    async def wait_for_view(self, message_id: int | str) -> None:
        """Until the bot has attached its buttons' view to the message: it does when
        Discord's answer to the send reaches it. A person cannot press before the message
        shows; a test can, and the press would reach no view."""
        store = self.bot._connection._view_store
        await self.standin.wait_until(
            lambda: int(message_id) in store._synced_message_views, timeout=20
        )

    async def slash(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        user: FakeUser | None = None,
        *,
        timeout: float = 5.0,
    ) -> tuple[InteractionRef, RecordedRequest, dict[str, Any]]:
        """Run ``/command``; returns the interaction, its callback and the message shown."""
        ref = await self.standin.slash(command, options, user=user or self.fresh_user())
        callback = await self.standin.wait_for_callback(ref, timeout=timeout)
        shown = await self.standin.wait_for_response(ref, timeout=timeout)
        return ref, callback, shown


def payload_problems(request: RecordedRequest) -> list[str]:
    """What is wrong with one message-carrying request: Discord's limits (the bot's own
    validator), a ping that could go out, a traceback or an unescaped @everyone shown."""
    from articlebot.bot.limits import opted_in_role_ping, validate_message_payload

    message = request.message
    if message is None:
        return []
    where = f"{request.method} {request.route}"
    problems = [f"{where}: {p}" for p in validate_message_payload(message)]
    if message.get("content") or message.get("embeds"):
        allowed = message.get("allowed_mentions")
        if allowed is None:
            problems.append(f"{where}: no allowed_mentions")
        elif (
            allowed.get("parse")
            or allowed.get("users")
            or allowed.get("roles")
            or allowed.get("replied_user")
        ) and not opted_in_role_ping(message):
            problems.append(f"{where}: allowed_mentions can ping: {allowed}")
    text = message_text(message)
    if TRACEBACK.search(text):
        problems.append(f"{where}: traceback text shown: {text[:200]!r}")
    if PING.search(text):
        start = max(0, PING.search(text).start() - 80)  # type: ignore[union-attr]
        problems.append(f"{where}: unescaped @everyone/@here shown: {text[start:][:200]!r}")
    return problems


def audit_requests(requests: list[RecordedRequest], allowed_status: set[int]) -> list[str]:
    problems: list[str] = []
    for r in requests:
        if r.status >= 400 and r.status not in allowed_status:
            problems.append(f"{r.method} {r.path} answered {r.status}: {r.response}")
        problems += payload_problems(r)
    return problems


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def e2e(
    request: pytest.FixtureRequest,
    module_standin: DiscordStandin,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[E2E]:
    """One articlebot per module. A module may define ``E2E_ENV(standin) -> dict`` for
    extra settings (admin ids, prefix)."""
    from articlebot.bot.app import create_bot
    from articlebot.bot.settings import load_settings
    from articlebot.index.service import ArticleIndex

    folder = tmp_path_factory.mktemp("site")
    content = write_articles(folder / "posts")
    extra = getattr(request.module, "E2E_ENV", lambda standin: {})(module_standin)
    env = {
        "DISCORD_TOKEN": module_standin.token,
        "ARTICLEBOT_CONTENT": str(content),
        "ARTICLEBOT_DB": str(folder / "index.sqlite3"),
        **extra,
    }
    settings = load_settings(env, env_file=None)
    index = await ArticleIndex.open(settings.db_path, settings.content_dir, settings.index_config())
    try:
        await index.reindex()
        bot = create_bot(settings, index)
        async with running(bot, module_standin):
            # Publish the slash commands the way the owner's !sync does, so the stand-in
            # knows their option types.
            await bot.tree.sync()
            yield E2E(module_standin, bot, index, settings, content)
    finally:
        await index.close()


@dataclass
class Audit:
    """What a test may let through the audit: extra HTTP statuses, ERROR logs."""

    statuses: set[int] = field(default_factory=lambda: {429})
    error_logs_ok: bool = False


@pytest.fixture
def audit(e2e: E2E, caplog: pytest.LogCaptureFixture) -> Iterator[Audit]:
    """After the test: every request it caused was answered without an error status, every
    message payload passes the bot's own limits check and cannot ping, and nothing was
    logged at ERROR (a test loosens this through the yielded ``Audit``)."""
    allowed = Audit()
    mark = e2e.standin.mark()
    caplog.set_level(logging.WARNING)
    yield allowed
    problems = audit_requests(e2e.standin.requests[mark:], allowed.statuses)
    if not allowed.error_logs_ok:
        problems += [
            f"logged at {r.levelname}: {r.name}: {r.getMessage()}"
            for r in caplog.get_records("call")
            if r.levelno >= logging.ERROR
        ]
    assert not problems, "\n".join(problems)


# --- the narrow tests' stand-in index and a bot over it (no Discord connection) -------------


@pytest.fixture
def index() -> FakeIndex:
    return FakeIndex([make_article(n, "tv" if n % 2 else "sports") for n in range(1, 13)])


@pytest.fixture
def answers(index) -> Answers:
    return Answers(index)


@pytest.fixture
async def bot(index, tmp_path):
    settings = Settings(
        prefix="?", admin_role_ids=frozenset({77}), db_path=tmp_path / "index.sqlite3"
    )
    bot = create_bot(settings, index)
    await bot.setup_hook()  # loads the cogs; no connection is made
    yield bot
    for extension in list(bot.extensions):  # as close() does, for a bot never connected
        await bot.unload_extension(extension)
    await bot.state.close()
