"""`prepare_machine`: the compiled kernel and the unpacked language model made ahead of
time, reported as ready, made, unavailable (no numba) or failed, never raised."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from articlebot.index.posts import langid_model
from articlebot.index.prepare import Part, State, prepare_machine
from articlebot.index.ranking import kernel_aot


@pytest.fixture
def without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    """An install without the `fast` extra: numba cannot be found."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a)
    )


def test_without_numba_the_model_is_unpacked_and_the_kernel_said_unavailable(
    tmp_path: Path, without_numba: None
) -> None:
    kernel, model = prepare_machine(tmp_path)
    assert kernel.part is Part.KERNEL and kernel.state is State.UNAVAILABLE
    assert "articlebot[fast]" in kernel.reason and kernel.path is None
    assert not kernel_aot.built_path(tmp_path).exists()
    assert model.part is Part.LANGUAGE_MODEL and model.state is State.MADE
    assert model.path == langid_model.unpacked_dir(langid_model.model_file(), tmp_path)
    assert langid_model.is_unpacked(model.path)
    umask = os.umask(0o022)
    os.umask(umask)
    # readable by the service's user where another user prepared it (not mkdtemp's 0700)
    assert model.path.stat().st_mode & 0o777 == 0o777 & ~umask
    again = prepare_machine(tmp_path)[1]
    assert again.state is State.READY and again.path == model.path


def test_a_kernel_file_that_does_not_load_is_said(tmp_path: Path, without_numba: None) -> None:
    kernel_aot.built_path(tmp_path).write_bytes(b"not an extension")
    kernel = prepare_machine(tmp_path)[0]
    assert kernel.state is State.UNAVAILABLE
    assert kernel.reason.startswith("the built file could not be loaded")


def test_a_built_kernel_is_found_ready(built_kernel: SimpleNamespace) -> None:
    """In the folder the bot loads it from (this run's ARTICLEBOT_CACHE_DIR)."""
    kernel = prepare_machine()[0]
    assert kernel.state is State.READY and kernel.path == kernel_aot.built_path()
    assert kernel.path.exists()


def test_an_unwritable_folder_fails_the_model_with_its_reason(
    tmp_path: Path, without_numba: None
) -> None:
    blocked = tmp_path / "file"  # a file where the folder must be: unwritable even for root
    blocked.write_text("")
    kernel, model = prepare_machine(blocked)
    assert model.state is State.FAILED and str(blocked) in model.reason
    assert kernel.state is State.UNAVAILABLE


def test_a_damaged_unpack_is_unpacked_again_in_one_run(tmp_path: Path, without_numba: None) -> None:
    model = prepare_machine(tmp_path)[1]
    assert model.path is not None
    (model.path / "ptc.npy").write_bytes(b"\x93NUMPY short")  # a crash mid-write, say
    again = prepare_machine(tmp_path)[1]
    assert again.state is State.MADE and again.path == model.path
    assert langid_model.is_unpacked(model.path)
    assert prepare_machine(tmp_path)[1].state is State.READY
