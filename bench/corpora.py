"""Where the benchmarks find the shared data: ../shared beside the checkout, extracted
once into bench/.data/ (gitignored), or a copy already extracted under /tmp."""

from __future__ import annotations

import tarfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_ARCHIVE = SHARED / "corpora/finescoop-2020.tar.xz"
REAL_TMP = Path("/tmp/corpus/finescoop-2020")


def extract_once(archive: Path, target: Path, marker: Path, hint: str) -> None:
    """Extract ``archive`` into ``target``'s parent unless ``marker`` says it was done."""
    if marker.exists():
        return
    if not archive.exists():
        raise SystemExit(f"No data: {hint} or provide {archive}")
    print(f"extracting {archive.name} into {target.parent} (once) ...", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target.parent, filter="data")
    marker.touch()


def real_corpus(given: Path | None, hint: str = "pass --corpus DIR") -> Path:
    """The finescoop-2020 folder: ``given``, the /tmp copy, or extracted into .data."""
    if given:
        return Path(given)
    if REAL_TMP.is_dir():
        return REAL_TMP
    target = DATA / "finescoop-2020"
    extract_once(REAL_ARCHIVE, target, DATA / ".finescoop-2020.extracted", hint)
    return target
