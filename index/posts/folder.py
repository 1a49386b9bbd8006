"""The content folder on disk: which files are posts, and reading one safely.

Content folders are often git checkouts that other people send changes to, so nothing in
one is trusted: a symbolic link is followed only when it leads to a file inside the folder
(never to ``/etc/passwd`` or the bot's own ``.env``), only regular files are read (a FIFO
named ``post.md`` would block the reader forever), a file name the index cannot store is
refused for that post alone, and a post larger than the configured limit is refused
before it is read. Every refusal carries a reason a person can act on.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import numpy as np

from articlebot.index.errors import ContentError, PostError

POST_SUFFIXES = (".md", ".markdown")

LINK_OUTSIDE = (
    "is a symbolic link that leads outside the content folder (or to a hidden file); "
    "links are only followed to posts inside it"
)
LINK_TO_FOLDER = "is a symbolic link to a folder; linked folders are not followed"
NOT_A_FILE = "is not a regular file"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True, slots=True)
class FolderScan:
    """Every post of a folder by relative id, and what was refused without reading it.

    ``posts`` maps an id to ``(size, mtime_ns)`` of the file (of a link's target);
    ``refused`` maps an id (shown safely, see ``display_name``) to the reason.
    """

    posts: dict[str, tuple[int, int]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def post_sort_key(rel_id: str) -> tuple[tuple[str, ...], str]:
    """Folders, then stem, then suffix: ``foo.md`` sorts before its copy ``foo 2.md``."""
    *folders, name = rel_id.split("/")
    stem, dot, suffix = name.rpartition(".")
    return (*folders, stem if dot else name), suffix if dot else ""


def sorted_posts(rels: Collection[str]) -> list[str]:
    """``sorted(rels, key=post_sort_key)``, without a key object per post.

    Each key becomes one row of a byte matrix that numpy sorts: the folders and stem
    joined by \\x01 and the suffix after a NUL, two bytes that sort before any character
    a post's name may hold (control characters are refused), so rows compare as the key
    tuples do. The key tuples of a 300,000-post folder were ~94 MB of small objects,
    freed into the allocator's arenas, which the build never gave back and its forked
    workers then copied page by page as they wrote into them.
    """
    if len(rels) < 1000:
        return sorted(rels, key=post_sort_key)
    ordered = list(rels)
    data = np.frombuffer("\n".join(ordered).encode("utf-8", "surrogatepass"), np.uint8).copy()
    if (data < 2).any():  # a name with NUL or \x01 (never a post's): the plain way
        return sorted(ordered, key=post_sort_key)
    # Line ends, slashes and dots; a name's last dot is a dot whose next one is a line end.
    marks = np.flatnonzero((data == 10) | (data == 47) | (data == 46))
    kinds = data[marks]
    after = np.append(kinds[1:], 10)
    data[marks[(kinds == 46) & (after == 10)]] = 0
    data[marks[kinds == 47]] = 1
    starts = np.concatenate(([0], marks[kinds == 10] + 1))
    if len(starts) != len(ordered):  # a name with a line break (never a post's)
        return sorted(ordered, key=post_sort_key)
    lens = np.diff(np.append(starts, len(data) + 1)) - 1
    longest = int(lens.max())
    # Rows as wide as the longest name would make one long path widen every row (a 1 KB
    # one in 300,000 posts: 300 MB, and its mask as much): they are cut at twice the
    # mean (64 bytes at least), and names tied on their cut rows are sorted by key.
    width = max(min(longest, max(64, 2 * int(lens.mean()))), 1)
    # Each row: the ``width`` bytes from its line's start, cut at the line's end.
    padded = np.concatenate((data, np.zeros(width, dtype=np.uint8)))
    rows = np.lib.stride_tricks.sliding_window_view(padded, width)[starts]
    rows[np.arange(width) >= lens[:, None]] = 0
    keys = rows.view(f"S{width}").ravel()
    order = np.argsort(keys, kind="stable")
    out = order.tolist()
    if longest > width:
        ranked = keys[order]
        first = np.ones(len(ranked), dtype=bool)  # where each run of equal rows starts
        np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
        run = np.cumsum(first) - 1
        bounds = [*np.flatnonzero(first).tolist(), len(ranked)]
        for r in np.unique(run[lens[order] > width]).tolist():
            a, b = bounds[r], bounds[r + 1]
            if b - a > 1:  # in the order given (a stable sort), so equal keys stay so
                out[a:b] = sorted(out[a:b], key=lambda i: post_sort_key(ordered[i]))
    return [ordered[i] for i in out]


def display_name(name: str) -> str:
    """``name`` with bytes that are not UTF-8 and control characters as ``\\xNN`` escapes,
    so it can be stored, logged and shown (a raw newline or NUL cannot)."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _is_control(ch):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029"


def name_problem(rel: str) -> str:
    """Why a file name cannot be an article id, or ``""``."""
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in rel):
        return "has a file name that is not valid UTF-8; rename it"
    if any(_is_control(ch) for ch in rel):
        return "has a line break or control character in its file name; rename it"
    return ""


