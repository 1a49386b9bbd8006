"""The asynchronous face of the index that the bot and the command line use.

CONTRACT STUB (being implemented): signatures are fixed, bodies come next.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.article import Article
from index.config import IndexConfig
from index.results import IndexStats, ReindexReport, SearchResult


class StoreError(RuntimeError):
    """The index file cannot be used (unreadable, foreign, newer schema); one sentence."""


class ArticleIndex:
    """A loaded index. Reads never block the event loop; reindex runs in a worker process
    and swaps the new index in only when it is complete, so searches keep being answered."""

    @classmethod
    async def open(
        cls, db_path: Path, content_dir: Path, config: IndexConfig = IndexConfig()
    ) -> ArticleIndex:
        """Open (creating if absent) the SQLite index; loads the stored index, reads no
        Markdown. Raises StoreError for a file that is not ours."""
        raise NotImplementedError

    @property
    def is_empty(self) -> bool:
        raise NotImplementedError

    async def is_stale(self) -> bool:
        """True when files in the content folder changed since the last index (cheap stat)."""
        raise NotImplementedError

    async def search(self, query: str, limit: int = 5, offset: int = 0) -> SearchResult:
        """Raises results.QueryError with one friendly sentence for unusable queries."""
        raise NotImplementedError

    async def latest(self, limit: int = 5, category: str | None = None) -> list[Article]:
        raise NotImplementedError

    async def categories(self) -> list[tuple[str, int]]:
        """(category, article count), most articles first."""
        raise NotImplementedError

    async def article(self, ref: str) -> Article | None:
        """One article by id, slug or title words (best title match)."""
        raise NotImplementedError

    def complete_categories(self, prefix: str, limit: int = 25) -> list[str]:
        """In-memory, microseconds: safe to call inside autocomplete."""
        raise NotImplementedError

    def complete_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """(title, article id) whose title contains the typed words; in-memory."""
        raise NotImplementedError

    async def reindex(
        self, progress: Callable[[int, int], None] | None = None, full: bool = False
    ) -> ReindexReport:
        """Incremental reindex of the content folder; a second call while one runs waits for
        and returns the running one's report (coalesced)."""
        raise NotImplementedError

    async def stats(self) -> IndexStats:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError
