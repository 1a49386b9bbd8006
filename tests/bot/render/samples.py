"""Sample results (ordinary, hostile, huge) and checks that a rendered reply is safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from articlebot.bot import limits, render
from articlebot.bot.embeds import payload, to_embed
from articlebot.bot.render import Reply
from articlebot.index.posts.article import Article
from articlebot.index.ranking.ask import Answer
from articlebot.index.results import Hit, Snippet

HOSTILE = (
    "@everyone @here <@123> <@!123456789012345678> <@&5> **bold** __under__ ~~s~~ "
    "||spoiler|| `code` ```block``` > quote\n# Heading\n- item "
    "[click](https://evil.example) ](https://evil.example) "
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 "
    "عربي עברית 😀👨‍👩‍👧 \\ \x00\x07 "
)


LONG = HOSTILE * 200  # ~40,000 characters


INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\x00-\x08]")


def article(n: int = 1, **changes) -> Article:
    values = dict(
        id=f"posts/post-{n}.md",
        path=f"posts/post-{n}.md",
        slug=f"post-{n}",
        title=f"Comet seen over the valley {n}",
        description="Amateur astronomers photographed the comet.",
        date=datetime(2021, 3, 20, 22, 5, tzinfo=UTC),
        categories=("latest", "science"),
        tags=("space", "comets"),
        author="Jane Doe",
        image="/img/comet.jpg",
        url=f"https://example.com/posts/post-{n}",
        body="Amateur astronomers photographed the comet above the valley.\n\n"
        "Its tail stretched across two degrees of sky.",
    )
    values.update(changes)
    return Article(**values)


def hostile_article(n: int = 1) -> Article:
    return article(
        n,
        id=LONG[:5000],
        slug=LONG[:300],
        title=LONG,
        description=LONG,
        categories=tuple(LONG[i : i + 500] for i in range(0, 5000, 500)),
        tags=(LONG,) * 50,
        author=LONG,
        image="javascript:alert(1)",
        url="https://example.com/posts/" + "a(b)" * 2000,
        body=LONG * 3,
    )


def hit(a: Article, text: str = "…photographed the comet above the valley…", marks=((18, 23),)):
    return Hit(a, 1.0, Snippet(text, marks))


def all_text(reply: Reply) -> str:
    parts = [reply.title, reply.description, reply.footer, reply.content]
    for name, value, _ in reply.fields:
        parts += [name, value]
    return "\n".join(parts)


def assert_safe(reply: Reply) -> None:
    """Within every Discord limit, no pings, nothing invisible, valid URLs."""
    problems = limits.validate_message_payload(payload(reply))
    assert problems == []
    text = all_text(reply)
    assert re.findall(r"@(?:everyone|here)|<@[!&]?\d+>", text) == []
    # The only invisible character left is the one escape puts after "@" to break mentions.
    assert INVISIBLE.search(text.replace("@\u200b", "@")) is None
    assert render.embed_size(reply) <= limits.EMBED_TOTAL
    if reply.has_embed:
        embed = to_embed(reply)
        assert embed is not None and len(embed) <= limits.EMBED_TOTAL


def unescaped(text: str, chars: str) -> list[str]:
    return re.findall(rf"(?<!\\)(?:\\\\)*[{re.escape(chars)}]", text)


def answered(*sentences: str, confidence: float = 1.0, **changes) -> Answer:
    source = changes.pop("source", article())
    question = changes.pop("question", "When was the comet seen?")
    return Answer(question, sentences, source, confidence, False, **changes)


def declined(*related: Article, question: str = "Who won the election?") -> Answer:
    return Answer(question, (), None, 0.2, True, related)
