"""What a reindex must read: the folder scanned, compared with the files table by size and
mtime (then sha256), byte-identical copies settled, and every file's row as it will be.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import ContentError, PostError
from articlebot.index.posts.folder import (
    POST_SUFFIXES,
    FolderScan,
    post_sort_key,
    read_post_bytes,
    scan_folder,
    sorted_posts,
    stat_posts,
)
from articlebot.index.storage import tables
from articlebot.index.storage.tables import FileRow
from articlebot.index.storage.workers import PreparedBatch


def scan(content_dir: Path) -> FolderScan:
    """Every post of the folder with its size and mtime, and what was refused unread."""
    if not content_dir.is_dir():
        raise ContentError(f"The content folder {content_dir} does not exist.")
    try:
        os.scandir(content_dir).close()
    except OSError as exc:
        raise ContentError(
            f"The content folder {content_dir} cannot be read ({exc.strerror or exc})."
        ) from None
    return scan_folder(os.path.realpath(content_dir))


def given_rels(content_dir: Path, paths: list[str | Path]) -> list[str] | None:
    """The posts named by ``paths`` (relative to ``content_dir``, or absolute inside it) as
    ids, or None when only a scan of the whole folder can tell what they changed: a
    folder was named (created, moved or deleted with its posts). Paths outside the folder
    and files that are not posts are dropped: a whole-folder scan would not see them.
    """
    root = str(content_dir)
    rels: set[str] = set()
    for given in paths:
        path = os.path.join(root, os.fspath(given))  # an absolute path stays as it is
        rel = _rel_inside(root, path)
        if rel is None:
            continue
        if os.path.isdir(path):
            return None
        if not rel.lower().endswith(POST_SUFFIXES):
            if not os.path.lexists(path) and "." not in rel.rsplit("/", 1)[-1]:
                return None  # gone, and it may have been a folder of posts
            continue
        rels.add(rel)
    return sorted(rels, key=post_sort_key)


def _rel_inside(root: str, path: str) -> str | None:
    """``path`` relative to ``root`` with / separators, or None when it is outside; a
    path under a linked spelling of the folder is resolved through its parent."""
    for candidate in (os.path.normpath(path), _resolved_parent(path)):
        rel = os.path.relpath(candidate, root)
        if rel != "." and not rel.startswith(".." + os.sep) and rel != "..":
            return rel.replace(os.sep, "/")
    return None


def _resolved_parent(path: str) -> str:
    head, name = os.path.split(os.path.normpath(path))
    return os.path.join(os.path.realpath(head), name)


def is_stale(conn, content_dir: Path, config: IndexConfig) -> bool:
    """Whether the folder differs from what was indexed, by stat alone (no reading)."""
    meta = tables.read_meta(conn)
    if meta.get("fingerprint") != config.fingerprint() or meta.get("content_dir") != str(
        content_dir.resolve()
    ):
        return True
    files = tables.read_files(conn)
    found = scan(content_dir)
    if found.posts.keys() | found.refused.keys() != files.keys():
        return True
    return any(stat != (files[rel].size, files[rel].mtime_ns) for rel, stat in found.posts.items())


@dataclass
class Plan:
    """What a reindex reads and what it already knows about the other files."""

    to_read: list[str]  # in post_sort_key order
    stat_rows: dict[str, tables.FileRow]  # files settled without reading
    hashes: dict[str, str]  # rel -> sha256, where known before reading
    duplicates: dict[str, str]  # copy -> the original it collapses into
    removed_files: list[str]
    dedupe_while_reading: bool  # full run: workers hash, copies are found as batches arrive
    old_files: dict[str, tables.FileRow] = field(default_factory=dict)

    def changed_rows(self) -> list[tables.FileRow]:
        """Rows that differ from the stored ones: the hundreds of unchanged copies are not
        rewritten on every run."""
        return [row for rel, row in self.stat_rows.items() if self.old_files.get(rel) != row]


def plan_given(root: str, rels: list[str], conn, config: IndexConfig) -> tuple[FolderScan, Plan]:
    """``plan_incremental`` over the given posts and the files that share their bytes
    (before or after the change), the rest of the folder taken as stored: the same plan a
    whole-folder scan makes when only these files changed, without listing the folder or
    reading its whole files table.

    The files sharing a digest are needed to settle byte-identical copies the same way:
    a new copy of another post is skipped, and a copy whose original changed becomes an
    original itself.
    """
    given = stat_posts(root, rels)
    old_given = tables.read_file_rows(conn, rels)
    digests = {row.sha256 for row in old_given.values() if row.sha256}
    for rel in given.posts:
        try:
            digests.add(
                hashlib.sha256(read_post_bytes(root, rel, config.max_post_bytes)).hexdigest()
            )
        except PostError:
            continue
    named = set(rels)
    kin = {
        rel: row
        for rel, row in tables.read_files_by_digest(conn, digests).items()
        if rel not in named
    }
    posts = {rel: (row.size, row.mtime_ns) for rel, row in kin.items()}
    posts.update(given.posts)
    found = FolderScan(posts, given.refused)
    return found, plan_incremental(root, found, {**kin, **old_given}, config)


def _unread(found: FolderScan) -> dict[str, tables.FileRow]:
    """Rows for what the scan refused without reading (links out of the folder, bad
    names): no digest, so each reindex looks at them again."""
    return {rel: FileRow(rel, 0, 0, "", "refused", reason) for rel, reason in found.refused.items()}


def plan_full(found: FolderScan) -> Plan:
    """Everything is read once, by the workers, which also hash; nothing is hashed twice."""
    return Plan(sorted_posts(found.posts), _unread(found), {}, {}, [], True)


def plan_incremental(
    root: str, found: FolderScan, old_files: dict[str, tables.FileRow], config: IndexConfig
) -> Plan:
    """New files, and files whose size or mtime moved and whose bytes really changed.

    Only files whose stat changed are hashed here (few), so byte-identical copies and
    "touched" files are settled before any parsing. Files that could not be read last time
    are tried again: fixing a file's permissions does not change its mtime.
    """
    current = found.posts
    stat_rows = _unread(found)
    to_read: list[str] = []
    hashes: dict[str, str] = {}
    for rel, (size, mtime) in current.items():
        old = old_files.get(rel)
        if old and (old.size, old.mtime_ns) == (size, mtime) and old.sha256:
            hashes[rel] = old.sha256
            continue
        try:
            digest = hashlib.sha256(read_post_bytes(root, rel, config.max_post_bytes)).hexdigest()
        except PostError as exc:
            stat_rows[rel] = FileRow(rel, size, mtime, "", "refused", str(exc))
            continue
        hashes[rel] = digest
        if old and old.sha256 == digest and old.status != "skipped":
            stat_rows[rel] = FileRow(rel, size, mtime, digest, old.status, old.reason)
        else:
            to_read.append(rel)
    removed_files = [rel for rel in old_files if rel not in current]  # or now refused unread

    duplicates = _copies(hashes)
    for rel, original in duplicates.items():
        size, mtime = current[rel]
        reason = f"identical copy of {original}"
        stat_rows[rel] = FileRow(rel, size, mtime, hashes[rel], "skipped", reason)
    # A file that was a skipped copy but is now the original must be read.
    for rel in hashes:
        old = old_files.get(rel)
        was_copy = (
            old is not None and old.status == "skipped" and old.reason.startswith("identical")
        )
        if was_copy and rel not in duplicates and rel not in to_read:
            to_read.append(rel)
    to_read = sorted_posts([rel for rel in to_read if rel not in duplicates])
    return Plan(to_read, stat_rows, hashes, duplicates, removed_files, False, old_files)


def _copies(hashes: dict[str, str]) -> dict[str, str]:
    """Copy -> original for byte-identical files: the one whose path sorts first wins.

    Only digests seen twice are sorted: sorting all 25,000 paths by ``post_sort_key`` was
    a tenth of a one-file reindex.
    """
    seen = Counter(hashes.values())
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for rel, digest in hashes.items():
        if seen[digest] > 1:
            groups[digest].append(rel)
    duplicates: dict[str, str] = {}
    for rels in groups.values():
        original, *copies = sorted(rels, key=post_sort_key)
        duplicates.update(dict.fromkeys(copies, original))
    return duplicates


def settle_batch(
    batch: PreparedBatch,
    plan: Plan,
    current: dict[str, tuple[int, int]],
    first_of: dict[bytes, int],
    start: int,
) -> tuple[np.ndarray, list[tables.FileRow]]:
    """Settle every file of the batch, the files ``plan.to_read[start:]``: which of its
    articles enter the index (False for a copy of a file met earlier, in a full run), and
    the files-table rows of those indexed, which the caller writes at once. The other
    rows (refused, skipped, copies: few, and the report lists them) stay in the plan.
    Kept for every post until the end, the rows, digests and paths were ~90 MB of a
    300k-post build."""
    keep: list[bool] = []
    indexed: list[tables.FileRow] = []
    for at, f in enumerate(batch.files, start):
        size, mtime = current[f.rel]
        digest = plan.hashes.get(f.rel) or f.digest
        original = f.rel
        if digest and plan.dedupe_while_reading:
            if plan.to_read[at] != f.rel:  # batches come back in the plan's order
                raise RuntimeError(f"batch out of order at {at}: {f.rel}")
            original = plan.to_read[first_of.setdefault(bytes.fromhex(digest), at)]
        if original != f.rel:
            plan.duplicates[f.rel] = original
            reason = f"identical copy of {original}"
            plan.stat_rows[f.rel] = FileRow(f.rel, size, mtime, digest, "skipped", reason)
        elif f.article is not None:
            indexed.append(FileRow(f.rel, size, mtime, digest, "indexed", ""))
        else:
            status = "refused" if f.refused else "skipped"
            plan.stat_rows[f.rel] = FileRow(
                f.rel, size, mtime, digest, status, f.refused or f.skipped
            )
        if f.article is not None:
            keep.append(original == f.rel)
    return np.array(keep, dtype=bool), indexed
