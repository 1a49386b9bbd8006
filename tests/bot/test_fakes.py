"""The narrow tests' stand-in index offers exactly what the bot needs, the way the real
ArticleIndex offers it: same members, same parameters and defaults, async where it is."""

from __future__ import annotations

import inspect

import pytest

from articlebot.bot.answers import SearchIndex
from articlebot.index import ArticleIndex
from tests.bot.fakes import FakeIndex

MEMBERS = sorted(
    name
    for name, value in vars(SearchIndex).items()
    if not name.startswith("_") and (callable(value) or isinstance(value, property))
)


def shape(cls: type, name: str) -> tuple[str, object]:
    """("property", None) or (sync/async, the parameters after self with their defaults)."""
    value = inspect.getattr_static(cls, name, None)
    if isinstance(value, property):
        return "property", None
    assert value is not None, f"{cls.__name__} has no {name}"
    kind = "async" if inspect.iscoroutinefunction(value) else "sync"
    params = list(inspect.signature(value).parameters.values())[1:]
    return kind, [(p.name, p.kind, p.default) for p in params]


def test_the_protocol_names_every_member_the_bot_uses() -> None:
    assert MEMBERS == [
        "article",
        "article_count",
        "article_ids",
        "articles",
        "ask",
        "categories",
        "complete_categories",
        "complete_titles",
        "latest",
        "reindex",
        "reindexing",
        "search",
        "stats",
    ]


@pytest.mark.parametrize("name", MEMBERS)
def test_the_real_index_and_the_stand_in_match_the_protocol(name: str) -> None:
    wanted = shape(SearchIndex, name)
    assert shape(ArticleIndex, name) == wanted
    if wanted[0] == "property":  # the stand-in may hold a plain attribute instead
        assert hasattr(FakeIndex([]), name)
    else:
        assert shape(FakeIndex, name) == wanted
