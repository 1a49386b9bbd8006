"""Ranking quality by measurement: nDCG@10, MRR and recall@100 over judged collections.

    python bench/evaluate.py --collection cranfield            # one collection, all settings
    python bench/evaluate.py --collection all                  # cranfield, cisi, cacm, news
    python bench/evaluate.py --collection cisi --only default  # one setting

Collections:

- cranfield, cisi, cacm: ``docs.jsonl`` (id, title, text), ``queries.jsonl`` (id, text) and
  ``qrels.tsv`` (query id, doc id, grade). Read from /tmp/<name> when present, else from
  ../shared/ir/classic-collections.tar.xz extracted into bench/.data/ (``--ir-dir`` to
  override). Each document becomes a Markdown post (title in the front matter, text as the
  body) in bench/.data/eval/<name>/content.
- news: the real finescoop-2020 posts (/tmp/corpus/finescoop-2020, else the archive in
  ../shared/corpora extracted into bench/.data/; ``--news-dir`` to override) with the
  keyword queries and judged article ids of bench/news_judgements.jsonl.

Every index is built with the real pipeline (``run_reindex`` into a SQLite
file, then ``load_state`` and ``Searcher``). Settings compared, one at a
time from the current defaults (k1 1.2, b 0.75, title weight 2, Snowball stemming, English
stop words): k1, b, title weight, BM25Plus delta, stemming off and stop words off (these
two through an Analyzer subclass in this file, swapped in for the build: index/ is not
edited), plus the whole k1 x b x title-weight grid.

Queries of the classic collections are sentences, not search-box syntax ("e.g.:" would be
read as a filter), so they are ranked with ``Searcher.terms_for`` + ``Searcher.rank_terms``
(the searcher's own analysis and BM25 ranking, without the query parser and without its
1,000-character cut); news queries go through ``Searcher.plan`` like a user's search.

nDCG@10 uses the grade as the gain (cranfield 1-4, the others binary) and the ideal order
of all judged documents; MRR is 1/rank of the first relevant document within the top 100.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import sys
import tarfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from corpora import real_corpus  # noqa: E402

import articlebot.index.storage.reindex as reindex_module  # noqa: E402
import articlebot.index.storage.workers as workers_module  # noqa: E402
from articlebot.index import QueryError  # noqa: E402
from articlebot.index.config import IndexConfig  # noqa: E402
from articlebot.index.ranking.bm25 import BM25Index  # noqa: E402
from articlebot.index.ranking.searcher import Searcher  # noqa: E402
from articlebot.index.storage import database  # noqa: E402
from articlebot.index.storage.blobs import load_state  # noqa: E402
from articlebot.index.storage.reindex import run_reindex  # noqa: E402
from articlebot.index.text.analysis import WORD, Analyzer, _normalise  # noqa: E402

DATA = HERE / ".data"
SHARED = Path(__file__).resolve().parents[2] / "shared"
IR_ARCHIVE = SHARED / "ir/classic-collections.tar.xz"
NEWS_JUDGEMENTS = HERE / "news_judgements.jsonl"
IR_NAMES = ("cranfield", "cisi", "cacm")
DEPTH = 100


# --------------------------------------------------------------------------- analyzers


class NoStemAnalyzer(Analyzer):
    """Words as they are (normalised, stop words removed), no Snowball stemming."""

    def stem(self, words: list[str], language: str = "") -> list[str]:
        return list(words)


class KeepStopAnalyzer(Analyzer):
    """Stemming as usual, but stop words are kept (indexed and searched)."""

    def words(self, text: str) -> list[str]:
        return _normalise(WORD.findall(text))


class NoBridgeAnalyzer(Analyzer):
    """Stemming and stop words as usual, without the British -> American spelling map."""

    def __init__(self, default_language: str = "en", bridge_spellings: bool = True) -> None:
        super().__init__(default_language, bridge_spellings=False)


ANALYZERS: dict[str, type[Analyzer]] = {
    "stem+stop": Analyzer,
    "nostem": NoStemAnalyzer,
    "keepstop": KeepStopAnalyzer,
    "nobridge": NoBridgeAnalyzer,
}


@contextmanager
def analyzer_for_build(cls: type[Analyzer]):
    """Make run_reindex build with ``cls`` (the workers analyse the posts, the reindex the
    removed ones); worker processes are forked, so they see it."""
    modules = (workers_module, reindex_module)
    saved = [m.Analyzer for m in modules]
    for module in modules:
        module.Analyzer = cls
    try:
        yield
    finally:
        for module, analyzer in zip(modules, saved, strict=True):
            module.Analyzer = analyzer


class LvZhaiBM25(BM25Index):
    """BM25+ as Lv & Zhai define it: delta added only for query terms the document has.

    rank-bm25 (and index/bm25.py, which reproduces it) adds idf*delta for every query term
    to every document, which shifts all scores equally and never changes the order.
    """

    def _contribution(self, t: int, weight: float):
        docs, part = super()._contribution(t, weight)
        return docs, part + weight * self.delta


# --------------------------------------------------------------------------- collections


@dataclass
class Collection:
    name: str
    content: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> grade (> 0)
    doc_of: Callable[[str], str]  # article id -> judged doc id
    keyword: bool = False  # search-box queries (news): go through Searcher.plan


def ir_dir(name: str, given: Path | None) -> Path:
    if given:
        return given / name
    tmp = Path("/tmp") / name
    if (tmp / "docs.jsonl").exists():
        return tmp
    target = DATA / "ir"
    if not (target / name / "docs.jsonl").exists():
        if not IR_ARCHIVE.exists():
            raise SystemExit(f"No {name}: pass --ir-dir DIR or provide {IR_ARCHIVE}")
        print(f"extracting {IR_ARCHIVE.name} into {target} (once) ...", flush=True)
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(IR_ARCHIVE) as tar:
            tar.extractall(target, filter="data")
    return target / name


def news_dir(given: Path | None) -> Path:
    return real_corpus(given, "pass --news-dir DIR")


def write_posts(docs_jsonl: Path, content: Path) -> None:
    """One Markdown post per document; rewritten only when the source changed."""
    stamp = content / ".source"
    source = f"{docs_jsonl.resolve()} {docs_jsonl.stat().st_size} {docs_jsonl.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == source:
        return
    content.mkdir(parents=True, exist_ok=True)
    for old in content.glob("*.md"):
        old.unlink()
    with docs_jsonl.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            front = ["---", f"ref: {json.dumps(str(doc['id']))}"]  # no two files identical
            if doc.get("title", "").strip():
                front.append(f"title: {json.dumps(' '.join(doc['title'].split()))}")
            front.append("---")
            text = "\n".join(front) + "\n\n" + (doc.get("text") or "") + "\n"
            (content / f"{doc['id']}.md").write_text(text, encoding="utf-8")
    stamp.write_text(source)


def load_ir(name: str, given: Path | None) -> Collection:
    src = ir_dir(name, given)
    content = DATA / "eval" / name / "content"
    write_posts(src / "docs.jsonl", content)
    queries = {}
    with (src / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            queries[str(q["id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (src / "qrels.tsv").read_text().splitlines():
        qid, did, grade = line.split("\t")[:3]
        if int(grade) > 0:
            qrels[qid][did] = int(grade)
    queries = {q: t for q, t in queries.items() if qrels.get(q)}
    return Collection(name, content, queries, dict(qrels), lambda a: a.removesuffix(".md"))


def load_news(given: Path | None, judgements: Path) -> Collection:
    queries, qrels = {}, {}
    for line in judgements.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        j = json.loads(line)
        queries[j["id"]] = j["query"]
        qrels[j["id"]] = {a: 1 for a in j["relevant"]}
    return Collection("news", news_dir(given), queries, qrels, lambda a: a, keyword=True)


# --------------------------------------------------------------------------- indexing


@dataclass(frozen=True)
class Setting:
    label: str
    k1: float = 1.2
    b: float = 0.75
    title_weight: int = 2
    delta: float = 1.0
    analyzer: str = "stem+stop"
    lv_zhai: bool = False


DEFAULT = Setting("default (k1 1.2, b 0.75, title x2, stemming, stop words)")


def one_at_a_time() -> list[Setting]:
    d = DEFAULT
    return [
        d,
        replace(d, label="k1 0.9", k1=0.9),
        replace(d, label="k1 1.5", k1=1.5),
        replace(d, label="b 0.5", b=0.5),
        replace(d, label="b 0.9", b=0.9),
        replace(d, label="title x1", title_weight=1),
        replace(d, label="title x3", title_weight=3),
        replace(d, label="title x4", title_weight=4),
        replace(d, label="title x5", title_weight=5),
        replace(d, label="delta 0 (BM25Plus -> BM25)", delta=0.0),
        replace(d, label="delta 1 on matched terms only (Lv-Zhai BM25+)", lv_zhai=True),
        replace(d, label="no stemming", analyzer="nostem"),
        replace(d, label="stop words kept", analyzer="keepstop"),
        replace(d, label="no UK/US spelling bridge", analyzer="nobridge"),
        replace(d, label="title x4, no spelling bridge", title_weight=4, analyzer="nobridge"),
    ]


def grid() -> list[Setting]:
    return [
        Setting(f"k1 {k1}, b {b}, title x{tw}", k1=k1, b=b, title_weight=tw)
        for k1, b, tw in itertools.product((0.9, 1.2, 1.5), (0.5, 0.75, 0.9), (1, 2, 3))
    ]


class Indexes:
    """One built index per (collection, analyzer, title weight); k1/b/delta are applied at
    load time (they are not part of the stored index), exactly as the service does."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._loaded: dict[tuple[str, str, int], tuple] = {}
        self.build_seconds: dict[tuple[str, str, int], float] = {}

    def get(self, coll: Collection, s: Setting) -> Searcher:
        key = (coll.name, s.analyzer, s.title_weight)
        if key not in self._loaded:
            config = IndexConfig(title_weight=s.title_weight)
            db = DATA / "eval" / coll.name / f"{s.analyzer}-title{s.title_weight}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            cls = ANALYZERS[s.analyzer]
            t0 = time.perf_counter()
            with analyzer_for_build(cls):
                report = run_reindex(db, coll.content, config, full=True, workers=self.workers)
            self.build_seconds[key] = time.perf_counter() - t0
            conn = database.connect(db)
            try:
                catalog, index = load_state(conn, config, with_words=False)
            finally:
                conn.close()
            (bm,) = index.segments  # a full build is one segment: its arrays, re-scored below
            if s.analyzer == "keepstop" and "the" not in bm.vocab:
                raise SystemExit("the stop-word variant did not reach the build")
            print(
                f"  built {coll.name} {s.analyzer} title x{s.title_weight}: {report.total} "
                f"articles, {len(bm.vocab)} terms, {self.build_seconds[key]:.1f}s",
                flush=True,
            )
            self._loaded[key] = (catalog, bm, cls(config.default_language))
        catalog, bm, analyzer = self._loaded[key]
        cls = LvZhaiBM25 if s.lv_zhai else BM25Index
        scored = cls(
            bm.terms, bm.vocab, bm.offsets, bm.doc_ids, bm.tfs, bm.doc_len, s.k1, s.b, s.delta
        )
        return Searcher(scored, catalog, analyzer)


