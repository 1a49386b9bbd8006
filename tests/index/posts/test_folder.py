"""What a hostile or unlucky content folder holds: links out of it, odd names, non-files,
unreadable parts, huge posts. Each is refused for itself alone, with a reason, and never
corrupts or stops the index. Real folders, real SQLite files."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path

import pytest

from articlebot.index import PostError
from articlebot.index.config import IndexConfig
from articlebot.index.posts.folder import (
    LINK_OUTSIDE,
    LINK_TO_FOLDER,
    NOT_A_FILE,
    display_name,
    post_sort_key,
    read_post_bytes,
    scan_folder,
    sorted_posts,
)
from articlebot.index.service import ArticleIndex
from articlebot.index.storage.reindex import run_reindex
from tests.sample_posts import write_post, write_posts
from tests.unprivileged import run_unprivileged

CONFIG = IndexConfig()
SECRET = "DISCORD_TOKEN=secret-abc-123"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "content")


def search(db: Path, content: Path, query: str) -> list[str]:
    async def go() -> list[str]:
        index = await ArticleIndex.open(db, content, CONFIG)
        try:
            result = await index.search(query, limit=50)
        finally:
            await index.close()
        return [hit.article.id for hit in result.hits]

    return asyncio.run(go())


def refused(report) -> dict[str, str]:
    return {r.path: r.reason for r in report.refused}


def test_a_link_to_a_secret_outside_the_folder_is_refused(content: Path, tmp_path: Path) -> None:
    secret = tmp_path / "bot.env"
    secret.write_text(f"---\ntitle: token\n---\n{SECRET}\n")
    (content / "leak.md").symlink_to(secret)
    (content / "passwd.md").symlink_to("/etc/passwd")
    db = tmp_path / "i.sqlite3"
    report = run_reindex(db, content, CONFIG)
    assert refused(report) == {"leak.md": LINK_OUTSIDE, "passwd.md": LINK_OUTSIDE}
    assert search(db, content, "secret token") == []
    assert search(db, content, "root") == []
    # and again on an incremental run, and when a post is swapped for such a link later
    (content / "comet_seen_over_the_valley.md").unlink()
    (content / "comet_seen_over_the_valley.md").symlink_to(secret)
    report = run_reindex(db, content, CONFIG)
    assert refused(report)["comet_seen_over_the_valley.md"] == LINK_OUTSIDE
    assert report.removed == ("comet_seen_over_the_valley.md",)
    assert search(db, content, "secret") == []


def test_a_link_to_a_hidden_file_inside_is_refused(content: Path, tmp_path: Path) -> None:
    (content / ".env").write_text(SECRET)
    (content / "env.md").symlink_to(content / ".env")
    report = run_reindex(tmp_path / "i.sqlite3", content, CONFIG)
    assert refused(report) == {"env.md": LINK_OUTSIDE}


def test_a_link_to_a_file_inside_is_followed(content: Path, tmp_path: Path) -> None:
    notes = content / "drafts"
    notes.mkdir()
    write_post(notes, "ferry.txt", "Ferry timetable changes", "2021-06-01", "travel", "Ferries.")
    (content / "ferry.md").symlink_to(notes / "ferry.txt")
    db = tmp_path / "i.sqlite3"
    report = run_reindex(db, content, CONFIG)
    assert "ferry.md" in report.added and not report.refused
    assert search(db, content, "ferry timetable") == ["ferry.md"]


def test_linked_folders_are_reported_not_followed(content: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_posts(elsewhere)
    (content / "mirror").symlink_to(elsewhere, target_is_directory=True)
    report = run_reindex(tmp_path / "i.sqlite3", content, CONFIG)
    assert refused(report) == {"mirror/": LINK_TO_FOLDER}
    assert report.total == 4


def test_a_fifo_named_like_a_post_is_refused_not_waited_on(content: Path, tmp_path: Path) -> None:
    os.mkfifo(content / "pipe.md")
    report = run_reindex(tmp_path / "i.sqlite3", content, CONFIG)
    assert refused(report) == {"pipe.md": NOT_A_FILE}
    assert report.total == 4
    with pytest.raises(PostError, match="not a regular file"):
        read_post_bytes(str(content), "pipe.md", 1000)


def test_a_newline_in_a_file_name_is_refused_and_the_index_keeps_working(
    content: Path, tmp_path: Path
) -> None:
    write_post(content, "two\nlines.md", "Odd name", "2021-06-01", "news", "Odd name body.")
    write_post(content, "tab\there.md", "Tab name", "2021-06-01", "news", "Tab body.")
    db = tmp_path / "i.sqlite3"
    report = run_reindex(db, content, CONFIG)
    assert set(refused(report)) == {"two\\x0alines.md", "tab\\x09here.md"}
    assert "line break or control character" in refused(report)["two\\x0alines.md"]
    again = run_reindex(db, content, CONFIG)  # used to fail: "16 stored strings for 15 rows"
    assert again.total == 4 and not again.added
    assert search(db, content, "comet") == ["comet_seen_over_the_valley.md"]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
def test_a_file_name_that_is_not_utf8_is_refused(content: Path, tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.md")  # Latin-1 bytes: a surrogate escape in Python
    write_post(content, name, "Cafe opens", "2021-06-01", "news", "A cafe opened.")
    db = tmp_path / "i.sqlite3"
    report = run_reindex(db, content, CONFIG)  # used to fail with UnicodeEncodeError
    assert refused(report) == {"caf\\xe9.md": "has a file name that is not valid UTF-8; rename it"}
    assert run_reindex(db, content, CONFIG).total == 4


def test_display_name_escapes_what_cannot_be_shown() -> None:
    assert display_name("a\nb\x00c\u2028d.md") == "a\\x0ab\\x00c\\u2028d.md"
    assert display_name("naïve café.md") == "naïve café.md"


def test_a_post_over_the_size_limit_is_refused_unread(content: Path, tmp_path: Path) -> None:
    small = IndexConfig(max_post_bytes=2_000)
    write_post(content, "huge.md", "Huge", "2021-06-01", "news", "word " * 1_000)
    report = run_reindex(tmp_path / "i.sqlite3", content, small)
    assert "posts over" in refused(report)["huge.md"]
    assert report.total == 4


def test_scan_lists_posts_with_their_stat(content: Path) -> None:
    scan = scan_folder(os.path.realpath(content))
    assert set(scan.posts) == {p.name for p in content.glob("*.md")}
    name = "comet_seen_over_the_valley.md"
    st = (content / name).stat()
    assert scan.posts[name] == (st.st_size, st.st_mtime_ns)
    assert scan.refused == {}


def test_a_link_swapped_in_after_the_scan_is_refused_when_read(
    content: Path, tmp_path: Path
) -> None:
    name = "comet_seen_over_the_valley.md"
    (content / name).unlink()
    (content / name).symlink_to("/etc/passwd")
    with pytest.raises(PostError, match="outside the content folder"):
        read_post_bytes(os.path.realpath(content), name, 1 << 20)


# --- permissions: a file or folder the bot's user cannot read ------------------------------


UNREADABLE_SCRIPT = """
import sys
from pathlib import Path
from articlebot.index.config import IndexConfig
from articlebot.index.storage.reindex import run_reindex
report = run_reindex(Path(sys.argv[1]), Path(sys.argv[2]), IndexConfig())
for r in report.refused:
    print("REFUSED", r.path, "|", r.reason)
