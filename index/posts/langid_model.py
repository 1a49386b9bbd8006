"""py3langid's model unpacked once into the cache folder, then memory-mapped.

The model ships LZMA-compressed; unpacking it costs every process that detects a
language ~1.2 s and ~68 MB of anonymous memory (a 39 MB transition table and a 28 MB
float16 table). A full reindex runs it in each worker, and the live bot in its own
process when a post without a declared language changes. Unpacked once into
``cachedir`` as plain ``.npy`` files, the tables are mapped read-only instead: a few
milliseconds to open, and pages shared through the page cache by every process on the
machine. The arrays are the model's own, value for value, so detection is unchanged.
Unpacking removes the folders of other py3langid installs that no process used for a day
(``prune``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from articlebot.index import cachedir
from articlebot.index.cachedir import cache_dir

_TABLES = ("ptc", "pc", "nextmove", "nextmove_row", "out_feat")
_CLASSES = "classes.json"
# An unpack takes a second or two: a scratch folder this old (seconds) was left by a
# process killed while unpacking, never one still writing.
SCRATCH_AGE = 3600.0


def model_file() -> Path:
    """The compressed model inside the installed py3langid."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def unpacked_dir(model: Path, directory: Path | None = None) -> Path:
    """The folder ``model`` is unpacked into, named by a digest of its bytes and of the
    py3langid version that reads them (its reader decides the arrays' types): another
    model or version gets a folder of its own, and installs of the same share one (two
    virtualenvs; a container image whose build stage unpacked it at another path)."""
    stat = model.stat()
    digest = _digest(str(model.resolve()), stat.st_size, stat.st_mtime_ns)
    return (directory or cache_dir()) / f"langid-{digest[:16]}"


@functools.lru_cache(maxsize=4)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of py3langid's version and the file at ``path`` (4.5 MB: ~4 ms), once per
    process and version of the file (``size`` and ``mtime_ns`` key the cache only)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        reader = version("py3langid")
    except PackageNotFoundError:  # pragma: no cover - imported from a source tree
        reader = "?"
    with open(path, "rb") as model:
        digest = hashlib.file_digest(model, "sha256")
    digest.update(reader.encode())
    return digest.hexdigest()


def is_unpacked(folder: Path) -> bool:
    """Whether ``folder`` (``unpacked_dir``) holds a whole unpack (written last)."""
    return (folder / _CLASSES).exists()


def load_tables(model: Path, directory: Path | None = None) -> dict[str, Any]:
    """The model's tables (``modelio``'s npz keys), memory-mapped from the cache folder;
    unpacked there first if they are not yet (when the folder cannot be written, they
    are read into memory as py3langid does)."""
    folder = unpacked_dir(model, directory)
    if not is_unpacked(folder):
        try:
            _unpack(model, folder)
        except OSError:
            return _read(model)
        prune(folder)
    else:
        cachedir.touch(folder)  # in use: not pruned by another install's unpack
    try:
        return _mapped(folder)
    except Exception:  # damaged (a cache cleaner, a crash): unpacked afresh next time
        with contextlib.suppress(OSError):
            aside = folder.with_name(f".broken-{folder.name}-{os.getpid()}")
            os.rename(folder, aside)
            shutil.rmtree(aside, ignore_errors=True)
        return _read(model)


def prune(folder: Path) -> None:
    """Remove from ``folder``'s parent the models unpacked for other py3langid installs
    (older versions, other virtualenvs) that no process used for a day, and unpacks'
    scratch folders left ``SCRATCH_AGE`` ago (see ``cachedir.prune``): called once
    ``folder`` is unpacked, never on a start that finds it."""
    cachedir.prune(
        folder.parent,
        entries=r"langid-[0-9a-f]{16}",  # unpacked_dir()
        keep=folder.name,
        scratch=r"\.(?:broken-)?langid-.+",  # _unpack's, and load_tables' damaged ones
        scratch_age=SCRATCH_AGE,
    )


def _mapped(folder: Path) -> dict[str, Any]:
    """The unpacked tables, mapped; ValueError unless their shapes fit together."""
    tables: dict[str, Any] = {name: np.load(folder / f"{name}.npy", mmap_mode="r")
                              for name in _TABLES}  # fmt: skip
    tables["classes"] = json.loads((folder / _CLASSES).read_text(encoding="utf-8"))
    states = len(tables["nextmove_row"])
    if not (
        tables["ptc"].ndim == 2
        and tables["ptc"].shape[1] == len(tables["pc"]) == len(tables["classes"])
        and len(tables["out_feat"]) == states
        and tables["nextmove"].size % 256 == 0
        and int(tables["nextmove_row"].max(initial=0)) < tables["nextmove"].size // 256
    ):
        raise ValueError(f"{folder}: the unpacked tables do not fit together")
    return tables


def _read(model: Path) -> dict[str, Any]:
    """The tables as py3langid's own ``modelio.load_model`` reads them, back as arrays
    under the npz's keys."""
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(model)
    return {
        "ptc": np.asarray(ptc),
        "pc": np.asarray(pc),
        "classes": classes,
        "nextmove": np.asarray(nextmove),
        "nextmove_row": np.asarray(row),
        "out_feat": np.asarray(output, dtype=np.int32),
    }


def _unpack(model: Path, folder: Path) -> None:
    """Write the tables into ``folder`` whole or not at all: built in a scratch folder
    beside it, then renamed (another process doing the same at once wins or loses the
    rename; either way the folder is complete)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tables = _read(model)
    # A plain mkdir (not mkdtemp's 0700): the umask decides, so a folder one user
    # prepared (``articlebot prepare`` in an image's build) reads for the service's user.
    scratch = folder.parent / f".langid-{secrets.token_hex(8)}"
    scratch.mkdir()
    try:
        for name in _TABLES:  # on disk before the rename makes them the cache
            with open(scratch / f"{name}.npy", "wb") as out:
                np.save(out, tables[name], allow_pickle=False)
                out.flush()
                os.fsync(out.fileno())
        with open(scratch / _CLASSES, "w", encoding="utf-8") as out:
            out.write(json.dumps(tables["classes"]))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.rename(scratch, folder)
        except OSError:  # another process made it first
            if not (folder / _CLASSES).exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # gone already when renamed
