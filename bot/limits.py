"""Discord's size limits, and the helpers that keep every payload inside them.

Lengths are counted in UTF-16 code units, as Discord's own (JavaScript) validation does:
an emoji outside the Basic Multilingual Plane counts as two. That is never less than
Python's ``len``, so a text that fits here fits on Discord.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import discord

# --- messages ---------------------------------------------------------------------------
CONTENT = 2000
EMBEDS_PER_MESSAGE = 10

# --- embeds -----------------------------------------------------------------------------
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000  # title + description + field names and values + footer + author
URL = 2048  # embed url, image url: longer ones are refused

# --- interactions -----------------------------------------------------------------------
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
BUTTONS_PER_ROW = 5
ROWS = 5
BUTTON_LABEL = 80
CUSTOM_ID = 100
THREAD_NAME = 100  # a forum post's (thread's) name
SELECT_OPTIONS = 25  # options in a select menu
TAGS_PER_POST = 5  # forum tags applied to one post

ELLIPSIS = "…"

# Zero-width and bidirectional control characters: they hide text, reorder it (a title
# that reads backwards) or glue a mention back together; also the C0/C1 controls except
# newline and tab.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
# discord.utils.escape_mentions only knows 17-20 digit ids; `<@123>` still renders as a
# mention (of nobody), so break every @-form.
_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]+)")
# An opening or closing bracket not already escaped by escape_markdown (which doubles
# every literal backslash, so an even run of backslashes before it escapes nothing).
_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")


def length(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units), counted in C: a page of results
    measures every piece several times (a per-character loop was half of rendering one)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` at most ``units`` UTF-16 code units long."""
    if len(text) * 2 <= units:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` (UTF-16 units) at a word boundary, ending with "…".

    The cut backs up to the last space only when that keeps at least half the room, so one
    enormous word is still cut mid-word rather than dropped.
    """
    if limit <= 0:
        return ""
    if length(text) <= limit:
        return text
    head = _cut(text, limit - 1)
    if not text[len(head)].isspace():  # the cut is inside a word: back up to its start
        space = max(head.rfind(" "), head.rfind("\n"))
        if space >= len(head) // 2:
            head = head[:space]
    head = head.rstrip()
    # Never end on a lone backslash: it would escape the ellipsis (harmless but ugly).
    while head.endswith("\\"):
        head = head[:-1]
    return head + ELLIPSIS


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-override and control characters (keeps newline and tab)."""
    return _INVISIBLE.sub("", text)


def escape(text: str) -> str:
    """Make untrusted text inert on Discord: no Markdown, no links, no mentions.

    Invisible characters are removed first so they cannot hide or reorder anything, then
    ``discord.utils.escape_markdown`` (bare URLs stay clickable), then square brackets
    (so a title can never close a masked link and open one of its own), then mentions.
    """
    text = strip_invisible(text)
    text = discord.utils.escape_markdown(text)
    text = _BRACKET.sub(r"\1\\\2", text)
    return break_mentions(text)


def break_mentions(text: str) -> str:
    """A zero-width space after every ``@`` of a mention (``@everyone``, ``<@123>``, …)."""
    text = discord.utils.escape_mentions(text)
    return _MENTION.sub("@\u200b\\1", text)


def fit(text: str, limit: int, transform: Callable[[str], str] = escape) -> str:
    """``transform(text)`` cut (before transforming, at a word) so that it fits ``limit``.

    Escaping can double a text's length, so cutting the escaped text could split an escape
    sequence; instead the raw text is cut shorter until its transformed form fits.
    """
    out = transform(text)
    if length(out) <= limit:
        return out
    room = min(limit, length(text))
    while room > 0:
        out = transform(truncate(text, room))
        size = length(out)
        if size <= limit:
            return out
        room = min(room - 1, room * limit // size)
    return ""


def safe_url(url: str, limit: int = URL) -> str:
    """``url`` when Discord will accept it in an embed (absolute http/https, no spaces or
    control characters, not too long), with brackets percent-encoded so it can sit inside
    a Markdown link; otherwise ""."""
    if not url or length(url) > limit or any(ch.isspace() for ch in url):
        return ""
    if _INVISIBLE.search(url) or "\\" in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    for raw, encoded in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(raw, encoded)
    return url if length(url) <= limit else ""


# A file sent with the same message, shown as the embed's image: ``attachment://name``.
_ATTACHMENT = re.compile(r"attachment://[A-Za-z0-9._-]{1,100}\Z")


def attachment_name(url: str) -> str:
    """The file name an ``attachment://`` URL refers to, or ""."""
    return url.removeprefix("attachment://") if _ATTACHMENT.match(url) else ""


def safe_image(url: str) -> str:
    """An embed image: ``attachment://name`` (a file sent with the message) or a
    ``safe_url``; otherwise ""."""
    return url if attachment_name(url) else safe_url(url)


# --- validation -------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters that count towards an embed's 6000 total."""
    total = length(_text(embed.get("title"))) + length(_text(embed.get("description")))
    for field in embed.get("fields") or ():
        total += length(_text(field.get("name"))) + length(_text(field.get("value")))
    total += length(_text((embed.get("footer") or {}).get("text")))
    total += length(_text((embed.get("author") or {}).get("name")))
    return total


def validate_embed(embed: Mapping[str, Any]) -> list[str]:
    """Every way ``embed`` (as sent: ``discord.Embed.to_dict()``) breaks Discord's rules."""
    problems: list[str] = []

    def check(name: str, value: Any, limit: int) -> None:
        if value is not None and not isinstance(value, str):
            problems.append(f"{name} is not a string")
        elif value is not None and length(value) > limit:
            problems.append(f"{name} is {length(value)} long (limit {limit})")

    check("title", embed.get("title"), EMBED_TITLE)
    check("description", embed.get("description"), EMBED_DESCRIPTION)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS:
        problems.append(f"{len(fields)} fields (limit {EMBED_FIELDS})")
    for i, field in enumerate(fields):
        for key, limit in (("name", FIELD_NAME), ("value", FIELD_VALUE)):
            value = field.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"fields[{i}].{key} is empty")
            else:
                check(f"fields[{i}].{key}", value, limit)
    footer = embed.get("footer")
    if footer is not None:
        check("footer.text", footer.get("text"), FOOTER)
    author = embed.get("author")
    if author is not None:
        check("author.name", author.get("name"), AUTHOR)
    for key in ("url",):
        if embed.get(key) and safe_url(embed[key]) != embed[key]:
            problems.append(f"{key} {embed[key][:80]!r} is not an acceptable URL")
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if media and not safe_image(_text(media.get("url"))):
            problems.append(f"{key}.url is not an absolute http(s) or attachment:// URL")
    colour = embed.get("color")
    if colour is not None and not (isinstance(colour, int) and 0 <= colour <= 0xFFFFFF):
        problems.append(f"color {colour!r} out of range")
    total = embed_length(embed)
    if total > EMBED_TOTAL:
        problems.append(f"embed total is {total} (limit {EMBED_TOTAL})")
    return problems


def _allows_pings(allowed: Mapping[str, Any]) -> bool:
    return bool(
        allowed.get("parse")
        or allowed.get("users")
        or allowed.get("roles")
        or allowed.get("replied_user")
    )


def opted_in_role_ping(payload: Mapping[str, Any]) -> bool:
    """The one ping the bot sends: an announcement's content is the mention of the role a
    subscription opted in to, and allowed_mentions lets exactly that role through."""
    allowed = payload.get("allowed_mentions") or {}
    roles = [str(r) for r in allowed.get("roles") or []]
    return (
        len(roles) == 1
        and not allowed.get("parse")
        and not allowed.get("users")
        and not allowed.get("replied_user")
        and payload.get("content") == f"<@&{roles[0]}>"
    )


def _validate_components(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    rows = list(rows)
    if len(rows) > ROWS:
        problems.append(f"{len(rows)} component rows (limit {ROWS})")
    for r, row in enumerate(rows):
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > BUTTONS_PER_ROW:
            problems.append(f"row {r} has {len(children)} buttons (limit {BUTTONS_PER_ROW})")
        for c, child in enumerate(children):
            label = child.get("label")
            if label is not None and length(label) > BUTTON_LABEL:
                problems.append(f"row {r} button {c} label too long")
            custom_id = child.get("custom_id")
            if custom_id is not None and length(custom_id) > CUSTOM_ID:
                problems.append(f"row {r} button {c} custom_id too long")
    return problems


def validate_message_payload(payload: Mapping[str, Any]) -> list[str]:
    """Every way a message payload (REST JSON, or an interaction callback's ``data``)
    breaks Discord's limits or this bot's rule that a reply never pings anyone."""
    if "data" in payload and "type" in payload and isinstance(payload["data"], Mapping):
        payload = payload["data"]  # an interaction callback: {"type": 4, "data": {...}}
    problems: list[str] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append("content is not a string")
            content = str(content)
        elif length(content) > CONTENT:
            problems.append(f"content is {length(content)} long (limit {CONTENT})")
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds (limit {EMBEDS_PER_MESSAGE})")
    for i, embed in enumerate(embeds):
        problems += [f"embeds[{i}]: {p}" for p in validate_embed(embed)]
    total = sum(embed_length(e) for e in embeds)
    if len(embeds) > 1 and total > EMBED_TOTAL:
        problems.append(f"embeds together are {total} long (limit {EMBED_TOTAL})")
    attached = {_text(a.get("filename")) for a in payload.get("attachments") or ()}
    for i, embed in enumerate(embeds):
        for key in ("image", "thumbnail"):
            name = attachment_name(_text((embed.get(key) or {}).get("url")))
            if name and name not in attached:
                problems.append(f"embeds[{i}].{key} shows attachment {name!r}, which is not sent")
    problems += _validate_components(payload.get("components") or [])
    allowed = payload.get("allowed_mentions")
    if allowed is not None and _allows_pings(allowed) and not opted_in_role_ping(payload):
        problems.append(f"allowed_mentions permits pings: {dict(allowed)}")
    if allowed is None and content:
        problems.append("content is sent without allowed_mentions, so mentions in it would ping")
    return problems