# --------------------------------------------------------------------------- metrics


def rank(searcher: Searcher, text: str, keyword: bool) -> list[int]:
    if keyword:
        try:
            return searcher.plan(text, DEPTH).docs.tolist()
        except QueryError:
            return []
    terms = searcher.terms_for(text)
    if not terms:
        return []
    docs, _ = searcher.rank_terms(terms, DEPTH)
    return docs.tolist()


def scores_for(coll: Collection, searcher: Searcher) -> dict[str, float]:
    ids = searcher.catalog.ids
    indexed = {coll.doc_of(i) for i in ids}
    ndcg, rr, recall = [], [], []
    missing = 0
    for qid, text in coll.queries.items():
        judged = {d: g for d, g in coll.qrels[qid].items() if d in indexed}
        missing += len(coll.qrels[qid]) - len(judged)
        if not judged:
            continue
        ranked = [coll.doc_of(ids[d]) for d in rank(searcher, text, coll.keyword)]
        gains = [judged.get(d, 0) for d in ranked]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10]))
        ideal = sorted(judged.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg.append(dcg / idcg)
        first = next((i for i, g in enumerate(gains) if g > 0), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        recall.append(sum(1 for g in gains if g > 0) / len(judged))
    return {
        "ndcg10": statistics.fmean(ndcg),
        "mrr": statistics.fmean(rr),
        "recall100": statistics.fmean(recall),
        "queries": len(ndcg),
        "per_query_ndcg10": ndcg,
        "judged_not_indexed": missing,
    }


# --------------------------------------------------------------------------- reports


def fmt(v: float) -> str:
    return f"{v:.3f}"


def per_collection_table(name: str, rows: Sequence[tuple[Setting, dict]]) -> str:
    n = rows[0][1]["queries"] if rows else 0
    out = [
        f"#### {name} ({n} queries; judged documents not in the index: "
        f"{rows[0][1]['judged_not_indexed'] if rows else 0})",
        "",
        "| setting | nDCG@10 | MRR | recall@100 |",
        "|---|---|---|---|",
    ]
    for s, m in rows:
        out.append(f"| {s.label} | {fmt(m['ndcg10'])} | {fmt(m['mrr'])} | {fmt(m['recall100'])} |")
    return "\n".join(out)


def classic(names: list[str]) -> list[str]:
    """The collections a mean is taken over: the classic ones when any is present."""
    return [n for n in names if n in IR_NAMES] or names


def summary_table(names: list[str], results: dict[str, dict[Setting, dict]], settings) -> str:
    head = " | ".join(f"{n} nDCG@10 / MRR" for n in names)
    over = classic(names)
    label = "mean nDCG@10" + (f" ({', '.join(over)})" if len(over) < len(names) else "")
    out = [f"| setting | {head} | {label} |", "|---|" + "---|" * (len(names) + 1)]
    for s in settings:
        cells = [f"{fmt(results[n][s]['ndcg10'])} / {fmt(results[n][s]['mrr'])}" for n in names]
        mean = statistics.fmean(results[n][s]["ndcg10"] for n in over)
        out.append(f"| {s.label} | {' | '.join(cells)} | {fmt(mean)} |")
    return "\n".join(out)


def paired_test(
    a: list[float], b: list[float], rounds: int = 20_000
) -> tuple[float, int, int, float]:
    """Mean difference b - a, queries better / worse, and the two-sided p-value of a
    paired randomisation (sign-flip) test."""
    diff = np.asarray(b) - np.asarray(a)
    observed = abs(diff.mean())
    signs = np.random.default_rng(1).choice((-1.0, 1.0), size=(rounds, len(diff)))
    p = float(((np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12).sum() + 1) / (rounds + 1))
    return float(diff.mean()), int((diff > 1e-12).sum()), int((diff < -1e-12).sum()), p


def comparison_table(names, results, base: Setting, others: list[Setting]) -> str:
    out = [
        "| vs default | " + " | ".join(f"{n}: Δ nDCG@10, better/worse, p" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for s in others:
        cells = []
        for n in names:
            d, up, down, p = paired_test(
                results[n][base]["per_query_ndcg10"], results[n][s]["per_query_ndcg10"]
            )
            cells.append(f"{d:+.3f}, {up}/{down}, {p:.2f}")
        out.append(f"| {s.label} | {' | '.join(cells)} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--collection",
        default="all",
        help="cranfield, cisi, cacm, news, ir (the three classic ones) or all",
    )
    parser.add_argument("--ir-dir", type=Path, help="folder holding cranfield/ cisi/ cacm/")
    parser.add_argument("--news-dir", type=Path, help="the finescoop-2020 content folder")
    parser.add_argument("--judgements", type=Path, default=NEWS_JUDGEMENTS)
    parser.add_argument("--only", choices=("default", "factors", "grid"), help="settings set")
    parser.add_argument("--no-grid", action="store_true", help="skip the k1 x b x title grid")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--json", type=Path, help="also write all figures here")
    args = parser.parse_args(argv)

    wanted = args.collection.split(",")
    if "all" in wanted:
        wanted = [*IR_NAMES, "news"]
    elif "ir" in wanted:
        wanted = [n for n in wanted if n != "ir"] + list(IR_NAMES)
    collections = [
        load_news(args.news_dir, args.judgements) if n == "news" else load_ir(n, args.ir_dir)
        for n in wanted
    ]
    factors = one_at_a_time()
    settings: list[Setting] = []
    if args.only in (None, "default"):
        settings.append(DEFAULT)
    if args.only in (None, "factors"):
        settings += [s for s in factors if s not in settings]
    if args.only == "grid" or (args.only is None and not args.no_grid):
        settings += [s for s in grid() if s not in settings]

    indexes = Indexes(args.workers)
    results: dict[str, dict[Setting, dict]] = {}
    t0 = time.perf_counter()
    print(f"load {os.getloadavg()[0]:.2f}", flush=True)
    for coll in collections:
        print(
            f"{coll.name}: {len(coll.queries)} judged queries, content {coll.content}", flush=True
        )
        ordered = sorted(settings, key=lambda s: (s.analyzer, s.title_weight))
        results[coll.name] = {s: scores_for(coll, indexes.get(coll, s)) for s in ordered}
    print(f"done in {time.perf_counter() - t0:.0f}s, load {os.getloadavg()[0]:.2f}\n")

    names = [c.name for c in collections]
    shown = [s for s in factors if s in settings]
    if shown:
        print("### One setting changed at a time (nDCG@10 / MRR)\n")
        print(summary_table(names, results, shown))
        print()
        for n in names:
            print(per_collection_table(n, [(s, results[n][s]) for s in shown]))
            print()
    grid_settings = [s for s in grid() if s in settings]
    if grid_settings:
        ir = classic(names)

        def mean_ndcg(s: Setting) -> float:
            return statistics.fmean(results[n][s]["ndcg10"] for n in ir)

        best = sorted(grid_settings, key=mean_ndcg, reverse=True)
        print(f"### k1 x b x title weight grid, by mean nDCG@10 over {', '.join(ir)}\n")
        top = best[:8]
        worst = best[-3:]
        default_like = [s for s in best if (s.k1, s.b, s.title_weight) == (1.2, 0.75, 2)]
        rows = top + [s for s in default_like if s not in top] + worst
        print(summary_table(names, results, rows))
        print(f"\n(rows: the 8 best of {len(best)}, the current default, the 3 worst)\n")
        for n in names:
            b = max(grid_settings, key=lambda s, n=n: results[n][s]["ndcg10"])
            print(f"best on {n}: {b.label} nDCG@10 {fmt(results[n][b]['ndcg10'])}")
    others = [s for s in factors if s in settings and s != DEFAULT]
    if grid_settings:
        others += [s for s in best[:2] if s not in others]
    if DEFAULT in settings and others:
        print("\n### Paired comparison with the default (sign-flip randomisation test)\n")
        print(comparison_table(names, results, DEFAULT, others))
    if args.json:
        args.json.write_text(
            json.dumps({n: {s.label: m for s, m in r.items()} for n, r in results.items()})
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
