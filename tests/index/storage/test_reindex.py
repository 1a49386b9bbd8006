"""Incremental reindexing into a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from articlebot.index import ContentError, run_reindex
from articlebot.index.config import IndexConfig
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.storage import database, tables
from articlebot.index.storage.blobs import load_state
from articlebot.index.text.analysis import Analyzer
from articlebot.index.text.fields import document_tokens
from tests.sample_posts import write_post, write_posts

CONFIG = IndexConfig()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "content")


def state(db: Path):
    conn = database.connect(db)
    try:
        return load_state(conn, CONFIG)
    finally:
        conn.close()


def test_full_index_then_nothing_changed(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    first = run_reindex(db, content, CONFIG)
    assert first.full and len(first.added) == 4 and first.total == 4
    second = run_reindex(db, content, CONFIG)
    assert not second.full
    assert (second.added, second.updated, second.removed) == ((), (), ())
    assert second.unchanged == 4


def test_changed_added_and_deleted_files(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    write_post(
        content,
        "comet_seen_over_the_valley.md",
        "Comet fades",
        "2021-03-21-10-00-00",
        "science",
        "The comet faded from view after a week of clear nights.",
    )
    write_post(
        content,
        "new_ferry_route.md",
        "New ferry route",
        "2021-05-01-07-30-00",
        "travel",
        "A ferry route to the islands starts in May.",
    )
    (content / "bakery_chain_opens_tenth_shop.md").unlink()
    report = run_reindex(db, content, CONFIG)
    assert report.added == ("new_ferry_route.md",)
    assert report.updated == ("comet_seen_over_the_valley.md",)
    assert report.removed == ("bakery_chain_opens_tenth_shop.md",)
    assert report.total == 4
    catalog, bm25 = state(db)
    assert sorted(catalog.ids) == sorted(p.name for p in content.glob("*.md"))
    assert "Comet fades" in catalog.titles
    assert bm25.n_docs == 4
    # The index after incremental changes ranks exactly as a fresh full build does.
    fresh = tmp_path / "fresh.sqlite3"
    run_reindex(fresh, content, CONFIG)
    cat2, bm2 = state(fresh)
    for query in (["comet"], ["ferri"], ["quiz"], ["swimmer", "harbour"]):
        docs, scores = bm25.match(query)
        docs2, scores2 = bm2.match(query)
        a = {catalog.ids[d]: s for d, s in zip(docs, scores, strict=True)}
        b = {cat2.ids[d]: s for d, s in zip(docs2, scores2, strict=True)}
        assert a.keys() == b.keys() and a
        for key in a:
            assert a[key] == pytest.approx(b[key], abs=1e-9)


def test_touched_but_identical_file_is_not_reread(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    path = content / "quiz_show_host_signs_new_deal.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = run_reindex(db, content, CONFIG)
    assert report.updated == () and report.unchanged == 4


def test_broken_file_is_refused_and_the_rest_indexed(content: Path, tmp_path: Path) -> None:
    (content / "broken.md").write_bytes(b"---\ntitle: [unclosed\n  - : :\n\x00\x01---\n")
    db = tmp_path / "index.sqlite3"
    report = run_reindex(db, content, CONFIG)
    assert report.total == 4
    assert [r.path for r in report.refused] == ["broken.md"]
    assert report.refused[0].reason
    # Still reported on the next run, though it was not re-read.
    again = run_reindex(db, content, CONFIG)
    assert [r.path for r in again.refused] == ["broken.md"]


def test_identical_copies_collapse_and_survive_the_original(content: Path, tmp_path: Path):
    original = content / "comet_seen_over_the_valley.md"
    copy = content / "comet_seen_over_the_valley 2.md"
    copy.write_bytes(original.read_bytes())
    db = tmp_path / "index.sqlite3"
    report = run_reindex(db, content, CONFIG)
    assert report.total == 4
    assert [s.path for s in report.skipped] == [copy.name]
    original.unlink()
    report = run_reindex(db, content, CONFIG)
    catalog, _ = state(db)
    assert copy.name in catalog.ids and report.total == 4


def test_drafts_are_skipped(content: Path, tmp_path: Path) -> None:
    (content / "draft.md").write_text("---\ntitle: Not yet\ndraft: true\n---\nSecret plans.\n")
    report = run_reindex(tmp_path / "i.sqlite3", content, CONFIG)
    assert report.total == 4 and [s.path for s in report.skipped] == ["draft.md"]


def test_missing_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="does not exist"):
        run_reindex(tmp_path / "i.sqlite3", tmp_path / "nope", CONFIG)


def test_a_failed_write_keeps_the_last_good_index(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    write_post(content, "late_post.md", "Late post", "2021-06-01-00-00-00", "news", "Words.")

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tables, "write_blobs", explode)
    with pytest.raises(OSError):
        run_reindex(db, content, CONFIG)
    monkeypatch.undo()
    catalog, bm25 = state(db)
    assert len(catalog) == 4 and bm25.n_docs == 4 and "late_post.md" not in catalog.ids
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 4


def _files_indexes(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='files' "
            "AND sql IS NOT NULL ORDER BY name"
        )
        return [tuple(row) for row in rows]


def test_a_full_build_keeps_the_files_indexes(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build drops them while it fills the table and makes them again before its
    commit: after it, and after one that failed, the file has them as before."""
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    made = _files_indexes(db)
    assert [name for name, _ in made] == ["files_sha256", "files_status"]
    run_reindex(db, content, CONFIG, full=True)
    assert _files_indexes(db) == made

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tables, "write_blobs", explode)
    with pytest.raises(OSError):
        run_reindex(db, content, CONFIG, full=True)
    monkeypatch.undo()
    assert _files_indexes(db) == made
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 4
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_changed_settings_force_a_full_rebuild(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    report = run_reindex(db, content, IndexConfig(title_weight=3))
    assert report.full and len(report.added) == 4


def _many_posts(folder: Path, count: int) -> Path:
    """``count`` posts over a shared vocabulary, with byte-identical copies that land in
    other worker batches than their originals."""
    words = ["harbour", "comet", "bakery", "ferry", "quiz", "valley", "swimmer", "market"]
    folder.mkdir(parents=True)
    for i in range(count):
        body = " ".join(words[(i * k) % len(words)] for k in range(1, 12)) + f" word{i % 37}"
        write_post(
            folder, f"post{i:04d}.md", f"Post {i} {words[i % 8]}", "2021-01-01", "news", body
        )
    for i in (0, 5, 399):  # "post0000 2.md" sorts right after its original
        (folder / f"post{i:04d} 2.md").write_bytes((folder / f"post{i:04d}.md").read_bytes())
    (folder / "zz-copy-of-post0001.md").write_bytes((folder / "post0001.md").read_bytes())
    (folder / "draft.md").write_text("---\ntitle: Not yet\ndraft: true\n---\nSecret plans.\n")
    (folder / "draft 2.md").write_text("---\ntitle: Not yet\ndraft: true\n---\nSecret plans.\n")
    return folder


def _files(db: Path) -> dict[str, tuple]:
    conn = database.connect(db)
    try:
        return {rel: row[3:] for rel, row in tables.read_files(conn).items()}
    finally:
        conn.close()


def test_worker_processes_build_the_same_index_as_one_process(tmp_path: Path) -> None:
    content = _many_posts(tmp_path / "content", 450)
    one, two = tmp_path / "one.sqlite3", tmp_path / "two.sqlite3"
    r1 = run_reindex(one, content, CONFIG, workers=1)
    r2 = run_reindex(two, content, CONFIG, workers=2)
    assert r1.total == r2.total == 450
    skipped = {s.path: s.reason for s in r2.skipped}
    assert skipped == {s.path: s.reason for s in r1.skipped}
    assert skipped["zz-copy-of-post0001.md"] == "identical copy of post0001.md"
    assert skipped["draft 2.md"] == "identical copy of draft.md"
    assert skipped["draft.md"] == "draft"
    assert _files(one) == _files(two)
    (c1, i1), (c2, i2) = state(one), state(two)
    (b1,), (b2,) = i1.segments, i2.segments  # a full build is one segment
    assert c1.ids == c2.ids and c1.words == c2.words and b1.terms == b2.terms
    for name in ("offsets", "doc_ids", "tfs", "doc_len"):
        assert (getattr(b1, name) == getattr(b2, name)).all()
    # Exactly the index of the plain token lists, in the same term order.
    fresh = BM25Index.build(
        [document_tokens(a, Analyzer(), CONFIG) for a in _articles(two, c2.ids)],
        CONFIG.k1,
        CONFIG.b,
        CONFIG.delta,
    )
    assert fresh.terms == b2.terms and (fresh.doc_ids == b2.doc_ids).all()
    assert (fresh.tfs == b2.tfs).all() and (fresh.offsets == b2.offsets).all()


def _articles(db: Path, ids: list[str]):
    conn = database.connect(db)
    try:
        found = tables.fetch_articles(conn, ids)
    finally:
        conn.close()
    return [found[i] for i in ids]


def test_incremental_catalog_matches_a_fresh_build(content: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    run_reindex(db, content, CONFIG)
    write_post(content, "comet_seen_over_the_valley.md", "Comet fades", "2021-03-21", "space", "x")
    write_post(content, "new_ferry_route.md", "New ferry route", "2021-05-01", "travel", "Ferry.")
    (content / "bakery_chain_opens_tenth_shop.md").unlink()
    run_reindex(db, content, CONFIG)
    fresh = tmp_path / "fresh.sqlite3"
    run_reindex(fresh, content, CONFIG)
    (cat, _), (cat2, _) = state(db), state(fresh)
    order = [cat.ids.index(i) for i in cat2.ids]
    assert [cat.titles[i] for i in order] == cat2.titles
    assert cat.words == cat2.words
    assert {k: sorted(cat.ids[d] for d in v) for k, v in cat.by_category.items()} == {
        k: sorted(cat2.ids[d] for d in v) for k, v in cat2.by_category.items()
    }
    words, docs_of = cat.title_words
    words2, docs_of2 = cat2.title_words
    assert words == words2
    for w in words:
        assert sorted(cat.ids[d] for d in docs_of[w]) == sorted(cat2.ids[d] for d in docs_of2[w])
    assert list(docs_of[words[0]]) == sorted(docs_of[words[0]])
