"""Sentence choice alone: given the right article, does `ask` quote the sentence with the key?

`ask_eval.py` mixes three losses: retrieval (the wrong article), sentence choice (the
right article, the wrong sentence) and confidence (the right sentence, declined). This
one isolates the middle one: every answerable question is scored against its expected
article only (`rank_passages` over that one article, the index's idf), and the quote the
answer would make (the top passage, with the next sentence when it extends) is checked
for the key phrase.

    python bench/ask_sentences.py --corpus /tmp/corpus/finescoop-2020
    python bench/ask_sentences.py --set paraphrase --only odd -v   # list the misses

Reported per set and half (tune on the odd ids, report the even ones):
- **top-1**: the quote holds the key (what the answer would show);
- **top-3**: one of the three best passages holds it (how near the miss was);
- **in article**: some sentence of the article holds it (the ceiling; a key split over
  two sentences, or in the title only, is not reachable);
and, with `--shapes`, the same per question shape (the paraphrase set's `shape` labels).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ask_eval  # noqa: E402

from articlebot.index.posts.article import Article  # noqa: E402
from articlebot.index.ranking.ask import Passage, _article_sentences, rank_passages  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402

SETS = ("content", *ask_eval.CORPUS_SETS)


@dataclass
class Result:
    q: ask_eval.Question
    shape: str
    quote: str  # what the answer would quote ("" when no passage)
    rank: int  # 1-based rank of the first passage holding the key; 0 when none does
    reachable: bool  # some sentence of the article holds the key

    @property
    def top1(self) -> bool:
        return self.rank == 1

    @property
    def top3(self) -> bool:
        return 0 < self.rank <= 3


def holds(text: str, keys: tuple[str, ...]) -> bool:
    quoted = ask_eval.norm(text)
    return any(ask_eval.norm(k) in quoted for k in keys)


def quote_of(passage: Passage, texts: list[str]) -> str:
    """The text the answer would quote for this passage (ask.compose's choice)."""
    parts = [passage.text]
    if passage.extend and passage.index + 1 < len(texts):
        parts.append(texts[passage.index + 1])
    return " ".join(parts)


async def expected_article(idx: ArticleIndex, q: ask_eval.Question) -> Article | None:
    """The first expected id the index holds."""
    searcher = idx._searcher
    docs = [searcher.catalog.by_id[i] for i in q.articles if i in searcher.catalog.by_id]
    found = await idx._articles(searcher, docs[:1])
    return found[0] if found else None


async def choose(idx: ArticleIndex, q: ask_eval.Question, shape: str) -> Result:
    searcher = idx._searcher
    article = await expected_article(idx, q)
    if article is None:
        return Result(q, shape, "", 0, False)
    terms = searcher.question_terms(q.question)
    idf = {t: searcher.bm25.idf_of(t) for t in set(terms)}
    passages = rank_passages(q.question, [article], searcher.analyzer, idf, [1.0])
    texts = _article_sentences(article, searcher.analyzer).texts
    quotes = [quote_of(p, texts) for p in passages]
    rank = next((n for n, text in enumerate(quotes, 1) if holds(text, q.keys)), 0)
    reachable = any(holds(t, q.keys) for t in texts) or rank > 0
    return Result(q, shape, quotes[0] if quotes else "", rank, reachable)


async def collect(sets: list[str], corpus: Path, only: str) -> dict[str, list[Result]]:
    out: dict[str, list[Result]] = {}
    for kind in ("content", "corpus"):
        names = [s for s in sets if (s == "content") == (kind == "content")]
        names = [s for s in names if s != "decline"]  # nothing to quote there
        if not names:
            continue
        content = HERE.parent / "content" if kind == "content" else corpus
        idx, _ = await ask_eval.open_index(content, ask_eval.DATA / f"ask-{kind}.sqlite3")
        try:
            for name in names:
                path = HERE / f"ask_questions_{name}.jsonl"
                shapes = {
                    row["id"]: row.get("shape", "")
                    for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())
                }
                rows = []
                for q in ask_eval.load_questions(path):
                    if not q.answerable or (only != "all" and q.odd != (only == "odd")):
                        continue
                    rows.append(await choose(idx, q, shapes.get(q.id, "")))
                out[name] = rows
        finally:
            await idx.close()
    return out


def line(label: str, rows: list[Result]) -> str:
    n = len(rows)
    top1 = sum(r.top1 for r in rows)
    top3 = sum(r.top3 for r in rows)
    reach = sum(r.reachable for r in rows)
    return f"{label:<24}{ask_eval.ratio(top1, n):>16}{ask_eval.ratio(top3, n):>16}{reach:>8}/{n}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--corpus", help="folder of the extracted corpus (default: extract once)")
    parser.add_argument("--only", choices=["all", "odd", "even"], default="all")
    parser.add_argument("--shapes", action="store_true", help="figures per question shape")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every top-1 miss")
    args = parser.parse_args(argv)
    corpus = ask_eval.corpus_dir(args.corpus) if set(args.set) - {"content"} else Path()
    results = asyncio.run(collect(args.set, corpus, args.only))

    print(f"{'set':<24}{'top-1':>16}{'top-3':>16}{'in article':>13}")
    halves = ("odd", "even") if args.only == "all" else (args.only,)
    everything: list[Result] = []
    for name, rows in results.items():
        everything += rows
        for half in halves:
            print(line(f"{name} {half}", [r for r in rows if r.q.odd == (half == "odd")]))
    if len(results) > 1:
        for half in halves:
            print(line(f"all {half}", [r for r in everything if r.q.odd == (half == "odd")]))
    if args.shapes:
        by_shape: dict[str, list[Result]] = defaultdict(list)
        for r in everything:
            if r.shape:
                by_shape[r.shape].append(r)
        print()
        for shape, rows in sorted(by_shape.items()):
            for half in halves:
                print(line(f"{shape} {half}", [r for r in rows if r.q.odd == (half == "odd")]))
    if args.verbose:
        print()
        for r in everything:
            if r.top1:
                continue
            where = f"rank {r.rank}" if r.rank else "not in any passage"
            if not r.reachable:
                where = "key in no sentence"
            print(f"[{r.q.id}] {r.q.question}  -- {where}; key {' | '.join(r.q.keys)!r}")
            print(f"    > {r.quote[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
