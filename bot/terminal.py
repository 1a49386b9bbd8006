"""`articlebot index`, `search` and `latest`: the index from a terminal or a script.

Errors are one line on standard error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

from articlebot.index import (
    Answer,
    Article,
    ArticleIndex,
    ContentError,
    Hit,
    IndexConfig,
    QueryError,
    ReindexReport,
    Snippet,
    StoreError,
    run_reindex,
)


class CliSettings(Protocol):
    content_dir: Path
    db_path: Path

    def index_config(self) -> IndexConfig: ...


class CliError(RuntimeError):
    """A problem the user can fix; printed as one line."""


def add_path_options(
    parser: argparse.ArgumentParser, settings: CliSettings, *, suppress: bool = False
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


def register(subparsers: Any, settings: CliSettings) -> None:
    """Add the index commands to the top-level parser (the bot adds `run` and `chat`)."""
    common = argparse.ArgumentParser(add_help=False)
    add_path_options(common, settings)
    config = settings.index_config()

    p = subparsers.add_parser("index", parents=[common], help="index the content folder")
    p.add_argument("--full", action="store_true", help="re-read every file")
    p.set_defaults(handler=lambda a: cmd_index(a, config))

    p = subparsers.add_parser("search", parents=[common], help="search the articles")
    p.add_argument("query", nargs="*", help='words, "phrases", -word, category:, after: …')
    p.add_argument("--limit", type=_positive, default=5, metavar="N")
    p.add_argument("--json", action="store_true", help="one JSON object per result")
    p.set_defaults(handler=lambda a: cmd_search(a, config))

    p = subparsers.add_parser("latest", parents=[common], help="the newest articles")
    p.add_argument("category", nargs="?")
    p.add_argument("--limit", type=_positive, default=5, metavar="N")
    p.add_argument("--json", action="store_true", help="one JSON object per article")
    p.set_defaults(handler=lambda a: cmd_latest(a, config))

    p = subparsers.add_parser("ask", parents=[common], help="answer a question from the articles")
    p.add_argument("question", nargs="*", help="e.g. how many takes did the stunt need?")
    p.add_argument("--json", action="store_true", help="JSON; with no QUESTION, one per line")
    p.set_defaults(handler=lambda a: cmd_ask(a, config))


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError("choose a number from 1 to 1000")
    return number


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a handler, turning every expected failure into one line on stderr."""
    try:
        return handler(args)
    except (CliError, StoreError, ContentError, QueryError) as exc:
        print(f"articlebot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("articlebot: interrupted; the last complete index is kept.", file=sys.stderr)
        return 130


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
            bar.console.print(f"articlebot: {message} …", highlight=False)

        report = run_reindex(
            args.db, args.content, config, full=args.full, progress=progress, on_wait=waiting
        )
    print(format_report(report))
    return 0


def format_report(report: ReindexReport) -> str:
    kind = "Full index" if report.full else "Reindex"
    lines = [
        f"{kind}: {report.total} articles in {report.seconds:.2f} s — "
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged, "
        f"{len(report.refused)} refused, {len(report.skipped)} skipped."
    ]
    lines += [f"  refused {r.path}: {r.reason}" for r in report.refused]
    return "\n".join(lines)


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
    index = await _open(args, config)
    try:
        if text:
            result = await index.search(text, limit=args.limit)
            if args.json:
                for hit in result.hits:
                    print(json.dumps(hit_json(hit), ensure_ascii=False))
            else:
                print_hits(result.hits, result.total, result.suggestion)
            return 0
        # One query per line from standard input, one JSON line (a list) per query.
        status = 0
        for line in sys.stdin:
            try:
                result = await index.search(line.strip(), limit=args.limit)
                print(json.dumps([hit_json(h) for h in result.hits], ensure_ascii=False))
            except QueryError as exc:
                print(json.dumps({"error": str(exc)}, ensure_ascii=False))
                status = 1
            sys.stdout.flush()
        return status
    finally:
        await index.close()


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
    return {
        **article_json(hit.article),
        "score": round(hit.score, 6),
        "snippet": {"text": hit.snippet.text, "marks": [list(m) for m in hit.snippet.marks]},
    }


def marked(snippet: Snippet) -> Text:
    text = Text(snippet.text)
    for start, end in snippet.marks:
        text.stylize("bold yellow", start, end)
    return text


def _date(article: Article) -> str:
    return article.date.strftime("%Y-%m-%d %H:%M UTC") if article.date else "undated"


def print_hits(hits: Iterable[Hit], total: int, suggestion: str | None) -> None:
    out = Console(highlight=False, soft_wrap=True)
    hits = list(hits)
    if not hits:
        out.print("No articles match." + (f" Did you mean: {suggestion}?" if suggestion else ""))
        return
    out.print(f"{total} matching article{'s' if total != 1 else ''}:")
    for n, hit in enumerate(hits, 1):
        print_article(out, hit.article, n)
        out.print(Text("   ") + marked(hit.snippet))


def print_article(out: Console, article: Article, n: int) -> None:
    out.print(Text(f"{n}. {article.title}", style="bold"))
    out.print(f"   {_date(article)} · {', '.join(article.categories) or '—'} · {article.url}")


# --- latest -----------------------------------------------------------------------------


def cmd_latest(args: argparse.Namespace, config: IndexConfig) -> int:
    return asyncio.run(_latest(args, config))


async def _latest(args: argparse.Namespace, config: IndexConfig) -> int:
    index = await _open(args, config)
    try:
        if args.category and args.category.casefold() not in index.searcher.catalog.by_category:
            known = ", ".join(name for name, _ in await index.categories())
            raise CliError(f"there is no category {args.category!r}; known: {known}.")
        articles = await index.latest(args.limit, args.category)
    finally:
        await index.close()
    if args.json:
        for article in articles:
            print(json.dumps(article_json(article), ensure_ascii=False))
        return 0
    out = Console(highlight=False, soft_wrap=True)
    if not articles:
        out.print("No articles yet.")
    for n, article in enumerate(articles, 1):
        print_article(out, article, n)
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
        "source": {**article_json(answer.article), "path": answer.article.path}
        if answer.article
        else None,
        "confidence": answer.confidence,
        "declined": answer.declined,
        "related": [article_json(a) for a in answer.related],
    }


async def _ask(args: argparse.Namespace, config: IndexConfig, text: str) -> int:
    index = await _open(args, config)
    try:
        questions = [text] if text else (line.strip() for line in sys.stdin)
        for question in questions:
            answer = await index.ask(question)
            if args.json:
                print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
            else:
                print_answer(answer)
        return 0
    finally:
        await index.close()


def print_answer(answer: Answer) -> None:
    out = Console(highlight=False, soft_wrap=True)
    if answer.declined or answer.article is None:
        out.print("I couldn't find an answer to that in the articles.")
        if answer.related:
            out.print("The closest articles:")
            for n, article in enumerate(answer.related[:3], 1):
                print_article(out, article, n)
        return
    for sentence in answer.sentences:
        out.print(f"> {sentence}")
    out.print(f"— {answer.article.title}, {_date(answer.article)}: {answer.article.url}")
