"""Markdown and inline HTML to plain readable text, with regexes only.

A renderer would be exact but costs milliseconds per post; the index needs words and
readable snippets, not layout, and must load tens of thousands of posts in seconds. Each
pass is guarded by a cheap ``in`` test, so plain-text posts skip almost all of them.
"""

from __future__ import annotations

import html
import re

# Invisible characters that break word matching: soft hyphen, zero-width marks, BOM.
# Unusual spaces (no-break, thin, ...) need nothing: str.split() already splits on them.
_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Whitespace other than a space or a line break (what str.split() also splits at).
_ODD_SPACE = re.compile(r"[^\S \n]")
_ASCII_ODD_SPACE = "".join(chr(c) for c in range(128) if chr(c).isspace() and chr(c) not in " \n")

_FENCE = re.compile(r"^[ \t]*+(`{3,}+|~{3,}+)[^\n]*+\n(.*?)(?:^[ \t]*+\1[ \t]*+$|\Z)", re.M | re.S)

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_DROP_ELEMENT = re.compile(
    r"<(script|style|noscript|template)\b[^<>]*>.*?(?:</\1\s*>|\Z)", re.S | re.I
)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>", re.I)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|thead|tbody|blockquote|section|article"
    r"|header|footer|figure|figcaption|pre|dl|dt|dd|aside|nav|main)\b[^<>]*>",
    re.I,
)
_CELL_TAG = re.compile(r"</?t[dh]\b[^<>]*>", re.I)
_IMG_ALT = re.compile(r"<img\b[^<>]*?\balt\s*+=\s*+(\"[^\"<>]*\"|'[^'<>]*')[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")

