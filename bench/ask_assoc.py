"""Measure word associations learned from the indexed articles as help for `ask` (issue 12).

The table (bench/assoc_table.py) pairs the words of each article's headline (title and
description) that its lead lacks with the lead's words that the headline lacks, and keeps
a word's best associates by their Dice coefficient ("bought" -> "purchased", "buy"; "jail"
-> "prison"). It is built at run time from whatever the index holds; nothing is stored.

    .venv/bin/python bench/ask_assoc.py --corpus /tmp/corpus/finescoop-2020 --only odd
    .venv/bin/python bench/ask_assoc.py --corpus /tmp/corpus/finescoop-2020 --words bought kids

Each use alone, against the shipped code (`base`), on every question set at once:
- `retrieval`: a question word's associates join the words that find the candidate
  articles, as the hand bridges' do (bridges.bridged_terms);
- `credit`: a sentence that lacks a question word but has one of its associates counts
  it at ask.BRIDGE_CREDIT, as a hand bridge (through ask's stem_bridges; --credit sets
  that constant, for the hand bridges too);
- `both`;
- evidence: the share of the question's weight that neither the quoted sentences nor the
  title have but an associate in the quote stands in for; its AUC on the odd half (forced
  answers, right or not) and the leave-one-out log-loss on odd of the confidence's two
  pieces (coverage, score) with and without it (ask_calibrate, ridge --l2).

Per use and half: answered right / declined (ask_eval), forced (key and source when it may
not decline), oracle (ask_sentences' top-1, the expected article given), sources (forced)
and p95 ms of ask (warm, one timed round). Choose on the odd ids; the even ids are held out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ask_calibrate  # noqa: E402
import ask_eval  # noqa: E402
import ask_sentences  # noqa: E402
import assoc_table  # noqa: E402
from assoc_table import Associations  # noqa: E402

from articlebot.index.ranking import ask, bridges  # noqa: E402
from articlebot.index.ranking.questions import has_digit  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402
from articlebot.index.text.analysis import Analyzer  # noqa: E402

SETS = ("content", *ask_eval.CORPUS_SETS)
USES = ("base", "retrieval", "credit", "both")


def build(idx: ArticleIndex, traced: bool = False) -> tuple[Associations, float, int]:
    """The table from the index's articles, with its build time (s) and, when ``traced``,
    the peak of Python's allocations while building (tracemalloc, which slows it)."""
    conn = sqlite3.connect(f"file:{idx.db_path}?mode=ro", uri=True)
    try:
        if traced:
            tracemalloc.start()
        start = time.perf_counter()
        rows = conn.execute(
            "SELECT title, description, substr(body, 1, ?), language FROM articles",
            (assoc_table.LEAD_CHARS,),
        )
        pairs = ((f"{t}\n{d}", b, lang) for t, d, b, lang in rows)
        table = Associations.build(pairs, idx.searcher.analyzer)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
    finally:
        conn.close()
    return table, seconds, peak


class _Merged:
    """The hand bridges of a stem, then its learned associates (each a one-stem phrase)."""

    def __init__(self, hand: dict[str, tuple[tuple[str, ...], ...]], table: Associations):
        self.hand, self.table = hand, table

    def get(self, stem: str, default=None):
        found = self.hand.get(stem, ()) + tuple((a,) for a, _ in self.table.associates(stem))
        return found or default


@contextlib.contextmanager
def use(kind: str, tables: dict[int, Associations]) -> Iterator[None]:
    """Patch ask's bridges with the learned associates for one use (``tables``: id of an
    index's analyzer -> its table)."""
    saved = ask.stem_bridges, bridges.bridged_terms
    hand_bridges, hand_terms = saved

    def stem_bridges(analyzer: Analyzer, language: str):
        hand = hand_bridges(analyzer, language)
        table = tables.get(id(analyzer))
        return _Merged(hand, table) if table is not None else hand

    def bridged_terms(terms, analyzer: Analyzer, language: str = "") -> list[str]:
        terms = list(terms)
        out = hand_terms(terms, analyzer, language)
        table = tables.get(id(analyzer))
        if table is not None:
            for t in terms:
                out += [a for a, _ in table.associates(t) if a not in terms and a not in out]
        return out

    try:
        if kind in ("credit", "both"):
            ask.stem_bridges = stem_bridges
        if kind in ("retrieval", "both"):
            bridges.bridged_terms = bridged_terms  # service.ask imports it when it runs
        yield
    finally:
        ask.stem_bridges, bridges.bridged_terms = saved


