"""Reindex reports and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from articlebot.bot import render
from articlebot.index.posts.article import Refusal
from articlebot.index.results import IndexStats, ReindexReport
from tests.bot.render.samples import (
    LONG,
    all_text,
    assert_safe,
)


class TestReindex:
    def test_report(self):
        report = ReindexReport(
            added=("a.md", "b.md"),
            updated=("c.md",),
            refused=(Refusal("bad.md", "the front matter is not valid YAML"),),
            skipped=(Refusal("draft.md", "draft"),),
            unchanged=40,
            total=43,
            seconds=0.4321,
        )
        reply = render.reindex_reply(report)
        assert reply.title == "Index updated"
        assert reply.description.splitlines() == [
            "43 articles · 2 added · 1 updated · 0 removed · 40 unchanged",
            "1 refused · 1 skipped (drafts, unpublished or duplicates)",
            "Took 0.4 s.",
        ]
        fields = {name: value for name, value, _ in reply.fields}
        assert fields["Added (2)"] == "a.md\nb.md"
        assert fields["Refused (1)"] == "bad.md — the front matter is not valid YAML"
        assert reply.colour == render.ORANGE
        assert_safe(reply)

    def test_huge_report(self):
        names = tuple(f"posts/{'x' * 50}-{n}.md" for n in range(10_000))
        report = ReindexReport(
            added=names,
            updated=names,
            removed=names,
            refused=tuple(Refusal(LONG[:300], LONG) for _ in range(1000)),
            total=10_000,
            full=True,
        )
        reply = render.reindex_reply(report)
        assert reply.title == "Index rebuilt"
        assert "more" in dict((n, v) for n, v, _ in reply.fields)["Added (10000)"]
        assert_safe(reply)

    def test_nothing_changed(self):
        reply = render.reindex_reply(ReindexReport(unchanged=5, total=5))
        assert reply.fields == () and reply.colour == render.GREEN


class TestStats:
    def test_stats(self):
        now = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)
        stats = IndexStats(
            articles=43,
            categories=7,
            terms=1234,
            built_at=now - timedelta(hours=3, minutes=5),
            db_bytes=3 * 1024 * 1024 + 1,
            content_dir="/srv/content",
            refused=2,
            languages=(("en", "detected", 30), ("ja", "path", 8), ("en", "front matter", 4)),
        )
        reply = render.stats_reply(
            stats, queries_hour=4, queries_day=17, now=now, pulling="failing for 3 min: *no*"
        )
        fields = {name: value for name, value, _ in reply.fields}
        assert fields["Articles"] == "43"
        assert fields["Index built"] == "3 hours ago (2 Jan 2024)"
        assert fields["Index size"] == "3.0 MB"
        assert fields["Searches"] == "4 in the last hour · 17 in the last day"
        assert fields["Refused files"] == "2"
        assert fields["Site checkout (git pull)"] == "failing for 3 min: \\*no\\*"  # escaped
        assert fields["Languages"] == "en 34 (detected, front matter) · ja 8 (path)"
        assert "/srv/content" not in all_text(reply)  # no server paths on Discord
        assert_safe(reply)

    def test_never_built(self):
        stats = IndexStats(0, 0, 0, None, 0, "")
        fields = {n: v for n, v, _ in render.stats_reply(stats, reindexing=True).fields}
        assert fields["Index built"] == "never built · reindexing now"
        assert fields["Index size"] == "0 bytes"


def test_prepared_reply_says_each_part_once() -> None:
    from pathlib import Path

    from articlebot.index.prepare import Part, Prepared, State

    parts = (
        Prepared(Part.KERNEL, State.MADE, Path("/c/articlebot_kernel_x.so"), 9.42),
        Prepared(Part.LANGUAGE_MODEL, State.FAILED, None, 0.0, "/c cannot be written"),
    )
    reply = render.prepared_reply(parts)
    assert [(name, value) for name, value, _ in reply.fields] == [
        ("Compiled ranking kernel", r"built in 9.4 s · /c/articlebot\_kernel\_x.so"),
        ("Language model", "failed: /c cannot be written"),
    ]
    assert reply.colour == render.ORANGE
    ready = Prepared(Part.LANGUAGE_MODEL, State.READY, Path("/c/langid-1"), 0.01)
    plain = render.to_text(render.prepared_reply((ready,), style=render.PLAIN))
    assert plain.splitlines()[1:] == ["Language model", "ready · /c/langid-1"]
    assert render.prepared_reply((ready,)).colour == render.GREEN
