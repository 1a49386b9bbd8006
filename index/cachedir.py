"""The folder for what articlebot derives once per machine and can always rebuild: the
ranking kernel built ahead of time, py3langid's model unpacked for memory-mapping.

``$ARTICLEBOT_CACHE_DIR``, else the platform's user cache folder (on Linux
``$XDG_CACHE_HOME/articlebot``, by default ``~/.cache/articlebot``). Nothing here is state:
a deleted cache is rebuilt on the next start.

Each kind of entry is named by a digest of what it is made from, so a new version gets a
new name and the old one stays behind; ``prune`` removes those when a new entry is written,
and ``touch`` marks an entry used when a process loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

# A superseded entry a process loaded this recently is kept: another install sharing the
# folder (a second checkout or virtualenv, the other side of a blue/green deploy) may still
# be starting processes with it, and removing it would make each install rebuild what the
# other just removed. One a process loaded longer ago is removed even if that process still
# runs: see ``prune``.
UNUSED_FOR = 24 * 3600.0  # seconds


def cache_dir() -> Path:
    """Where derived files are kept (see the module docstring)."""
    chosen = os.environ.get("ARTICLEBOT_CACHE_DIR")
    if chosen:
        return Path(chosen)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("articlebot", appauthor=False))


def touch(path: Path) -> None:
    """Mark the entry ``path`` (a file or folder) used now: ``prune`` keeps what was used
    within ``UNUSED_FOR``. Best effort (a read-only cache stays as it is)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(
    directory: Path,
    entries: str,
    keep: str,
    scratch: str,
    scratch_age: float,
    unused_for: float = UNUSED_FOR,
) -> list[str]:
    """Remove from ``directory`` what older versions left, after ``keep`` was written:

    - the entries whose names match ``entries`` (a regular expression for the whole
      name), other than ``keep``, not modified or ``touch``-ed for ``unused_for`` seconds;
    - the scratch files and folders matching ``scratch`` not modified for ``scratch_age``
      seconds: a younger one may be a build or unpack still under way.

    A process that still has a removed entry loaded or mapped keeps using it: on Linux
    (and other POSIX systems) unlinking a file removes its name only, and the file's
    pages stay valid until the last mapping of it goes, so a loaded extension or a
    memory-mapped array is never pulled from under a process. A folder entry is renamed
    aside first (``.<name>.pruned-<pid>``, swept as scratch is), so no process opens it
    half removed. Where removal fails (Windows refuses to delete a mapped file,
    permissions), the entry stays and a warning is logged; nothing is raised.

    The names removed, for the log and tests."""
    entry = re.compile(entries)
    temporary = re.compile(rf"(?:{scratch})|\.(?:{entries})\.pruned-\d+")
    try:
        with os.scandir(directory) as listing:
            found = list(listing)
    except OSError as exc:
        log.warning("Could not list the cache folder %s to remove old files: %s", directory, exc)
        return []
    now = time.time()
    removed: list[str] = []
    for item in found:
        if item.name == keep:
            continue
        if entry.fullmatch(item.name):
            age, folder_entry = unused_for, True
        elif temporary.fullmatch(item.name):
            age, folder_entry = scratch_age, False
        else:
            continue
        try:
            if now - item.stat(follow_symlinks=False).st_mtime <= age:
                continue
            _remove(Path(item.path), item.is_dir(follow_symlinks=False), folder_entry)
        except FileNotFoundError:  # another process removed it meanwhile
            continue
        except OSError as exc:
            log.warning("Could not remove %s from the cache folder: %s", item.path, exc)
            continue
        removed.append(item.name)
    if removed:
        log.info("Removed from the cache folder %s: %s", directory, ", ".join(sorted(removed)))
    return removed


def _remove(path: Path, is_dir: bool, entry: bool) -> None:
    if not is_dir:
        path.unlink()
        return
    if entry:  # gone from its name at once; the files follow
        aside = path.with_name(f".{path.name}.pruned-{os.getpid()}")
        os.rename(path, aside)
        path = aside
    shutil.rmtree(path)
