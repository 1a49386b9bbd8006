"""`articlebot run` when Discord cannot be reached: one sentence in the log, exit 1."""

from __future__ import annotations

import logging
import socket

import discord.http
import pytest

from articlebot.bot.run import serve
from articlebot.bot.settings import Settings


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
