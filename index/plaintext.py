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
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_DROP_ELEMENT = re.compile(
    r"<(script|style|noscript|template)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.S | re.I
)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>", re.I)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|thead|tbody|blockquote|section|article"
    r"|header|footer|figure|figcaption|pre|dl|dt|dd|aside|nav|main)\b[^>]*>",
    re.I,
)
_CELL_TAG = re.compile(r"</?t[dh]\b[^>]*>", re.I)
_IMG_ALT = re.compile(r"<img\b[^>]*?\balt\s*=\s*(\"[^\"]*\"|'[^']*')[^>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")

_TEMPLATE = re.compile(r"\{\{[<%].*?[%>]\}\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+[\"'(][^)]*)?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
# Line-start patterns begin with a literal "\n" (the text gets one prepended): the regex
# engine then jumps between newlines instead of trying `^` at every character.
_REF_DEF = re.compile(r"\n[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S[^\n]*")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_HEADING = re.compile(r"\n[ \t]{0,3}#{1,6}[ \t]+([^\n]*?)(?:[ \t]+#+)?[ \t]*(?=\n|\Z)")
_SETEXT_OR_RULE = re.compile(r"\n[ \t]*(?:={2,}|[-*_](?:[ \t]*[-*_]){2,})[ \t]*(?=\n|\Z)")
_QUOTE = re.compile(r"\n[ \t]*(?:>[ \t]?)+")
_BULLET = re.compile(r"\n[ \t]*[-*+][ \t]+(?:\[[ xX]\][ \t]+)?")
_TABLE_RULE = re.compile(
    r"\n[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*(?=\n|\Z)"
)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")


def clean_text(value: str) -> str:
    """One-line field text: entities unescaped, invisible characters gone, spaces collapsed.

    Used for titles, descriptions, authors and labels, where scrapers leave ``&#039;``,
    no-break spaces and soft hyphens that would otherwise break matching and display.
    """
    if "&" in value:
        value = _unescape(value)
    if not value.isascii():
        value = _INVISIBLE.sub("", value)
    return " ".join(value.split())


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


def _markdown_to_text(text: str) -> str:
    """One non-code segment: drop syntax, keep the words."""
    text = "\n" + text
    if "<" in text:
        text = _html_to_text(text)
    if "{" in text:
        text = _TEMPLATE.sub(" ", text)
    if "`" in text:
        text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    if "[" in text:
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
        text = _REF_LINK.sub(r"\1", text)
        text = _FOOTNOTE.sub("", text)
        text = _REF_DEF.sub("\n", text)
    if ">" in text:
        text = _QUOTE.sub("\n", text)
    if "#" in text:
        text = _HEADING.sub(r"\n\n\1\n\n", text)
    if "|" in text:
        text = _TABLE_RULE.sub("", text)
        text = text.replace("|", " ")
    if "==" in text or "--" in text or "**" in text or "__" in text or "* *" in text:
        text = _SETEXT_OR_RULE.sub("\n\n", text)
    if "- " in text or "* " in text or "+ " in text:
        text = _BULLET.sub("\n\n", text)
    if "**" in text or "__" in text:
        text = _STRONG.sub(r"\2", text)
    if "*" in text:
        text = _EM_STAR.sub(r"\1", text)
    if "_" in text:
        text = _EM_UNDER.sub(r"\1", text)
    if "~~" in text:
        text = _STRIKE.sub(r"\1", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    if "&" in text:
        text = _unescape(text)
    return text


def _collapse(text: str) -> str:
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def markdown_to_text(markdown: str) -> str:
    """Plain readable text with paragraph breaks as ``\\n\\n`` and all other whitespace
    collapsed; fenced code keeps its text but loses its fences."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n") if "\r" in markdown else markdown
    if "```" not in text and "~~~" not in text:
        return _collapse(_markdown_to_text(text))
    pieces: list[str] = []
    position = 0
    for fence in _FENCE.finditer(text):
        pieces.append(_markdown_to_text(text[position : fence.start()]))
        pieces.append("\n\n" + fence.group(2) + "\n\n")
        position = fence.end()
    pieces.append(_markdown_to_text(text[position:]))
    return _collapse("".join(pieces))
