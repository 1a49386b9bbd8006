"""Split and parse YAML (``---``) or TOML (``+++``) front matter, recovering what YAML refuses.

Scraper-written sites put unquoted text straight into YAML, so a strict parse loses posts
(tabs, ``&#039;`` read as an anchor, ``: `` inside a value) or silently cuts titles at
`` #``. YAML goes through PyYAML's safe loader with bounded alias expansion and TOML through
tomllib; when YAML fails, a line-based ``key: value`` reader takes over and the post is
kept with a warning. (python-frontmatter was dropped: its split cannot tell an unclosed
block from a post without front matter, its TOML handler needs another package, and both
loads had to be replaced to bound the work, so nothing of it was left in use.)
"""

from __future__ import annotations

import functools
import re
import tomllib
from typing import Any

import yaml

from articlebot.index.errors import PostError
from articlebot.index.posts.simple_yaml import Scalars, read_simple

# A front matter holds tens of values; aliases that would expand past this many are an
# attack ("billion laughs": 387 bytes that expand to billions of strings), not a post.
MAX_YAML_VALUES = 100_000
_ALIAS_BOMB = (
    "front matter repeats YAML aliases (*name) so often that it would expand to more than "
    f"{MAX_YAML_VALUES:,} values; it was not read"
)
_RECURSIVE = "front matter has a YAML alias that contains itself; it was not read"
# What PyYAML raises, besides YAMLError, for values it cannot convert or nest.
_VALUE_ERRORS = (ValueError, OverflowError, TypeError, RecursionError)


def _lenient(construct: Any) -> Any:
    """A scalar constructor that keeps the text when the value cannot be converted: PyYAML
    raises ValueError for ``2020-02-30``, ``25:61:00`` or a 5,000-digit integer, and one
    such value (even under a key we never read) must not cost the whole post."""

    def build(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except _VALUE_ERRORS:
            return loader.construct_scalar(node)

    return build


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml when present) with lenient scalar constructors."""


for _tag, _construct in (
    ("timestamp", yaml.SafeLoader.construct_yaml_timestamp),
    ("int", yaml.SafeLoader.construct_yaml_int),
    ("float", yaml.SafeLoader.construct_yaml_float),
    ("binary", yaml.SafeLoader.construct_yaml_binary),
):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _lenient(_construct))


def _expanded_size(root: yaml.Node) -> int:
    """How many values the node graph stands for once every alias is expanded, computed
    over the shared graph (linear in its size, never expanding it). Raises PostError for
    a node that contains itself."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_VALUES + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise PostError(_RECURSIVE)
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise PostError(_RECURSIVE)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


@functools.cache
def _scalars() -> Scalars:
    return Scalars(_Loader)


def load_yaml(raw: str) -> Any:
    """Safe YAML with bounded work: composed first, its alias expansion measured, and only
    then built into Python values. Plain ``key: value`` lines, most front matter, are
    read by ``simple_yaml`` into the same values at a fifth of the cost."""
    simple = read_simple(raw, _scalars())
    if simple is not None:
        return simple
    loader = _Loader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # Only aliases (``*name``) share nodes: without a "*" the graph is a plain tree.
        if "*" in raw and _expanded_size(node) > MAX_YAML_VALUES:
            raise PostError(_ALIAS_BOMB)
        return loader.construct_document(node)
    finally:
        loader.dispose()


# Own splitting (rather than handler.split) so an unclosed block is told apart from a
# post without front matter, and trailing spaces after the delimiters are allowed.
_OPEN = {"yaml": re.compile(r"---[ \t]*\n"), "toml": re.compile(r"\+\+\+[ \t]*\n")}
_CLOSE = {
    "yaml": re.compile(r"^(?:---|\.\.\.)[ \t]*$\n?", re.MULTILINE),
    "toml": re.compile(r"^\+\+\+[ \t]*$\n?", re.MULTILINE),
}

# Top-level `key: value` line; the key is identifier-like so `: ` inside values is text.
# Greedy values, trailing blanks stripped by the caller: a lazy ``(.*?)[ \t]*`` rescans a
# run of blanks from every position inside it (quadratic on one long line).
_KEY_LINE = re.compile(r"([A-Za-z_][\w.-]*+)[ \t]*+:(?:[ \t]++(.*)|)")
_ITEM_LINE = re.compile(r"[ \t]*+-(?:[ \t]++(.*))?")
_BLOCK_SCALAR = re.compile(r"[|>][+-]?\d?")
_COMMENT_CUT = re.compile(r"[ \t]#")
_PLAIN_START = re.compile(r"[^\"'\[\]{}|>&*!%@`#]")
_TEXT_KEYS = frozenset({"title", "description", "summary", "author", "subtitle", "excerpt"})


def split_front_matter(text: str) -> tuple[str, str, str]:
    """``(format, raw front matter, body)``; format is ``"yaml"``, ``"toml"`` or ``""``.

    Raises PostError when a block opens but never closes (the whole file would otherwise
    be read as metadata or as body, both wrong).
    """
    start = len(text) - len(text.lstrip())
    head = text[start:]
    for fmt in ("yaml", "toml"):
        opened = _OPEN[fmt].match(head)
        if not opened:
            continue
        closed = _CLOSE[fmt].search(head, opened.end())
        if closed is None:
            delimiter = head[:3]
            raise PostError(
                f"front matter opens with '{delimiter}' but is never closed by a second "
                f"'{delimiter}' line"
            )
        return fmt, head[opened.end() : closed.start()], head[closed.end() :]
    return "", "", text


