"""Every date spelling met in real front matter ends up as aware UTC, or None."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from articlebot.index.posts.dates import date_from_filename, parse_date


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-09-07-15-37-51", utc(2020, 9, 7, 15, 37, 51)),
        ("2020-09-07-15-37", utc(2020, 9, 7, 15, 37)),
        ("2014-02-24 12:00:00 +0000", utc(2014, 2, 24, 12)),
        ("2014-02-24 12:00:00 +0200", utc(2014, 2, 24, 10)),
        ("13.08.2017", utc(2017, 8, 13)),
        ("13.08.2017 18:30", utc(2017, 8, 13, 18, 30)),
        ("2020-09-07", utc(2020, 9, 7)),
        ("2020-09-07T15:37:51", utc(2020, 9, 7, 15, 37, 51)),
        ("2020-09-07T15:37:51Z", utc(2020, 9, 7, 15, 37, 51)),
        ("2020-09-07T17:37:51+02:00", utc(2020, 9, 7, 15, 37, 51)),
        ("Mon, 07 Sep 2020 15:37:51 GMT", utc(2020, 9, 7, 15, 37, 51)),
        ("September 7, 2020", utc(2020, 9, 7)),
        ("1599493071", utc(2020, 9, 7, 15, 37, 51)),
        (1599493071, utc(2020, 9, 7, 15, 37, 51)),
        (1599493071.5, utc(2020, 9, 7, 15, 37, 51, 500000)),
        (1599493071000, utc(2020, 9, 7, 15, 37, 51)),  # milliseconds
        ("20170813", utc(2017, 8, 13)),
        (date(2020, 9, 7), utc(2020, 9, 7)),
        (datetime(2020, 9, 7, 15, 37), utc(2020, 9, 7, 15, 37)),
        (
            datetime(2020, 9, 7, 17, 37, tzinfo=timezone(timedelta(hours=2))),
            utc(2020, 9, 7, 15, 37),
        ),
    ],
)
def test_parse_date_forms(value: object, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "next tuesday", True, False, [], {}, "99.99.2020", 10**30]
)
def test_unreadable_dates_are_none_not_errors(value: object) -> None:
    assert parse_date(value) is None


def test_naive_times_are_site_local() -> None:
    # London is on summer time (UTC+1) in September.
    assert parse_date("2020-09-07-15-37-51", "Europe/London") == utc(2020, 9, 7, 14, 37, 51)
    assert parse_date(date(2020, 1, 7), "Europe/Berlin") == utc(2020, 1, 6, 23)
    # An explicit zone wins over the site zone.
    assert parse_date("2020-09-07T15:37:51Z", "Europe/London") == utc(2020, 9, 7, 15, 37, 51)


def test_unknown_time_zone_falls_back_to_utc() -> None:
    assert parse_date("2020-09-07 10:00", "Mars/Olympus_Mons") == utc(2020, 9, 7, 10)


def test_date_from_filename() -> None:
    assert date_from_filename("2019-07-21-moon-walk.md") == utc(2019, 7, 21)
    assert date_from_filename("posts/2019-07-21-moon-walk.md", "Europe/London") == utc(
        2019, 7, 20, 23
    )
    assert date_from_filename("moon_walk_2019.md") is None
    assert date_from_filename("2019-13-45-not-a-date.md") is None