def _inside(real: str, root: str) -> bool:
    """Whether ``real`` (resolved) lies inside ``root`` (resolved) and is not hidden."""
    if real == root or not real.startswith(root.rstrip(os.sep) + os.sep):
        return False
    parts = os.path.relpath(real, root).split(os.sep)
    return not any(part.startswith(".") for part in parts)


def scan_folder(root: str) -> FolderScan:
    """Posts under ``root`` (a resolved path) by id, like ``os.walk``: dot entries are
    skipped, linked folders are not followed, and what cannot be read is refused.

    ``os.scandir`` with plain strings: a ``Path`` per file cost 15 times the listing itself
    on 25,000 posts. A file that vanishes between listing and ``stat`` is simply not there.
    """
    scan = FolderScan()
    for rel, path, is_link in _walk(root, "", scan):
        _note(scan, root, rel, path, is_link)
    return scan


def _note(scan: FolderScan, root: str, rel: str, path: str, is_link: bool) -> None:
    """One post-named entry, found by the walk or named by a caller, into ``scan``: its
    size and mtime, or why it is refused."""
    if not (rel.isascii() and rel.isprintable()) and (problem := name_problem(rel)):
        scan.refused[display_name(rel)] = problem
        return
    if is_link and not _inside(os.path.realpath(path), root):
        scan.refused[rel] = LINK_OUTSIDE
        return
    try:
        st = os.stat(path)
    except OSError:
        if is_link:
            scan.refused[rel] = "is a symbolic link to a file that does not exist"
        return
    if stat.S_ISDIR(st.st_mode):  # named by a caller: the walk recurses into folders
        if is_link:
            scan.refused[display_name(rel + "/")] = LINK_TO_FOLDER
        return
    if not stat.S_ISREG(st.st_mode):
        scan.refused[rel] = NOT_A_FILE
        return
    scan.posts[rel] = (st.st_size, st.st_mtime_ns)


