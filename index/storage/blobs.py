"""The postings and the catalog as blobs in the index file, and reading one committed
generation of them back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from articlebot.index.config import IndexConfig
from articlebot.index.errors import DamagedIndex
from articlebot.index.ranking.bm25 import BM25Index
from articlebot.index.ranking.catalog import Catalog
from articlebot.index.storage import tables

BM25_PREFIX = "bm25:"


CATALOG_PREFIX = "catalog:"


def bm25_blobs(bm25: BM25Index) -> dict[str, bytes | memoryview]:
    """The arrays as views of their own memory: ``tobytes`` would copy 500 MB of postings
    at 100,000 articles just to hand them to SQLite."""
    out: dict[str, bytes | memoryview] = {}
    for name, array in bm25.to_arrays().items():
        out[name] = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        out[name + ".dtype"] = array.dtype.str.encode()
    return out


def bm25_from_blobs(blobs: dict[str, bytes], config: IndexConfig) -> BM25Index:
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(blobs[name + ".dtype"].decode()))
        for name, data in blobs.items()
        if not name.endswith(".dtype")
    }
    return BM25Index.from_arrays(arrays, config.k1, config.b, config.delta)


def load_state(
    conn, config: IndexConfig, *, with_words: bool = True, path: Path | None = None
) -> tuple[Catalog, BM25Index]:
    """The stored index, or an empty one when nothing was indexed yet.

    Every blob comes from one read transaction (the caller's, or one opened here), so a
    reindex committing meanwhile can never pair one generation's catalog with another's
    postings. A blob that cannot be decoded means the file is damaged.
    """
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        cat_blobs = _strip(tables.read_blobs(conn, CATALOG_PREFIX), CATALOG_PREFIX)
        bm_blobs = _strip(tables.read_blobs(conn, BM25_PREFIX), BM25_PREFIX)
    finally:
        if own:
            conn.execute("COMMIT")
    if not cat_blobs or not bm_blobs:
        return Catalog.empty(), BM25Index.build([], config.k1, config.b, config.delta)
    try:
        catalog = Catalog.from_blobs(cat_blobs, with_words=with_words)
        bm25 = bm25_from_blobs(bm_blobs, config)
        if len(catalog) != bm25.n_docs:
            raise ValueError(f"{len(catalog)} catalog rows for {bm25.n_docs} documents")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise DamagedIndex(path or Path("the index"), _why(exc)) from None
    return catalog, bm25


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _strip(blobs: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {name.removeprefix(prefix): data for name, data in blobs.items()}
