"""`articlebot index`, `search`, `latest` and `ask`: the index from a terminal or a script.

Text goes through the same reply builders and text renderer as the console and Discord,
so a search reads the same everywhere; ``--json`` writes one JSON line per result (or per
query, or per question, when they come from standard input). Errors are one line on
standard error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from articlebot.bot import render
from articlebot.bot.follow import (
    CannotFollow,
    Following,
    PullStatus,
    changed,
    follow,
    pull_every,
)
from articlebot.bot.render import Style, plain_style, to_text, wants_colour
from articlebot.bot.report import DEFAULT_DAYS, MAX_DAYS, Report, gather_report
from articlebot.bot.settings import Settings
from articlebot.bot.state import State, StateError
from articlebot.bot.stopping import cancelled_on_stop_signals
from articlebot.index import (
    Answer,
    Article,
    ArticleIndex,
    ArticleIndexError,
    Hit,
    IndexConfig,
    Prepared,
    QueryError,
    ReindexReport,
    prepare_machine,
    run_reindex,
)


class CliError(RuntimeError):
    """A problem the user can fix; printed as one line."""


INTERRUPTED = "articlebot: interrupted; the last complete index is kept."


def add_path_options(
    parser: argparse.ArgumentParser, settings: Settings, *, suppress: bool = False
) -> None:
    """`--content` and `--db`, defaulting to the settings (or absent when ``suppress``, so
    options given before the subcommand are not overwritten by its defaults)."""
    for flag, default, metavar, what in (
        ("--content", settings.content_dir, "DIR", "the content folder"),
        ("--db", settings.db_path, "FILE", "the index file"),
    ):
        parser.add_argument(
            flag,
            type=Path,
            default=argparse.SUPPRESS if suppress else default,
            metavar=metavar,
            help=f"{what} (default: {default})",
        )


def register(subparsers: Any, settings: Settings) -> None:
    """Add the index commands to the top-level parser (cli.py adds `run` and `chat`)."""
    common = argparse.ArgumentParser(add_help=False)
    add_path_options(common, settings)
    config = settings.index_config()

    p = subparsers.add_parser("index", parents=[common], help="index the content folder")
    p.add_argument("--full", action="store_true", help="re-read every file")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.add_argument(
        "--path",
        action="append",
        dest="paths",
        metavar="FILE",
        help="look only at this post (new, changed or deleted; relative to the content "
        "folder or absolute inside it); repeatable. A folder means the whole folder",
    )
    p.set_defaults(handler=lambda a: cmd_index(a, config))

    p = subparsers.add_parser("search", parents=[common], help="search the articles")
    p.add_argument("query", nargs="*", help='words, "phrases", -word, category:, after: …')
    p.add_argument("--limit", type=_positive, default=5, metavar="N")
    p.add_argument("--json", action="store_true", help="one JSON object per result")
    p.add_argument(
        "--literal",
        action="store_true",
        help='every word is a search word: no "phrases", -words or name: filters (for scripts)',
    )
    p.add_argument(
        "--no-snippets", dest="snippets", action="store_false", help="leave snippets out (faster)"
    )
    p.set_defaults(handler=lambda a: cmd_search(a, config))

    p = subparsers.add_parser(
        "watch", parents=[common], help="follow the folder: one JSON line per reindex"
    )
    p.add_argument("--poll", action="store_true", help="poll instead of file events (mounts)")
    p.add_argument(
        "--quiet",
        type=_seconds,
        default=settings.following.quiet,
        metavar="SECONDS",
        help="reindex once the folder was quiet this long (default 2)",
    )
    p.set_defaults(handler=lambda a: cmd_watch(a, config, settings.following))

    p = subparsers.add_parser("latest", parents=[common], help="the newest articles")
    p.add_argument("category", nargs="?")
    p.add_argument("--limit", type=_positive, default=5, metavar="N")
    p.add_argument("--json", action="store_true", help="one JSON object per article")
    p.set_defaults(handler=lambda a: cmd_latest(a, config))

    p = subparsers.add_parser("ask", parents=[common], help="answer a question from the articles")
    p.add_argument("question", nargs="*", help="e.g. how many takes did the stunt need?")
    p.add_argument("--json", action="store_true", help="JSON; with no QUESTION, one per line")
    p.set_defaults(handler=lambda a: cmd_ask(a, config))

    p = subparsers.add_parser(
        "report", parents=[common], help="the editors' report from the query log"
    )
    p.add_argument(
        "--days", type=_days, default=DEFAULT_DAYS, metavar="N", help="the last N days (30)"
    )
    p.add_argument("--server", type=int, metavar="ID", help="one server's (default: all)")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.add_argument("--png", type=Path, metavar="FILE", help="write the chart to FILE")
    p.add_argument(
        "--state",
        type=Path,
        default=settings.state_path,
        metavar="FILE",
        help=f"the state file (default: {settings.state_path})",
    )
    p.set_defaults(handler=lambda a: cmd_report(a, config, settings))

    p = subparsers.add_parser(
        "prepare",
        help="build the compiled kernel and unpack the language model now (deploys, images)",
        description="Make what articlebot derives once per machine, in ARTICLEBOT_CACHE_DIR: "
        "the compiled ranking kernel (needs numba, `pip install 'articlebot[fast]'`, and a C "
        "compiler, here only; the built kernel loads without either) and py3langid's "
        "model unpacked for mapping. Otherwise the first process that wants each makes it.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per part")
    p.set_defaults(handler=cmd_prepare)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError("choose a number from 1 to 1000")
    return number


def _days(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"choose a number of days from 1 to {MAX_DAYS}")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0.05 <= number <= 3600:
        raise argparse.ArgumentTypeError("choose from 0.05 to 3600 seconds")
    return number


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a handler, turning every expected failure into one line on stderr."""
    try:
        return handler(args)
    except (CliError, ArticleIndexError) as exc:
        print(f"articlebot: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage found while reading rows
        print(
            f"articlebot: the index file {getattr(args, 'db', '')} cannot be read "
            f"({' '.join(str(exc).split())}); `articlebot index --full` rebuilds it.",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130


def _style() -> Style:
    return plain_style(colour=wants_colour(sys.stdout))


def _say(text: str) -> None:
    print(text, flush=True)


# --- index ------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace, config: IndexConfig) -> int:
    _check_content(args.content)
    err = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("Reading posts", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def waiting(message: str) -> None:
            # Plain print: rich's Progress shows it above the bar on a terminal, and
            # leaves it whole (unwrapped) in a log.
            print(f"articlebot: {message} …", file=sys.stderr, flush=True)

        report = run_reindex(
            args.db,
            args.content,
            config,
            full=args.full,
            progress=progress,
            on_wait=waiting,
            paths=_given_paths(args.paths),
        )
    if args.json:
        _say(json.dumps(report_json(report), ensure_ascii=False))
    else:
        _say(to_text(render.reindex_reply(report, style=_style()), _style()))
    return 0


def _given_paths(paths: list[str] | None) -> list[str | Path] | None:
    """``--path`` values as given: relative ones are relative to the content folder (a
    script names posts the way the folder lists them), absolute ones must lie inside it."""
    return None if not paths else list(paths)


# --- prepare ----------------------------------------------------------------------------


def cmd_prepare(args: argparse.Namespace) -> int:
    """Exit status 1 when a part that can be made here failed; a kernel that cannot be
    built on this install (no numba) is said, not an error: the numpy path ranks."""
    parts = prepare_machine()
    if args.json:
        for part in parts:
            _say(json.dumps(prepared_json(part), ensure_ascii=False))
    else:
        _say(to_text(render.prepared_reply(parts, style=_style()), _style()))
    return 1 if any(part.failed for part in parts) else 0


def prepared_json(part: Prepared) -> dict[str, Any]:
    return {
        "part": part.part.value,
        "state": part.state.value,
        "path": str(part.path) if part.path else None,
        "seconds": round(part.seconds, 3),
        "reason": part.reason,
    }


# --- watch ------------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace, config: IndexConfig, base: Following) -> int:
    _check_content(args.content)
    # The indexer always follows the folder: ARTICLEBOT_WATCH=index (shared by the bot
    # processes it writes for) and off mean "not in the bot" here.
    mode = "poll" if args.poll else ("auto" if base.mode in ("off", "index") else base.mode)
    settings = replace(base, mode=mode, quiet=args.quiet, longest=max(base.longest, args.quiet))
    return asyncio.run(_watch(args, config, settings))


async def _watch(args: argparse.Namespace, config: IndexConfig, settings: Following) -> int:
    """Follow until SIGINT (Ctrl-C: 130, as always) or SIGTERM (a service stopped: 0),
    whichever way SIGINT was inherited; either closes the index before the exit."""
    task = asyncio.current_task()
    assert task is not None
    with cancelled_on_stop_signals(task) as received:
        try:
            return await _follow_folder(args, config, settings)
        except asyncio.CancelledError:
            if not received:
                raise
    if received[0] == signal.SIGINT:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    print("articlebot: stopped; the last complete index is kept.", file=sys.stderr)
    return 0


async def _follow_folder(args: argparse.Namespace, config: IndexConfig, settings: Following) -> int:
    """Catch up with the folder, then follow it (and pull it) until cancelled."""

    async def report(found: ReindexReport) -> None:
        _say(json.dumps(report_json(found), ensure_ascii=False))

    async with await _open(args, config) as index:
        caught_up = await index.reindex()  # what changed while nobody was watching
        if changed(caught_up):
            await report(caught_up)
        ready = asyncio.Event()
        task = asyncio.create_task(follow(index, settings, report, ready=ready))
        pulling = (
            asyncio.create_task(
                pull_every(index, settings.pull, PullStatus(), report, asyncio.Event())
            )
            if settings.pull > 0
            else None
        )
        waiting = asyncio.create_task(ready.wait())
        try:
            await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                print(f"articlebot: following {args.content} (Ctrl-C to stop)", file=sys.stderr)
            await task  # until interrupted
        except CannotFollow as exc:
            raise CliError(str(exc)) from None
        finally:
            # Stopped and waited for before the index closes, whenever the stop came (a
            # stop before the watcher's first look left it running past the close).
            tasks = [t for t in (task, waiting, pulling) if t is not None]
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return 0


def report_json(report: ReindexReport) -> dict[str, Any]:
    return {
        "full": report.full,
        "total": report.total,
        "added": list(report.added),
        "updated": list(report.updated),
        "removed": list(report.removed),
        "unchanged": report.unchanged,
        "refused": [{"path": r.path, "reason": r.reason} for r in report.refused],
        "skipped": [{"path": r.path, "reason": r.reason} for r in report.skipped],
        "seconds": round(report.seconds, 3),
    }


def _check_content(content: Path) -> None:
    if not content.is_dir():
        raise CliError(f"the content folder {content} does not exist.")


async def _open(args: argparse.Namespace, config: IndexConfig) -> ArticleIndex:
    """Open the index, building it first when none was ever completed (no file yet, or a
    first index that was interrupted)."""
    index = await ArticleIndex.open(args.db, args.content, config)
    if index.built_at is not None:
        return index
    await index.close()
    _check_content(args.content)
    print(f"articlebot: no index yet; indexing {args.content} …", file=sys.stderr)
    await asyncio.to_thread(run_reindex, args.db, args.content, config)
    return await ArticleIndex.open(args.db, args.content, config)


# --- search -----------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace, config: IndexConfig) -> int:
    text = " ".join(args.query).strip()
    if not text and not args.json:
        raise CliError("give a query, e.g. articlebot search cruise stunt")
    return asyncio.run(_search(args, config, text))


async def _search(args: argparse.Namespace, config: IndexConfig, text: str) -> int:
    options = {"literal": args.literal, "snippets": args.snippets}
    async with await _open(args, config) as index:
        if text:
            result = await index.search(text, limit=args.limit, **options)
            if args.json:
                for hit in result.hits:
                    _say(json.dumps(hit_json(hit), ensure_ascii=False))
            else:
                style = _style()
                reply = render.search_page(result, style=style, prefix="", page_size=args.limit)
                _say(to_text(reply, style))
            return 0
        # One query per line from standard input, one JSON line (a list) per query.
        status = 0
        for line in sys.stdin:
            try:
                result = await index.search(line.strip(), limit=args.limit, **options)
                _say(json.dumps([hit_json(h) for h in result.hits], ensure_ascii=False))
            except QueryError as exc:
                _say(json.dumps({"error": str(exc)}, ensure_ascii=False))
                status = 1
        return status


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "url": article.url,
        "date": article.date.isoformat() if article.date else None,
        "categories": list(article.categories),
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    out = {**article_json(hit.article), "score": round(hit.score, 6)}
    if hit.snippet.text:
        out["snippet"] = {"text": hit.snippet.text, "marks": [list(m) for m in hit.snippet.marks]}
    return out


# --- latest -----------------------------------------------------------------------------


def cmd_latest(args: argparse.Namespace, config: IndexConfig) -> int:
    return asyncio.run(_latest(args, config))


async def _latest(args: argparse.Namespace, config: IndexConfig) -> int:
    async with await _open(args, config) as index:
        known = [name for name, _ in await index.categories()]
        name = None
        if args.category:
            name = next((n for n in known if n.casefold() == args.category.casefold()), None)
            if name is None:
                reply = render.unknown_category(args.category, known, style=_style(), prefix="")
                raise CliError(to_text(reply, _style()))
        articles = await index.latest(args.limit, name)
    if args.json:
        for article in articles:
            _say(json.dumps(article_json(article), ensure_ascii=False))
        return 0
    style = _style()
    _say(to_text(render.latest_list(articles, category=name, style=style, prefix=""), style))
    return 0


# --- ask --------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace, config: IndexConfig) -> int:
    text = " ".join(args.question).strip()
    if not text and not args.json:
        raise CliError("ask a question, e.g. articlebot ask how many takes did the stunt need")
    return asyncio.run(_ask(args, config, text))


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "sentences": list(answer.sentences),
        "source": article_json(answer.article) if answer.article else None,
        "confidence": answer.confidence,
        "declined": answer.declined,
        "related": [article_json(a) for a in answer.related],
    }


async def _ask(args: argparse.Namespace, config: IndexConfig, text: str) -> int:
    async with await _open(args, config) as index:
        questions = [text] if text else (line.strip() for line in sys.stdin)
        style = _style()
        for question in questions:
            answer = await index.ask(question)
            if args.json:
                _say(json.dumps(answer_json(answer), ensure_ascii=False))
            else:
                _say(to_text(render.answer_reply(answer, style=style), style))
        return 0


# --- report -----------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace, config: IndexConfig, settings: Settings) -> int:
    if not args.state.is_file():
        raise CliError(
            f"there is no state file at {args.state}; the bot makes it when it runs "
            "(--state FILE to read another)."
        )
    report = asyncio.run(_report(args, config, settings))
    from articlebot.bot.render.report import chart_title, report_json, report_reply

    if args.png:
        from articlebot.bot.chart import chart_png

        try:
            args.png.write_bytes(chart_png(report.per_day, chart_title(report)))
        except OSError as exc:
            raise CliError(f"cannot write the chart to {args.png}: {exc.strerror}.") from None
    if args.json:
        _say(json.dumps(report_json(report), ensure_ascii=False))
    else:
        style = _style()
        _say(to_text(report_reply(report, style=style), style))
    return 0


async def _report(args: argparse.Namespace, config: IndexConfig, settings: Settings) -> Report:
    """The report from the state file; titles of opened articles from the index when
    there is one (never built for this: without it, articles are shown by id)."""
    try:
        state = await (
            State.open(args.state)
            if args.state != settings.state_path or not settings.state_url
            else State.open_for(settings)
        )
    except StateError as exc:
        raise CliError(str(exc)) from None
    async with state:
        if not args.db.is_file():
            return await gather_report(state, days=args.days, guild_id=args.server, tz=settings.tz)
        async with await ArticleIndex.open(args.db, args.content, config) as index:
            return await gather_report(
                state, days=args.days, guild_id=args.server, articles=index.articles, tz=settings.tz
            )
