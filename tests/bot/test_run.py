"""`articlebot run` when Discord cannot be reached: one sentence in the log, exit 1."""

from __future__ import annotations

import logging
import socket

import discord
import discord.http
import pytest

from articlebot.bot.run import serve
from articlebot.bot.settings import Settings
from tests.bot.fakes import FakeIndex


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_no_network_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    settings = Settings(token="x" * 59, content_dir=tmp_path, db_path=tmp_path / "i.sqlite3")
    with caplog.at_level(logging.ERROR):
        status = await serve(settings, index=None)  # type: ignore[arg-type]
    assert status == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert errors[0].getMessage().startswith("Cannot reach Discord (")
    assert "check the network connection" in errors[0].getMessage()
    assert "x" * 59 not in caplog.text


class FakeBot:
    def __init__(self, intents, outcome):
        self.intents, self.outcome = intents, outcome
        self.closed = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.closed = True

    async def start(self, token):
        if self.outcome is not None:
            raise self.outcome


class TestServe:
    async def run(self, monkeypatch, outcomes):
        from articlebot.bot import run

        made = []

        def fake_create_bot(settings, index, *, intents=None):
            made.append(FakeBot(intents, outcomes[len(made)]))
            return made[-1]

        monkeypatch.setattr(run, "create_bot", fake_create_bot)
        status = await run.serve(Settings(token="t" * 60), FakeIndex([]))
        return status, made

    async def test_retries_without_message_content(self, monkeypatch, caplog):
        status, made = await self.run(monkeypatch, [discord.PrivilegedIntentsRequired(None), None])
        assert status == 0
        assert [b.intents.message_content for b in made] == [True, False]
        assert all(b.closed for b in made)
        assert "Message Content intent" in caplog.text and "!search" in caplog.text

    async def test_refused_twice_gives_up(self, monkeypatch):
        refused = discord.PrivilegedIntentsRequired(None)
        status, made = await self.run(monkeypatch, [refused, refused])
        assert status == 1 and len(made) == 2

    async def test_bad_token(self, monkeypatch, caplog):
        status, _ = await self.run(monkeypatch, [discord.LoginFailure("Improper token")])
        assert status == 2
        assert "DISCORD_TOKEN" in caplog.text and "t" * 60 not in caplog.text
