"""Known-item search in nine languages: is a post found from a few of its own words?

    python bench/multilingual_eval.py                      # extracts the archive once
    python bench/multilingual_eval.py --limit 10           # at most 10 posts a language
    python bench/multilingual_eval.py --corpus /tmp/hexo-site-i18n --json bench/.data/ml.jsonl

The corpus is the Hexo site (../shared/corpora/hexo-site-i18n.tar.xz, extracted once into
bench/.data/ unless --corpus is given): English at the top, translations in ja/, ko/,
zh-cn/, zh-tw/, th/, ru/, pt-br/, es/ (the folder is the only sign of the language). The
index, bench/.data/multilingual.sqlite3, is rebuilt when the folder or the index format
changed (delete it to force a rebuild).

Queries are generated at run time from each post's prose (front matter, fenced and inline
code, Liquid tags, HTML and URLs removed), with a fixed seed per post and kind:
- words (en, ru, pt-br, es, ko): 2-3 letters-only words of the post whose document
  frequency in the corpus is at most --max-df;
- inflected (en, ru, pt-br, es): 2-3 words of the post whose Snowball stem (that
  language's algorithm) is in at most --max-df documents, each replaced by another form
  with that stem found elsewhere in the corpus but nowhere in the post;
- pieces (ja, zh-cn, zh-tw, th): 2 pieces of 2-4 characters cut from runs of the script,
  at most --max-df documents containing each, joined by a space;
- stems (ko): 2-3 words with a trailing particle removed, stems that occur in the post
  only with a particle (and start words in at most --max-df documents).
Each query goes through the real ``ArticleIndex.search`` (limit 10) as typed text, with
``"``, ``:`` and a leading ``-`` removed. Found = the post, or any byte-identical copy, in the
top 10; MRR counts 1/rank within the top 10. Posts with under --min-chars characters of
prose are skipped, and so are untranslated ones (a translation folder's post with no
letter outside ASCII): they would measure English.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import Stemmer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ask_eval import open_index  # noqa: E402
from corpora import DATA, SHARED, extract_once  # noqa: E402

from articlebot.index import QueryError  # noqa: E402

ARCHIVE = SHARED / "corpora/hexo-site-i18n.tar.xz"
LANGS = ("en", "ja", "ko", "zh-cn", "zh-tw", "th", "ru", "pt-br", "es")
SNOWBALL = {"en": "english", "ru": "russian", "pt-br": "portuguese", "es": "spanish"}
SPACED = ("en", "ru", "pt-br", "es", "ko")
PARTICLES = ("으로", "에서", "은", "는", "이", "가", "을", "를", "에", "의", "로", "와", "과", "도")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KO_STEM = re.compile(r"[\uac00-\ud7a3]+(?<![하되])")
RUNS = re.compile(r"[\u0e00-\u0e7f]+|[\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
STRIP = [  # front matter, fenced code, Liquid code blocks, inline code, tags, link targets
    re.compile(p, re.S | re.M)
    for p in (
        r"\A---\n.*?\n---\n|^(```|~~~).*?^\1[ \t]*$",
        r"\{%\s*(codeblock|code|raw|include_code)\b.*?\{%\s*end\1\s*%\}|`[^`\n]*`",
        r"\{%.*?%\}|\{\{.*?\}\}|<[^>\n]*>|\]\([^)\n]*\)|^\s*\[[^\]\n]+\]:.*$|https?://\S+",
    )
]
MARK = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u3099\u309a]")  # in these runs
THAI_CUT = re.compile(f"^(?:{MARK.pattern}|[\u0e30\u0e32\u0e33\u0e45])|[\u0e40-\u0e44]$")
UNSAFE = str.maketrans("", "", '"“”„«»:：')


def prose(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    return text


def words_of(text: str) -> list[str]:
    found = (w.casefold() for w in re.findall(r"\w+", text) if w.isalpha())
    return [w for w in found if len(w) >= (2 if HANGUL.search(w) else 3)]


def pieces_of(text: str) -> set[str]:
    out = set()
    for run in RUNS.findall(text):  # no piece splits a Thai syllable at a mark or a vowel
        for n in (2, 3, 4):
            for i in range(len(run) - n + 1):
                piece = run[i : i + n]
                if not (THAI_CUT.search(piece) or MARK.match(run, i + n)):
                    out.add(piece)
    return out


def ko_stem(word: str) -> str | None:
    """``word`` without a trailing particle, when a Hangul stem of 2+ syllables remains
    that does not end like a verb (하, 되: 사용되는 is a verb form, not 사용되 + 는)."""
    for p in PARTICLES:
        stem = word.removesuffix(p)
        if stem != word and len(stem) >= 2 and KO_STEM.fullmatch(stem):
            return stem
    return None


@dataclass
class Post:
    id: str
    lang: str
    copies: tuple[str, ...]  # its id and those of its byte-identical copies
    words: set[str]  # letters-only words of the prose
    pieces: set[str]  # 2-4 character pieces of the prose's Thai, kana and Han runs
    every: set[str]  # words and pieces of the whole file (title and code included)
    untranslated: bool
    chars: int


def language(rel: str) -> str:
    first = rel.split("/", 1)[0]
    return first if first in LANGS else "en"


def load_posts(root: Path) -> list[Post]:
    """One Post per distinct file; byte-identical copies go with the English one if any."""
    by_bytes: dict[bytes, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.md")):
        by_bytes[path.read_bytes()].append(path.relative_to(root).as_posix())
    posts = []
    for data, ids in by_bytes.items():
        ids.sort(key=lambda i: (language(i) != "en", i))
        raw = unicodedata.normalize("NFC", data.decode("utf-8", "replace"))
        text, lang = prose(raw), language(ids[0])
        untr = lang != "en" and all(c.isascii() for c in text if c.isalpha())
        every, words = set(words_of(raw)) | pieces_of(raw), set(words_of(text))
        chars = len(" ".join(text.split()))
        posts.append(Post(ids[0], lang, tuple(ids), words, pieces_of(text), every, untr, chars))
    return posts


@dataclass
class Query:
    post: Post
    kind: str
    query: str
    rank: int = 0  # 1-10, 0 = not in the top 10
    top: str = ""
    top_url: str = ""
    error: str = ""


def literal(text: str) -> str:
    return " ".join(w.lstrip("-") for w in text.translate(UNSAFE).split())


Candidate = tuple[str, list[str], int]  # a word or piece, other forms of it, its df


def rarest(items: list[Candidate], max_df: int, at_least: int = 4) -> list[Candidate]:
    """The candidates in at most ``max_df`` documents, or the ``at_least`` rarest when
    fewer are (English posts with untranslated near-copies in three or four folders)."""
    ranked = sorted(items, key=lambda c: c[2])
    keep = [c for c in ranked if c[2] <= max_df]
    return keep if len(keep) >= at_least else ranked[:at_least]


def make_queries(posts: list[Post], corpus: list[Post], args: argparse.Namespace) -> list[Query]:
    df: Counter[str] = Counter()  # documents holding a word or a piece anywhere
    prefix_df: Counter[str] = Counter()  # documents holding a Korean word starting so
    forms: dict[str, dict[str, set[str]]] = {lang: defaultdict(set) for lang in SNOWBALL}
    stemmers = {lang: Stemmer.Stemmer(algo) for lang, algo in SNOWBALL.items()}
    stem_df: dict[str, Counter[str]] = {lang: Counter() for lang in SNOWBALL}
    for p in corpus:
        df.update(p.every)
        spaced = [w for w in p.every if not RUNS.match(w)]  # no Thai, kana or Han
        for lang, stemmer in stemmers.items():
            stem_df[lang].update(set(stemmer.stemWords(spaced)))
        prefix_df.update({w[:n] for w in p.every if HANGUL.search(w) for n in range(2, len(w))})
        lang = "en" if p.untranslated else p.lang
        if lang in SNOWBALL:
            for w in p.words:
                forms[lang][stemmers[lang].stemWord(w)].add(w)
    out = []
    for post in posts:
        words = sorted(post.words)
        cands: dict[str, list[Candidate]] = {}
        if post.lang in SPACED:
            cands["words"] = [(w, [], df[w]) for w in words]
        if post.lang in SNOWBALL:
            lang, stem = post.lang, stemmers[post.lang].stemWord
            other = [(w, sorted(forms[lang][stem(w)] - post.every)) for w in words]
            cands["inflected"] = [(w, o, stem_df[lang][stem(w)]) for w, o in other if o]
        if post.lang == "ko":
            stems = {s for w in words if (s := ko_stem(w)) and s not in post.every}
            cands["stems"] = [(s, [], prefix_df[s]) for s in sorted(stems)]
        if post.lang in ("ja", "zh-cn", "zh-tw", "th"):
            cands["pieces"] = [(s, [], df[s]) for s in sorted(post.pieces)]
        for kind, every in cands.items():
            pool = rarest(every, args.max_df)
            rng = random.Random(f"{args.seed}/{post.id}/{kind}")
            seen: set[frozenset[str]] = set()
            for _ in range(20 * args.per_post):
                if len(seen) >= args.per_post or len(pool) < 2:
                    break
                k = 2 if kind == "pieces" else rng.choice((2, 3))
                pick = rng.sample(pool, min(k, len(pool)))
                if kind == "inflected":  # every word replaced by another form
                    chosen = [rng.choice(alts) for _, alts, _ in pick]
                else:
                    chosen = [c[0] for c in pick]
                if kind == "pieces" and (chosen[0] in chosen[1] or chosen[1] in chosen[0]):
                    continue
                if frozenset(chosen) not in seen:
                    seen.add(frozenset(chosen))
                    out.append(Query(post, kind, literal(" ".join(chosen))))
    return out


async def run(queries: list[Query], content: Path, db: Path) -> list[float]:
    """Every query through ``ArticleIndex.search``; the milliseconds each took."""
    idx, _ = await open_index(content, db)
    try:
        times: list[float] = []
        for q in queries:
            start = time.perf_counter()
            try:
                result = await idx.search(q.query, limit=10)
            except QueryError as exc:
                q.error = str(exc)
                continue
            finally:
                times.append((time.perf_counter() - start) * 1000)
            ids = [h.article.id for h in result.hits]
            if result.hits:
                q.top, q.top_url = ids[0], result.hits[0].article.url
            q.rank = next((n for n, i in enumerate(ids, 1) if i in q.post.copies), 0)
        return times
    finally:
        await idx.close()


def table(queries: list[Query]) -> str:
    groups: dict[tuple[str, str], list[Query]] = defaultdict(list)
    for q in queries:
        groups[q.post.lang, q.kind].append(q)
    head = f"{'language':<10}{'kind':<11}{'posts':>6}{'queries':>9}{'found@10':>10}{'MRR':>7}"
    lines = [head, "-" * len(head)]
    for (lang, kind), group in groups.items():  # in the order of LANGS, then words first
        found = 100 * sum(q.rank > 0 for q in group) / len(group)
        mrr = sum(1 / q.rank for q in group if q.rank) / len(group)
        posts = len({q.post.id for q in group})
        lines.append(f"{lang:<10}{kind:<11}{posts:>6}{len(group):>9}{found:>9.1f}%{mrr:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="extracted hexo-site-i18n folder (default: extract)")
    parser.add_argument("--db", help="index file (default: bench/.data/multilingual.sqlite3)")
    parser.add_argument("--limit", type=int, help="at most N posts per language")
    parser.add_argument("--per-post", type=int, default=3, help="queries per post and kind")
    parser.add_argument("--max-df", type=int, default=3, help="most documents a term may be in")
    parser.add_argument("--min-chars", type=int, default=200, help="shortest prose evaluated")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--json", dest="json_out", help="write one JSON line per query here")
    args = parser.parse_args(argv)

    if args.corpus:
        content = Path(args.corpus)
    else:
        content = DATA / "hexo-site-i18n"
        extract_once(ARCHIVE, content, DATA / ".hexo-site-i18n.extracted", "pass --corpus DIR")
    start = time.perf_counter()
    all_posts = load_posts(content)
    skipped = Counter(f"{p.lang} short" for p in all_posts if p.chars < args.min_chars)
    skipped += Counter(f"{p.lang} untranslated" for p in all_posts if p.untranslated)
    chosen = [p for p in all_posts if p.chars >= args.min_chars and not p.untranslated]
    chosen = [p for lang in LANGS for p in [q for q in chosen if q.lang == lang][: args.limit]]
    queries = make_queries(chosen, all_posts, args)
    made = time.perf_counter() - start
    db = Path(args.db) if args.db else DATA / "multilingual.sqlite3"
    start = time.perf_counter()
    times = asyncio.run(run(queries, content, db))
    took = time.perf_counter() - start

    copies = sum(len(p.copies) - 1 for p in all_posts)
    print(
        f"{len(all_posts)} distinct posts ({copies} byte-identical copies) in {content}; "
        f"{len(chosen)} evaluated; --max-df {args.max_df}, seed {args.seed}"
    )
    print("skipped: " + ", ".join(f"{k} {n}" for k, n in sorted(skipped.items())))
    print(table(queries))
    errors, spent = sum(bool(q.error) for q in queries), sum(times) / 1000
    print(
        f"{len(queries)} queries ({errors} refused by the parser): generated in {made:.1f}s, "
        f"searched in {spent:.1f}s (index opened or built in {took - spent:.1f}s); per search "
        f"p50 {statistics.median(times or [0]):.1f} ms, max {max(times or [0]):.0f} ms; load "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            for q in queries:
                row = {"post": q.post.id, "copies": q.post.copies, "language": q.post.lang}
                row |= {k: v for k, v in vars(q).items() if k != "post"}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
