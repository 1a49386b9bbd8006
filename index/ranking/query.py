"""The search box syntax: words, "exact phrases", -exclusions and field filters.

    tom cruise "train chase" -trailer category:tv tag:stunts author:"Jane Doe"
    after:2020-09 before:2021

Parsing only splits and validates; the searcher decides what the words mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from articlebot.index.errors import QueryError

MAX_CHARS = 1_000  # a pasted essay costs no more than a long query
MAX_TOKENS = 100

# Filter names as typed -> the Query field they fill.
FILTERS: dict[str, str] = {
    "category": "categories",
    "categories": "categories",
    "in": "categories",
    "tag": "tags",
    "tags": "tags",
    "author": "authors",
    "by": "authors",
    "after": "after",
    "since": "after",
    "before": "before",
    "until": "before",
}
_KNOWN = "category:, tag:, author:, after: or before:"

# One token: an optional "-", then a quoted phrase (closing quote optional), a
# name:value filter (value maybe quoted), or a bare run of non-space characters.
_TOKEN = re.compile(
    r'(?P<minus>-*)(?:"(?P<phrase>[^"]*)"?'
    r'|(?P<key>[^\W\d_][\w-]*):(?:"(?P<quoted>[^"]*)"?|(?P<value>\S*))'
    r"|(?P<word>\S+))"
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"'})
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None

    @property
    def has_filters(self) -> bool:
        """Whether something narrows the posts other than words (exclusions do not count:
        "-trailer" alone is not a listing anyone asked for)."""
        return bool(
            self.categories
            or self.tags
            or self.authors
            or self.after is not None
            or self.before is not None
        )


LITERAL_MAX_CHARS = 100_000  # a script's query: a whole document, but not without end


def literal_query(text: str) -> Query:
    """Every word of ``text`` as a plain search word: no phrases, filters or exclusions,
    for scripts and evaluations whose queries are text, not search-box syntax."""
    return Query(words=tuple(text[:LITERAL_MAX_CHARS].split()))


def parse_query(text: str, tz: str = "UTC") -> Query:
    """Split a query; ``QueryError`` carries one sentence the user can act on."""
    text = text[:MAX_CHARS].translate(_QUOTES).strip()
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    found: dict[str, list[str]] = {"categories": [], "tags": [], "authors": []}
    dates: dict[str, datetime] = {}
    for n, m in enumerate(_TOKEN.finditer(text)):
        if n >= MAX_TOKENS:
            break
        minus = bool(m["minus"])
        if m["phrase"] is not None:
            phrase = tuple(m["phrase"].split())
            if minus and phrase:
                raise QueryError(
                    "Excluding a whole phrase isn't supported — put a - before single "
                    "words instead, like -trailer."
                )
            if phrase:
                phrases.append(phrase)
            continue
        key = m["key"]
        if key is not None:
            value = (m["quoted"] if m["quoted"] is not None else m["value"]).strip()
            name = FILTERS.get(key.casefold())
            if name is None and (not value or value.startswith("/")):
                key = None  # "Update:" or a URL: just words
            elif name is None:
                raise QueryError(f"I don't know the filter `{key}:` — try {_KNOWN}.")
            elif minus:
                raise QueryError(
                    f"Excluding with a filter isn't supported — drop the - before `{key}:`."
                )
            elif not value:
                raise QueryError(
                    f"`{key}:` needs a value right after the colon, like {_example(name)}."
                )
            elif name in ("after", "before"):
                dates[name] = _parse_date(value, key, tz)
                continue
            else:
                found[name].append(value.casefold() if name != "authors" else value)
                continue
        word = m.group(0)
        if minus:
            word = word.lstrip("-")
            if word:
                excluded.append(word)
        else:
            words.append(word)
    query = Query(
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        categories=tuple(found["categories"]),
        tags=tuple(found["tags"]),
        authors=tuple(found["authors"]),
        after=dates.get("after"),
        before=dates.get("before"),
    )
    if not (query.words or query.phrases or query.excluded or query.has_filters):
        raise QueryError(
            'Type something to search for — a few words, an "exact phrase", '
            "or a filter like category:tv."
        )
    if query.after and query.before and query.after >= query.before:
        raise QueryError(
            "The after: date is not earlier than the before: date, so nothing could match."
        )
    return query


def _parse_date(value: str, key: str, tz: str) -> datetime:
    """Start of the day, month or year ``value`` names, in ``tz``, as aware UTC.

    The start for both ends: after:2020 means from 1 January 2020, before:2020-09 means
    before 1 September 2020.
    """
    m = _DATE.fullmatch(value)
    try:
        if m is None:
            raise ValueError(value)
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        local = datetime(year, month, day, tzinfo=_zone(tz)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise QueryError(
            f"I can't read the date `{value}` in `{key}:` — use YYYY-MM-DD, YYYY-MM or "
            "YYYY, like after:2020-09-01."
        ) from None
    return local


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _example(name: str) -> str:
    return {
        "categories": "category:tv",
        "tags": "tag:stunts",
        "authors": 'author:"Jane Doe"',
        "after": "after:2020-09-01",
        "before": "before:2021",
    }[name]
