"""Read one Markdown post into an Article record: one bad file is reported, never fatal.

``parse_post`` is pure (bytes in, Article out) so the reindex can run it in worker
processes and tests can feed it literal bytes; ``folder.py`` finds and reads the files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

from articlebot.index.config import IndexConfig
from articlebot.index.errors import PostError
from articlebot.index.posts.article import Article
from articlebot.index.posts.dates import date_from_filename, parse_date, site_zone
from articlebot.index.posts.front_matter import parse_front_matter
from articlebot.index.posts.language import DETECT_CHARS
from articlebot.index.posts.language import resolve as resolve_language
from articlebot.index.posts.plaintext import clean_text, markdown_to_text

__all__ = ["Draft", "PostError", "finish", "parse_or_skip", "parse_post", "read_draft"]

_JEKYLL_PREFIX = re.compile(r"\d{4}-\d{1,2}-\d{1,2}-")
_DOUBLE_SLASH = re.compile(r"(?<=[^:/])/{2,}")  # left by empty {year}/{category} parts
_FIRST_HEADING = re.compile(r"\s*#[ \t]+([^\n]+)")
# Control characters that text does not hold (tab, newline, form feed, return are text).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_DATE_KEYS = ("date", "publishdate", "pubdate", "published_at", "created", "published")
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
_PERMALINK_TOKENS = (
    ("categories", "category"), ("title", "slug"), ("slug", "slug"),
    ("year", "year"), ("month", "month"), ("day", "day"),
)  # fmt: skip


# --------------------------------------------------------------------------- decoding


def _controls(text: str) -> int:
    """How many control characters ``text`` holds. They are ASCII, and UTF-8 writes every
    other character in bytes of 0x80 and above, so they are counted in its UTF-8 bytes by
    one C-level pass (a regex over the text cost ~3x as much)."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data) - len(data.translate(None, _CONTROL_BYTES))


def _decode(data: bytes, warnings: list[str]) -> str:
    """UTF-8 (BOM or not) first; old posts in cp1252/latin-1 are kept with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise PostError("file is binary (it contains NUL bytes), not Markdown text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
            text, encoding = data.decode("latin-1"), "latin-1"
        warnings.append(f"file is not valid UTF-8 (byte {err.start}); read it as {encoding}")
    sample = text[:8192]
    if sample and _controls(sample) > max(8, len(sample) // 50):
        raise PostError("file looks binary (many control characters), not Markdown text")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# --------------------------------------------------------------------------- fields


def _lookup(meta: dict[str, object], *keys: str) -> object:
    """First of ``keys`` present; ``meta`` keys are already lower-cased."""
    for key in keys:
        if key in meta:
            return meta[key]
    return None


def _lower_keys(meta: dict[str, object]) -> dict[str, object]:
    """``Title:`` and ``title:`` mean the same; the first spelling written wins."""
    if all(key.islower() for key in meta):
        return meta
    lowered: dict[str, object] = {}
    for key, value in meta.items():
        lowered.setdefault(key.lower(), value)
    return lowered


def _as_text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or ""
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (clean_text(v) for v in _flatten(list(value))) if t)
    if value is None or value is False or value is True:
        return ""
    return clean_text(str(value))


def _visible(text: str) -> bool:
    """Whether ``text`` shows anything: letters, digits, punctuation or symbols, not only
    spaces, marks and control or format characters."""
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


def _storable(text: str) -> str:
    """``text`` as SQLite can hold it: a lone surrogate (from an escape such as
    ``"\\ud800"`` in YAML) cannot be encoded as UTF-8, so it becomes U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _safe_link(value: str, what: str, warnings: list[str]) -> str:
    """``value`` unless it names a scheme other than http(s) (``javascript:``, ``data:``):
    such a link in a post is dropped with a warning, never passed on."""
    try:
        scheme = urlsplit(value).scheme
    except ValueError:
        scheme = "invalid"
    if scheme and scheme.lower() not in ("http", "https"):
        warnings.append(f"{what} {value[:40]!r} is not an http(s) address; left out")
        return ""
    return value


