"""`articlebot report` as an editor runs it: text, JSON, the chart file, one server, and
the empty log in one sentence."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from articlebot.bot.cli import main
from articlebot.bot.state import State
from tests.sample_posts import write_posts


@pytest.fixture
def paths(tmp_path: Path) -> list[str]:
    content = write_posts(tmp_path / "content")
    return ["--content", str(content), "--db", str(tmp_path / "index.sqlite3")]


def fill(path: Path, *, empty: bool = False) -> None:
    async def log() -> None:
        async with await State.open(path) as state:
            if empty:
                return
            now = datetime.now(UTC)
            first = await state.log_query(1, "search", "Comet", 2)
            await state.query_opened(first, "comet_seen_over_the_valley.md")
            await state.log_query(1, "search", "comet", 2, at=now - timedelta(days=2))
            await state.log_query(2, "search", "knitting", 0)
            await state.log_query(2, "ask", "who is the mayor?", 0, declined=True)
            await state.log_query(1, "latest", "quilts", 0, at=now - timedelta(days=20))

    asyncio.run(log())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_over_every_server_beside_the_index(paths, tmp_path, capsys) -> None:
    assert run(["index", *paths], capsys)[0] == 0
    fill(tmp_path / "state.sqlite3")  # where the bot keeps it: beside the index
    code, out, err = run(["report", *paths, "--days", "7"], capsys)
    assert code == 0 and err == ""
    assert out.startswith("Report: last 7 days\n4 queries")
    assert "1. “Comet” — 2 · 2.0 results on average" in out
    assert "“knitting” — 1" in out and "“who is the mayor?” — 1" in out
    assert "1. Comet seen over the valley — 1" in out  # the title, from the index


def test_json_for_one_server(paths, tmp_path, capsys) -> None:
    state = tmp_path / "elsewhere.sqlite3"
    fill(state)
    code, out, _ = run(
        ["report", *paths, "--state", str(state), "--server", "1", "--days", "30", "--json"],
        capsys,
    )
    assert code == 0
    report = json.loads(out)
    assert set(report) == {
        "days",
        "start",
        "end",
        "total",
        "by_command",
        "paged",
        "per_day",
        "top",
        "zero_results",
        "declined",
        "opened",
    }
    assert report["days"] == 30 and len(report["per_day"]) == 30
    assert report["total"] == 3 and report["by_command"] == {"search": 2, "latest": 1}
    assert [(q["query"], q["count"]) for q in report["top"]] == [("Comet", 2)]
    assert [(q["command"], q["query"]) for q in report["zero_results"]] == [("latest", "quilts")]
    assert report["declined"] == []
    # No index was built: the opened article is shown by its id.
    assert report["opened"] == [
        {
            "id": "comet_seen_over_the_valley.md",
            "title": "comet_seen_over_the_valley.md",
            "count": 1,
        }
    ]
    assert sum(day["count"] for day in report["per_day"]) == 3


def test_png_writes_the_chart(paths, tmp_path, capsys) -> None:
    fill(tmp_path / "state.sqlite3")
    chart = tmp_path / "out" / "chart.png"
    chart.parent.mkdir()
    code, out, _ = run(["report", *paths, "--png", str(chart)], capsys)
    assert code == 0 and "Report: last 30 days" in out
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and chart.stat().st_size > 5000
    code, _, err = run(["report", *paths, "--png", str(tmp_path / "missing" / "c.png")], capsys)
    assert code == 2 and err.startswith("articlebot: cannot write the chart to")


def test_an_empty_log_says_so(paths, tmp_path, capsys) -> None:
    fill(tmp_path / "state.sqlite3", empty=True)
    code, out, _ = run(["report", *paths, "--days", "1"], capsys)
    assert code == 0
    assert out == (
        "Nobody searched, asked or listed anything in the last 1 day, so there is nothing "
        "to report yet.\n"
    )


def test_no_state_file_or_bad_days(paths, tmp_path, capsys) -> None:
    code, _, err = run(["report", *paths], capsys)
    assert code == 2 and "there is no state file at" in err
    assert not (tmp_path / "state.sqlite3").exists()  # not made by looking
    with pytest.raises(SystemExit):
        main(["report", *paths, "--days", "366"])
    assert "from 1 to 365" in capsys.readouterr().err
