"""The real bot connected to the local Discord stand-in, for the benchmarks that need it.

`bot_on_standin` is the start-up discord_burst.py, announce_latency.py and live_day.py
share: settings, a real ArticleIndex (reindexed once, timed), create_bot, connected.
`live_site` adds what the live-site benchmarks share: a hard-linked copy of a corpus that
posts can be written into, one channel subscribed to everything, the real follower, and a
record of every reindex, so that each benchmark is only its scenario and its report.
Nothing here asserts a time: the benchmarks print.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from articlebot.bot.app import create_bot  # noqa: E402
from articlebot.bot.follow import Following, following  # noqa: E402
from articlebot.bot.settings import load_settings  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402
from tests.bot.discord_standin import DiscordStandin, RecordedRequest, running  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def load() -> str:
    """The 1/5/15-minute load average, printed with every figure (a shared machine)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def ticker(lags: list[float], every: float = 0.005) -> None:
    """Appends how late each tick of ``every`` seconds was: the event loop's lag."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    while True:
        await asyncio.sleep(every)
        now = loop.time()
        lags.append(max(0.0, now - last - every))
        last = now


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    found = dict.fromkeys(("VmRSS", "VmHWM"), 0.0)
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


@contextlib.asynccontextmanager
async def bot_on_standin(
    standin: DiscordStandin,
    content: Path,
    db_path: Path,
    env: Mapping[str, str] | None = None,
    fresh_state: bool = False,
) -> AsyncIterator[tuple[Any, ArticleIndex]]:
    """The real bot over a real index of ``content`` (reindexed first, timed and printed),
    connected to ``standin``; with ``fresh_state`` its state file (subscriptions, the
    announcement ledger) starts empty."""
    with standin.patch_discord():
        settings = load_settings(
            {
                "DISCORD_TOKEN": standin.token,
                "ARTICLEBOT_CONTENT": str(content),
                "ARTICLEBOT_DB": str(db_path),
                **(env or {}),
            },
            env_file=None,
        )
        if fresh_state:
            settings.state_path.unlink(missing_ok=True)
        index = await ArticleIndex.open(
            settings.db_path, settings.content_dir, settings.index_config()
        )
        try:
            began = time.perf_counter()
            report = await index.reindex()
            print(
                f"index: {index.article_count} articles ({report.total} files) in "
                f"{time.perf_counter() - began:.1f} s ({content})",
                flush=True,
            )
            bot = create_bot(settings, index)
            async with running(bot, standin):  # closing the bot closes its state file
                yield bot, index
        finally:
            await index.close()


@dataclass
class Reindex:
    """One reindex the follower ran: loop times it started and ended, what it added."""

    started: float
    ended: float
    added: int


@dataclass
class LiveSite:
    """The running bot following its copy of the corpus, one channel subscribed to all."""

    standin: DiscordStandin
    bot: Any
    index: ArticleIndex
    channel: int
    prefix: str  # the file names of the benchmark's own posts start with it
    reindexes: list[Reindex] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    ready_after: float = 0.0  # seconds from starting the follower to its first look

    def announced(self, since: int = 0) -> Counter[str]:
        """How often each post marker (the title's first word) was announced in the
        channel, counting every card of every create-message request since ``since``."""
        seen: Counter[str] = Counter()
        for r in self.announcements(since):
            for embed in r.json.get("embeds", []):
                seen[str(embed.get("title", "")).split(" ", 1)[0]] += 1
        return seen

    def announcements(self, since: int = 0) -> list[RecordedRequest]:
        """Create-message requests in the channel that "Discord" accepted."""
        return [
            r
            for r in self.standin.requests_since(since)
            if r.route == "create_message"
            and r.channel_id == self.channel
            and 200 <= r.status < 300
        ]

    async def wait_announced(
        self, markers: list[str], since: int, timeout: float
    ) -> dict[str, float]:
        """Loop time of the request that announced each marker; those not announced within
        ``timeout`` are left out."""
        wanted = set(markers)

        def done() -> bool:
            return wanted <= set(self.announced(since))

        with contextlib.suppress(TimeoutError):
            await self.standin.wait_until(done, timeout=timeout)
        at: dict[str, float] = {}
        for r in self.announcements(since):
            for embed in r.json.get("embeds", []):
                marker = str(embed.get("title", "")).split(" ", 1)[0]
                if marker in wanted:
                    at.setdefault(marker, r.at)
        return at


def hard_linked_copy(corpus: Path, data: Path, prefix: str) -> Path:
    """A hard-linked copy of the corpus (quick, no extra space) that posts can be added
    to without touching the extracted archive; a previous run's own posts are removed."""
    copy = data / "content"
    if not copy.exists():
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(corpus), str(copy)], check=True)
    for old in copy.glob(f"{prefix}*.md"):
        old.unlink()
    return copy


