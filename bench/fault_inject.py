"""Kill -9 `articlebot index` at random moments and check that nothing is lost.

Each trial starts a real `articlebot index` process (full, or incremental after some posts
were added, changed and removed), kills it with SIGKILL after a random delay, and then
checks what a user would rely on:

- the index file passes SQLite's ``PRAGMA integrity_check``;
- it opens, and a search answers from the last committed generation (the catalog and the
  postings agree);
- no worker process of the killed reindex is still running;
- the next `articlebot index` completes, and the one after it finds nothing to do
  (converged), with exactly the posts a fresh build of the same folder has (nothing lost).

    .venv/bin/python bench/fault_inject.py                     # 20 full + 20 incremental
    .venv/bin/python bench/fault_inject.py --trials 5 --corpus real
    .venv/bin/python bench/fault_inject.py --json              # one JSON line of figures
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from articlebot.index.config import IndexConfig  # noqa: E402
from articlebot.index.errors import NoIndexYet  # noqa: E402
from articlebot.index.storage import database  # noqa: E402
from articlebot.index.storage.blobs import load_state  # noqa: E402
from bench.corpora import real_corpus  # noqa: E402

BODY = (
    "The harbour committee met on Tuesday to discuss the new ferry timetable, the repairs "
    "to the north pier and the lights along the promenade. "
)


def generate(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        words = " ".join(rng.choice(BODY.split()) for _ in range(rng.randint(80, 600)))
        (folder / f"post_{i:05}.md").write_text(
            f"---\ntitle: Harbour notes {i}\ndate: 2021-0{1 + i % 9}-1{i % 9}\n"
            f"categories: [latest, {rng.choice(['news', 'tv', 'sport'])}]\n---\n{words}\n"
        )


def cli(*args: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "articlebot.bot", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DISCORD_TOKEN": "", "PYTHONPATH": str(ROOT)},
    )


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(p) for p in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def indexed_ids(db: Path) -> set[str]:
    conn = database.connect_reader(db)
    try:
        catalog, bm25 = load_state(conn, IndexConfig(), path=db)
    finally:
        conn.close()
    if len(catalog) != bm25.n_docs:
        raise AssertionError(f"catalog {len(catalog)} rows, postings {bm25.n_docs} docs")
    return set(catalog.ids)


def index_once(content: Path, db: Path) -> dict:
    """Run `articlebot index` to the end; returns its report."""
    proc = cli("index", "--json", "--content", content, "--db", db)
    out, err = proc.communicate(timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"index failed: {err.decode()[-500:]}")
    return json.loads(out)


def mutate(content: Path, rng: random.Random, n: int) -> None:
    """Add, change and remove a few posts: the work an incremental reindex then does."""
    posts = sorted(content.glob("*.md"))
    for path in rng.sample(posts, min(n, len(posts))):
        action = rng.random()
        if action < 0.3:
            path.unlink()
        elif action < 0.7:
            path.write_text(path.read_text() + "\nA late correction was added.\n")
        else:
            shutil.copy(path, path.with_name(f"new_{rng.randrange(10**9)}.md"))


def trial(content: Path, db: Path, full: bool, delay: float, rng: random.Random) -> dict:
    if not full:
        mutate(content, rng, 40)
    args = ["index", "--content", content, "--db", db] + (["--full"] if full else [])
    proc = cli(*args)
    proc.stdout.close()  # type: ignore[union-attr]  # nobody reads it; a full pipe would block
    workers: set[int] = set()
    end = time.monotonic() + delay
    while time.monotonic() < end and proc.poll() is None:
        workers |= children(proc.pid)
        time.sleep(0.01)
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.5)  # the workers' watchdog checks every 0.5 s
    orphans = [w for w in workers if alive(w)]
    for w in orphans:
        os.kill(w, signal.SIGKILL)
    result = {"full": full, "delay": round(delay, 2), "killed": not finished, "orphans": 0}
    result["orphans"] = len(orphans)
    # closing(): a sqlite3 connection's own ``with`` commits but never closes, and an
    # idle connection left open here shared its locks with every later read of the file.
    with contextlib.closing(sqlite3.connect(db)) as conn:
        result["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    try:
        indexed_ids(db)  # the last committed generation, consistent (or an empty index)
        result["opens"] = True
    except NoIndexYet:
        result["opens"] = True
    except Exception as exc:  # what the trial is looking for
        result["opens"] = f"{type(exc).__name__}: {exc}"
    index_once(content, db)
    again = index_once(content, db)
    result["converged"] = not (again["added"] or again["updated"] or again["removed"])
    fresh = db.with_name("fresh.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{fresh}{suffix}").unlink(missing_ok=True)
    index_once(content, fresh)
    mine, theirs = indexed_ids(db), indexed_ids(fresh)
    result["lost"] = len(theirs - mine)
    result["extra"] = len(mine - theirs)
    return result


def failed(r: dict) -> bool:
    return bool(
        r["integrity"] != "ok"
        or r["opens"] is not True
        or r["orphans"]
        or r["lost"]
        or r["extra"]
        or not r["converged"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="kills of each kind")
    parser.add_argument("--corpus", choices=["generated", "real"], default="generated")
    parser.add_argument("--posts", type=int, default=3_000, help="generated posts")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="articlebot-kill-") as tmp:
        content = Path(tmp) / "content"
        if args.corpus == "real":
            shutil.copytree(real_corpus(None), content)
        else:
            generate(content, args.posts, args.seed)
        db = Path(tmp) / "index.sqlite3"
        started = time.monotonic()
        index_once(content, db)
        full_seconds = time.monotonic() - started
        results = []
        for n in range(args.trials * 2):
            full = n % 2 == 0
            # Kill anywhere from process start to just past a typical run's end.
            delay = rng.uniform(0.05, full_seconds * (1.1 if full else 0.6))
            r = trial(content, db, full, delay, rng)
            results.append(r)
            if not args.json:
                kind = "full" if full else "incremental"
                verdict = "FAIL" if failed(r) else "ok"
                print(f"{n + 1:3} {kind:11} kill at {r['delay']:6.2f} s: {verdict} {r}")
    summary = {
        "trials": len(results),
        "killed_mid_run": sum(r["killed"] for r in results),
        "failures": sum(failed(r) for r in results),
        "integrity_not_ok": sum(r["integrity"] != "ok" for r in results),
        "orphans": sum(r["orphans"] for r in results),
        "posts_lost": sum(r["lost"] for r in results),
        "not_converged": sum(not r["converged"] for r in results),
        "corpus": args.corpus,
        "full_index_seconds": round(full_seconds, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(summary))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
