"""The kernel compiled ahead of time into a plain extension module, loaded without numba.

Loading numba's cached machine code costs every serving process ~53 MB of anonymous
memory (numba itself and LLVM) and holds the GIL for ~0.3-0.5 s. numba's ``pycc``
compiles the same functions (``kernel``, unchanged) into an ordinary CPython extension
instead: importing it takes about a millisecond and a few hundred kilobytes, with numpy
the only thing loaded. It is built once per machine and kernel version, in a child
process (numba and a C compiler are needed then, never after), into the cache folder
(``cachedir``); a build removes the kernels it replaces (``prune``).

An extension does not check what it is given the way numba's dispatcher does (a wrong
dtype would be read as raw memory), so every call goes through a check of each array's
dtype and layout against ``SPEC``, the one statement of the kernel's signatures.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np

from articlebot.index import cachedir
from articlebot.index.cachedir import cache_dir
from articlebot.index.ranking import blockmax

# Each argument: an array "<dtype>[]" (C-contiguous, one dimension; "r" after it: the
# kernel only reads it, else it writes it, so it must be writable) or a scalar "<dtype>".
# The last entry of a tuple is the result.
SPEC: dict[str, tuple[str, ...]] = {
    "top_k_segment": (
        "int32[]r", "uint16[]r", "float64[]r", "float32[]r", "float64", "int64[]r",
        "int64[]r", "float64[]r", "int32[]r", "int64", "bool[]r", "float64", "float64",
        "float64[]", "int64[]", "int64", "float64[]", "int64[]",
        "int64",
    ),
    "top_k_dense": (
        "int32[]r", "uint16[]r", "float64[]r", "int64[]r", "int64[]r", "float64[]r",
        "int32[]r", "int64", "bool[]r", "float64", "float64", "float64[]", "int64[]",
        "int64", "float64[]",
        "int64",
    ),
    "ranked": ("float64[]", "int64[]", "int64", "(int32[], float64[])"),
    "count_segment": (
        "int32[]r", "int64[]r", "int64[]r", "int32[]r", "int64", "bool[]r", "bool[]",
        "int64",
    ),
    # A reindex worker's numbering of words (text/wordkernel.py).
    "number_words": (
        "uint8[]r", "int64[]r", "int32[]", "uint8[]", "int64[]", "uint64[]", "int32[]",
        "int64[]", "int32[]", "int64[]",
        "int64",
    ),
    "place_words": ("uint64[]r", "int64", "int32[]", "int64"),
    # Language detection's walk over a text (posts/langkernel.py).
    "walk_features": (
        "uint8[]r", "uint32[]r", "int64[]r", "int64[]r", "int32[]", "int64[]", "float32[]",
        "int64",
    ),
}  # fmt: skip

# What the machine code is compiled from (relative to this folder).
_SOURCES = ("kernel.py", "blockmax.py", "../text/wordkernel.py", "../posts/langkernel.py")
BUILD_TIMEOUT = 300.0  # seconds; a first build takes ~8-40 s on two loaded cores
# A build's scratch folder in the cache folder; one older than twice the timeout was left
# by a process killed mid-build (a younger one may be another process's build under way).
SCRATCH_PREFIX = ".articlebot_kernel_build-"
SCRATCH_AGE = 2 * BUILD_TIMEOUT


def module_name() -> str:
    """The extension's name: a digest of its sources, signatures and numpy's version (its
    C interface is compiled in), so a changed kernel or numpy is built afresh instead of
    loading stale machine code. The suffix (``built_path``) names Python and platform."""
    digest = hashlib.sha256(f"{SPEC!r} {np.__version__} release_gil".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return f"articlebot_kernel_{digest.hexdigest()[:16]}"


def built_path(directory: Path | None = None) -> Path:
    """The file the extension is (or would be) built into."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return (directory or cache_dir()) / f"{module_name()}{suffix}"


_shared: SimpleNamespace | None = None
_shared_failed = False


def shared() -> SimpleNamespace | None:
    """The built kernel for the reindex's analysis (numbering words, detecting
    languages), loaded once per process; None while it is not built (the ranking's
    ``fastpath`` builds it: a bot that reindexes before its first build finished picks
    it up at a later reindex), when it cannot be loaded (said once), and under
    ``ARTICLEBOT_KERNEL=numpy`` or ``jit`` (the dict and the numpy walk instead)."""
    global _shared, _shared_failed
    if os.environ.get("ARTICLEBOT_KERNEL", "auto") in ("numpy", "jit"):
        return None
    if _shared is None and not _shared_failed:
        try:
            _shared = load_built()
        except Exception as exc:  # a broken build must not stop a reindex
            _shared_failed = True
            logging.getLogger(__name__).warning("The compiled kernel could not be loaded: %s", exc)
    return _shared


def load_built(directory: Path | None = None) -> SimpleNamespace | None:
    """The built kernel, checked at every call; None when it is not built yet."""
    path = built_path(directory)
    if not path.exists():
        return None
    name = module_name()
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    cachedir.touch(path)  # in use: not pruned by another install's build (cachedir.prune)
    return wrap(module)


def wrap(module: ModuleType) -> SimpleNamespace:
    """The functions of ``SPEC`` from ``module``, each behind its arguments' check."""
    functions = {name: checked(name, getattr(module, name)) for name in SPEC}
    return SimpleNamespace(WINDOW=blockmax.WINDOW, **functions)


_SCALARS = {
    "int64": (int, np.integer),
    "float64": (float, int, np.floating, np.integer),
}


