"""One article in full."""

from __future__ import annotations

from articlebot.bot import render
from tests.bot.render.samples import (
    article,
    assert_safe,
    hostile_article,
)


class TestArticleCard:
    def test_ordinary(self):
        reply = render.article_card(article())
        assert reply.title == "Comet seen over the valley 1"
        assert reply.url == "https://example.com/posts/post-1"
        assert reply.image == "https://example.com/img/comet.jpg"
        names = [name for name, _, _ in reply.fields]
        assert names == ["Published", "Categories", "Tags", "Author"]
        assert "Its tail stretched" in reply.description
        # The description repeats the body's opening: it is shown once.
        assert reply.description.count("Amateur astronomers") == 1
        assert_safe(reply)

    def test_hostile(self):
        reply = render.article_card(hostile_article())
        assert_safe(reply)
        assert reply.image == ""  # javascript: is no image

    def test_empty_fields_are_left_out(self):
        reply = render.article_card(
            article(categories=(), tags=(), author="", image="", description="", body="")
        )
        assert [name for name, _, _ in reply.fields] == ["Published"]
        assert reply.footer == ""
        assert_safe(reply)

    def test_no_url(self):
        reply = render.article_card(article(url="not a url"))
        assert reply.url == "" and reply.image == ""
        assert "Read the article" not in reply.description

    def test_not_found(self):
        reply = render.article_not_found("@everyone `x`")
        assert reply.ephemeral
        assert_safe(reply)
        assert "`!search @\u200beveryone ˋxˋ`" in reply.content
