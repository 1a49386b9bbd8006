"""What articlebot derives once per machine, made ahead of time (``articlebot prepare``).

Otherwise the first process that wants each one makes it: a bot's first start builds the
compiled kernel (numba and a C compiler, ~10-40 s in a child process) and the first
language detection unpacks py3langid's model (~1.2 s). A deploy script or a container
image runs this once instead, so every start finds them ready; and an image whose build
stage alone has numba and a compiler still ranks with the kernel, which loads without
either (``kernel_aot``).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from articlebot.index.cachedir import cache_dir


class Part(Enum):
    KERNEL = "kernel"
    LANGUAGE_MODEL = "language_model"


class State(Enum):
    READY = "ready"  # there already
    MADE = "made"  # made now
    UNAVAILABLE = "unavailable"  # cannot be made on this install (no numba): not an error
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Prepared:
    """One derived part: where it is, and what this run did about it."""

    part: Part
    state: State
    path: Path | None
    seconds: float
    reason: str = ""  # why it is unavailable or failed

    @property
    def failed(self) -> bool:
        """It could have been made here and was not (no numba is not a failure)."""
        return self.state is State.FAILED


def prepare_machine(directory: Path | None = None) -> tuple[Prepared, ...]:
    """Make every derived part in ``directory`` (the cache folder by default) unless it is
    there already. Never raises for a part that cannot be made: its state says why."""
    folder = directory or cache_dir()
    return _kernel(folder), _language_model(folder)


def _kernel(folder: Path) -> Prepared:
    from articlebot.index.ranking import kernel_aot

    started = time.perf_counter()
    path = kernel_aot.built_path(folder)
    try:
        if kernel_aot.load_built(folder) is not None:
            return Prepared(Part.KERNEL, State.READY, path, time.perf_counter() - started)
    except Exception as exc:  # a damaged file: built again below
        damaged = f"the built file could not be loaded ({exc})"
    else:
        damaged = ""
    if importlib.util.find_spec("numba") is None:
        why = damaged or "numba is not installed (pip install 'articlebot[fast]' adds it)"
        return Prepared(Part.KERNEL, State.UNAVAILABLE, None, 0.0, why)
    path.unlink(missing_ok=True)  # a damaged one; a failure mark is retried, not obeyed
    try:
        kernel_aot.build(folder)
        if kernel_aot.load_built(folder) is None:
            raise RuntimeError("the build left no file")
    except Exception as exc:
        return Prepared(Part.KERNEL, State.FAILED, None, time.perf_counter() - started, str(exc))
    return Prepared(Part.KERNEL, State.MADE, path, time.perf_counter() - started)


def _language_model(folder: Path) -> Prepared:
    from articlebot.index.posts import langid_model

    started = time.perf_counter()
    try:
        model = langid_model.model_file()
        path = langid_model.unpacked_dir(model, folder)
        there = langid_model.is_unpacked(path)
        langid_model.load_tables(model, folder)
        if there and not langid_model.is_unpacked(path):  # damaged, set aside: unpack now
            there = False
            langid_model.load_tables(model, folder)
    except Exception as exc:
        return Prepared(
            Part.LANGUAGE_MODEL, State.FAILED, None, time.perf_counter() - started, str(exc)
        )
    if not langid_model.is_unpacked(path):  # the folder could not be written
        why = f"{folder} cannot be written"
        return Prepared(Part.LANGUAGE_MODEL, State.FAILED, None, 0.0, why)
    state = State.READY if there else State.MADE
    return Prepared(Part.LANGUAGE_MODEL, state, path, time.perf_counter() - started)
