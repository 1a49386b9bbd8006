"""Query syntax: words, phrases, exclusions, filters, dates and the error sentences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from articlebot.index import QueryError
from articlebot.index.ranking.query import LITERAL_MAX_CHARS, Query, literal_query, parse_query


def test_plain_words_as_typed() -> None:
    assert parse_query("Tom  Cruise's   stunt") == Query(words=("Tom", "Cruise's", "stunt"))


def test_everything_at_once() -> None:
    query = parse_query(
        'tom "train chase" -trailer category:TV in:News tag:Stunts author:"Jane Doe" '
        "after:2020-09-01 before:2021"
    )
    assert query.words == ("tom",)
    assert query.phrases == (("train", "chase"),)
    assert query.excluded == ("trailer",)
    assert query.categories == ("tv", "news")
    assert query.tags == ("stunts",)
    assert query.authors == ("Jane Doe",)
    assert query.after == datetime(2020, 9, 1, tzinfo=UTC)
    assert query.before == datetime(2021, 1, 1, tzinfo=UTC)
    assert query.has_filters


def test_hyphenated_words_are_not_exclusions() -> None:
    query = parse_query("covid-19 self-driving -covid-19 --spam")
    assert query.words == ("covid-19", "self-driving")
    assert query.excluded == ("covid-19", "spam")


def test_quoted_filter_values() -> None:
    query = parse_query('category:"Real Estate" author:"Jane Doe" tag:"box office" deal')
    assert query.categories == ("real estate",)
    assert query.authors == ("Jane Doe",)
    assert query.tags == ("box office",)
    assert query.words == ("deal",)


def test_filter_names_are_case_insensitive() -> None:
    assert parse_query("Category:tv TAG:x").categories == ("tv",)


def test_unbalanced_quote_is_a_phrase_to_the_end() -> None:
    query = parse_query('cruise "train chase at dawn')
    assert query.words == ("cruise",)
    assert query.phrases == (("train", "chase", "at", "dawn"),)


def test_smart_quotes_from_phones() -> None:
    assert parse_query("“train chase” now").phrases == (("train", "chase"),)


def test_empty_phrase_is_ignored() -> None:
    assert parse_query('"" cruise') == Query(words=("cruise",))


def test_dates_in_the_site_timezone() -> None:
    query = parse_query("after:2020 before:2020-09", tz="Europe/Berlin")
    assert query.after == datetime(2019, 12, 31, 23, tzinfo=UTC)  # midnight in Berlin
    assert query.before == datetime(2020, 8, 31, 22, tzinfo=UTC)  # summer time
    assert query.after.tzinfo is UTC
    assert parse_query("since:2021/02/03").after == datetime(2021, 2, 3, tzinfo=UTC)


def test_filters_only_and_stop_words_only_parse() -> None:
    assert parse_query("category:tv").words == ()
    assert parse_query("the of and").words == ("the", "of", "and")


def test_exclusion_alone_is_not_a_filter() -> None:
    query = parse_query("-trailer")
    assert query.excluded == ("trailer",) and not query.has_filters


def test_colons_that_are_not_filters() -> None:
    query = parse_query("Mission: impossible 10:30 https://example.com/a")
    assert query.words == ("Mission:", "impossible", "10:30", "https://example.com/a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour:red cars",
            "I don't know the filter `colour:` — try category:, tag:, author:, after: or before:.",
        ),
        ("after:2020-13-01", "I can't read the date `2020-13-01` in `after:`"),
        ("before:yesterday", "I can't read the date `yesterday` in `before:`"),
        ("before:2021-02-30", "I can't read the date `2021-02-30`"),
        ("category:", "`category:` needs a value right after the colon, like category:tv."),
        ("", "Type something to search for"),
        ("   ", "Type something to search for"),
        ('""', "Type something to search for"),
        ("after:2021 before:2020", "The after: date is not earlier than the before: date"),
        ('-"train chase"', "Excluding a whole phrase isn't supported"),
        ("-category:tv", "Excluding with a filter isn't supported"),
    ],
)
def test_errors_are_one_friendly_sentence(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(text)
    sentence = str(error.value)
    assert sentence.startswith(message)
    assert sentence.endswith(".") and "\n" not in sentence


def test_huge_input_is_capped() -> None:
    query = parse_query("word " * 2_000 + "category:tv")
    assert len(query.words) == 100
    assert not query.categories  # beyond the cap


def test_has_filters() -> None:
    assert not parse_query("cruise").has_filters
    assert parse_query("cruise author:jane").has_filters
    assert parse_query("before:2020").has_filters


# --- any input ----------------------------------------------------------------------------

QUERY_TEXT = st.text(
    alphabet=st.sampled_from([*list('abc XYZ019-:"“”«»/.,*\\_\t\n'), "é", "日", "\x00", "\u202e"]),
    max_size=120,
) | st.text(max_size=60)


@settings(max_examples=500, deadline=None)
@given(
    text=QUERY_TEXT,
    tz=st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Bad/Zone"]),
)
@example(text="after:0001", tz="Asia/Tokyo")  # overflowed instead of a QueryError
@example(text="before:9999-12-31", tz="Pacific/Kiritimati")
@example(text='-"x"', tz="UTC")
def test_any_text_is_a_query_or_one_friendly_sentence(text: str, tz: str) -> None:
    try:
        query = parse_query(text, tz)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300
        return
    assert query.words or query.phrases or query.excluded or query.has_filters
    for when in (query.after, query.before):
        assert when is None or when.utcoffset() is not None


def test_a_literal_query_is_words_only() -> None:
    q = literal_query('"train chase" -crash category:tv after:2020')
    assert q.words == ('"train', 'chase"', "-crash", "category:tv", "after:2020")
    assert not q.phrases and not q.excluded and not q.has_filters
    assert len(literal_query("word " * 30_000).words) == LITERAL_MAX_CHARS // 5
