"""Evaluate `ask`: answer accuracy, source accuracy, declines and warm latency.

Runs the real thing in-process (articlebot.index.ArticleIndex), over one of the question sets:

    python bench/ask_eval.py --set content            # the sample posts in content/
    python bench/ask_eval.py --set corpus             # the real finescoop-2020 corpus
    python bench/ask_eval.py --set paraphrase         # worded unlike the articles (corpus)
    python bench/ask_eval.py --set decline            # questions the corpus cannot answer
    python bench/ask_eval.py --set corpus --corpus /tmp/corpus/finescoop-2020 --verbose

Each question file (bench/ask_questions_<set>.jsonl) holds one JSON object a line:
{"id", "question", "article" (an id, or a list of acceptable ids, or null), "key" (a short
phrase of the answer, or a list of equivalent phrasings, or null), "answerable"}.

- answer accuracy: the key phrase (case-insensitive, whitespace and quotes normalised) is in
  the quoted sentences;
- source accuracy: the cited article is one of the expected ids;
- false declines: answerable questions the bot declined;
- decline accuracy: unanswerable questions the bot declined.

With --forced the bot never declines, so "both" counts the questions whose quoted
sentences from the right article hold the key: the sentence choice alone.

Every question is asked once to warm the index, then timed over --rounds rounds; latency is
per question, the index warm. Figures are reported for all questions and for the odd and
even ids separately (tune on the odd ids, keep the even ones held out).

Without --corpus, the corpus set extracts ../shared/corpora/finescoop-2020.tar.xz once into
bench/.data/ (gitignored). The index files also live in bench/.data/ and are reused while
the content folder is unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from corpora import real_corpus  # noqa: E402

from articlebot.index.config import IndexConfig  # noqa: E402
from articlebot.index.ranking import ask  # noqa: E402
from articlebot.index.service import ArticleIndex  # noqa: E402

DATA = HERE / ".data"
# Question sets over the real corpus: the first one (r ids), questions deliberately worded
# unlike their articles (p ids: synonyms, US spellings, paraphrased numbers, people named
# indirectly), and questions the articles cannot answer (d ids, most about covered stories).
CORPUS_SETS = ("corpus", "paraphrase", "decline")
QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "\u00ad": ""})


def norm(text: str) -> str:
    return " ".join(text.translate(QUOTES).casefold().split())


@dataclass
class Question:
    id: str
    question: str
    articles: tuple[str, ...]
    keys: tuple[str, ...]  # any one of them is the answer
    answerable: bool

    @property
    def odd(self) -> bool:
        digits = "".join(c for c in self.id if c.isdigit())
        return int(digits or 0) % 2 == 1


@dataclass
class Outcome:
    q: Question
    sentences: tuple[str, ...]
    source: str | None
    confidence: float
    declined: bool
    times: list[float] = field(default_factory=list)

    @property
    def key_found(self) -> bool:
        quoted = norm(" ".join(self.sentences))
        return any(norm(key) in quoted for key in self.q.keys)

    @property
    def source_ok(self) -> bool:
        return self.source is not None and self.source in self.q.articles

    @property
    def ok(self) -> bool:
        if not self.q.answerable:
            return self.declined
        return self.key_found and self.source_ok and not self.declined


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        article = row.get("article")
        ids = tuple(article) if isinstance(article, list) else (article,) if article else ()
        key = row.get("key")
        keys = tuple(key) if isinstance(key, list) else (key,) if key else ()
        answerable = bool(row.get("answerable", True))
        if answerable and not (ids and keys):
            raise SystemExit(f"{path.name}:{n}: an answerable question needs article and key")
        out.append(Question(row["id"], row["question"], ids, keys, answerable))
    return out


def corpus_dir(given: str | None) -> Path:
    return real_corpus(Path(given) if given else None, "pass --corpus DIR")


async def open_index(
    content: Path, db: Path, config: IndexConfig | None = None
) -> tuple[ArticleIndex, float]:
    db.parent.mkdir(parents=True, exist_ok=True)
    idx = await ArticleIndex.open(db, content, config or IndexConfig())
    built = 0.0
    if idx.is_empty or await idx.is_stale():
        start = time.perf_counter()
        report = await idx.reindex()
        built = time.perf_counter() - start
        print(
            f"indexed {idx.article_count} articles in {built:.1f}s "
            f"({len(report.refused)} refused, {len(report.skipped)} skipped)",
            flush=True,
        )
    return idx, built


async def run(questions: list[Question], idx: ArticleIndex, rounds: int) -> list[Outcome]:
    outcomes = []
    for q in questions:  # first pass: warms the index and records the answer
        answer = await idx.ask(q.question)
        source = answer.article.id if answer.article is not None else None
        outcomes.append(
            Outcome(q, tuple(answer.sentences), source, answer.confidence, answer.declined)
        )
    for _ in range(rounds):
        for o in outcomes:
            start = time.perf_counter()
            await idx.ask(o.q.question)
            o.times.append((time.perf_counter() - start) * 1000)
    return outcomes


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ratio(n: int, d: int) -> str:
    return f"{n}/{d} {100 * n / d:5.1f}%" if d else "-"


def summarise(outcomes: list[Outcome]) -> dict[str, object]:
    ans = [o for o in outcomes if o.q.answerable]
    una = [o for o in outcomes if not o.q.answerable]
    times = [t for o in outcomes for t in o.times]
    return {
        "answerable": len(ans),
        "answer": sum(o.key_found for o in ans),
        "source": sum(o.source_ok for o in ans),
        "both": sum(o.key_found and o.source_ok for o in ans),
        "false_declines": sum(o.declined for o in ans),
        "unanswerable": len(una),
        "declined": sum(o.declined for o in una),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times, default=0.0),
    }


def table(name: str, outcomes: list[Outcome]) -> str:
    rows = [("all", outcomes)]
    rows += [
        ("odd", [o for o in outcomes if o.q.odd]),
        ("even", [o for o in outcomes if not o.q.odd]),
    ]
    head = (
        f"{'set':<14}{'answer (key)':>16}{'source':>16}{'both':>16}{'false decl.':>16}"
        f"{'declines':>16}{'p50 ms':>9}{'p95 ms':>9}"
    )
    lines = [head, "-" * len(head)]
    for label, group in rows:
        if not group:
            continue
        s = summarise(group)
        n = s["answerable"]
        lines.append(
            f"{name + ' ' + label:<14}{ratio(s['answer'], n):>16}{ratio(s['source'], n):>16}"
            f"{ratio(s['both'], n):>16}{ratio(s['false_declines'], n):>16}"
            f"{ratio(s['declined'], s['unanswerable']):>16}{s['p50']:>9.1f}{s['p95']:>9.1f}"
        )
    return "\n".join(lines)


def misses(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if o.ok:
            continue
        q = o.q
        if q.answerable:
            what = []
            if o.declined:
                what.append("declined")
            else:
                if not o.key_found:
                    what.append("key missing")
                if not o.source_ok:
                    what.append("wrong source")
            lines.append(f"[{q.id}] {q.question}  -- {', '.join(what)} (conf {o.confidence:.2f})")
            lines.append(f"    expected: {q.articles[0]}  key: {' | '.join(q.keys)!r}")
        else:
            lines.append(
                f"[{q.id}] {q.question}  -- answered, should decline (conf {o.confidence:.2f})"
            )
        lines.append(f"    cited:    {o.source}")
        for s in o.sentences:
            lines.append(f"    > {s[:300]}")
    return "\n".join(lines) if lines else "no misses"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["content", *CORPUS_SETS], default="content")
    parser.add_argument(
        "--no-bridge", action="store_true", help="index without the UK/US spelling bridge"
    )
    parser.add_argument("--corpus", help="folder of the extracted corpus (default: extract once)")
    parser.add_argument("--content", help="content folder for --set content (default: content/)")
    parser.add_argument(
        "--questions", help="question file (default: bench/ask_questions_SET.jsonl)"
    )
    parser.add_argument("--db", help="index file (default: bench/.data/ask-SET.sqlite3)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--only", choices=["all", "odd", "even"], default="all")
    parser.add_argument("--target-ms", type=float, default=50.0, help="p95 budget (default 50)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    parser.add_argument(
        "--forced",
        action="store_true",
        help="never decline (MIN_CONFIDENCE -1): measures the sentence choice alone",
    )
    parser.add_argument("--json", dest="json_out", help="write per-question results here")
    args = parser.parse_args(argv)

    if args.set == "content":
        content = Path(args.content) if args.content else ROOT / "content"
    else:
        content = corpus_dir(args.corpus)
    questions = load_questions(
        Path(args.questions) if args.questions else HERE / f"ask_questions_{args.set}.jsonl"
    )
    if args.only != "all":
        questions = [q for q in questions if q.odd == (args.only == "odd")]
    kind = "content" if args.set == "content" else "corpus"  # one index for the corpus sets
    suffix = "-nobridge" if args.no_bridge else ""
    db = Path(args.db) if args.db else DATA / f"ask-{kind}{suffix}.sqlite3"
    config = IndexConfig(bridge_spellings=not args.no_bridge)

    if args.forced:
        ask.MIN_CONFIDENCE = -1.0

    async def go() -> list[Outcome]:
        idx, _ = await open_index(content, db, config)
        try:
            return await run(questions, idx, max(0, args.rounds))
        finally:
            await idx.close()

    outcomes = asyncio.run(go())
    print(f"{len(questions)} questions over {content} ({args.rounds} timed rounds, warm index)")
    print(table(args.set, outcomes))
    if args.rounds > 0:
        p95 = summarise(outcomes)["p95"]
        verdict = "within" if p95 <= args.target_ms else "OVER"
        print(f"p95 {p95:.1f} ms: {verdict} the {args.target_ms:g} ms budget")
    if args.verbose:
        print()
        print(misses(outcomes))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            for o in outcomes:
                row = {
                    "id": o.q.id,
                    "question": o.q.question,
                    "ok": o.ok,
                    "key_found": o.key_found,
                    "source_ok": o.source_ok,
                    "declined": o.declined,
                    "confidence": o.confidence,
                    "source": o.source,
                    "sentences": list(o.sentences),
                    "ms": [round(t, 2) for t in o.times],
                }
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
