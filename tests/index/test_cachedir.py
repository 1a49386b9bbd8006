"""Pruning the cache folder, on real files: what a newer version supersedes goes, what is
current, recently used, still being built or of another kind stays, and a removal that
fails is logged, never raised. The kernel's and the model's own pruning are checked where
they write (test_kernel_aot.py, test_langid_model.py)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from articlebot.index import cachedir

DAY = 24 * 3600
KIND = dict(entries=r"thing-[0-9a-f]{4}", scratch=r"\.thing-.+", scratch_age=600.0)


def make(path: Path, age: float = 0.0, folder: bool = False) -> Path:
    """A file (or a folder holding one) last modified ``age`` seconds ago."""
    if folder:
        path.mkdir()
        (path / "data").write_bytes(b"x" * 100)
    else:
        path.write_bytes(b"x" * 100)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_prune_removes_what_is_superseded_and_left_over(tmp_path: Path) -> None:
    make(tmp_path / "thing-000a")  # current: just written
    make(tmp_path / "thing-000b", 2 * DAY, folder=True)  # an older version
    make(tmp_path / "thing-000c", 2 * DAY)
    make(tmp_path / "thing-000d", DAY / 2, folder=True)  # another install used it today
    make(tmp_path / ".thing-busy", 60, folder=True)  # a build still under way
    make(tmp_path / ".thing-dead", 3600, folder=True)  # left by a killed build
    make(tmp_path / ".thing-0001.pruned-42", 3600, folder=True)  # a removal cut short
    make(tmp_path / "other-000b", 2 * DAY, folder=True)  # another kind
    make(tmp_path / "thing-000b-notes", 2 * DAY)  # not an entry's name

    removed = cachedir.prune(tmp_path, keep="thing-000a", **KIND)

    assert sorted(removed) == [".thing-0001.pruned-42", ".thing-dead", "thing-000b", "thing-000c"]
    assert names(tmp_path) == {
        "thing-000a", "thing-000d", ".thing-busy", "other-000b", "thing-000b-notes"
    }  # fmt: skip


def test_an_entry_touched_on_load_is_kept(tmp_path: Path) -> None:
    """Loading marks an entry used: a second install that loads its version every day
    keeps it, however long ago it was written."""
    used = make(tmp_path / "thing-000b", 30 * DAY, folder=True)
    cachedir.touch(used)
    cachedir.touch(tmp_path / "thing-ffff")  # a missing entry: nothing to mark, no error
    assert cachedir.prune(tmp_path, keep="thing-000a", **KIND) == []
    assert cachedir.prune(tmp_path, keep="thing-000a", unused_for=0, **KIND) == ["thing-000b"]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows refuses to delete a mapped file")
def test_a_process_keeps_reading_what_it_mapped_after_removal(tmp_path: Path) -> None:
    """What pruning relies on (POSIX): unlinking a mapped file removes its name, not its
    pages, so a process that mapped the old version reads it whole after the removal."""
    old = make(tmp_path / "thing-000b", 2 * DAY, folder=True)
    np.save(old / "table.npy", np.arange(100_000, dtype=np.int64))
    mapped = np.load(old / "table.npy", mmap_mode="r")
    assert cachedir.prune(tmp_path, keep="thing-000a", unused_for=0, **KIND) == ["thing-000b"]
    assert not old.exists() and names(tmp_path) == set()
    assert int(mapped.sum()) == 100_000 * 99_999 // 2


def test_a_removal_that_fails_is_logged_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make(tmp_path / "thing-000b", 2 * DAY, folder=True)
    make(tmp_path / "thing-000c", 2 * DAY)
    make(tmp_path / "thing-000d", 2 * DAY)
    make(tmp_path / ".thing-dead", 3600, folder=True)
    real_rmtree, real_unlink = shutil.rmtree, Path.unlink

    def rmtree(path, *args, **kwargs):
        if "thing-000b" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_rmtree(path, *args, **kwargs)

    def unlink(self, *args, **kwargs):
        if self.name == "thing-000c":
            raise PermissionError(13, "Permission denied", str(self))
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    monkeypatch.setattr(Path, "unlink", unlink)
    with caplog.at_level(logging.WARNING, logger=cachedir.__name__):
        removed = cachedir.prune(tmp_path, keep="thing-000a", **KIND)
    assert sorted(removed) == [".thing-dead", "thing-000d"]
    assert caplog.text.count("Permission denied") == 2
    # The folder left its name before its files failed to go: it is swept as scratch later.
    assert names(tmp_path) == {f".thing-000b.pruned-{os.getpid()}", "thing-000c"}
    monkeypatch.undo()
    assert cachedir.prune(tmp_path, keep="thing-000a", **dict(KIND, scratch_age=-1)) != []
    assert names(tmp_path) == set()


def test_a_missing_folder_is_nothing_to_prune(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger=cachedir.__name__):
        assert cachedir.prune(tmp_path / "missing", keep="thing-000a", **KIND) == []
    assert "Could not list" in caplog.text
