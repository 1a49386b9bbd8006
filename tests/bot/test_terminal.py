"""`articlebot index/search/latest/ask` as a user runs them: output and one-line errors."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from articlebot.bot.cli import main
from tests.sample_posts import write_posts


@pytest.fixture
def paths(tmp_path: Path) -> list[str]:
    content = write_posts(tmp_path / "content")
    return ["--content", str(content), "--db", str(tmp_path / "index.sqlite3")]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_index_then_search_and_latest(paths: list[str], capsys) -> None:
    code, out, _ = run(["index", *paths], capsys)
    assert code == 0 and "4 articles" in out and "4 added" in out
    code, out, _ = run(["search", *paths, "comet"], capsys)
    assert code == 0 and "Comet seen over the valley" in out
    assert "https://example.com/posts/comet_seen_over_the_valley" in out
    code, out, _ = run(["latest", *paths, "tv", "--limit", "1"], capsys)
    assert code == 0 and "Quiz show host" in out


def test_index_path_looks_only_at_the_named_posts(paths: list[str], capsys) -> None:
    run(["index", *paths], capsys)
    content = Path(paths[1])
    (content / "comet_seen_over_the_valley.md").unlink()
    (content / "bakery_chain_opens_tenth_shop.md").unlink()  # not named: still indexed
    argv = ["index", *paths, "--json", "--path", "comet_seen_over_the_valley.md"]
    code, out, _ = run(argv, capsys)
    report = json.loads(out)
    assert code == 0 and report["removed"] == ["comet_seen_over_the_valley.md"]
    assert report["total"] == 3
    code, out, _ = run(["index", *paths, "--json"], capsys)
    assert json.loads(out)["removed"] == ["bakery_chain_opens_tenth_shop.md"]


def test_search_builds_a_missing_index_and_prints_json(paths: list[str], capsys) -> None:
    code, out, err = run(["search", *paths, "--json", "sourdough", "--limit", "3"], capsys)
    assert code == 0 and "no index yet" in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["bakery_chain_opens_tenth_shop.md"]
    row = rows[0]
    assert set(row) >= {"id", "path", "title", "url", "date", "categories", "score", "snippet"}
    text = row["snippet"]["text"]
    assert [text[a:b] for a, b in row["snippet"]["marks"]] == ["sourdough"]


def test_json_queries_from_stdin(paths: list[str], capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("comet\nharbour swimmers\ncolour:red\n"))
    code, out, _ = run(["search", *paths, "--json"], capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    assert [r["id"] for r in lines[0]] == ["comet_seen_over_the_valley.md"]
    assert lines[1][0]["id"] == "harbour_swimmers_brave_the_cold.md"
    assert "error" in lines[2] and code == 1


def test_literal_queries_are_words_not_syntax(paths: list[str], capsys, monkeypatch) -> None:
    # Through the search box, colour:red is an unknown filter and "comet -valley" leaves the
    # comet post out; read literally, both are plain words and nothing is an error.
    queries = 'colour:red comet\n"comet -valley"\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(queries))
    code, out, _ = run(["search", *paths, "--json"], capsys)
    syntax = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and "error" in syntax[0]
    monkeypatch.setattr("sys.stdin", io.StringIO(queries))
    code, out, _ = run(["search", *paths, "--json", "--literal", "--no-snippets"], capsys)
    literal = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(literal) == 2
    assert literal[0][0]["id"] == literal[1][0]["id"] == "comet_seen_over_the_valley.md"
    assert all("snippet" not in row for rows in literal for row in rows)
    assert all("score" in row for rows in literal for row in rows)


def test_ask_json(paths: list[str], capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("when will the comet return?\n"))
    code, out, _ = run(["ask", *paths, "--json"], capsys)
    answer = json.loads(out)
    assert code == 0 and not answer["declined"]
    assert answer["source"]["id"] == "comet_seen_over_the_valley.md"
    assert any("2094" in s for s in answer["sentences"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["index", "--content", "/nonexistent/folder"], "does not exist"),
        (["search", "colour:red", "comet"], "colour"),
        (["latest", "nosuchcategory"], "no category"),
        (["search"], "give a query"),
    ],
)
def test_errors_are_one_line(paths, capsys, argv: list[str], message: str) -> None:
    run(["index", *paths], capsys)
    code, out, err = run([*argv[:1], *paths, *argv[1:]], capsys)
    assert code != 0
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_foreign_database_is_refused_untouched(paths: list[str], tmp_path: Path, capsys):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (n INTEGER)")
    code, _, err = run(["search", "--content", paths[1], "--db", str(other), "x"], capsys)
    assert code == 2 and "not an articlebot index" in err and len(err.splitlines()) == 1


def test_prepare_makes_the_cache_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Without numba the kernel is said unavailable (exit 0: the numpy path ranks); a
    folder that cannot be written fails the model (exit 1)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a)
    )
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = run(["prepare", "--json"], capsys)
    parts = {row["part"]: row for row in map(json.loads, out.splitlines())}
    assert code == 0 and parts["kernel"]["state"] == "unavailable"
    assert parts["language_model"]["state"] == "made"
    assert Path(parts["language_model"]["path"]).parent == tmp_path / "cache"
    code, out, _ = run(["prepare"], capsys)
    assert code == 0 and "Language model\nready · " in out and "not built: numba" in out
    (tmp_path / "blocked").write_text("")
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(tmp_path / "blocked"))
    code, out, _ = run(["prepare"], capsys)
    assert code == 1 and "Language model\nfailed: " in out
