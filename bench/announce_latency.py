"""From a post written into the folder to its announcement in Discord, on the real corpus.

Runs the real articlebot (create_bot over a real ArticleIndex, with its Announcer and a
state file) against the local Discord stand-in, follows the content folder with the real
watcher (the same quiet period as `articlebot run`: 2 s), subscribes one channel to every
category, then writes --posts new posts one at a time and times each from the write to
the announcement's create-message request reaching "Discord". Prints p50/p95/max, the
reindex time per post, and the event-loop lag meanwhile. Not a test: it prints.

    .venv/bin/python bench/announce_latency.py --corpus /tmp/corpus/finescoop-2020

The corpus is hard-linked into bench/.data/announce/ (posts are added there, never to the
extracted archive) and indexed there once; a second run reuses both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from corpora import real_corpus  # noqa: E402
from discord_burst import percentile, ticker  # noqa: E402

from articlebot.bot.app import create_bot  # noqa: E402
from articlebot.bot.follow import Following, following  # noqa: E402
from articlebot.bot.settings import load_settings  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402
from tests.bot.discord_standin import DiscordStandin, running  # noqa: E402

DATA = HERE / ".data" / "announce"


def prepare(corpus: Path) -> Path:
    """A hard-linked copy of the corpus (quick, no extra space) that posts can be added
    to; the benchmark's own posts from an earlier run are removed."""
    copy = DATA / "content"
    if not copy.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(corpus), str(copy)], check=True)
    for old in copy.glob("bench_announce_*.md"):
        old.unlink()
    return copy


def write(folder: Path, n: int) -> tuple[Path, str]:
    title = f"Bench announcement {n}: the tide gauge recorded a new high"
    now = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
    path = folder / f"bench_announce_{n:03d}.md"
    path.write_text(
        f"---\ntitle: {title}\ndate: {now}\ncategories: [latest, news]\n---\n"
        f"The harbour's tide gauge recorded its highest reading, number {n}.\n",
        encoding="utf-8",
    )
    return path, title


async def bench(args: argparse.Namespace) -> None:
    content = prepare(real_corpus(Path(args.corpus) if args.corpus else None, "pass --corpus"))
    async with DiscordStandin() as standin:
        with standin.patch_discord():
            settings = load_settings(
                {
                    "DISCORD_TOKEN": standin.token,
                    "ARTICLEBOT_CONTENT": str(content),
                    "ARTICLEBOT_DB": str(DATA / "index.sqlite3"),
                    "ARTICLEBOT_LANGUAGE": "en",
                },
                env_file=None,
            )
            settings.state_path.unlink(missing_ok=True)  # a fresh ledger each run
            index = await ArticleIndex.open(
                settings.db_path, settings.content_dir, settings.index_config()
            )
            try:
                began = time.perf_counter()
                report = await index.reindex()
                print(
                    f"index: {index.article_count} articles ({report.total} files) in "
                    f"{time.perf_counter() - began:.1f} s"
                )
                bot = create_bot(settings, index)
                async with running(bot, standin):
                    await run(standin, bot, index, args)
            finally:
                await index.close()
    for old in content.glob("bench_announce_*.md"):
        old.unlink()


async def run(standin: DiscordStandin, bot, index: ArticleIndex, args: argparse.Namespace) -> None:
    channel = standin.other_channel_id
    cog = bot.get_cog("Announcer")
    await cog.state.subscribe(standin.guild_id, channel, [], None)
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    latencies: list[float] = []
    reindexes: list[float] = []
    real_reindex = index.reindex

    async def timed_reindex(*a, **k):
        t = time.perf_counter()
        try:
            return await real_reindex(*a, **k)
        finally:
            reindexes.append(time.perf_counter() - t)

    index.reindex = timed_reindex  # type: ignore[method-assign]
    settings = Following(quiet=args.quiet, longest=30.0)
    tick = asyncio.create_task(ticker(lags))
    async with following(index, settings, bot.articles_changed) as ready:
        await ready.wait()
        for n in range(args.posts):
            mark = standin.mark()
            _, title = write(index.content_dir, n)
            written = loop.time()
            request = await standin.wait_for_request(
                lambda r, title=title: (
                    r.route == "create_message"
                    and r.channel_id == channel
                    and any(e.get("title") == title for e in r.json.get("embeds", []))
                ),
                timeout=60,
                since=mark,
            )
            latencies.append(request.at - written)
            await asyncio.sleep(args.gap)
    tick.cancel()
    sent = [r for r in standin.requests if r.route == "create_message" and r.channel_id == channel]
    print(
        f"{args.posts} posts, one every ~{args.gap + statistics.mean(latencies):.1f} s; "
        f"quiet period {args.quiet:g} s; {len(sent)} announcements (one each expected)"
    )
    print(
        f"write -> announcement: p50 {percentile(latencies, 50):.2f} s, p95 "
        f"{percentile(latencies, 95):.2f} s, max {max(latencies):.2f} s"
    )
    print(
        f"reindex per post: p50 {percentile(reindexes, 50) * 1000:.0f} ms, max "
        f"{max(reindexes) * 1000:.0f} ms; event-loop lag p95 {percentile(lags, 95) * 1000:.1f} "
        f"ms, max {max(lags) * 1000:.1f} ms; load " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="the extracted finescoop-2020 folder")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between posts")
    parser.add_argument("--quiet", type=float, default=2.0, help="the watcher's quiet period")
    parser.add_argument("--fresh", action="store_true", help="copy and index the corpus anew")
    args = parser.parse_args()
    if args.fresh:
        shutil.rmtree(DATA, ignore_errors=True)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
