"""The newest articles and the categories."""

from __future__ import annotations

from articlebot.bot import render
from tests.bot.render.samples import (
    LONG,
    article,
    assert_safe,
    hostile_article,
)


class TestLatest:
    def test_list(self):
        reply = render.latest_list([article(n) for n in range(1, 4)], category="science")
        assert reply.title == "Latest in “science”"
        assert reply.description.count("\n\n") == 2
        assert "**1. [Comet seen over the valley 1]" in reply.description
        assert_safe(reply)

    def test_empty(self):
        assert render.latest_list([]).content == "There are no articles yet."
        assert "“tv”" in render.latest_list([], category="tv").content

    def test_hostile(self):
        reply = render.latest_list([hostile_article(n) for n in range(10)], category=LONG)
        assert_safe(reply)


class TestCategories:
    def test_list(self):
        reply = render.categories_list([("tv", 12), ("science", 1)])
        assert reply.title == "Categories (2)"
        assert reply.description == "**tv** · 12 articles\n**science** · 1 article"
        assert "!latest <category>" in reply.footer

    def test_many(self):
        cats = [(f"category-{n}", n) for n in range(2000)]
        reply = render.categories_list(cats)
        assert "more" in reply.description.splitlines()[-1] or "… and" in reply.description
        assert_safe(reply)

    def test_hostile(self):
        assert_safe(render.categories_list([(LONG, 10**12)] * 100))

    def test_none(self):
        assert render.categories_list([]).content == "There are no categories yet."
