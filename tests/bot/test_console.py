"""The offline console, driven through stdin/stdout on a real index of a copy of content/."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from articlebot.bot import render
from articlebot.bot.answers import (
    Answers,
)
from articlebot.bot.cli import main
from articlebot.bot.console import Console, run_console, split_latest
from articlebot.bot.follow import Following
from articlebot.bot.render import PLAIN
from articlebot.bot.settings import Settings
from tests.sample_posts import write_post

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
TITLE = re.compile(r"""^title\s*[:=]\s*["']?(.+?)["']?\s*$""", re.MULTILINE)


def posts() -> list[tuple[Path, str]]:
    """(file, title) of the sample posts, read with a plain regex (not the index)."""
    found = []
    for path in sorted(CONTENT.glob("*.md")):
        match = TITLE.search(path.read_text(encoding="utf-8"))
        if match:
            found.append((path, match.group(1).strip()))
    return found


def words(title: str) -> str:
    """Two of the title's longest words: a search that should find it."""
    picked = sorted(re.findall(r"[A-Za-z]{5,}", title), key=len, reverse=True)[:2]
    return " ".join(picked)


@pytest.fixture
def settings(tmp_path) -> Settings:
    if not posts():
        pytest.skip("no sample posts in content/ yet")
    content = shutil.copytree(CONTENT, tmp_path / "content")
    return Settings(content_dir=content, db_path=tmp_path / "data" / "index.sqlite3")


async def chat(settings: Settings, lines: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = await run_console(settings, io.StringIO(lines), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


async def test_session(settings):
    _path, title = posts()[0]
    status, out, err = await chat(
        settings,
        f"search {words(title)}\n"
        "!latest 2\n"
        "/categories\n"
        f"article {title}\n"
        "help\n"
        "stats\n"
        "quit\n"
        "search never reached\n",
    )
    assert status == 0
    assert re.search(r"^Indexing .+ …$", err, re.MULTILINE)
    assert re.search(r"^Indexed \d+ articles in [\d.]+ s", err, re.MULTILINE)
    banner = out.splitlines()[0]
    assert re.fullmatch(r"articlebot console · \d+ articles from .+", banner)
    assert "quit" in out.splitlines()[1]
    assert f"Results for “{words(title)}”" in out
    assert title in out
    assert re.search(r"\[[A-Za-z]+\]", out)  # matched words are marked
    assert "Latest articles\n1. " in out
    assert re.search(r"^Categories \(\d+\)$", out, re.MULTILINE)
    assert "Search syntax" in out
    assert "Index statistics" in out
    assert "never reached" not in out
    assert "**" not in out and "`" not in out  # no Discord Markdown on a terminal


async def test_paging_and_errors(settings):
    status, out, _ = await chat(
        settings,
        "search category:latest\n"  # every sample post is in "latest": several pages
        "more\n"
        "back\n"
        "back\n"
        "latest nosuchcategory\n"
        "latest 99\n"
        "article zzqxj nothing like it\n"
        "more\n",
    )
    assert status == 0  # end of input ends the session like quit
    pages = re.findall(r"^Page (\d+)/(\d+) · (\d+) results?", out, re.MULTILINE)
    assert pages, out
    total_pages = int(pages[0][1])
    if total_pages > 1:
        assert [p for p, _, _ in pages] == ["1", "2", "1", "2"]
        assert "This is the first page." in out
        assert "(type more for the next page)" in out
    else:
        assert "That was the last page." in out
    assert "There is no category “nosuchcategory”" in out
    assert "categories lists them all" in out  # console hints name bare commands
    assert "The count must be a whole number from 1 to 10." in out
    assert "I couldn't find an article called “zzqxj nothing like it”" in out


MOTORBIKE = "Dana Okafor needed seven takes to land the rooftop motorbike jump in Iron Meridian"


async def test_ask_and_follow_up(settings):
    if MOTORBIKE not in [title for _, title in posts()]:
        pytest.skip("the motorbike post is not among the sample posts")
    status, out, _ = await chat(
        settings,
        "ask how many takes did the motorbike stunt need?\n"
        "!ask where was it filmed?\n"  # a follow-up, with a prefix
        "who won the election in peru?\n"  # a question without the command
        "ask\n"
        "quit\n",
    )
    assert status == 0
    blocks = re.split("^“", out, flags=re.M)[1:]  # each answer opens with the question
    assert len(blocks) == 3, out
    first, follow_up, declined = blocks
    assert first.startswith("how many takes did the motorbike stunt need?”\n> ")
    assert "took seven takes" in first.splitlines()[1]
    assert re.search(rf"^Source: {MOTORBIKE} <https?://\S+> · \d+ \w+ \d{{4}}$", first, re.M)
    assert f"Source: {MOTORBIKE}" in follow_up
    assert declined.startswith("who won the election in peru?”\nI couldn't find that")
    assert not re.search("^> ", declined, re.M)  # nothing quoted
    assert "What would you like to know? For example: ask how many" in out  # bare command
    assert "**" not in out and "`" not in out and "\\" not in out  # no Discord Markdown


async def test_second_start_does_not_reindex(settings):
    await chat(settings, "quit\n")
    status, _out, err = await chat(settings, "quit\n")
    assert status == 0 and "Indexing" not in err
    # A changed post makes the index stale: the next start reindexes first.
    path = next(settings.content_dir.glob("*.md"))
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
    _, _, err = await chat(settings, "quit\n")
    assert "Indexing" in err


async def test_reindex_command(settings):
    _, out, _ = await chat(settings, "reindex\n")
    assert "Index updated" in out or "Index rebuilt" in out
    assert re.search(r"\d+ articles · 0 added · 0 updated · 0 removed", out)


async def test_missing_content_folder(tmp_path):
    settings = Settings(content_dir=tmp_path / "absent", db_path=tmp_path / "i.sqlite3")
    status, out, err = await chat(settings, "quit\n")
    assert status == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert "absent" in err and "does not exist" in err


def run_cli(args: list[str], cwd: Path, stdin: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARTICLEBOT_", "DISCORD_"))}
    return subprocess.run(
        [sys.executable, "-m", "articlebot.bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        timeout=120,
    )


def test_python_m_bot_without_token_opens_the_console(settings, tmp_path):
    _path, title = posts()[-1]
    result = run_cli(
        ["--content", str(settings.content_dir), "--db", str(settings.db_path)],
        cwd=tmp_path,
        stdin=f"article {title}\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("articlebot console · ")
    assert title in result.stdout
    assert "Traceback" not in result.stderr


def test_chat_subcommand_with_options_after_it(settings, tmp_path):
    result = run_cli(
        ["chat", "--content", str(settings.content_dir), "--db", str(settings.db_path)],
        cwd=tmp_path,
        stdin="categories\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Categories (" in result.stdout
    assert str(settings.content_dir) in result.stdout.splitlines()[0]


def test_bad_setting_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARTICLEBOT_TIMEZONE", "Not/AZone")
    assert main(["chat"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("articlebot: ARTICLEBOT_TIMEZONE")
    assert err.count("\n") == 1


def test_run_without_token_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["run", "--content", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("articlebot: DISCORD_TOKEN is not set")
    assert err.count("\n") == 1


def test_terminal_escapes_in_input_never_reach_the_output(settings, tmp_path):
    hostile = "article \x1b]0;pwned\x07\x1b[2J\x00\nsearch zz:\x1b[31mred\nsearch \x9b2J comet\n"
    result = run_cli(
        ["chat", "--content", str(settings.content_dir), "--db", str(settings.db_path)],
        cwd=tmp_path,
        stdin=hostile,
    )
    assert result.returncode == 0, result.stderr
    for bad in ("\x1b", "\x07", "\x00", "\x9b"):
        assert bad not in result.stdout
    assert "I couldn't find an article called" in result.stdout
    assert "I don't know the filter" in result.stdout


def test_a_line_that_is_not_utf8_is_answered_not_dropped(settings, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "articlebot.bot", "chat", "--content", str(settings.content_dir),
         "--db", str(settings.db_path)],
        cwd=tmp_path,
        input=b"search caf\xe9 comet\ncategories\n",
        capture_output=True,
        timeout=120,
        env={**os.environ, "DISCORD_TOKEN": "", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "not UTF-8" in out and "caf\ufffd" in out
    assert "Categories (" in out  # the next line is still read


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


async def test_new_articles_are_shown_as_they_arrive(settings, tmp_path):
    settings = replace(settings, following=Following(quiet=0.3, longest=5.0))
    read, write = os.pipe()
    stdout, stderr = io.StringIO(), io.StringIO()
    with os.fdopen(read) as stdin, os.fdopen(write, "w") as typing:
        session = asyncio.create_task(run_console(settings, stdin, stdout, stderr))
        for _ in range(400):  # until the session has indexed and started (20 s at most)
            if "Type help" in stdout.getvalue():
                break
            await asyncio.sleep(0.05)
        # Posts keep arriving until one is announced (the watcher starts with the session).
        for n in range(20):
            write_post(
                settings.content_dir,
                f"pier_{n}.md",
                f"Pier reopens after repairs, part {n}",
                "2021-06-01-09-00-00",
                "news",
                "The pier reopened to walkers after a winter of repairs to its timber deck.",
            )
            await asyncio.sleep(1.0)
            if "New: Pier reopens after repairs" in stdout.getvalue():
                break
        typing.write("search pier timber\nquit\n")
        typing.flush()
        assert await asyncio.wait_for(session, 20) == 0
    out = stdout.getvalue()
    assert re.search(
        r"\nNew: Pier reopens after repairs, part (\d+) <https://example.com/posts/pier_\1>\n", out
    )
    assert "Results for “pier timber”" in out
