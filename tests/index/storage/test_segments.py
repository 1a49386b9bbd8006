"""Segment files beside a real index file: one commit point, kills between writing files
and committing, readers on an old generation, deletions and merges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from articlebot.index import ArticleIndex, DamagedIndex, run_reindex
from articlebot.index.config import INDEX_FORMAT, IndexConfig
from articlebot.index.ranking.catalog import CatalogEntry
from articlebot.index.ranking.columns import PackedStrings
from articlebot.index.storage import blobs, compaction, database, segfile, tables
from articlebot.index.storage.blobs import load_generation, load_state, segment_names
from tests.index.ranking.format8 import format8_blobs
from tests.sample_posts import write_post, write_posts

CONFIG = IndexConfig()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "content")


def generation(db: Path):
    conn = database.connect_reader(db)
    try:
        return load_generation(conn, CONFIG, path=db)
    finally:
        conn.close()


def files_on_disk(db: Path) -> set[str]:
    return {p.name.split(".")[-2] for p in db.parent.glob(f"{db.name}.*.seg")}


def ranked(db: Path, terms: list[str]) -> dict[str, float]:
    _, catalog, index = generation(db)
    docs, scores = index.match(terms)
    return {catalog.ids[d]: float(s) for d, s in zip(docs, scores, strict=True)}


def same_as_fresh(db: Path, fresh: Path, queries: tuple[list[str], ...]) -> None:
    """The incrementally kept index ranks as the fresh build of the same folder, to
    1e-12, and the catalog assembled from its segments' pieces is the fresh build's, row
    for row of the same article, and so are the word counts kept with the deletions."""
    for terms in queries:
        got, want = ranked(db, terms), ranked(fresh, terms)
        assert got.keys() == want.keys()
        assert all(got[k] == pytest.approx(want[k], rel=1e-12) for k in want)
    (_, got, index), (_, want, _) = generation(db), generation(fresh)
    assert len(got) == len(want) == index.n_docs and got.words == want.words

    def rows(cat) -> dict[str, tuple]:
        return {
            cat.ids[r]: (cat.titles[r], cat.slugs[r], cat.categories.row(r), cat.tags.row(r),
                         cat.authors[r], cat.languages[r], float(cat.dates[r]))
            for r in range(len(cat))
        }  # fmt: skip

    assert rows(got) == rows(want)
    assert all(got.by_id[i] == r for r, i in enumerate(got.ids))

    def titled(cat) -> dict[str, set[str]]:
        words, docs = cat.title_words
        return {w: {cat.ids[r] for r in docs[w]} for w in words if len(docs[w])}

    assert titled(got) == titled(want)


def test_segment_files_round_trip_and_refuse_a_cut_file(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite3"
    arrays = {"a": np.arange(5, dtype=np.int32), "b": np.array([1.5, 2.5]), "c": np.zeros(0)}
    size = segfile.write(db, "00000001-abcdef01", arrays)
    path = segfile.segment_path(db, "00000001-abcdef01")
    assert path.stat().st_size == size and path.parent == tmp_path
    back = segfile.read(path)
    assert {k: v.tolist() for k, v in back.items()} == {k: v.tolist() for k, v in arrays.items()}
    assert not back["a"].flags.writeable
    path.write_bytes(path.read_bytes()[:-64])
    with pytest.raises(ValueError, match="cut short"):
        segfile.read(path)
    (tmp_path / "other.00000001-abcdef01.seg").write_bytes(b"not ours")
    (tmp_path / "i.sqlite3.notes.seg").write_bytes(b"not ours either")
    (tmp_path / "other.k2v9q_x1.spill").write_bytes(b"another index's")
    # a reindex's spill left where the system has no unnamed files (a kill at creation)
    (tmp_path / "i.sqlite3.k2v9q_x1.spill").write_bytes(b"left behind")
    (tmp_path / "i.sqlite3.4tq0_z7a.spill").write_bytes(b"a name starting with a digit")
    removed = sorted(segfile.remove_except(db, ()))
    assert removed == ["00000001-abcdef01", "4tq0_z7a", "k2v9q_x1"]
    assert len(list(tmp_path.iterdir())) == 3


def test_full_build_is_one_segment_and_the_blobs_hold_no_postings(content: Path, tmp_path):
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    meta, catalog, index = generation(db)
    assert len(index.segments) == 1 and files_on_disk(db) == set(segment_names(meta))
    assert meta["generation"] == "1" and index.n_docs == len(catalog) == 4
    # Block impacts are written with the postings, for the index's parameters.
    (seg,) = index.segments
    assert seg.impact is not None and seg.impact_params is not None
    assert seg.impact_params[:2] == (CONFIG.k1, CONFIG.b)
    conn = database.connect(db)
    try:
        assert not tables.read_blobs(conn, "bm25:")
    finally:
        conn.close()


def test_a_one_file_change_adds_a_small_segment_and_a_deletion(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compaction, "MAX_DELETED", 0.9)  # half of 4 posts: not merged yet
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    first = set(segment_names(generation(db)[0]))
    write_post(content, "comet_seen_over_the_valley.md", "Comet fades", "2021-03-21", "x", "Gone.")
    (content / "bakery_chain_opens_tenth_shop.md").unlink()
    report = run_reindex(db, content, CONFIG)
    assert report.updated == ("comet_seen_over_the_valley.md",) and report.total == 3
    _, catalog, index = generation(db)
    assert len(index.segments) == 2 and index.segments[0].name in first
    assert len(index.deletions[0]) == 2 and index.segments[1].n_docs == 1
    assert catalog.ids[-1] == "comet_seen_over_the_valley.md"
    # Exactly the scores of a fresh build of the same folder.
    fresh = tmp_path / "fresh.sqlite3"
    run_reindex(fresh, content, CONFIG)
    same_as_fresh(db, fresh, (["comet"], ["bakeri"], ["quiz", "harbour"], ["swimmer"]))


@pytest.mark.parametrize("look_ups", [blobs.LOOK_UPS, 0])  # leaving ids one by one, or a dict
def test_merges_keep_the_ranking_and_remove_old_files(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, look_ups: int
) -> None:
    monkeypatch.setattr(blobs, "LOOK_UPS", look_ups)
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    counts = []
    for i in range(compaction.FACTOR + 2):
        write_post(
            content, f"note_{i}.md", f"Harbour note {i}", "2021-05-01", "news", f"Ferry {i}."
        )
        if i % 2:
            write_post(
                content, "quiz_show_host_signs_new_deal.md", "Quiz", "2021-02-11", "tv", "Q."
            )
        previous = set(segment_names(generation(db)[0]))
        run_reindex(db, content, CONFIG)
        meta, _, index = generation(db)
        counts.append(len(index.segments))
        # The committed generation's files and the previous one's; nothing older.
        assert files_on_disk(db) == set(segment_names(meta)) | previous
    assert max(counts) < compaction.FACTOR + 1 and counts != sorted(counts)  # merged
    fresh = tmp_path / "fresh.sqlite3"
    run_reindex(fresh, content, CONFIG)
    same_as_fresh(db, fresh, (["harbour"], ["ferri", "note"], ["quiz"], ["comet", "harbour", "4"]))


KILL_BEFORE_COMMIT = """
import os, signal, sys
from pathlib import Path
from articlebot.index.config import IndexConfig
from articlebot.index.storage import reindex, tables
from articlebot.index.storage.reindex import run_reindex

