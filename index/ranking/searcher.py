"""Turn a query into ranked document numbers over the in-memory index.

Pure and synchronous: the service runs it off the event loop and fetches the articles.
Only the postings of the query's terms are touched; filters are boolean masks.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from articlebot.index.errors import QueryError
from articlebot.index.posts.article import Article
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.catalog import Catalog
from articlebot.index.ranking.columns import title_words
from articlebot.index.ranking.query import MAX_TOKENS, Query, literal_query, parse_query
from articlebot.index.ranking.segments import PhraseSpec, SegmentedIndex
from articlebot.index.ranking.topk import top_k
from articlebot.index.text.analysis import Analyzer, has_hyphen
from articlebot.index.text.snippets import contains_phrase
from articlebot.index.text.suggest import Suggester

# Quoted phrases are answered from the segments' positions, over every candidate. An index
# without positions (written before format 10, until its rebuild; a bare BM25Index) has
# them checked against the text instead: the candidates a page needs, in rank order, then
# all the rest when there are at most this many, else an evenly spaced sample of this many
# to estimate the total (±13% at worst).
PHRASE_SAMPLE = 60
PREFIX_WORDS_LIMIT = 200  # title words a typed prefix may expand to in autocomplete
_NO_DOCS = np.zeros(0, dtype=np.int32)  # candidates read to verify an exact phrase


@dataclass(frozen=True, slots=True)
class Plan:
    """Ranked candidates for one query, before articles are fetched.

    When ``phrases`` is set (an index without positions) the candidates still have to be
    checked against the text, so ``docs`` holds more than one page and ``total`` is an
    upper bound until verified.
    """

    query: Query
    docs: np.ndarray
    scores: np.ndarray
    total: int
    terms: frozenset[str]
    phrases: tuple[tuple[str, ...], ...] = ()


class Searcher:
    def __init__(
        self,
        bm25: BM25Index | SegmentedIndex,
        catalog: Catalog,
        analyzer: Analyzer,
        timezone: str = "UTC",
        load_words: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.bm25 = bm25
        self.catalog = catalog
        self.analyzer = analyzer
        self.timezone = timezone
        self._load_words = load_words

    @cached_property
    def languages(self) -> tuple[str, ...]:
        default = self.analyzer.default_language
        return tuple(sorted({lang for lang in self.catalog.languages if lang and lang != default}))

    @cached_property
    def suggester(self) -> Suggester:
        words = self._load_words() if self._load_words else dict(self.catalog.words)
        return Suggester(words)

    # --- searching ----------------------------------------------------------------------

    def terms_for(self, text: str, parts: bool = True) -> list[str]:
        """Stems of the words in ``text`` that the index knows (unknown ones kept once).

        A hyphenated word is searched by its parts, which the index holds beside the
        whole word, so "covid-19" finds "Covid 19" too and "three-dimensional" weighs as
        two words, not three (bench/README.md); ``parts=False`` keeps it whole, as a
        quoted phrase is written.
        """
        terms: list[str] = []
        for word in self.analyzer.words(text, parts=False):
            split = self.analyzer.words(word)[1:] if parts and "-" in word else ()
            for piece in split or (word,):
                stems = self.analyzer.query_terms(piece, self.languages)
                known = [s for s in stems if s in self.bm25.vocab]
                terms.extend(known or stems[:1])
        return terms

    def question_terms(self, question: str) -> list[str]:
        """The terms of a question without its question words ("how many", "who")."""
        # Imported here: compiling the question patterns is ~20 ms of a cold start.
        from articlebot.index.ranking.questions import QUESTION_WORDS

        words = [w for w in self.analyzer.words(question, False) if w not in QUESTION_WORDS]
        return self.terms_for(" ".join(words[:MAX_TOKENS]))

    def rank_terms(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.bm25.top_k(terms, k)

    def plan(self, text: str, limit: int, offset: int = 0, literal: bool = False) -> Plan:
        query = literal_query(text) if literal else parse_query(text, self.timezone)
        allowed = self._filter_mask(query)
        # A phrase's terms are its words as written: "covid-19 vaccine" wants covid-19
        # next to vaccine, not the parts of covid-19 between them.
        phrases_of_words = [tuple(self.terms_for(" ".join(p), False)) for p in query.phrases]
        phrases = tuple(p for p in phrases_of_words if p)
        terms = self.terms_for(" ".join(query.words)) + [t for p in phrases for t in p]
        for phrase in phrases:  # every phrase term is required
            for term in phrase:
                allowed = self._and(allowed, self.bm25.docs_with(term))
        # A one-word phrase is its required term; only longer ones need the text checked.
        long = [w for w, p in zip(query.phrases, phrases_of_words, strict=True) if len(p) > 1]
        phrases = tuple(p for p in phrases if len(p) > 1)
        if phrases and allowed is not None and getattr(self.bm25, "has_positions", False):
            # Every document holding all the phrase terms is checked from its positions:
            # the total is exact and a match ranked anywhere is found.
            specs = [self.phrase_spec(words) for words in long]
            found = self.bm25.phrase_rows(np.flatnonzero(allowed), specs)  # type: ignore[union-attr]
            allowed = np.zeros(self.bm25.n_docs, dtype=bool)
            allowed[found] = True
            phrases = ()
        if not terms:
            if not query.has_filters or query.phrases or query.words:
                raise QueryError(
                    "There's nothing to search for in that — try a few distinctive words, "
                    'like `cruise stunt` or `"train chase"`.'
                )
            docs = self._newest(allowed)
            return Plan(
                query,
                docs[offset : offset + limit],
                np.zeros(0),
                len(docs),
                frozenset(),
            )
        if not phrases:  # only the page is ranked (rows that cannot reach it are skipped)
            docs, scores, total = self.bm25.top_k_total(terms, offset + limit, allowed)
            return Plan(query, docs[offset:], scores[offset:], total, frozenset(terms))
        docs, scores = self.bm25.match(terms)
        if allowed is not None:
            ok = allowed[docs]
            docs, scores = docs[ok], scores[ok]
        # With phrases every candidate is ranked: the service checks them in this order.
        order = top_k(scores, docs, len(docs))
        return Plan(query, docs[order], scores[order], len(docs), frozenset(terms), phrases)

    def phrase_spec(self, words: Sequence[str]) -> PhraseSpec:
        """A quoted phrase's terms as positions are matched: its terms as written
        (``terms_for`` without parts), a hyphenated word as its parts after the whole."""
        terms: list[str] = []
        wholes: list[tuple[int, str]] = []
        for word in self.analyzer.words(" ".join(words), parts=False):
            for term in self.terms_for(word, False):
                parts = self.terms_for(word) if has_hyphen(word) else [term]
                if parts != [term]:
                    wholes.append((len(terms), term))
                terms.extend(parts)
        return PhraseSpec(tuple(terms), tuple(wholes))

    def _filter_mask(self, query: Query) -> np.ndarray | None:
        n = self.bm25.n_docs
        mask: np.ndarray | None = None

        def any_of(groups: dict[str, np.ndarray], values: Sequence[str]) -> np.ndarray:
            hit = np.zeros(n, dtype=bool)
            for value in values:
                hit[groups.get(value.casefold(), np.zeros(0, dtype=np.int32))] = True
            return hit

        if query.categories:
            unknown = [c for c in query.categories if c.casefold() not in self.catalog.by_category]
            if unknown:
                known = ", ".join(sorted(self.catalog.category_names.values())[:12])
                raise QueryError(
                    f"There's no category `{unknown[0]}` — try one of: {known}."
                    if known
                    else f"There's no category `{unknown[0]}` yet."
                )
            mask = any_of(self.catalog.by_category, query.categories)
        if query.tags:
            mask = self._and(mask, any_of(self.catalog.by_tag, query.tags))
        if query.authors:
            mask = self._and(mask, any_of(self.catalog.by_author, query.authors))
        dates = self.catalog.dates
        if query.after is not None:
            mask = self._and(mask, dates >= query.after.timestamp())
        if query.before is not None:
            mask = self._and(mask, dates < query.before.timestamp())
        for word in query.excluded:
            for term in self.terms_for(word):
                if term in self.bm25.vocab:
                    if mask is None:
                        mask = np.ones(n, dtype=bool)
                    mask[self.bm25.docs_with(term)] = False
        return mask

    def _and(self, mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
        if other.dtype != bool:
            hit = np.zeros(self.bm25.n_docs, dtype=bool)
            hit[other] = True
            other = hit
        return other if mask is None else mask & other

    def _newest(self, allowed: np.ndarray | None) -> np.ndarray:
        order = self.catalog.newest_first
        return order if allowed is None else order[allowed[order]]

    def phrase_ok(self, article: Article, phrases: Sequence[tuple[str, ...]]) -> bool:
        """Whether every phrase occurs as consecutive terms in the article's text."""
        text = " \n ".join((article.title, article.description, article.body))
        return all(contains_phrase(text, p, self.analyzer, article.language) for p in phrases)

    def term_counts(self, docs: Sequence[int], terms: Sequence[str]) -> list[dict[str, int]] | None:
        """Per doc, how many times each query term occurs in its title, description and
        body (what its snippet will find); None for an index without positions."""
        if not getattr(self.bm25, "has_positions", False):
            return None
        return self.bm25.term_counts(docs, set(terms))

    def suggest(self, query: Query) -> str | None:
        if not query.words:
            return None
        return self.suggester.suggest_query(
            list(query.words), known=lambda w: any(t in self.bm25.vocab for t in self.terms_for(w))
        )

    # --- listings -----------------------------------------------------------------------

    def latest(self, limit: int, category: str | None = None) -> list[int]:
        allowed = None
        if category:
            docs = self.catalog.by_category.get(category.casefold())
            if docs is None:
                return []
            allowed = self._and(None, docs)
        return self._newest(allowed)[:limit].tolist()

    def categories(self) -> list[tuple[str, int]]:
        names = self.catalog.category_names
        counts = [(names[key], len(docs)) for key, docs in self.catalog.by_category.items()]
        return sorted(counts, key=lambda item: (-item[1], item[0].casefold()))

    def resolve(self, ref: str) -> int | None:
        """An article by id or slug, else the best search match for the words given."""
        ref = ref.strip()
        if not ref:
            return None
        doc = self.catalog.by_id.get(ref)
        if doc is None:
            doc = self.catalog.by_slug.get(ref.casefold().strip("/").rsplit("/", 1)[-1])
        if doc is not None:
            return doc
        terms = self.terms_for(ref)
        if not terms:
            return None
        docs, _ = self.bm25.top_k(terms, 1)
        return int(docs[0]) if len(docs) else None

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]:
        folded = prefix.casefold().strip()
        names = [name for _, name in sorted(self.catalog.category_names.items())]
        return [n for n in names if n.casefold().startswith(folded)][:limit] or [
            n for n in names if folded in n.casefold()
        ][:limit]

    def complete_titles(self, text: str, limit: int = 25) -> list[int]:
        """Docs whose title has every typed word (the last one as a prefix), newest first."""
        words = title_words(text)
        if not words:
            return self._newest(None)[:limit].tolist()
        sorted_words, docs_of = self.catalog.title_words
        allowed: np.ndarray | None = None
        for word in words[:-1]:
            allowed = self._and(allowed, docs_of.get(word, _NO_DOCS))
        last = words[-1]
        lo = bisect.bisect_left(sorted_words, last)
        hi = bisect.bisect_left(sorted_words, last + "\U0010ffff")
        prefixed = sorted_words[lo : min(hi, lo + PREFIX_WORDS_LIMIT)]
        hits = np.concatenate([docs_of[w] for w in prefixed]) if prefixed else _NO_DOCS
        allowed = self._and(allowed, hits)
        found = self._newest(allowed)[:limit].tolist()
        if found or len(text.strip()) < 3:
            return found
        # No title has these words: offer the articles that are about them.
        terms = self.terms_for(text)
        if not terms:
            return []
        return self.bm25.top_k(terms, limit)[0].tolist()
