"""The article record every other module works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Article:
    """One post, normalised from its front matter and body.

    ``id`` is the path relative to the content folder with ``/`` separators, so it is
    stable across machines and reindexes. ``date`` is timezone-aware UTC, or ``None`` when
    the post has no date anywhere (such posts sort last).
    """

    id: str
    path: str
    slug: str
    title: str
    description: str = ""
    date: datetime | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    author: str = ""
    image: str = ""
    featured: bool = False
    language: str = ""
    language_from: str = ""  # front matter, path, site, detected or fallback
    url: str = ""
    body: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A file that could not be indexed, with the reason a person can act on."""

    path: str
    reason: str
