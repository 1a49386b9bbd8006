"""`articlebot chat`: the bot's commands in a terminal, offline (no token, no network).

Lines are commands as on Discord (``search cruise stunt``, ``!latest tv 3``,
``/article comet``, ``ask who judged the show?``), answered from the same ``ArticleIndex``
by the same ``Answers`` and reply builders, shown as text. ``more``/``back`` turn the pages
of the last search; a line that is not a command is answered when it looks like a question
(as a mention of the bot is), else searched. Works with a pipe as well as a terminal:
without a terminal there is no prompt, and it reads lines until end of input.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

from articlebot.bot.answers import Answers, looks_like_question
from articlebot.bot.follow import following
from articlebot.bot.render import Reply, page_count, plain_style, strings, to_text, wants_colour
from articlebot.bot.run import StartupError, open_index
from articlebot.bot.settings import Settings
from articlebot.index import ReindexReport

PROMPT = "articlebot> "
QUIT = frozenset({"quit", "exit", "q", ":q", "bye"})
NEXT = frozenset({"more", "next", "n"})
BACK = frozenset({"back", "prev", "previous", "p"})
CONVERSATION = "console"  # the console is one conversation, for follow-up questions


def split_latest(text: str) -> tuple[str | None, int]:
    """``tv 3`` → ("tv", 3); ``3`` → (None, 3); ``science fiction`` → (that, 5)."""
    words = text.split()
    count = 5
    if words and words[-1].isdigit():
        count = int(words.pop())
    return (" ".join(words) or None), count


class Console:
    """The command interpreter; ``handle`` answers one line with text (None: quit)."""

    def __init__(self, answers: Answers, prefix: str = "!") -> None:
        self.answers = answers
        self.prefix = prefix
        self.query: str | None = None
        self.page = 0
        self.pages = 0

    def text(self, reply: Reply) -> str:
        return to_text(reply, self.answers.style)

    async def _search(self, query: str, page: int) -> str:
        reply, result = await self.answers.search(query, page)
        if result is not None and result.hits:
            self.query, self.page = query, page
            self.pages = page_count(result.total, self.answers.page_size)
            if self.page < self.pages - 1:
                return self.text(reply) + "  (type more for the next page)"
        return self.text(reply)

    async def handle(self, line: str) -> str | None:
        line, undecodable = _decoded(line.strip())
        if undecodable:
            answer = await self.handle(line)
            return None if answer is None else f"{strings.NOT_UTF8}\n{answer}".rstrip()
        for mark in (self.prefix, "!", "/"):
            if mark and line.startswith(mark) and line[len(mark) :][:1].isalpha():
                line = line[len(mark) :]
                break
        if not line:
            return ""
        word, _, rest = line.partition(" ")
        command, rest = word.casefold(), rest.strip()
        if command in QUIT:
            return None
        if command in NEXT or command in BACK:
            if self.query is None:
                return strings.NO_SEARCH_YET
            page = self.page + (1 if command in NEXT else -1)
            if page < 0:
                return strings.FIRST_PAGE
            if page >= self.pages:
                return strings.LAST_PAGE
            return await self._search(self.query, page)
        if command == "search":
            return await self._search(rest, 0)
        if command == "ask":
            return self.text(await self.answers.ask(rest, CONVERSATION))
        if command == "latest":
            category, count = split_latest(rest)
            return self.text(await self.answers.latest(category, count))
        if command == "categories":
            return self.text(await self.answers.categories())
        if command == "article":
            return self.text(await self.answers.article(rest))
        if command in ("help", "?"):
            return self.text(self.answers.help(console=True))
        if command == "reindex":
            return self.text(await self.answers.reindex())
        if command == "stats":
            return self.text(await self.answers.stats())
        if looks_like_question(line):
            return self.text(await self.answers.ask(line, CONVERSATION))
        return await self._search(line, 0)  # anything else is a search


def _decoded(line: str) -> tuple[str, bool]:
    """The line with bytes that were not UTF-8 (read as surrogate escapes) as U+FFFD."""
    if line.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in line):
        return line, False
    return "".join("\ufffd" if "\udc80" <= ch <= "\udcff" else ch for ch in line), True


class _LineReader:
    """Reads one line at a time in a daemon thread, so the event loop never blocks and
    Ctrl-C never waits for a pending read."""

    def __init__(self, stdin: TextIO, prompt: str | None) -> None:
        self.stdin, self.prompt = stdin, prompt
        self._want = threading.Semaphore(0)
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._run, name="console-input", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._want.acquire()
            try:
                if self.prompt is not None:
                    line: str | None = input(self.prompt)
                else:
                    line = self.stdin.readline() or None
            except (EOFError, OSError, ValueError):
                line = None
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
            if line is None:
                return

    async def readline(self) -> str | None:
        self._want.release()
        return await self._queue.get()


async def run_console(
    settings: Settings,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the console until ``quit`` or end of input; returns the exit status."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr

    def say(message: str) -> None:
        print(message, file=stderr, flush=True)

    try:
        index = await open_index(settings, say)
    except StartupError as exc:
        print(f"articlebot: {exc}", file=stderr)
        return 2
    interactive = stdin is sys.stdin and stdin.isatty() and stdout is sys.stdout
    reconfigure = getattr(stdin, "reconfigure", None)
    if reconfigure is not None:  # a line that is not UTF-8 is answered, not fatal
        reconfigure(errors="surrogateescape")
    style = plain_style(colour=wants_colour(stdout))
    # Commands are typed bare here, so hints in replies name them without a prefix.
    answers = Answers(index, style=style, tz=settings.tz, prefix="")
    console = Console(answers, settings.prefix)
    try:
        count = index.article_count
        print(
            f"articlebot console · {count} article{'s' if count != 1 else ''} "
            f"from {settings.content_dir}\n"
            "Type help for the commands, quit (or Ctrl-D) to leave.",
            file=stdout,
            flush=True,
        )
        reader = _LineReader(stdin, PROMPT if interactive else None)

        async def arrived(report: ReindexReport) -> None:
            for article in await index.articles(report.added):
                line = strings.NEW_ARTICLE.format(title=article.title, url=article.url)
                print(line, file=stdout, flush=True)

        async with following(index, settings.following, arrived):
            while True:
                line = await reader.readline()
                if line is None:
                    if interactive:
                        print(file=stdout)
                    return 0
                answer = await console.handle(line)
                if answer is None:
                    return 0
                if answer:
                    print(answer + "\n", file=stdout, flush=True)
    finally:
        await index.close()


def chat(settings: Settings) -> int:
    try:
        return asyncio.run(run_console(settings))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
