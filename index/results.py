"""What a search, a listing or a reindex hands back to the bot and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from articlebot.index.posts.article import Article, Refusal


@dataclass(frozen=True, slots=True)
class Snippet:
    """A short passage with the matched words as character spans into ``text``.

    Spans rather than markup, so Discord bolds them, the console colours them and JSON
    carries them unchanged. ``text`` already carries a leading/trailing ``…`` when cut.
    """

    text: str
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of results. ``total`` counts every matching article, not just this page.

    ``suggestion`` is a corrected query ("did you mean") offered when nothing matched.
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int = 0
    suggestion: str | None = None
    estimated: bool = False  # ``total`` is estimated (a quoted phrase with many candidates)


@dataclass(frozen=True, slots=True)
class ReindexReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()
    skipped: tuple[Refusal, ...] = ()  # drafts, unpublished posts and byte-identical copies
    unchanged: int = 0
    total: int = 0
    seconds: float = 0.0
    full: bool = False


@dataclass(frozen=True, slots=True)
class IndexStats:
    articles: int
    categories: int
    terms: int
    built_at: datetime | None
    db_bytes: int
    content_dir: str
    refused: int = 0
    # (language, where it came from: front matter, path, site, detected, fallback; articles)
    languages: tuple[tuple[str, str, int], ...] = ()