@contextlib.asynccontextmanager
async def live_site(corpus: Path, data: Path, prefix: str, quiet: float) -> AsyncIterator[LiveSite]:
    """The real bot (Announcer and state file) following a hard-linked copy of ``corpus``
    under ``data`` with the real watcher, one channel subscribed to every category; every
    reindex is recorded and a 5 ms ticker measures the loop's lag. The benchmark's own
    posts (named ``prefix*.md``) are removed afterwards."""
    content = hard_linked_copy(corpus, data, prefix)
    env = {"ARTICLEBOT_LANGUAGE": "en"}
    try:
        async with (
            DiscordStandin() as standin,
            bot_on_standin(standin, content, data / "index.sqlite3", env, True) as (bot, index),
        ):
            channel = standin.other_channel_id
            await bot.get_cog("Announcer").state.subscribe(standin.guild_id, channel, [], None)
            site = LiveSite(standin, bot, index, channel, prefix)
            loop = asyncio.get_running_loop()
            real_reindex = index.reindex

            async def recorded(*args: Any, **kwargs: Any) -> Any:
                started = loop.time()
                report = await real_reindex(*args, **kwargs)
                site.reindexes.append(Reindex(started, loop.time(), len(report.added)))
                return report

            index.reindex = recorded  # type: ignore[method-assign]
            tick = asyncio.create_task(ticker(site.lags))
            settings = Following(quiet=quiet, longest=30.0)
            began = loop.time()
            try:
                async with following(index, settings, bot.articles_changed) as ready:
                    await ready.wait()
                    site.ready_after = loop.time() - began
                    yield site
            finally:
                tick.cancel()
    finally:
        for old in content.glob(f"{prefix}*.md"):
            old.unlink()


FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---[ \t]*\n", re.S)


def corpus_bodies(corpus: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(categories line, body) of ``count`` posts of the corpus picked at random, so the
    benchmark's posts have the site's real sizes; read at run time, never stored."""
    import random

    names = sorted(p.name for p in corpus.glob("*.md"))
    picked: list[tuple[str, str]] = []
    for name in random.Random(seed).sample(names, min(count, len(names))):
        text = (corpus / name).read_text(encoding="utf-8", errors="replace")
        match = FRONT_MATTER.match(text)
        if not match:
            continue
        cats = next(
            (ln for ln in match.group(1).splitlines() if ln.startswith("categories:")),
            "categories: [latest]",
        )
        picked.append((cats.strip(), text[match.end() :]))
    return picked


def write_post(site: LiveSite, marker: str, categories: str, body: str) -> float:
    """A new post in the site's shape (Jigsaw front matter, dated now), titled by its
    ``marker``; returns the loop time it was written."""
    now = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
    path = site.index.content_dir / f"{site.prefix}{marker}.md"
    path.write_text(
        f"---\nextends: _layouts.post\nsection: content\ntitle: {marker} New post {marker}\n"
        f"date: {now}\n{categories}\n---\n{body}",
        encoding="utf-8",
    )
    return asyncio.get_running_loop().time()
