"""Front matter of plain ``key: value`` lines read without PyYAML's composer.

Almost every post's front matter is a flat mapping of one-line values. PyYAML builds a
node per key and value and constructs each in Python (~0.1 ms a post, a tenth of a
post's indexing); here each line is split with one regex and each scalar resolved and
constructed by PyYAML's own resolver and constructors, so the values are the same
objects. Anything this reader does not know for certain how YAML reads (indented or
comment lines, a colon or ``#`` that YAML might take for syntax, an indicator at the
start, escapes, tabs, characters YAML refuses) gives ``None``: the caller then loads it
with PyYAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

# A top-level key (an identifier, so never an indicator), ": " or ":" at the end, then
# the value. Values may hold only what YAML's reader accepts and reads as one line: no
# tab, carriage return, NEL, line or paragraph separator, byte order mark or control
# character.
_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*+):(?: ++([^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff"
    r"\ufffe\uffff]*+))?"
)
# A plain scalar that starts as YAML's plain scalars may start (not with an indicator,
# nor with ``-``, ``?`` or ``:``, which may be), and holds neither ": " nor " #".
_PLAIN_START = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ]")
# Flow sequence items: plain text without flow indicators, colons or comments.
_FLOW_ITEM = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ][^:,\[\]{}#]*+")

Construct = Callable[[Any, yaml.ScalarNode], Any]


class Scalars:
    """PyYAML's implicit resolver and the loader's scalar constructors, on one scalar."""

    def __init__(self, loader_class: type) -> None:
        self._loader = loader_class("")  # only its constructors' ``self``; never read
        resolver = yaml.resolver.Resolver
        self._resolve = resolver().resolve
        self._constructors: dict[str, Construct] = loader_class.yaml_constructors
        # Text whose first character no implicit resolver starts with is a string, as
        # it is (``construct_yaml_str`` returns the node's value): most titles.
        implicit = resolver.yaml_implicit_resolvers
        plain_str = (
            None not in implicit
            and not resolver.yaml_path_resolvers
            and self._constructors.get(resolver.DEFAULT_SCALAR_TAG)
            is yaml.constructor.SafeConstructor.construct_yaml_str
        )
        self._typed_first = frozenset(implicit) if plain_str else None

    def plain(self, text: str) -> tuple[bool, Any]:
        """(known, value) of a plain scalar; not known when it resolves to a tag YAML
        treats as syntax (merge ``<<``, value ``=``) or one without a constructor."""
        if self._typed_first is not None and text and text[0] not in self._typed_first:
            return True, text
        tag = self._resolve(yaml.ScalarNode, text, (True, False))
        construct = self._constructors.get(tag)
        if construct is None or tag.endswith((":merge", ":value")):
            return False, None
        return True, construct(self._loader, yaml.ScalarNode(tag, text))


def read_simple(raw: str, scalars: Scalars) -> dict[str, Any] | None:
    """The mapping PyYAML would load from ``raw``, or None when ``raw`` is not only
    ``key: value`` lines (and blank lines) of the kinds this reader knows."""
    data: dict[str, Any] = {}
    for line in raw.split("\n"):
        if not line or line.isspace():
            if line.strip(" "):  # a tab or another blank YAML may not take as one
                return None
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            return None
        key_known, key = scalars.plain(m.group(1))
        if not key_known or not isinstance(key, str):
            return None
        text = (m.group(2) or "").rstrip(" ")
        known, value = _value(text, scalars)
        if not known:
            return None
        data[key] = value
    return data or None


def _value(text: str, scalars: Scalars) -> tuple[bool, Any]:
    if not text:
        return scalars.plain("")
    first = text[0]
    if first == "[":
        return _flow_list(text, scalars)
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            return False, None
        return True, inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return False, None
        return True, inner.replace("''", "'")
    if not _PLAIN_START.match(first) or ": " in text or " #" in text or text[-1] == ":":
        return False, None
    return scalars.plain(text)


def _flow_list(text: str, scalars: Scalars) -> tuple[bool, Any]:
    """A one-line flow sequence of plain items (``[latest, news]``)."""
    if text[-1] != "]":
        return False, None
    inner = text[1:-1].strip(" ")
    if not inner:
        return True, []
    items: list[Any] = []
    for item in inner.split(","):
        item = item.strip(" ")
        if not _FLOW_ITEM.fullmatch(item):
            return False, None
        known, value = scalars.plain(item)
        if not known:
            return False, None
        items.append(value)
    return True, items


__all__ = ["Scalars", "read_simple"]
