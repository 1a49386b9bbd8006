"""A reindex told which posts changed: the same index, files table and report as a
whole-folder reindex of the same change, without looking at the other files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from articlebot.index import run_reindex
from articlebot.index.config import IndexConfig
from articlebot.index.posts import folder
from articlebot.index.storage import database, tables
from articlebot.index.storage.blobs import load_generation
from articlebot.index.storage.plan import given_rels
from tests.sample_posts import write_post, write_posts

CONFIG = IndexConfig()


def state(db: Path) -> tuple[dict[str, float], ...]:
    """Scores per query, and the files table without mtimes (copies differ in those)."""
    conn = database.connect_reader(db)
    try:
        meta, catalog, index = load_generation(conn, CONFIG, path=db)
        files = {
            r.path: (r.size, r.sha256, r.status, r.reason) for r in tables.read_files(conn).values()
        }
    finally:
        conn.close()
    out = []
    for terms in (["comet"], ["bakeri"], ["quiz", "harbour"], ["swimmer"], ["ferri"]):
        docs, scores = index.match(terms)
        out.append({catalog.ids[d]: float(s) for d, s in zip(docs, scores, strict=True)})
    return (*out, files, {"generation": meta["generation"], "articles": meta["articles"]})


def twin_folders(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Two identical folders, each with a built index: one reindexed by given paths, the
    other by a whole-folder scan."""
    a, b = write_posts(tmp_path / "a"), tmp_path / "b"
    shutil.copytree(a, b)
    run_reindex(tmp_path / "a.sqlite3", a, CONFIG)
    run_reindex(tmp_path / "b.sqlite3", b, CONFIG)
    return a, b, tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"


def same_change(a: Path, b: Path, change) -> None:
    for root in (a, b):
        change(root)


def compare(a: Path, b: Path, dba: Path, dbb: Path, paths: list[str]) -> None:
    given = run_reindex(dba, a, CONFIG, paths=paths)
    scanned = run_reindex(dbb, b, CONFIG)
    strip = lambda r: (r.added, r.updated, r.removed, r.refused, r.skipped, r.unchanged, r.total)  # noqa: E731
    assert strip(given) == strip(scanned)
    got, want = state(dba), state(dbb)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        for k in w:
            if isinstance(w[k], float):
                assert g[k] == pytest.approx(w[k], rel=1e-12)
            else:
                assert g[k] == w[k]


def test_an_edit_an_addition_and_a_deletion_match_a_whole_folder_reindex(tmp_path: Path):
    a, b, dba, dbb = twin_folders(tmp_path)

    def change(root: Path) -> None:
        write_post(root, "comet_seen_over_the_valley.md", "Comet fades", "2021-03-21", "x", "Gone.")
        write_post(root, "late_post.md", "Late post", "2021-06-01", "news", "A late ferry.")
        (root / "bakery_chain_opens_tenth_shop.md").unlink()

    same_change(a, b, change)
    paths = ["comet_seen_over_the_valley.md", str(a / "late_post.md")]
    compare(a, b, dba, dbb, [*paths, "bakery_chain_opens_tenth_shop.md"])


def test_copies_are_settled_as_a_whole_folder_scan_settles_them(tmp_path: Path):
    a, b, dba, dbb = twin_folders(tmp_path)
    name = "comet_seen_over_the_valley.md"
    # A new byte-identical copy is skipped ...
    same_change(a, b, lambda root: shutil.copy(root / name, root / "zz copy.md"))
    compare(a, b, dba, dbb, ["zz copy.md"])
    # ... and becomes an article of its own once its original changes.
    same_change(a, b, lambda root: write_post(root, name, "Comet", "2021-03-21", "x", "New."))
    compare(a, b, dba, dbb, [name])
    # A copy made to sort first takes the original's place.
    same_change(a, b, lambda root: shutil.copy(root / "zz copy.md", root / "aa copy.md"))
    compare(a, b, dba, dbb, ["aa copy.md"])


def test_refused_and_unknown_paths(tmp_path: Path):
    a, b, dba, dbb = twin_folders(tmp_path)

    def change(root: Path) -> None:
        (root / "big.md").write_bytes(b"x" * (CONFIG.max_post_bytes + 1))
        (root / ".hidden.md").write_text("---\ntitle: Hidden\n---\nNo.\n")
        (root / "image.png").write_bytes(b"png")

    same_change(a, b, change)
    compare(a, b, dba, dbb, ["big.md", ".hidden.md", "image.png", "never_there.md", "/etc/x.md"])


def test_given_paths_never_list_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    a, _, dba, _ = twin_folders(tmp_path)
    write_post(a, "late_post.md", "Late post", "2021-06-01", "news", "A late ferry.")

    def no_scan(root: str):
        raise AssertionError("the whole folder was scanned")

    monkeypatch.setattr("articlebot.index.storage.plan.scan_folder", no_scan)
    monkeypatch.setattr(folder, "scan_folder", no_scan)
    report = run_reindex(dba, a, CONFIG, paths=["late_post.md"])
    assert report.added == ("late_post.md",) and not report.full


def test_a_folder_among_the_paths_means_a_whole_folder_scan(tmp_path: Path):
    root = write_posts(tmp_path / "c")
    (root / "news").mkdir()
    assert given_rels(root, ["news"]) is None
    assert given_rels(root, ["gone_folder"]) is None  # deleted: it may have held posts
    assert given_rels(root, ["gone.png", "a.md", str(root / "b.md"), "../x.md"]) == [
        "a.md",
        "b.md",
    ]
    # A moved folder: its posts leave by the whole-folder scan the fallback runs.
    write_post(root / "news", "one.md", "One", "2021-01-01", "news", "Harbour ferry.")
    run_reindex(tmp_path / "c.sqlite3", root, CONFIG)
    (root / "news").rename(root / "old")
    report = run_reindex(tmp_path / "c.sqlite3", root, CONFIG, paths=["news", "old"])
    assert report.removed == ("news/one.md",) and report.added == ("old/one.md",)