def checked(name: str, function: Callable[..., object]) -> Callable[..., object]:
    """``function`` refusing what ``SPEC`` does not describe: an array of another dtype
    or layout, a read-only array where the kernel writes, a scalar of another kind
    (numba's dispatcher would compile another version; the extension would misread it)."""
    arrays = [(i, np.dtype(arg[: arg.index("[")]), not arg.endswith("r"))
              for i, arg in enumerate(SPEC[name][:-1]) if "[" in arg]  # fmt: skip
    scalars = [(i, _SCALARS[arg]) for i, arg in enumerate(SPEC[name][:-1]) if "[" not in arg]

    def call(*args: object) -> object:
        for i, dtype, written in arrays:
            array = args[i]
            if (
                not isinstance(array, np.ndarray)
                or array.dtype != dtype
                or array.ndim != 1
                or not array.flags.c_contiguous
                or (written and not array.flags.writeable)
            ):
                kind = "writable contiguous" if written else "contiguous"
                raise TypeError(f"{name}: argument {i} must be a {kind} {dtype} array")
        for i, kinds in scalars:
            if not isinstance(args[i], kinds):
                raise TypeError(f"{name}: argument {i} must be a number of {kinds[0].__name__}")
        return function(*args)

    call.__name__ = call.__qualname__ = name
    return call


def build(directory: Path | None = None) -> Path:
    """Build the extension into ``directory`` in a child process (numba's compiler and
    LLVM stay out of this one); its path. RuntimeError with the child's last line of
    error when it could not be built (no C compiler, say). A failed build is remembered
    (``failure``), so later processes do not spend seconds failing again. A successful
    one removes the versions it replaces (``prune``)."""
    target = built_path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Made here, not in the child: removed even when the child is killed at the timeout.
    scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=target.parent)
    command = [sys.executable, "-m", __name__, str(target.parent), scratch]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:  # marked: a start must not wait this long each time
        _mark_failed(target, f"the build took over {BUILD_TIMEOUT:.0f} s")
        raise RuntimeError(f"the build took over {BUILD_TIMEOUT:.0f} s") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0 or not target.exists():
        reason = _reason(done.stderr) or f"exit status {done.returncode}"
        if done.returncode > 0:  # not when killed by a signal (a stop, the OOM killer)
            _mark_failed(target, reason)
        raise RuntimeError(reason)
    prune(target)
    return target


def prune(target: Path) -> None:
    """Remove from ``target``'s folder the other kernels (older versions, other Pythons)
    and failure marks no process loaded or wrote for a day, ``target``'s own failure mark
    (it is built now) and builds' scratch folders older than ``SCRATCH_AGE`` (see
    ``cachedir.prune``)."""
    with contextlib.suppress(OSError):
        _failure_path(target).unlink(missing_ok=True)
    cachedir.prune(
        target.parent,
        entries=r"articlebot_kernel_[0-9a-f]{16}\..+",  # module_name() and any suffix
        keep=target.name,
        scratch=re.escape(SCRATCH_PREFIX) + ".+",
        scratch_age=SCRATCH_AGE,
    )


def _mark_failed(target: Path, reason: str) -> None:
    with contextlib.suppress(OSError):
        _failure_path(target).write_text(reason, encoding="utf-8")


def failure(directory: Path | None = None) -> str:
    """Why this kernel's last build failed, or "" (delete the file to try again)."""
    try:
        return _failure_path(built_path(directory)).read_text(encoding="utf-8")
    except OSError:
        return ""


def _reason(stderr: str) -> str:
    """The exception line of a child's traceback (pycc adds advice after it), else its
    last line."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
    return (errors or lines or [""])[-1]


def _failure_path(target: Path) -> Path:
    return target.with_name(target.name + ".failed")  # per Python and platform too


def _numba_signature(spec: tuple[str, ...]) -> object:
    """``SPEC``'s strings as a numba signature."""
    from numba import types

    def one(arg: str) -> object:
        if arg.startswith("("):
            return types.Tuple([one(part.strip()) for part in arg[1:-1].split(",")])
        if "[" not in arg:
            return getattr(types, "boolean" if arg == "bool" else arg)
        dtype = arg[: arg.index("[")]
        scalar = types.boolean if dtype == "bool" else getattr(types, dtype)
        return types.Array(scalar, 1, "C", readonly=arg.endswith("r"))

    return one(spec[-1])(*(one(arg) for arg in spec[:-1]))


def _compile(directory: Path, scratch: Path) -> None:
    """Compile ``kernel``'s functions with ``SPEC``'s signatures into ``directory``; the
    file appears whole or not at all (built in ``scratch``, then renamed)."""
    import numba.pycc.compiler
    from numba.core.compiler import Flags
    from numba.pycc import CC

    from articlebot.index.ranking import kernel

    class ReleasingGil(Flags):
        """pycc compiles with default flags, which hold the GIL for a whole call; the
        kernel's ``nogil=True`` must hold here too (the event loop runs meanwhile)."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    numba.pycc.compiler.Flags = ReleasingGil

    name = module_name()
    compiler = CC(name)
    compiler.output_dir = str(scratch)
    compiler.verbose = False
    for function, spec in SPEC.items():
        compiler.export(function, _numba_signature(spec))(getattr(kernel, function).py_func)
    compiler.compile()
    (made,) = scratch.glob(f"{name}*")
    os.replace(made, built_path(directory))


if __name__ == "__main__":
    _compile(Path(sys.argv[1]), Path(sys.argv[2]))
