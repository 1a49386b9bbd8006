"""Turn the many date spellings of static-site front matter into aware UTC datetimes.

Every function here returns ``None`` instead of raising: a bad date must never stop a
post from being indexed, the loader decides what to warn about.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

# Jigsaw scrapers: 2020-09-07-15-37-51 (seconds optional).
_DASHED = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(\d{1,2})-(\d{1,2})(?:-(\d{1,2}))?")
# European: 13.08.2017, optionally followed by a time.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 20170813
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_JEKYLL_NAME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:-|$)")

# Timestamps beyond this are taken as milliseconds (JavaScript-generated front matter).
_MAX_SECONDS = 100_000_000_000


@lru_cache(maxsize=32)
def site_zone(tz: str) -> tzinfo:
    """The zone for naive times; an unknown name falls back to UTC rather than failing."""
    if not tz or tz.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


# Publication dates outside these years are typing errors (0551-08-15), and dates at the
# very edge of the calendar overflow when shown in another time zone.
MIN_YEAR, MAX_YEAR = 1000, 9000


def _aware(moment: datetime, tz: str) -> datetime | None:
    """Naive means site-local time (Jekyll's rule); the result is always UTC."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        return None
    try:
        if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
            moment = moment.replace(tzinfo=site_zone(tz))
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _build(tz: str, *parts: str | int | None) -> datetime | None:
    numbers = [int(p) if p else 0 for p in parts]
    try:
        return _aware(datetime(*numbers), tz)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError):
        return None


def _from_timestamp(seconds: float) -> datetime | None:
    if abs(seconds) >= _MAX_SECONDS:
        seconds /= 1000
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else None


def _from_string(text: str, tz: str) -> datetime | None:
    text = text.strip().strip("\"'").strip()
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        compact = _COMPACT.fullmatch(text)
        if compact and (found := _build(tz, *compact.groups())):
            return found
        return _from_timestamp(float(text))
    if m := _DASHED.fullmatch(text):
        return _build(tz, *m.groups())
    if m := _DOTTED.fullmatch(text):
        day, month, year, hour, minute, second = m.groups()
        return _build(tz, year, month, day, hour, minute, second)
    try:
        return _aware(datetime.fromisoformat(text.replace("z", "Z")), tz)
    except ValueError:
        pass
    # Free forms ("2014-02-24 12:00:00 +0000", "Mon, 7 Sep 2020 10:00:00 GMT"). Demand a
    # year so dateutil cannot invent one from today's date.
    if not _YEAR.search(text):
        return None
    try:
        parsed = dateutil_parser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError, dateutil_parser.ParserError):
        return None
    return _aware(parsed, tz)


def parse_date(value: object, tz: str = "UTC") -> datetime | None:
    """An aware UTC datetime for any front-matter date value, or ``None``.

    Accepts datetime/date objects (YAML and TOML make those), unix timestamps as numbers or
    digit strings, ``YYYY-MM-DD-HH-MM-SS``, ``DD.MM.YYYY``, ISO 8601 and what dateutil
    reads. Times without a zone are read in ``tz``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _aware(value, tz)
    if isinstance(value, date):
        return _aware(datetime.combine(value, time()), tz)
    if isinstance(value, int | float):
        if value != value:  # NaN
            return None
        return _from_timestamp(float(value))
    if isinstance(value, str):
        try:
            return _from_string(value, tz)
        except Exception:  # a date must never stop a post
            return None
    return None


def date_from_filename(name: str, tz: str = "UTC") -> datetime | None:
    """Midnight (site time) of a Jekyll-style ``YYYY-MM-DD-slug.md`` name, else ``None``."""
    stem = name.rsplit("/", 1)[-1]
    m = _JEKYLL_NAME.match(stem.rsplit(".", 1)[0] if "." in stem else stem)
    if not m:
        return None
    return _build(tz, *m.groups())