real = tables.write_meta
def die(conn, values):
    if "segments" in values:  # every segment file is on disk; nothing is committed
        os.kill(os.getpid(), signal.SIGKILL)
    real(conn, values)
tables.write_meta = die
run_reindex(Path(sys.argv[1]), Path(sys.argv[2]), IndexConfig(), workers=1)
"""


def test_a_kill_between_writing_segment_files_and_committing(content: Path, tmp_path: Path):
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    before = generation(db)
    write_post(content, "late_post.md", "Late post", "2021-06-01", "news", "A late ferry.")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILL_BEFORE_COMMIT), str(db), str(content)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    meta, catalog, index = generation(db)
    assert meta["generation"] == before[0]["generation"] and "late_post.md" not in catalog.ids
    assert index.n_docs == 4 and ranked(db, ["ferri"]) == {}
    orphans = files_on_disk(db) - set(segment_names(meta))
    assert len(orphans) == 1  # written, never committed
    report = run_reindex(db, content, CONFIG)
    assert report.added == ("late_post.md",)
    assert not orphans & files_on_disk(db)  # removed by the next reindex
    assert list(ranked(db, ["ferri"])) == ["late_post.md"]


async def test_a_reader_on_an_old_generation_keeps_answering(content: Path, tmp_path: Path):
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    idx = await ArticleIndex.open(db, content, CONFIG)
    try:
        first = set(segment_names(generation(db)[0]))
        for i in range(3):  # commits that merge: the reader's files are deleted
            write_post(content, f"comet_{i}.md", f"Comet {i}", "2021-05-01", "science", "Comet.")
            body = f"Swimmers, round {i}."  # a quarter of the posts changed: merged
            write_post(content, "harbour_swimmers_brave_the_cold.md", "Swim", "2021", "x", body)
            run_reindex(db, content, CONFIG)
        assert not first & files_on_disk(db)
        result = await idx.search("comet")  # still its own generation, whole
        assert [h.article.id for h in result.hits] == ["comet_seen_over_the_valley.md"]
        assert idx.article_count == 4
        await idx.reindex()  # and a reload sees the newest
        assert (await idx.search("comet")).total == 4
    finally:
        await idx.close()


def test_a_missing_segment_file_is_a_damaged_index_that_full_rebuilds(content, tmp_path):
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    (name,) = segment_names(generation(db)[0])
    segfile.segment_path(db, name).unlink()
    with pytest.raises(DamagedIndex, match="is missing"):
        generation(db)
    conn = database.connect(db)
    try:
        with pytest.raises(DamagedIndex):
            load_state(conn, CONFIG)
    finally:
        conn.close()
    assert run_reindex(db, content, CONFIG, full=True).total == 4
    assert len(generation(db)[2].segments) == 1


def to_format_8(db: Path) -> None:
    """Turn an index into one of format 8 as it would have been written: the whole catalog
    as blobs, segment files without catalog pieces, the fingerprint of format 8."""
    meta, cat, _ = generation(db)
    entries = [
        CatalogEntry(
            cat.ids[i], cat.titles[i], cat.slugs[i],
            None if np.isnan(cat.dates[i]) else datetime.fromtimestamp(cat.dates[i], UTC),
            cat.categories.row(i), cat.tags.row(i), cat.authors[i], cat.languages[i],
        )
        for i in range(len(cat))
    ]  # fmt: skip
    for name in segment_names(meta):
        arrays = segfile.read(segfile.segment_path(db, name))
        segfile.write(db, name, {k: np.array(v) for k, v in arrays.items() if "cat." not in k})
    conn = database.connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        tables.write_blobs(conn, format8_blobs(entries, cat.words), blobs.CATALOG_PREFIX)
        old = CONFIG.fingerprint().replace(f"({INDEX_FORMAT},", "(8,", 1)
        tables.write_meta(conn, {"fingerprint": old})
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_an_index_of_format_8_serves_until_a_reindex_rebuilds_it(content: Path, tmp_path):
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    _, want, _ = generation(db)
    before = ranked(db, ["comet", "valley"])
    assert before
    to_format_8(db)
    _, old, _ = generation(db)
    assert isinstance(old.ids, PackedStrings)  # read from the blobs, not from pieces
    assert list(old.ids) == list(want.ids) and list(old.titles) == list(want.titles)
    assert list(old.dates) == list(want.dates) and list(old.tags) == list(want.tags)
    assert old.words == want.words
    assert old.title_index["comet"].tolist() == want.title_index["comet"].tolist()
    assert ranked(db, ["comet", "valley"]) == before
    conn = database.connect(db)
    try:
        with pytest.raises(DamagedIndex, match="not in the segment files"):
            blobs.load_stored(conn, CONFIG)
    finally:
        conn.close()
    assert run_reindex(db, content, CONFIG).total == 4  # another fingerprint: a full build
    _, rebuilt, _ = generation(db)
    assert not isinstance(rebuilt.ids, PackedStrings) and list(rebuilt.ids) == list(want.ids)
    assert ranked(db, ["comet", "valley"]) == before
    conn = database.connect(db)
    try:
        assert not tables.read_blobs(conn, blobs.CATALOG_PREFIX)
    finally:
        conn.close()


def test_a_reader_retries_when_its_files_went_between_meta_and_map(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG)
    real = segfile.read
    calls = []

    def read_after_two_commits(path: Path):
        calls.append(path)
        if len(calls) == 1:
            for i in range(2):  # each changes a quarter of the posts: all merged
                write_post(content, f"new_{i}.md", f"New {i}", "2021-05-01", "news", "x")
                write_post(content, "quiz_show_host_signs_new_deal.md", "Q", "2021", "x", f"{i}")
                run_reindex(db, content, CONFIG)
        return real(path)

    monkeypatch.setattr(segfile, "read", read_after_two_commits)
    meta, catalog, index = generation(db)
    assert meta["generation"] == "3" and len(catalog) == index.n_docs == 6
    assert not os.path.exists(calls[0])


def test_an_array_written_in_chunks_reads_back_whole(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite3"
    chunks = (np.arange(5, dtype=np.int32), np.zeros(0, np.int32), np.arange(7, dtype=np.int32))
    segfile.write(db, "00000001-0000abcd", {"a": chunks, "b": np.ones(3, np.uint16)})
    arrays = segfile.read(segfile.segment_path(db, "00000001-0000abcd"))
    assert arrays["a"].tolist() == list(range(5)) + list(range(7))
    assert arrays["b"].tolist() == [1, 1, 1]
