"""What the reindex workers send for a folder's posts, as strings: to check that a change
meant to make them faster sends exactly what they sent before.

    PYTHONPATH=<tree A> python bench/worker_outputs.py CONTENT a.pkl [--posts 2000]
    PYTHONPATH=<tree B> python bench/worker_outputs.py CONTENT b.pkl [--posts 2000]
    python bench/worker_outputs.py --compare a.pkl b.pkl

Each post's outcome (digest, skipped, refused, the Article's repr), its tokens, distinct
words and positions with the worker's ids resolved to strings, and the order in which
terms were first sent (the global term ids follow it). Words are compared as sets: their
numbering order is the worker's own. A sample of ``--posts`` files (seeded) when the
folder has more.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
from pathlib import Path


def dump(content: Path, out: Path, posts: int, site_language: str) -> None:
    from articlebot.index.config import IndexConfig
    from articlebot.index.posts.folder import scan_folder
    from articlebot.index.storage import workers

    rels = sorted(scan_folder(str(content)).posts)
    if len(rels) > posts:
        rels = sorted(random.Random(7).sample(rels, posts))
    workers._init_worker(str(content), IndexConfig(site_language=site_language))
    terms: list[str] = []
    words: list[str] = []
    records: list[list[object]] = []
    for start in range(0, len(rels), 200):
        batch = workers._prepare_batch(rels[start : start + 200])
        terms += batch.new_terms
        words += batch.new_words
        t = w = x = k = 0
        for f in batch.files:
            record: list[object] = [f.rel, f.digest, f.skipped, f.refused, repr(f.article)]
            if f.article is not None:
                tl, wl, xl = (
                    int(lens[k]) for lens in (batch.term_lens, batch.word_lens, batch.text_lens)
                )
                record.append([terms[i] for i in batch.term_ids[t : t + tl].tolist()])
                record.append(sorted(words[i] for i in batch.word_ids[w : w + wl].tolist()))
                record.append([terms[i] for i in batch.text_ids[x : x + xl].tolist()])
                t, w, x, k = t + tl, w + wl, x + xl, k + 1
            records.append(record)
    out.write_bytes(pickle.dumps({"records": records, "terms": terms, "words": sorted(words)}))
    print(f"{content}: {len(records)} posts, {len(terms)} terms, {len(words)} words")


def compare(a_path: Path, b_path: Path) -> int:
    a, b = pickle.loads(a_path.read_bytes()), pickle.loads(b_path.read_bytes())
    differ = [ra[0] for ra, rb in zip(a["records"], b["records"], strict=False) if ra != rb]
    same = {
        "posts": len(a["records"]) == len(b["records"]),
        "term order": a["terms"] == b["terms"],
        "words": a["words"] == b["words"],
    }
    print(f"posts differing: {len(differ)} {differ[:5]}; same: {same}")
    return 0 if all(same.values()) and not differ else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs=2, type=Path, help="CONTENT OUT, or A B with --compare")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--site-language", default="")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.paths)
    dump(args.paths[0], args.paths[1], args.posts, args.site_language)
    return 0


if __name__ == "__main__":
    sys.exit(main())