def _flatten(value: object) -> Iterator[str]:
    """The strings of a label value, however deeply lists nest (without recursion: a
    front matter can nest a thousand levels deep)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, list | tuple | set):
            stack.extend(reversed(list(item)))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.keys())))
        else:
            yield from str(item).split(",")


def _labels(*values: object) -> tuple[str, ...]:
    """List, comma string or nothing; spelling kept, duplicates dropped case-insensitively."""
    seen: set[str] = set()
    labels: list[str] = []
    for value in values:
        for item in _flatten(value):
            label = clean_text(item).strip("\"'")
            if label and (folded := label.casefold()) not in seen:
                seen.add(folded)
                labels.append(label)
    return tuple(labels)


def _truthy(value: object) -> bool | None:
    """Booleans as YAML, TOML and hand-written front matter spell them; None = not a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _image(meta: dict[str, object]) -> str:
    value = _lookup(meta, "image", "featured_image", "cover", "thumbnail", "images")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("image") or value.get("src") or value.get("url") or ""
    return value.strip() if isinstance(value, str) else ""


def _slug(meta: dict[str, object], stem: str) -> str:
    given = _lookup(meta, "slug")
    if isinstance(given, str | int) and not isinstance(given, bool) and str(given).strip():
        return str(given).strip().strip("/")
    return _JEKYLL_PREFIX.sub("", stem, count=1) or stem


def _title_from_slug(slug: str) -> str:
    words = " ".join(re.split(r"[-_\s]+", slug)).strip()
    return words[:1].upper() + words[1:]


def _date(meta: dict[str, object], rel_id: str, tz: str, warnings: list[str]) -> datetime | None:
    raw: object = None
    for key in _DATE_KEYS:
        raw = _lookup(meta, key)
        if raw is not None and not isinstance(raw, bool) and raw != "":
            break
        raw = None
    from_name = date_from_filename(rel_id, tz)
    if raw is None:
        return from_name
    parsed = parse_date(raw, tz)
    if parsed is not None:
        return parsed
    fallback = "used the date in the file name" if from_name else "the post has no date"
    warnings.append(f"date {str(raw)[:40]!r} is not a date I can read; {fallback}")
    return from_name


def site_path(rel_id: str, slug: str) -> str:
    """Where a post sits on the site: its folder in the content folder, then its slug
    (`ja/docs/setup`). Generator folders (`_posts`) are left out, and an `index.md` or
    Hugo `_index.md` is its folder's page, so same-named files in different folders get
    different paths, and a flat folder's paths are its slugs."""
    folders = [f for f in rel_id.split("/")[:-1] if f and not f.startswith("_")]
    if slug in ("index", "_index") and folders:
        return "/".join(folders)
    return "/".join([*folders, slug])


class _Parts(dict[str, str]):
    """A link's placeholders, each made when the template first asks for it (a template
    asks for one or two of them: making all eight for every post cost ~3% of reading
    it); unknown ones are empty instead of raising KeyError."""

    def __init__(self, makers: dict[str, Callable[[], str]]) -> None:
        super().__init__()
        self._makers = makers

    def __missing__(self, key: str) -> str:
        make = self._makers.get(key)
        value = self[key] = make() if make is not None else ""
        return value


def _url(
    meta: dict[str, object],
    config: IndexConfig,
    rel_id: str,
    slug: str,
    date: datetime | None,
    categories: tuple[str, ...],
    language: str,
    warnings: list[str],
) -> str:
    @functools.cache
    def local() -> datetime | None:
        try:
            return date.astimezone(site_zone(config.site_timezone)) if date else None
        except (OverflowError, ValueError):  # a date at the edge of the calendar
            return None

    # Quoted as stored (``_storable``): a lone surrogate (a YAML escape) cannot be
    # encoded, and a maker that raised inside ``format_map`` below would be taken for a
    # template that cannot be filled.
    parts = _Parts(
        {
            "slug": lambda: quote(_storable(slug)),
            "id": lambda: quote(_storable(rel_id)),
            "path": lambda: quote(_storable(site_path(rel_id, slug))),
            "lang": lambda: quote(_storable(language)),
            "year": lambda: f"{d.year:04d}" if (d := local()) else "",
            "month": lambda: f"{d.month:02d}" if (d := local()) else "",
            "day": lambda: f"{d.day:02d}" if (d := local()) else "",
            "category": lambda: quote(_storable(categories[0])) if categories else "",
        }
    )
    given = _lookup(meta, "url", "permalink")
    if isinstance(given, str) and given.strip():
        given = _safe_link(given.strip(), "permalink", warnings)
    if isinstance(given, str) and given:
        link = given
        for name, key in _PERMALINK_TOKENS:  # Jekyll permalink placeholders
            if ":" + name in link:
                link = link.replace(":" + name, parts[key])
        if urlsplit(link).scheme:
            return link
        site = urlsplit(config.url_template)
        if site.scheme and site.netloc:
            return urljoin(f"{site.scheme}://{site.netloc}/", link)
        return link
    try:
        return _DOUBLE_SLASH.sub("/", config.url_template.format_map(parts))
    except (ValueError, IndexError, AttributeError) as err:
        warnings.append(f"url_template cannot be filled ({err}); used it with only the slug")
        return config.url_template.replace("{slug}", parts["slug"])