def questions(name: str, half: str) -> list[ask_eval.Question]:
    rows = ask_eval.load_questions(HERE / f"ask_questions_{name}.jsonl")
    return [q for q in rows if half == "all" or q.odd == (half == "odd")]


async def measure(idxs: dict[str, ArticleIndex], half: str) -> dict[str, float]:
    out = dict.fromkeys(("answered", "answerable", "declined", "unanswerable"), 0)
    out |= dict.fromkeys(("forced", "oracle", "sources"), 0)
    times: list[float] = []
    saved = ask.MIN_CONFIDENCE
    for name in SETS:
        idx = idxs["content" if name == "content" else "corpus"]
        qs = questions(name, half)
        normal = await ask_eval.run(qs, idx, 1)
        ask.MIN_CONFIDENCE = -1.0
        try:
            forced = await ask_eval.run(qs, idx, 0)
        finally:
            ask.MIN_CONFIDENCE = saved
        times += [t for o in normal for t in o.times]
        out["answered"] += sum(o.ok for o in normal if o.q.answerable)
        out["declined"] += sum(o.ok for o in normal if not o.q.answerable)
        out["answerable"] += sum(q.answerable for q in qs)
        out["unanswerable"] += sum(not q.answerable for q in qs)
        out["forced"] += sum(o.key_found and o.source_ok for o in forced if o.q.answerable)
        out["sources"] += sum(o.source_ok for o in forced if o.q.answerable)
        if name != "decline":
            for q in qs:
                if q.answerable:
                    out["oracle"] += (await ask_sentences.choose(idx, q, "")).top1
    out["p95"] = ask_eval.percentile(times, 95)
    return out


def learned_share(question: str, sentences, article, idx: ArticleIndex, table) -> float:
    """The question's weight that neither the quote nor the title has but an associate in
    the quote stands in for, over the question's weight (its terms weighted as ask does)."""
    searcher = idx.searcher
    analyzer = searcher.analyzer
    terms = set(searcher.question_terms(question))
    idf = {t: searcher.bm25.idf_of(t) for t in terms}
    rarest = max((v for v in idf.values() if v > 0), default=1.0)
    weights = {t: rarest if has_digit(t) else (idf.get(t) or rarest) for t in terms}
    total = sum(weights.values()) or 1.0
    quote = set(analyzer.tokens(" ".join(sentences), article.language))
    title = set(analyzer.tokens(article.title, article.language))
    stood_in = sum(
        w
        for t, w in weights.items()
        if t not in quote and t not in title and any(a in quote for a, _ in table.associates(t))
    )
    return stood_in / total


async def evidence_rows(idxs: dict[str, ArticleIndex], tables: dict[int, Associations]):
    """(question, evidence with ``learned`` added, the forced answer is right), odd ids."""
    rows = []
    saved = ask.MIN_CONFIDENCE
    ask.MIN_CONFIDENCE = -1.0
    try:
        for name in SETS:
            idx = idxs["content" if name == "content" else "corpus"]
            table = tables[id(idx.searcher.analyzer)]
            for q in questions(name, "odd"):
                answer = await idx.ask(q.question)
                e = answer.evidence
                if e is None or e.unfit >= 1.0 or answer.article is None:
                    continue
                source = answer.article.id
                right = (
                    q.answerable
                    and ask_eval.Outcome(q, answer.sentences, source, 0.0, False).key_found
                    and source in q.articles
                )
                fields = {f: getattr(e, f) for f in ask.Evidence.__dataclass_fields__}
                share = learned_share(q.question, answer.sentences, answer.article, idx, table)
                rows.append((q, SimpleNamespace(**fields, learned=share), bool(right)))
    finally:
        ask.MIN_CONFIDENCE = saved
    return rows


