"""Every failure the index reports, under one base class the bot and the CLI catch.

``str(error)`` is always one sentence a person can act on; the bot shows it as it is.
"""

from __future__ import annotations

from pathlib import Path


class ArticleIndexError(Exception):
    """Base class of the index's own errors."""


class QueryError(ArticleIndexError, ValueError):
    """A query that cannot run."""


class ContentError(ArticleIndexError):
    """The content folder cannot be read."""


class StoreError(ArticleIndexError):
    """The index file cannot be used; the sentence names the file."""


class DamagedIndex(StoreError):
    """An index file of ours that cannot be read: ``articlebot index --full`` rebuilds it
    (it is derived data: the posts are the source)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"The index file {path} is damaged ({why}); `articlebot index --full` rebuilds "
            "it from the content folder."
        )
        self.path = path


class NoIndexYet(StoreError):
    """The file exists but no index was ever completed in it (a first index was killed)."""


class PostError(ArticleIndexError):
    """One post that cannot be indexed; the reason goes into the reindex report, and the
    other posts are indexed as usual."""
