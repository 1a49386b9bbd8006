"""Fit the confidence of `ask`: a logistic model over the evidence of each answer.

Every question of the corpus sets (and the sample-content set) is asked with declining
turned off, so each gets its best passage and the evidence for it
(`articlebot.index.ranking.ask.Evidence`); the label is whether that passage holds the key
phrase from the expected article. The model is fitted on the odd ids only, and the
threshold is chosen there too; the even ids are reported as held out.

    python bench/ask_calibrate.py --corpus /tmp/corpus/finescoop-2020

It prints the weights to paste into index/ranking/ask.py (WEIGHTS, BIAS, MIN_CONFIDENCE)
and the answered / declined counts per half at that threshold. The model takes the
evidence named by --features (default: the pieces ask.WEIGHTS names; `all` for every
field of ask.Evidence); --compare also scores each odd question by a model fitted
without it (leave-one-out), for the given features and for all of them, so the choice of
features is made on the odd half too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ask_eval  # noqa: E402

from articlebot.index.ranking import ask  # noqa: E402

L2 = 1.0


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Weights (bias last) by Newton's method on the penalised log-likelihood."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


async def collect(sets: list[str], corpus: Path) -> list[tuple[ask_eval.Question, object, bool]]:
    """(question, evidence, the forced answer is right) for every question."""
    rows = []
    saved = ask.MIN_CONFIDENCE
    ask.MIN_CONFIDENCE = -1.0  # always answer: the label is whether that answer is right
    try:
        for kind, names in (("content", ["content"]), ("corpus", sets)):
            content = HERE.parent / "content" if kind == "content" else corpus
            idx, _ = await ask_eval.open_index(content, ask_eval.DATA / f"ask-{kind}.sqlite3")
            try:
                for name in names:
                    for q in ask_eval.load_questions(HERE / f"ask_questions_{name}.jsonl"):
                        answer = await idx.ask(q.question)
                        source = answer.article.id if answer.article else None
                        out = ask_eval.Outcome(q, answer.sentences, source, 0.0, False)
                        right = q.answerable and out.key_found and out.source_ok
                        rows.append((q, answer.evidence, right))
            finally:
                await idx.close()
    finally:
        ask.MIN_CONFIDENCE = saved
    return [r for r in rows if r[1] is not None] + [
        (q, None, False) for q, e, _ in rows if e is None
    ]


FEATURES: tuple[str, ...] = tuple(ask.Evidence.__dataclass_fields__)


def probability(w: np.ndarray, evidence, features: tuple[str, ...] = FEATURES) -> float:
    return ask.confidence(evidence, dict(zip(features, w[:-1], strict=True)), float(w[-1]))


def matrix(rows, features: tuple[str, ...]) -> np.ndarray:
    return np.array([[getattr(e, f) for f in features] for _, e, _ in rows])


def leave_one_out(rows, features: tuple[str, ...], l2: float = L2) -> float:
    """Log-loss of each row's probability under a model fitted without it."""
    x = matrix(rows, features)
    y = np.array([1.0 if right else 0.0 for _, _, right in rows])
    total = 0.0
    for i in range(len(rows)):
        keep = np.arange(len(rows)) != i
        w = fit_logistic(x[keep], y[keep], l2)
        p = 1.0 / (1.0 + np.exp(-(x[i] @ w[:-1] + w[-1])))
        total -= np.log(p if y[i] else 1.0 - p)
    return total / len(rows)


def report(rows, w: np.ndarray, threshold: float, label: str, features=FEATURES) -> str:
    ans = [r for r in rows if r[0].answerable]
    una = [r for r in rows if not r[0].answerable]

    def p(e) -> float:
        return 0.0 if e is None else probability(w, e, features)

    answered = sum(1 for q, e, right in ans if right and p(e) >= threshold)
    declined = sum(1 for q, e, _ in una if p(e) < threshold)
    wrong = sum(1 for q, e, right in ans if not right and p(e) >= threshold)
    return (
        f"{label:<6} answered {answered}/{len(ans)} ({100 * answered / max(1, len(ans)):.1f}%)"
        f"  declined {declined}/{len(una)} ({100 * declined / max(1, len(una)):.1f}%)"
        f"  quoted wrongly {wrong}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="folder of the extracted corpus (default: extract once)")
    parser.add_argument("--sets", nargs="+", default=list(ask_eval.CORPUS_SETS))
    parser.add_argument("--features", nargs="+", default=list(ask.WEIGHTS))
    parser.add_argument("--l2", type=float, default=L2, help=f"ridge (default {L2})")
    parser.add_argument("--compare", action="store_true", help="leave-one-out log-loss")
    args = parser.parse_args(argv)
    features = FEATURES if args.features == ["all"] else tuple(args.features)
    if unknown := set(features) - set(FEATURES):
        raise SystemExit(f"no such evidence: {', '.join(sorted(unknown))}")
    rows = asyncio.run(collect(args.sets, ask_eval.corpus_dir(args.corpus)))
    odd = [r for r in rows if r[0].odd]
    even = [r for r in rows if not r[0].odd]
    # (evidence that lacks what the question's shape wants declines by rule: not fitted)
    train = [r for r in odd if r[1] is not None and r[1].unfit < 1.0]
    x = matrix(train, features)
    y = np.array([1.0 if right else 0.0 for _, _, right in train])
    w = fit_logistic(x, y, args.l2)
    # The threshold with the best balance of the two rates on the odd ids: the
    # share of answerable questions answered right plus the share of the others declined.
    n_ans = sum(q.answerable for q, _, _ in odd) or 1
    n_una = (len(odd) - n_ans) or 1
    probs = [0.0 if e is None else probability(w, e, features) for _, e, _ in odd]
    best, best_t = -1.0, 0.5
    for t in np.arange(0.05, 0.96, 0.01):
        answered = sum(right and p >= t for (_, _, right), p in zip(odd, probs, strict=True))
        declined = sum(not q.answerable and p < t for (q, _, _), p in zip(odd, probs, strict=True))
        if answered / n_ans + declined / n_una > best:
            best, best_t = answered / n_ans + declined / n_una, float(t)
    print(f"{len(train)} odd questions fitted ({int(y.sum())} right when forced to answer)")
    for name, value in zip(features, w[:-1], strict=True):
        print(f"  {name:<11} {value:+.3f}")
    print(f"  {'bias':<11} {w[-1]:+.3f}")
    pairs = ", ".join(f'"{n}": {v:.3f}' for n, v in zip(features, w[:-1], strict=True))
    print(f"WEIGHTS = {{{pairs}}}")
    print(f"BIAS = {w[-1]:.3f}")
    print(f"MIN_CONFIDENCE = {best_t:.2f}")
    print(report(odd, w, best_t, "odd", features))
    print(report(even, w, best_t, "even", features))
    if args.compare:
        for label, names in (("these", features), ("all", FEATURES)):
            for l2 in (0.03, 0.1, 0.3, 1.0, 3.0):
                loss = leave_one_out(train, names, l2)
                print(f"leave-one-out log-loss on odd, {label} features, ridge {l2}: {loss:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