def _yaml_problem(err: yaml.YAMLError) -> str:
    """`line 3: found character '\\t' that cannot start any token` from a YAML error."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}: {problem}"
    return str(problem)


def _unquote(value: str) -> str:
    """Strip matching quotes only when they wrap the whole value (``"Quoted" and more``
    stays as written)."""
    if len(value) < 2 or value[0] != value[-1] or value[0] not in "'\"":
        return value
    inner = value[1:-1]
    if value[0] == "'":
        return inner.replace("''", "'") if "'" not in inner.replace("''", "") else value
    if '"' in inner.replace('\\"', ""):
        return value
    try:
        return str(yaml.safe_load(value)) if "\\" in inner else inner
    except yaml.YAMLError:
        return inner


def _scalar(value: str) -> object:
    """A recovered value: flow lists, booleans and null understood, everything else text."""
    if value.startswith("[") and value.endswith("]"):
        inner = value[1:-1].strip()
        return [_unquote(item.strip()) for item in inner.split(",") if item.strip()]
    lowered = value.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if lowered in ("", "~", "null", "none"):
        return None
    return _unquote(value)


def read_lines(raw: str) -> dict[str, object]:
    """Line-based ``key: value`` reader for front matter YAML refuses.

    Understands indented (even tab-indented) continuation lines, ``- item`` lists, flow
    lists ``[a, b]`` and ``|``/``>`` block scalars; keeps everything else as text.
    """
    data: dict[str, object] = {}
    key: str | None = None
    parts: list[str] = []
    items: list[object] = []
    block = ""

    def finish() -> None:
        if key is None:
            return
        if items:
            data[key] = items.copy()
        elif block.startswith("|"):
            data[key] = "\n".join(parts).strip()
        elif block:
            data[key] = " ".join(parts).strip()
        else:
            data[key] = _scalar(" ".join(p for p in parts if p).strip())

    for line in raw.split("\n"):
        if not line.strip():
            if block and parts:
                parts.append("")  # paragraph break inside a | or > block
            continue
        indented = line[:1] in (" ", "\t")
        if not indented and line.startswith("#"):
            continue  # a real comment line
        if not indented and (m := _KEY_LINE.fullmatch(line)):
            finish()
            key, value = m.group(1), (m.group(2) or "").rstrip(" \t")
            parts, items = [value], []
            block = value if _BLOCK_SCALAR.fullmatch(value) else ""
            if block:
                parts = []
            continue
        if key is None:
            continue
        if not block and (item := _ITEM_LINE.fullmatch(line)) and not "".join(parts).strip():
            items.append(_scalar((item.group(1) or "").strip()))
            continue
        parts.append(line.strip())  # continuation of the current value
    finish()
    return data


def _restore_comment_cuts(
    data: dict[str, object], raw: str, warnings: list[str]
) -> dict[str, object]:
    """Undo YAML reading an unquoted `` #`` as a comment start in one-line values.

    Scraped titles like ``Is #MeToo Mulan worth it`` parse as ``Is`` without any error, so
    each top-level value is compared with its raw line.
    """
    if "#" not in raw:
        return data
    for line in raw.split("\n"):
        if "#" not in line or line[:1] in (" ", "\t", "#"):
            continue
        m = _KEY_LINE.fullmatch(line.rstrip())
        if not m or not m.group(2):
            continue
        key, text = m.group(1), m.group(2).rstrip(" \t")
        if key not in data:
            continue
        parsed = data[key]
        if text.startswith("#"):
            if parsed is None and key.lower() in _TEXT_KEYS:
                data[key] = text
                warnings.append(f"{key}: YAML read the whole value as a comment; kept the text")
            continue
        cut = _COMMENT_CUT.search(text)
        if cut is None or not _PLAIN_START.match(text):
            continue
        if (isinstance(parsed, str) and parsed == text[: cut.start()].rstrip()) or (
            key.lower() in _TEXT_KEYS and not isinstance(parsed, str | list | dict)
        ):
            data[key] = text
            warnings.append(f"{key}: YAML took the text after ' #' for a comment; kept it")
    return data


def parse_front_matter(text: str) -> tuple[dict[str, object], str, list[str]]:
    """``(metadata, body, warnings)`` for a whole post.

    Metadata keys are as written. Raises PostError when the front matter is unclosed, not
    a mapping, or unreadable even line by line.
    """
    fmt, raw, body = split_front_matter(text)
    warnings: list[str] = []
    if not fmt:
        return {}, body, warnings
    if fmt == "toml":
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as err:
            raise PostError(f"front matter is not valid TOML ({err})") from None
        except _VALUE_ERRORS as err:
            raise PostError(f"front matter cannot be read as TOML ({type(err).__name__})") from None
        return data, body, warnings
    try:
        loaded = load_yaml(raw)
    except (yaml.YAMLError, *_VALUE_ERRORS) as err:
        problem = _yaml_problem(err) if isinstance(err, yaml.YAMLError) else repr(err)[:80]
        data = read_lines(raw)
        if not data:
            raise PostError(
                f"front matter is not valid YAML ({problem}) and could not be recovered"
            ) from None
        warnings.append(f"front matter is not valid YAML ({problem}); read it line by line")
        return data, body, warnings
    if loaded is None:
        return {}, body, warnings
    if not isinstance(loaded, dict):
        kind = "a list" if isinstance(loaded, list) else f"a single {type(loaded).__name__}"
        raise PostError(f"front matter is {kind}, not 'key: value' lines")
    data = {str(k): v for k, v in loaded.items()}
    return _restore_comment_cuts(data, raw, warnings), body, warnings
