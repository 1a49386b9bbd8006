"""Quoted phrases answered from stored positions agree with the text check
(``Searcher.phrase_ok``) on every post, after a full index and after incremental
reindexes that delete, edit, add and merge segments."""

from __future__ import annotations

import random
from itertools import permutations
from pathlib import Path

from articlebot.index import IndexConfig
from articlebot.index.ranking.searcher import Searcher
from articlebot.index.storage import database, tables
from articlebot.index.storage.blobs import load_state
from articlebot.index.storage.reindex import run_reindex
from articlebot.index.text.analysis import Analyzer
from tests.sample_posts import write_post

WORDS = [
    "train", "chase", "train-chase", "the", "of", "state-of-the-art", "state", "art",
    "covid-19", "covid", "19", "vaccine", "storm", "keeper", "big", "deal", "big-deal",
    "a", "and", "lighthouse", "running", "runs", "night",
    "東京大学", "東京", "大学", "新型コロナ", "コロナ", "大学生",
]  # fmt: skip
PUNCT = ["", "", "", ",", ".", ";", " -", ":"]
PHRASES = [
    *(" ".join(p) for p in permutations(["train", "chase", "storm", "keeper", "big"], 2)),
    "train-chase", "train-chase scene", "state art", "state-of-the-art train",
    "covid-19 vaccine", "covid 19", "19 vaccine", "big deal", "big-deal night",
    "the train chase", "storm keeper lighthouse", "keeper lighthouse", "running night",
    "night storm", "deal big",
    "東京 大学", "東京大学", "新型 コロナ", "大学 東京", "大学生", "コロナ storm",
]  # fmt: skip


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) + rng.choice(PUNCT) for _ in range(n))


def _write(content: Path, rng: random.Random, name: str) -> None:
    title = _text(rng, 3).replace(":", "")
    body = _text(rng, rng.randint(5, 40)).replace(".", "") + ". " + _text(rng, 20)
    write_post(content, name, title or "x", "2021-01-01", "news", body)


def _searcher(db: Path) -> Searcher:
    conn = database.connect_reader(db)
    try:
        catalog, bm25 = load_state(conn, IndexConfig(), path=db)
    finally:
        conn.close()
    return Searcher(bm25, catalog, Analyzer(), "UTC")


def _check(db: Path) -> int:
    searcher = _searcher(db)
    assert searcher.bm25.has_positions
    conn = database.connect_reader(db)
    try:
        articles = tables.fetch_articles(conn, list(searcher.catalog.ids))
    finally:
        conn.close()
    checked = 0
    for text in PHRASES:
        plan = searcher.plan(f'"{text}"', 1000)
        found = {searcher.catalog.ids[d] for d in plan.docs.tolist()}
        assert plan.total == len(found)
        words = tuple(text.split())
        terms = searcher.terms_for(text, False)
        expected = {
            a.id
            for a in articles.values()
            if all(t in set(searcher.analyzer.tokens(_all(a), a.language)) for t in terms)
            and (len(terms) < 2 or searcher.phrase_ok(a, [tuple(terms)]))
        }
        assert found == expected, (text, words, sorted(found ^ expected)[:3])
        checked += len(expected)
    assert checked > 50, checked  # the phrases do occur
    _check_counts(searcher)
    return len(searcher.bm25.segments)


def _check_counts(searcher: Searcher) -> None:
    """``term_counts`` (all of a page's rows and terms in a few passes) counts what a
    comparison of each row's stored term ids with each term does, duplicate and absent
    terms included, rows in any order."""
    bm25 = searcher.bm25
    terms = [t for w in WORDS for t in searcher.analyzer.tokens(w)] + ["train", "absent"]
    rows = searcher.plan(" ".join(WORDS[:12]), 1000).docs.tolist()[::-1]
    assert len(rows) > 20
    counted = bm25.term_counts(rows, terms)
    for row, got in zip(rows, counted, strict=True):
        ((i, (local,), _),) = bm25.locate([row])
        seg = bm25.segments[i]
        tokens = seg.joined_text()[seg.text_offsets[local] : seg.text_offsets[local + 1]]
        expected = {t: int((tokens == seg.vocab.get(t)).sum()) for t in terms
                    if seg.vocab.get(t) is not None}  # fmt: skip
        assert got == expected, (row, got, expected)


def _all(article) -> str:
    return " \n ".join(
        (article.title, article.description, *article.categories, *article.tags,
         article.author, article.body)
    )  # fmt: skip


def test_positions_agree_with_the_text_check_through_merges(tmp_path: Path) -> None:
    rng = random.Random(10)
    content = tmp_path / "content"
    content.mkdir()
    for i in range(60):
        _write(content, rng, f"post_{i:03}.md")
    db = tmp_path / "i.sqlite3"
    run_reindex(db, content, IndexConfig())
    segments = [_check(db)]
    # Small changes first (new segments beside the first, a deletion in it), then larger
    # ones (merges of segments with deletions).
    for round_, (gone, edited, added) in enumerate([(0, 0, 2), (1, 1, 1), (6, 4, 5), (6, 4, 5)]):
        names = sorted(p.name for p in content.iterdir())
        for name in rng.sample(names, gone):
            (content / name).unlink()
        for name in rng.sample(sorted(p.name for p in content.iterdir()), edited):
            _write(content, rng, name)
        for i in range(added):
            _write(content, rng, f"new_{round_}_{i}.md")
        run_reindex(db, content, IndexConfig())
        segments.append(_check(db))
    assert max(segments) >= 3 and segments[-1] < max(segments)  # several, then merged