print("TOTAL", report.total)
"""


def test_unreadable_files_and_folders_are_reported_and_retried_once_fixed(
    content: Path, tmp_path: Path
) -> None:
    sub = content / "archive"
    sub.mkdir()
    write_post(sub, "old_pier.md", "Old pier reopens", "2020-05-01", "news", "The pier.")
    locked = content / "quiz_show_host_signs_new_deal.md"
    db = tmp_path / "i.sqlite3"
    locked.chmod(0o000)
    sub.chmod(0o000)
    try:
        out = run_unprivileged(UNREADABLE_SCRIPT, db, content)
    finally:
        sub.chmod(0o755)
    sub.chmod(0o000)
    assert "REFUSED archive/ | is a folder that cannot be read" in out
    assert "REFUSED quiz_show_host_signs_new_deal.md | cannot read the file" in out
    assert "TOTAL 3" in out
    # Fixing permissions changes neither size nor mtime: the refusal must not stick.
    locked.chmod(0o644)
    sub.chmod(0o755)
    out = run_unprivileged(UNREADABLE_SCRIPT, db, content)
    assert "REFUSED" not in out and "TOTAL 5" in out


class _FailingListing:
    """``os.scandir``'s iterator that fails with EIO after ``good`` entries, as a disk or
    a network mount can part-way through a listing."""

    def __init__(self, real, good: int) -> None:
        self._real, self._left = real, good

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()

    def __iter__(self):
        return self

    def __next__(self):
        if self._left == 0:
            raise OSError(5, "Input/output error")
        self._left -= 1
        return next(self._real)


def _failing_in(monkeypatch: pytest.MonkeyPatch, broken: Path, good: int) -> None:
    from articlebot.index.posts import folder

    real = os.scandir

    def scandir(path):
        listing = real(path)
        return _FailingListing(listing, good) if Path(path) == broken else listing

    monkeypatch.setattr(folder.os, "scandir", scandir)


def test_a_listing_that_fails_part_way_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subfolder whose listing breaks off is refused as read in part; the content
    folder itself is an error, so the posts not yet listed are never taken as deleted."""
    from articlebot.index import ContentError

    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    for i in range(4):
        (root / f"top{i}.md").write_text(f"---\ntitle: Top {i}\n---\nBody.\n")
        (root / "news" / f"n{i}.md").write_text(f"---\ntitle: News {i}\n---\nBody.\n")
    _failing_in(monkeypatch, root / "news", good=2)
    scan = scan_folder(str(root.resolve()))
    assert "could not be listed to the end" in scan.refused["news/"]
    assert {rel for rel in scan.posts if rel.startswith("top")} == {f"top{i}.md" for i in range(4)}
    _failing_in(monkeypatch, root, good=2)
    with pytest.raises(ContentError, match="could not be listed to the end"):
        scan_folder(str(root.resolve()))