def auc(rows) -> float:
    pos = np.array([e.learned for _, e, right in rows if right])
    neg = np.array([e.learned for _, e, right in rows if not right])
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean()
    return float(greater + 0.5 * (pos[:, None] == neg[None, :]).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="folder of the extracted corpus (default: extract once)")
    parser.add_argument("--only", choices=["all", "odd", "even"], default="odd")
    parser.add_argument("--uses", nargs="+", choices=USES, default=list(USES))
    parser.add_argument("--credit", type=float, help="ask.BRIDGE_CREDIT (hand bridges too)")
    parser.add_argument("--min-dice", type=float, default=assoc_table.MIN_DICE)
    parser.add_argument("--min-pairs", type=int, default=assoc_table.MIN_PAIRS)
    parser.add_argument("--top", type=int, default=assoc_table.TOP)
    parser.add_argument("--no-evidence", action="store_true", help="skip the evidence fit")
    parser.add_argument("--l2", type=float, default=0.1, help="ridge of the fit (default 0.1)")
    parser.add_argument("--memory", action="store_true", help="trace the build's memory")
    parser.add_argument("--words", nargs="+", help="print these words' associates and stop")
    args = parser.parse_args(argv)
    assoc_table.MIN_DICE, assoc_table.MIN_PAIRS = args.min_dice, args.min_pairs
    assoc_table.TOP = args.top
    if args.credit is not None:
        ask.BRIDGE_CREDIT = args.credit
    corpus = ask_eval.corpus_dir(args.corpus)

    async def go() -> None:
        idxs: dict[str, ArticleIndex] = {}
        tables: dict[int, Associations] = {}
        try:
            for kind in ("content", "corpus"):
                content = HERE.parent / "content" if kind == "content" else corpus
                db = ask_eval.DATA / f"ask-{kind}.sqlite3"
                idxs[kind], _ = await ask_eval.open_index(content, db)
                table, seconds, _ = build(idxs[kind])
                tables[id(idxs[kind].searcher.analyzer)] = table
                memory = f"arrays {table.nbytes() / 2**20:.1f} MiB"
                if args.memory:
                    peak = build(idxs[kind], traced=True)[2]
                    memory += f", peak while building {peak / 2**20:.1f} MiB (tracemalloc)"
                print(
                    f"{kind}: table of {table.articles} articles, {len(table)} stems, "
                    f"built in {seconds:.2f} s; {memory}",
                    flush=True,
                )
            if args.words:
                table = tables[id(idxs["corpus"].searcher.analyzer)]
                analyzer = idxs["corpus"].searcher.analyzer
                for word in args.words:
                    for stem in analyzer.tokens(word):
                        start = time.perf_counter()
                        found = table.associates(stem)
                        ms = (time.perf_counter() - start) * 1000
                        shown = ", ".join(f"{a} {d:.3f}" for a, d in found) or "-"
                        print(f"{word} ({stem}): {shown}  [{ms:.1f} ms]")
                return
            halves = ("odd", "even") if args.only == "all" else (args.only,)
            print(
                f"{'use':<10}{'half':<6}{'answered':>10}{'declined':>10}{'forced':>8}"
                f"{'oracle':>8}{'sources':>9}{'p95 ms':>8}"
            )
            for kind in args.uses:
                for half in halves:
                    with use(kind, tables):
                        r = await measure(idxs, half)
                    print(
                        f"{kind:<10}{half:<6}{r['answered']:>5}/{r['answerable']:<4}"
                        f"{r['declined']:>5}/{r['unanswerable']:<4}{r['forced']:>8}"
                        f"{r['oracle']:>8}{r['sources']:>9}{r['p95']:>8.1f}",
                        flush=True,
                    )
            if not args.no_evidence:
                rows = await evidence_rows(idxs, tables)
                fired = [(right, e.learned) for _, e, right in rows if e.learned > 0]
                print(
                    f"evidence on odd: AUC {auc(rows):.3f}; nonzero for {len(fired)} of "
                    f"{len(rows)} forced answers ({sum(r for r, _ in fired)} of them right)"
                )
                for names in (("coverage", "score"), ("coverage", "score", "learned")):
                    loss = ask_calibrate.leave_one_out(rows, names, args.l2)
                    print(f"leave-one-out log-loss on odd, {' + '.join(names)}: {loss:.4f}")
        finally:
            for idx in idxs.values():
                await idx.close()

    asyncio.run(go())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
