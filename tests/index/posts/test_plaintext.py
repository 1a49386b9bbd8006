"""Markdown and HTML come out as the words a reader sees."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.index.posts import plaintext
from articlebot.index.posts.plaintext import clean_text, markdown_to_text


def test_markdown_syntax_is_removed() -> None:
    markdown = (
        "# The Heading #\n"
        "Some **bold**, *italic*, __strong__ and _em_ text with ~~old~~ words.\n"
        'See [the docs](https://example.org/docs "Docs") and ![a red bus](bus.png).\n'
        "Reference [link][1] here.\n\n"
        "[1]: https://example.org/ref\n"
        "> Quoted line\n\n"
        "- first item\n"
        "* second item\n"
        "1. numbered stays\n\n"
        "Setext title\n"
        "============\n\n"
        "---\n"
        "Use `inline code` too.\n"
    )
    assert markdown_to_text(markdown) == (
        "The Heading\n\n"
        "Some bold, italic, strong and em text with old words. See the docs and a red bus. "
        "Reference link here.\n\n"
        "Quoted line\n\n"
        "first item\n\nsecond item 1. numbered stays\n\n"
        "Setext title\n\n"
        "Use inline code too."
    )


def test_code_fences_keep_their_text() -> None:
    markdown = "Before\n\n```python\nx = a_b * c_d\n```\n\nAfter"
    assert markdown_to_text(markdown) == "Before\n\nx = a_b * c_d\n\nAfter"


def test_tables_lose_their_pipes() -> None:
    markdown = "| Team | Goals |\n|------|------:|\n| Reds | 3 |\n"
    assert markdown_to_text(markdown) == "Team Goals Reds 3"


def test_html_is_stripped_and_entities_unescaped() -> None:
    html = (
        "<p>Fish &amp; chips cost &pound;9</p><script>alert('x')</script>"
        "<style>p{color:red}</style><div>Next <b>bold</b> &#039;quoted&#039;<br>line</div>"
        '<!-- hidden --><img src="a.png" alt="A lighthouse"> <https://example.org/x>'
    )
    assert markdown_to_text(html) == (
        "Fish & chips cost £9\n\nNext bold 'quoted'\n\nline\n\nA lighthouse https://example.org/x"
    )


def test_whitespace_and_invisible_characters() -> None:
    text = "One\u00a0two  three\r\nfour\u00ad\u200bfive\r\n\r\n\r\n  Next\tparagraph  "
    assert markdown_to_text(text) == "One two three fourfive\n\nNext paragraph"


def test_plain_prose_is_untouched_apart_from_spacing() -> None:
    text = "A price of 3 * 4 = 12 - or so_called snake_case #tags and a > b."
    assert markdown_to_text(text) == text


def test_clean_text() -> None:
    assert clean_text("\u00a0Caf\u00e9\u00a0&amp;\u00ad bar\u200b ") == "Café & bar"
    assert clean_text("&amp;#039;twice&amp;#039;") == "'twice'"


# The emphasis patterns as first written (look-behind first): the faster forms must drop
# exactly the same markers.
_OPEN_AS_WRITTEN = re.compile(r"(?<![\w*_~])(?:\*{1,3}+|_{1,3}+|~~)(?=[^\s*_~])")
_CLOSE_AS_WRITTEN = re.compile(r"(?<=[^\s*_~])(?:\*{1,3}+|_{1,3}+|~~)(?![\w*_~])")


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([*"a_*~ \n.é1", "\u00a0", "__", "**", "~~"]), max_size=20))
def test_emphasis_markers_dropped_as_the_written_patterns_drop_them(chars: list[str]) -> None:
    text = "".join(chars)
    assert plaintext._EMPHASIS_OPEN.sub("", text) == _OPEN_AS_WRITTEN.sub("", text)
    assert plaintext._EMPHASIS_CLOSE.sub("", text) == _CLOSE_AS_WRITTEN.sub("", text)
