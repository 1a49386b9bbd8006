"""py3langid's model unpacked into the cache folder: the library's own values, mapped
read-only afterwards, whole or absent after a failure, and read into memory when the
folder cannot be written. Detection through it is checked against the library in
test_language.py."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from py3langid.modelio import load_model

from articlebot.index.posts import langid_model


@pytest.fixture(scope="module")
def library() -> tuple:
    return load_model(langid_model.model_file())


def test_the_tables_are_the_librarys_and_mapped_from_the_second_load(
    tmp_path: Path, library: tuple
) -> None:
    model = langid_model.model_file()
    first = langid_model.load_tables(model, tmp_path)
    again = langid_model.load_tables(model, tmp_path)
    ptc, pc, classes, nextmove, row, output = library
    for tables in (first, again):
        assert np.array_equal(tables["ptc"], ptc) and tables["ptc"].dtype == ptc.dtype
        assert np.array_equal(tables["pc"], pc)
        assert tables["classes"] == classes
        assert tables["nextmove"].tobytes() == np.asarray(nextmove).tobytes()
        assert tables["nextmove_row"].tolist() == list(row)
        assert tables["out_feat"].tolist() == output
    assert all(isinstance(again[name], np.memmap) for name in ("ptc", "nextmove"))
    (folder,) = tmp_path.iterdir()  # one folder, no scratch left
    assert folder == langid_model.unpacked_dir(model, tmp_path)


def test_copies_of_one_model_share_a_folder_and_another_model_gets_its_own(
    tmp_path: Path,
) -> None:
    """Named by the model's bytes, not its path: two virtualenvs, or a container image
    unpacked in its build stage at another path, find one unpack."""
    model = langid_model.model_file()
    copy = tmp_path / "elsewhere" / model.name
    copy.parent.mkdir()
    shutil.copyfile(model, copy)
    os.utime(copy, ns=(1, 1))
    assert langid_model.unpacked_dir(copy, tmp_path) == langid_model.unpacked_dir(model, tmp_path)
    changed = tmp_path / "changed" / model.name
    changed.parent.mkdir()
    changed.write_bytes(model.read_bytes() + b"\0")  # another version of it
    assert langid_model.unpacked_dir(changed, tmp_path) != langid_model.unpacked_dir(
        model, tmp_path
    )


def test_an_unwritable_cache_reads_the_model_into_memory(tmp_path: Path, library) -> None:
    if os.geteuid() == 0:
        blocked = tmp_path / "file"  # root writes anywhere: a file where a folder must be
        blocked.write_text("")
    else:
        blocked = tmp_path / "ro"
        blocked.mkdir(mode=0o500)
    tables = langid_model.load_tables(langid_model.model_file(), blocked)
    assert not isinstance(tables["nextmove"], np.memmap)
    assert np.array_equal(tables["ptc"], library[0])


def test_a_failed_unpack_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (any error while writing) leaves neither a half folder, which a
    later process would map, nor scratch files."""

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(langid_model.np, "save", full)
    tables = langid_model.load_tables(langid_model.model_file(), tmp_path)
    assert len(tables["out_feat"]) > 0  # read into memory instead
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", ["empty", "missing", "wrong shape"])
def test_a_damaged_cache_is_read_around_and_unpacked_again(
    tmp_path: Path, library: tuple, damage: str
) -> None:
    """A file emptied by a crash, deleted by a cache cleaner or not matching the others:
    the tables come from the model itself this time and the folder is unpacked afresh
    the next time, never an error in every detection."""
    model = langid_model.model_file()
    langid_model.load_tables(model, tmp_path)
    folder = langid_model.unpacked_dir(model, tmp_path)
    if damage == "empty":
        (folder / "pc.npy").write_bytes(b"")
    elif damage == "missing":
        (folder / "out_feat.npy").unlink()
    else:
        np.save(folder / "out_feat.npy", np.zeros(3, dtype=np.int32))
    tables = langid_model.load_tables(model, tmp_path)
    assert np.array_equal(tables["pc"], library[1])
    assert tables["out_feat"].tolist() == library[5]
    assert not folder.exists() and list(tmp_path.iterdir()) == []
    again = langid_model.load_tables(model, tmp_path)
    assert isinstance(again["nextmove"], np.memmap)
    assert again["out_feat"].tolist() == library[5]


# --- pruning: unpacking removes the folders it replaces (index/cachedir.py) -------------

OLD = 2 * 24 * 3600  # seconds: no process used it for two days


def aged(path: Path, age: float, folder: bool = True) -> Path:
    if folder:
        path.mkdir()
        (path / "ptc.npy").write_bytes(b"old")
    else:
        path.write_bytes(b"old")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_unpacking_removes_the_models_it_replaces(tmp_path: Path) -> None:
    """Every py3langid upgrade left ~68 MB behind: unpacking removes the models no process
    used for a day and scratch folders of killed unpacks; it keeps one unpacking now, one
    another install used today, and what is not a model's. A start that finds its model
    removes nothing, and marks it used."""
    model = langid_model.model_file()
    kept = {
        aged(tmp_path / f"langid-{'1' * 16}", 3600).name,  # another install's, used today
        aged(tmp_path / ".langid-busy1234", 10).name,  # an unpack under way
        aged(tmp_path / f"articlebot_kernel_{'2' * 16}.so", OLD, folder=False).name,
        aged(tmp_path / "notes", OLD, folder=False).name,
        langid_model.unpacked_dir(model, tmp_path).name,
    }
    gone = {
        aged(tmp_path / f"langid-{'0' * 16}", OLD).name,
        aged(tmp_path / ".langid-dead1234", langid_model.SCRATCH_AGE + 60).name,
        aged(tmp_path / f".broken-langid-{'3' * 16}-77", langid_model.SCRATCH_AGE + 60).name,
    }
    tables = langid_model.load_tables(model, tmp_path)
    assert isinstance(tables["nextmove"], np.memmap)
    assert {p.name for p in tmp_path.iterdir()} == kept and not gone & kept

    folder = langid_model.unpacked_dir(model, tmp_path)
    os.utime(folder, (time.time() - OLD, time.time() - OLD))
    later = aged(tmp_path / f"langid-{'5' * 16}", OLD)
    langid_model.load_tables(model, tmp_path)
    assert later.exists() and time.time() - folder.stat().st_mtime < 3600


def test_a_model_mapped_before_its_removal_still_reads_whole(tmp_path: Path, library) -> None:
    """What pruning relies on (POSIX): a process that mapped the tables of a model that
    was then removed (another process unpacked a newer one) reads them unchanged."""
    model = langid_model.model_file()
    mapped = langid_model.load_tables(model, tmp_path)
    folder = langid_model.unpacked_dir(model, tmp_path)
    os.utime(folder, (time.time() - OLD, time.time() - OLD))
    langid_model.prune(tmp_path / f"langid-{'f' * 16}")  # a newer version's
    assert not folder.exists()
    assert np.array_equal(mapped["ptc"], library[0])
    assert mapped["nextmove"].tobytes() == np.asarray(library[3]).tobytes()


def test_a_removal_that_fails_does_not_fail_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stuck = aged(tmp_path / f"langid-{'0' * 16}", OLD)
    old = aged(tmp_path / f"langid-{'1' * 16}", OLD)
    rmtree = shutil.rmtree

    def refuse(path, *args, **kwargs):
        if stuck.name in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", refuse)
    with caplog.at_level(logging.WARNING):
        tables = langid_model.load_tables(langid_model.model_file(), tmp_path)
    assert isinstance(tables["nextmove"], np.memmap)
    assert not old.exists() and "Could not remove" in caplog.text
