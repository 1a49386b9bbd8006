"""The search library: posts in, ranked articles, snippets and answers out.

This is its public face; the bot and the command line import from here only. Names are
loaded on first use (PEP 562), so a worker process that needs the loader does not import
the ranking or the service.

    async with await ArticleIndex.open(db_path, content_dir, IndexConfig()) as index:
        result = await index.search("cruise stunt")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_WHERE = {
    "ArticleIndex": "service",
    "IndexConfig": "config",
    "DEFAULT_URL_TEMPLATE": "config",
    "Article": "posts.article",
    "Refusal": "posts.article",
    "Hit": "results",
    "Snippet": "results",
    "SearchResult": "results",
    "ReindexReport": "results",
    "IndexStats": "results",
    "Answer": "ranking.ask",
    "run_reindex": "storage.reindex",
    "prepare_machine": "prepare",
    "Prepared": "prepare",
    "ArticleIndexError": "errors",
    "QueryError": "errors",
    "StoreError": "errors",
    "DamagedIndex": "errors",
    "NoIndexYet": "errors",
    "ContentError": "errors",
    "PostError": "errors",
}
__all__ = [
    "DEFAULT_URL_TEMPLATE",
    "Answer",
    "Article",
    "ArticleIndex",
    "ArticleIndexError",
    "ContentError",
    "DamagedIndex",
    "Hit",
    "IndexConfig",
    "IndexStats",
    "NoIndexYet",
    "PostError",
    "Prepared",
    "QueryError",
    "Refusal",
    "ReindexReport",
    "SearchResult",
    "Snippet",
    "StoreError",
    "prepare_machine",
    "run_reindex",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from articlebot.index.config import DEFAULT_URL_TEMPLATE, IndexConfig
    from articlebot.index.errors import (
        ArticleIndexError,
        ContentError,
        DamagedIndex,
        NoIndexYet,
        PostError,
        QueryError,
        StoreError,
    )
    from articlebot.index.posts.article import Article, Refusal
    from articlebot.index.prepare import Prepared, prepare_machine
    from articlebot.index.ranking.ask import Answer
    from articlebot.index.results import Hit, IndexStats, ReindexReport, SearchResult, Snippet
    from articlebot.index.service import ArticleIndex
    from articlebot.index.storage.reindex import run_reindex
