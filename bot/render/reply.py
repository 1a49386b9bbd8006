"""A reply in neutral form, the styles that show it (Discord, terminal), and the last
guard that fits every reply to Discord's limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from articlebot.bot import limits

PAGE_SIZE = 5


BRAND = 0x5865F2


GREEN = 0x57F287


ORANGE = 0xE67E22


Field = tuple[str, str, bool]


@dataclass(frozen=True, slots=True)
class Reply:
    """A message in neutral form: an embed's parts, or plain ``content`` (or both)."""

    title: str = ""
    url: str = ""
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    image: str = ""
    colour: int | None = None
    content: str = ""
    ephemeral: bool = False

    @property
    def has_embed(self) -> bool:
        return bool(self.title or self.description or self.fields or self.image)


def discord_code(text: str) -> str:
    """Inline code: nothing inside renders as Markdown; backticks cannot end it early."""
    text = limits.break_mentions(" ".join(limits.strip_invisible(text).split()))
    return "`" + text.replace("`", "ˋ") + "`"


@dataclass(frozen=True, slots=True)
class Style:
    """How one surface shows text. ``escape`` is applied to every untrusted text."""

    name: str
    escape: Callable[[str], str]
    mark: Callable[[str], str]  # a matched word, already escaped
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (escaped text, safe url)
    code: Callable[[str], str]  # a command the user can type (our own text)
    markdown: bool = False


DISCORD = Style(
    name="discord",
    escape=limits.escape,
    mark=lambda s: f"**{s}**",
    bold=lambda s: f"**{s}**",
    link=lambda text, url: f"[{text}]({url})",
    code=discord_code,
    markdown=True,
)


def plain_style(colour: bool = False) -> Style:
    """Terminal text: ANSI bold and yellow when ``colour``, else ``[word]`` marks."""
    if colour:
        return Style(
            name="ansi",
            escape=limits.strip_invisible,
            mark=lambda s: f"\x1b[1;33m{s}\x1b[0m",
            bold=lambda s: f"\x1b[1m{s}\x1b[0m",
            link=lambda text, url: f"{text} \x1b[2m<{url}>\x1b[0m",
            code=limits.strip_invisible,
        )
    return Style(
        name="plain",
        escape=limits.strip_invisible,
        mark=lambda s: f"[{s}]",
        bold=lambda s: s,
        link=lambda text, url: f"{text} <{url}>",
        code=limits.strip_invisible,
    )


PLAIN = plain_style()


def finish(reply: Reply) -> Reply:
    """Cut every part of ``reply`` to Discord's limits, and the embed to 6000 in total.

    Builders already keep within the limits by choosing what to show; this guard only
    cuts (which can break Markdown) when something slipped through.
    """
    cut = limits.truncate
    fields = []
    for name, value, inline in reply.fields[: limits.EMBED_FIELDS]:
        name, value = cut(name.strip(), limits.FIELD_NAME), cut(value.strip(), limits.FIELD_VALUE)
        if name and value:
            fields.append((name, value, inline))
    reply = replace(
        reply,
        title=cut(reply.title, limits.EMBED_TITLE),
        url=limits.safe_url(reply.url),
        description=cut(reply.description, limits.EMBED_DESCRIPTION),
        fields=tuple(fields),
        footer=cut(reply.footer, limits.FOOTER),
        image=limits.safe_image(reply.image),
        content=cut(reply.content, limits.CONTENT),
    )
    while (over := embed_size(reply) - limits.EMBED_TOTAL) > 0:
        sizes = [limits.length(reply.description)] + [limits.length(f[1]) for f in reply.fields]
        biggest = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[biggest] <= 1:  # only titles are left: drop fields from the end
            reply = replace(reply, fields=reply.fields[:-1])
            continue
        target = max(1, sizes[biggest] - over)
        if biggest == 0:
            reply = replace(reply, description=cut(reply.description, target))
        else:
            name, value, inline = reply.fields[biggest - 1]
            fields = list(reply.fields)
            fields[biggest - 1] = (name, cut(value, target) or "…", inline)
            reply = replace(reply, fields=tuple(fields))
    return reply


def embed_size(reply: Reply) -> int:
    return (
        limits.length(reply.title)
        + limits.length(reply.description)
        + sum(limits.length(n) + limits.length(v) for n, v, _ in reply.fields)
        + limits.length(reply.footer)
    )