@pytest.mark.parametrize("seed", range(6))
def test_a_whole_folder_sorts_as_the_sort_key_says(seed: int) -> None:
    """``sorted_posts`` (numpy, for whole folders) orders exactly as ``post_sort_key``:
    folders first, a stem before the same stem with more after it ("a.md" before "a
    2.md"), dotted stems, non-ASCII names, and the odd names it hands to the plain sort."""
    rng = random.Random(seed)
    letters = "ab -_Zé中x1."
    rels: set[str] = set()
    while len(rels) < 1500:
        parts = [
            "".join(rng.choice(letters) for _ in range(rng.randint(1, 4))).strip(".") or "f"
            for _ in range(rng.randint(1, 4))
        ]
        suffix = rng.choice([".md", ".markdown", ".MD", " 2.md", ".x.md", "..md"])
        rels.add("/".join([*parts[:-1], parts[-1] + suffix]))
    names = list(rels)
    assert sorted_posts(names) == sorted(names, key=post_sort_key)
    odd = [*names[:1200], "bad\nname.md", "x\x01.md", "caf\udce9.md"]
    assert sorted_posts(odd) == sorted(odd, key=post_sort_key)


def test_one_long_name_does_not_widen_every_row() -> None:
    """Rows are cut short of the longest name: one 20 KB path among 1,500 short ones made
    a 1,501 x 20,000 byte matrix (and its mask as large): a 1 KB path in a 300,000-post
    folder, 600 MB where the key tuples it replaced took ~94 MB. Names that tie on their
    cut rows (a long shared folder) are ordered among themselves by their keys, equal
    keys ("a", "a.") in the order given."""
    import tracemalloc

    rng = random.Random(7)
    short = [f"{rng.choice('abc')}/{rng.randrange(10**6)}.md" for _ in range(1500)]
    deep = "d" * 300
    tied = [f"{deep}/{name}" for name in ("b.md", "a.", "a", "a.md", "a/z.md", "a b.md", "a.")]
    names = [*dict.fromkeys(short), "x" * 20_000 + ".md", *tied]
    rng.shuffle(names)
    tracemalloc.start()
    try:
        got = sorted_posts(names)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == sorted(names, key=post_sort_key)
    assert peak < 4 << 20, peak
