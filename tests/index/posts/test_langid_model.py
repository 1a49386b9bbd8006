"""py3langid's model unpacked into the cache folder: the library's own values, mapped
read-only afterwards, whole or absent after a failure, and read into memory when the
folder cannot be written. Detection through it is checked against the library in
test_language.py."""

from __future__ import annotations

import os
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