# --------------------------------------------------------------------------- posts


@dataclass(frozen=True, slots=True)
class Draft:
    """A post read up to its language, which detection may still have to give (a worker
    detects its batch's posts together: ``storage.workers.read_posts``); its link waits
    for the language, which a site's link template may hold."""

    rel_id: str
    meta: dict[str, object]
    slug: str
    title: str
    description: str
    date: datetime | None
    categories: tuple[str, ...]
    body: str
    warnings: list[str]
    declared_language: object  # the front matter's, if any

    def language_hints(self, config: IndexConfig) -> tuple[object, str, str, str]:
        """``language.resolve``'s arguments for this post."""
        sample = f"{self.title}\n{self.description}\n{self.body[:DETECT_CHARS]}"
        return self.declared_language, self.rel_id, config.site_language, sample


def read_draft(data: bytes, rel_id: str, config: IndexConfig) -> Draft | str:
    """The post's Draft, or why it is deliberately left out ("draft", "unpublished");
    raises PostError with a reason a person can act on."""
    warnings: list[str] = []
    text = _decode(data, warnings)
    if not text.strip():
        raise PostError("file is empty")
    meta, markdown, fm_warnings = parse_front_matter(text)
    meta = _lower_keys(meta)
    warnings.extend(fm_warnings)
    if _truthy(_lookup(meta, "draft")):
        return "draft"
    if _truthy(_lookup(meta, "published")) is False:
        return "unpublished"
    name = rel_id.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    slug = _slug(meta, stem)
    body = markdown_to_text(markdown)
    title = _as_text(_lookup(meta, "title"))
    if not meta and not body:
        raise PostError("file has neither front matter nor text")
    if not _visible(title) and (heading := _FIRST_HEADING.match(markdown)):
        title = clean_text(heading.group(1).rstrip("# \t"))
        warnings.append("no title in the front matter; used the first heading")
    if not _visible(title):
        title = next((t for t in (_title_from_slug(slug), stem, rel_id) if _visible(t)), "Untitled")
        warnings.append("no title in the front matter; made one from the file name")
    categories = _labels(_lookup(meta, "categories"), _lookup(meta, "category"))
    date = _date(meta, rel_id, config.site_timezone, warnings)
    description = _as_text(_lookup(meta, "description", "summary", "excerpt"))
    declared = _lookup(meta, "lang", "language", "locale")
    return Draft(rel_id, meta, slug, title, description, date, categories, body, warnings, declared)


def finish(draft: Draft, config: IndexConfig, language: str, language_from: str) -> Article:
    """The Article of a draft whose language is known ("" for the site's default)."""
    meta, rel_id, warnings = draft.meta, draft.rel_id, list(draft.warnings)
    image = _safe_link(_image(meta), "image", warnings)  # its warning before the link's
    url = _url(meta, config, rel_id, draft.slug, draft.date, draft.categories, language, warnings)
    return Article(
        id=rel_id,
        path=rel_id,
        slug=_storable(draft.slug),
        title=_storable(draft.title),
        description=_storable(draft.description),
        date=draft.date,
        categories=tuple(map(_storable, draft.categories)),
        tags=tuple(map(_storable, _labels(_lookup(meta, "tags"), _lookup(meta, "tag")))),
        author=_storable(_as_text(_lookup(meta, "author", "authors"))),
        image=_storable(image),
        featured=bool(_truthy(_lookup(meta, "featured"))),
        language=language or config.default_language,
        language_from=language_from,
        url=_storable(url),
        body=_storable(draft.body),
        warnings=tuple(warnings),
    )


def parse_or_skip(data: bytes, rel_id: str, config: IndexConfig) -> Article | str:
    """An Article, or why the post is deliberately left out ("draft", "unpublished")."""
    draft = read_draft(data, rel_id, config)
    if isinstance(draft, str):
        return draft
    return finish(draft, config, *resolve_language(*draft.language_hints(config)))


def parse_post(data: bytes, rel_id: str, config: IndexConfig) -> Article | None:
    """The post's Article, ``None`` for drafts and ``published: false``.

    Pure (no I/O); raises PostError with a reason a person can act on.
    """
    result = parse_or_skip(data, rel_id, config)
    return result if isinstance(result, Article) else None
