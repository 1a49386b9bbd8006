"""Arrays a reindex keeps in a temporary file beside the index until its segment is
written: read back as they went in, gone with the process, and the same index either way."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from articlebot.index import StoreError, run_reindex
from articlebot.index.config import IndexConfig
from articlebot.index.ranking import postings
from articlebot.index.storage import database, segfile, segwrite, spill
from articlebot.index.storage.spill import Spill, SpilledArray
from tests.sample_posts import write_post

CONFIG = IndexConfig()


def records(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(n)
    return [
        (rng.integers(0, 1000, size=i * 37, dtype=np.int32), np.full(i, i, dtype=np.uint16))
        for i in range(n)
    ]


def same(got, want) -> bool:
    if len(got) != len(want) or any(len(a) != len(b) for a, b in zip(got, want, strict=True)):
        return False
    return all(
        x.dtype == y.dtype and np.array_equal(x, y)
        for a, b in zip(got, want, strict=True)
        for x, y in zip(a, b, strict=True)
    )


def test_records_below_the_limit_stay_in_memory(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite3"
    kept = Spill(db, limit=1 << 20)
    want = records(10)
    for r in want:
        kept.append(*r)
    assert not kept.spilled and not list(tmp_path.iterdir())
    assert same(list(kept), want) and same(list(kept), want)  # read as often as asked
    assert same(list(kept.drain()), want) and len(kept) == 0


def test_records_beyond_the_limit_go_to_an_unnamed_file_and_come_back_in_order(
    tmp_path: Path,
) -> None:
    db = tmp_path / "i.sqlite3"
    kept = Spill(db, limit=2000)
    want = records(40)
    for r in want:
        kept.append(*r)
    assert kept.spilled and len(kept) == 40
    assert not list(tmp_path.iterdir())  # nothing a kill -9 could leave behind
    assert same(list(kept), want) and same(list(kept), want)
    assert same(list(kept.drain()), want)
    assert len(kept) == 0 and not kept.spilled  # drained: the file is closed


def test_without_an_index_nothing_is_spilled() -> None:
    kept = Spill(None, limit=10)
    want = records(20)
    for r in want:
        kept.append(*r)
    assert not kept.spilled and same(list(kept), want)


def test_a_spilled_array_is_written_chunk_by_chunk_and_reads_back_whole(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite3"
    kept = Spill(db, limit=100)
    chunks = [np.arange(i * 50, dtype=np.int32) for i in range(12)]
    for c in chunks:
        kept.append(c)
    assert kept.spilled
    text = SpilledArray(kept, np.int32, sum(map(len, chunks)))
    segfile.write(db, "00000001-0000abcd", {"a": text, "b": np.ones(3, np.uint16)})
    arrays = segfile.read(segfile.segment_path(db, "00000001-0000abcd"))
    assert np.array_equal(arrays["a"], np.concatenate(chunks))
    assert arrays["b"].tolist() == [1, 1, 1]
    short = SpilledArray(kept, np.int32, text.size + 1)  # says more than it holds
    with pytest.raises(ValueError):
        segfile.write(db, "00000002-0000abcd", {"a": short})
    kept.close()
    with pytest.raises(ValueError):  # let go of: never read as empty
        list(text)


def many_posts(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = f"Story {i} about river {i % 7} and the mill, told twice: river {i % 11}."
        write_post(folder, f"p{i:04d}.md", f"Title {i} of {i % 13}", "2021-03-04", "news", body)
    return folder


def segment_file(db: Path) -> bytes:
    conn = database.connect_reader(db)
    try:
        (names,) = conn.execute("SELECT value FROM meta WHERE key='segments'").fetchone()
    finally:
        conn.close()
    (name,) = json.loads(names)
    return segfile.segment_path(db, name).read_bytes()


def test_a_full_index_streamed_through_the_spill_is_the_one_built_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = many_posts(tmp_path / "content", 450)  # three batches
    monkeypatch.setattr(spill, "LIMIT", 1 << 40)  # held: built whole, as before spilling
    held = tmp_path / "held" / "i.sqlite3"
    held.parent.mkdir()
    run_reindex(held, content, CONFIG, full=True, workers=1)
    spilled: list[Spill] = []
    real = Spill._spill

    def counted(self: Spill) -> None:
        spilled.append(self)
        real(self)

    monkeypatch.setattr(spill, "LIMIT", 1000)
    monkeypatch.setattr(Spill, "_spill", counted)
    monkeypatch.setattr(segwrite, "STREAM_POSTINGS", 300)  # many runs of terms, blocks cut
    monkeypatch.setattr(postings, "_CHUNK_TOKENS", 5000)  # many chunks, some of batches joined
    db = tmp_path / "spilled" / "i.sqlite3"
    db.parent.mkdir()
    run_reindex(db, content, CONFIG, full=True, workers=1)
    assert len(spilled) == 3  # the postings, the positions and the catalog rows went to files
    want, got = segment_file(held), segment_file(db)
    assert len(got) == len(want) and got == want  # byte for byte (one process: one hash seed)
    leftovers = {p.name for p in db.parent.iterdir()} - {p.name for p in held.parent.iterdir()}
    assert not {n for n in leftovers if not n.endswith(".seg")}


def test_a_temporary_file_that_cannot_be_written_keeps_the_last_good_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = many_posts(tmp_path / "content", 5)
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, CONFIG, workers=1)
    before = sorted(os.listdir(tmp_path))
    many_posts(content, 450)

    def full_disk(*args: object, **kwargs: object):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(spill, "LIMIT", 1000)
    monkeypatch.setattr(tempfile, "TemporaryFile", full_disk)
    with pytest.raises(StoreError, match="temporary file beside the index file"):
        run_reindex(db, content, CONFIG, full=True, workers=1)
    assert sorted(os.listdir(tmp_path)) == before
    conn = database.connect_reader(db)
    try:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    finally:
        conn.close()


def test_an_error_while_a_segment_is_written_goes_on_and_leaves_no_file(tmp_path: Path) -> None:
    """A full disk (or Ctrl-C) in the middle of a streamed segment is what the caller
    sees, not a failed rename of the file just removed; nothing is left beside the index."""
    db = tmp_path / "i.sqlite3"
    layout = {"a": (np.dtype(np.int32), 4)}
    with pytest.raises(OSError) as raised, segfile.Writer(db, "00000002-abcdef02", layout) as w:
        w.put("a", 0, np.arange(2, dtype=np.int32))
        raise OSError(errno.ENOSPC, "No space left on device")
    assert raised.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