def _walk(folder: str, prefix: str, scan: FolderScan) -> Iterator[tuple[str, str, bool]]:
    """(rel, path, is a link) of every post-named entry: a folder's posts as they are
    listed, then its subfolders'. The listing is not kept whole: 300,000 entries of one
    folder held at once cost ~150 MB that the build then kept for its whole run.

    A folder that cannot be listed is refused with its posts. One whose listing fails
    part-way (a disk or network error) is refused as read in part; the content folder
    itself then raises ContentError, rather than let the posts not yet listed look
    deleted."""
    subfolders: list[tuple[str, str]] = []
    try:
        listing = os.scandir(folder)
    except OSError as exc:
        if prefix:  # the root itself is checked by the caller
            scan.refused[display_name(prefix)] = (
                f"is a folder that cannot be read ({exc.strerror or exc}); its posts are left out"
            )
        return
    with listing:
        while True:
            try:
                entry = next(listing)
            except StopIteration:
                break
            except OSError as exc:
                reason = exc.strerror or str(exc)
                if not prefix:
                    raise ContentError(
                        f"The content folder could not be listed to the end ({reason})."
                    ) from None
                scan.refused[display_name(prefix)] = (
                    f"is a folder that could not be listed to the end ({reason}); "
                    "some of its posts may be left out"
                )
                break
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
                linked_dir = is_link and entry.is_dir()
            except OSError:
                is_link = is_dir = linked_dir = False
            if is_dir:
                subfolders.append((entry.path, f"{prefix}{name}/"))
            elif linked_dir:
                scan.refused[display_name(f"{prefix}{name}/")] = LINK_TO_FOLDER
            elif name.lower().endswith(POST_SUFFIXES):
                yield prefix + name, entry.path, is_link
    for path, sub in subfolders:
        yield from _walk(path, sub, scan)


def read_post_bytes(root: str, rel: str, max_bytes: int) -> bytes:
    """The bytes of post ``rel`` under ``root``, checked again at the moment of reading
    (the folder may have changed since the scan). Raises PostError with the reason."""
    path = os.path.join(root, rel)
    flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    try:
        try:
            fd = os.open(path, flags)  # the common case: not a link, one system call
        except OSError as exc:
            if exc.errno != errno.ELOOP or not _NOFOLLOW:
                raise
            real = os.path.realpath(path)  # a link: followed only to a post inside
            if not _inside(real, root):
                raise PostError(LINK_OUTSIDE) from None
            fd = os.open(real, flags)
    except OSError as exc:
        raise PostError(f"cannot read the file ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PostError(NOT_A_FILE)
        if st.st_size > max_bytes:
            raise PostError(too_big(st.st_size, max_bytes))
        data = _read_all(fd, st.st_size, max_bytes + 1)
    except OSError as exc:
        raise PostError(f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew since fstat
        raise PostError(too_big(len(data), max_bytes))
    return data


def _read_all(fd: int, expected: int, limit: int) -> bytes:
    """At most ``limit`` bytes from ``fd``: ``os.read`` calls rather than a file object,
    which cost three times the reading itself on 25,000 small posts."""
    chunks = [os.read(fd, min(expected + 1, limit))]
    size = len(chunks[0])
    while chunks[-1] and size < limit:
        chunks.append(os.read(fd, min(1 << 20, limit - size)))
        size += len(chunks[-1])
    return b"".join(chunks)


def too_big(size: int, max_bytes: int) -> str:
    return (
        f"is {size / 1_048_576:.1f} MB; posts over {max_bytes / 1_048_576:g} MB are not "
        "indexed (ARTICLEBOT_MAX_POST_MB raises the limit)"
    )


def stat_posts(root: str, rels: list[str]) -> FolderScan:
    """What ``scan_folder`` would say of these posts alone (``root`` resolved, each rel a
    post-named path under it): a reindex told which files changed need not list the
    folder. A rel that the walk would not reach (a missing file, a hidden or linked folder
    on its way) is left out, as the walk leaves it out.
    """
    scan = FolderScan()
    for rel in rels:
        path = os.path.join(root, rel)
        if _reached(root, rel):
            _note(scan, root, rel, path, os.path.islink(path))
    return scan


def _reached(root: str, rel: str) -> bool:
    """Whether the walk from ``root`` reaches ``rel``: a post name, no dot entry on the
    way, and every folder on the way a real folder (linked folders are not followed)."""
    parts = rel.split("/")
    if not rel.lower().endswith(POST_SUFFIXES) or any(p.startswith(".") or not p for p in parts):
        return False
    folder = root
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        try:
            st = os.lstat(folder)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            return False
    return True