_TEMPLATE = re.compile(r"\{\{[^{}]*?\}\}|\{%[^{}]*?%\}")
_IMAGE = re.compile(r"!\[([^\[\]]*)\](?:\([^()]*\)|\[[^\[\]]*\])")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()]*\))*+(?:[ \t]++[\"'(][^()\n]*)?\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
# Line-start patterns begin with a literal "\n" (the text gets one prepended): the regex
# engine then jumps between newlines instead of trying `^` at every character.
_REF_DEF = re.compile(r"\n[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S[^\n]*")
_FOOTNOTE = re.compile(r"\[\^[^\[\]]+\]")
_HEADING = re.compile(r"\n[ \t]{0,3}#{1,6}[ \t]++([^\n]*+)")
_SETEXT_OR_RULE = re.compile(
    r"\n[ \t]*+(?:={2,}+|[-*_](?:[ \t]*+[-*_])(?:[ \t]*+[-*_])++)[ \t]*+(?=\n|\Z)"
)
_QUOTE = re.compile(r"\n[ \t]*+(?:>[ \t]?)++")
_BULLET = re.compile(r"\n[ \t]*+[-*+][ \t]++(?:\[[ xX]\][ \t]++)?")
_TABLE_RULE = re.compile(
    r"\n[ \t]*+\|?[ \t]*+:?-{2,}+:?[ \t]*+(?:\|[ \t]*+:?-{2,}+:?[ \t]*+)*+\|?[ \t]*+(?=\n|\Z)"
)
# Emphasis markers are dropped where they touch a word: opening ones before its first
# letter, closing ones after its last. Pairing them up (``\*(.+?)\*``) rescans the rest of
# the line from every unmatched marker: 37 s for an 80 KB line of ``_a ``; this is linear.
# Each pattern starts with its marker character and looks behind it from there (the
# character before the run), so the regex engine skips from marker to marker instead of
# trying a look-behind at every character: ~5x faster on a text with any ``*`` or ``_``.
_EMPHASIS_OPEN = re.compile(
    r"(?:\*(?<![\w*_~]\*)\*{0,2}+|_(?<![\w*_~]_)_{0,2}+|~(?<![\w*_~]~)~)(?=[^\s*_~])"
)
_EMPHASIS_CLOSE = re.compile(
    r"(?:\*(?<=[^\s*_~]\*)\*{0,2}+|_(?<=[^\s*_~]_)_{0,2}+|~(?<=[^\s*_~]~)~)(?![\w*_~])"
)
_BACKTICKS = re.compile(r"`+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")


def clean_text(value: str) -> str:
    """One-line field text: entities unescaped, invisible characters gone, spaces collapsed.

    Used for titles, descriptions, authors and labels, where scrapers leave ``&#039;``,
    no-break spaces and soft hyphens that would otherwise break matching and display.
    """
    if "&" in value:
        value = _unescape(value)
    return " ".join(_without_invisible(value).split())


def _unescape(value: str) -> str:
    """Twice at most: scraped text is often escaped twice (``&amp;#039;``)."""
    once = html.unescape(value)
    return html.unescape(once) if "&" in once and once != value else once


def _html_to_text(text: str) -> str:
    if "<!--" in text:
        text = _COMMENT.sub(" ", text)
    text = _DROP_ELEMENT.sub(" ", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _IMG_ALT.sub(lambda m: " " + m.group(1)[1:-1] + " ", text)
    text = _BLOCK_TAG.sub("\n\n", text)
    text = _CELL_TAG.sub(" ", text)
    return _TAG.sub("", text)


def _has(text: str, *needles: str) -> bool:
    """Whether ``text`` holds any of ``needles``: each is looked for only when its first
    character is there (a one-character search is a memchr, ~100x faster on a long text
    without it)."""
    return any(needle[0] in text and needle in text for needle in needles)


def _markdown_to_text(text: str) -> str:
    """One non-code segment: drop syntax, keep the words."""
    text = "\n" + text
    if "<" in text:
        text = _html_to_text(text)
    if "{" in text:
        text = _TEMPLATE.sub(" ", text)
    if "`" in text:
        text = _code_spans(text)
    if "[" in text:
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
        text = _FOOTNOTE.sub("", text)
        text = _REF_DEF.sub("\n", text)
    if ">" in text:
        text = _QUOTE.sub("\n", text)
    if "#" in text:
        text = _HEADING.sub(_heading, text)
    if "|" in text:
        text = _TABLE_RULE.sub("", text)
        text = text.replace("|", " ")
    if _has(text, "==", "--", "**", "__", "* *"):
        text = _SETEXT_OR_RULE.sub("\n\n", text)
    if _has(text, "- ", "* ", "+ "):
        text = _BULLET.sub("\n\n", text)
    if "*" in text or "_" in text or _has(text, "~~"):
        text = _EMPHASIS_CLOSE.sub("", _EMPHASIS_OPEN.sub("", text))
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    if "&" in text:
        text = _unescape(text)
    return text


def _heading(match: re.Match[str]) -> str:
    """An ATX heading's text on a paragraph of its own, without its closing ``#`` run."""
    text = match.group(1).rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return f"\n\n{text}\n\n"


def _code_spans(text: str) -> str:
    """Code spans without their backticks: each run of backticks closes at the next run of
    the same length (CommonMark's rule); a run with no partner stays as written. Pairs are
    found in one pass over the runs, so an unclosed backtick costs nothing."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    partner = [-1] * len(runs)
    later: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        size = runs[i][1] - runs[i][0]
        partner[i] = later.get(size, -1)
        later[size] = i
    pieces: list[str] = []
    at = i = 0
    while i < len(runs):
        j = partner[i]
        if j < 0:
            i += 1
            continue
        pieces.append(text[at : runs[i][0]])
        pieces.append(text[runs[i][1] : runs[j][0]].strip())
        at = runs[j][1]
        i = j + 1
    pieces.append(text[at:])
    return "".join(pieces)


def _without_invisible(text: str) -> str:
    """``text`` without soft hyphens and zero-width marks; each is looked for with ``in``
    first (a regex pass over a post's text cost ~15 us even when it had none)."""
    if not text.isascii() and any(ch in text for ch in _INVISIBLE_CHARS):
        return _INVISIBLE.sub("", text)
    return text


def _collapse(text: str) -> str:
    """Paragraphs with their whitespace collapsed to single spaces. A paragraph that
    holds no whitespace but single spaces once stripped (most) is kept as it is: split
    and joined again it would be the same, at ~2x the cost of the checks. An ASCII text
    is searched for other whitespace once, with ``in`` (``isprintable`` on each
    paragraph cost ~4% of a worker's instructions); a non-ASCII one paragraph by
    paragraph (most scraped text has a no-break space somewhere)."""
    text = _without_invisible(text)
    plain = text.isascii() and not any(ch in text for ch in _ASCII_ODD_SPACE)
    paragraphs: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if "\n" in paragraph or "  " in paragraph or (not plain and _odd_space(paragraph)):
            paragraph = " ".join(paragraph.split())
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _odd_space(paragraph: str) -> bool:
    """Whether ``paragraph`` (without line breaks) holds whitespace but spaces: what
    str.split() also splits at."""
    if paragraph.isascii():
        return not paragraph.isprintable()
    return _ODD_SPACE.search(paragraph) is not None


def markdown_to_text(markdown: str) -> str:
    """Plain readable text with paragraph breaks as ``\\n\\n`` and all other whitespace
    collapsed; fenced code keeps its text but loses its fences."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n") if "\r" in markdown else markdown
    if not _has(text, "```", "~~~"):
        return _collapse(_markdown_to_text(text))
    pieces: list[str] = []
    position = 0
    for fence in _FENCE.finditer(text):
        pieces.append(_markdown_to_text(text[position : fence.start()]))
        pieces.append("\n\n" + fence.group(2) + "\n\n")
        position = fence.end()
    pieces.append(_markdown_to_text(text[position:]))
    return _collapse("".join(pieces))
