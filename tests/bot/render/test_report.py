"""The report as an embed and as JSON: sections, escaping of what readers typed, Discord's
limits whatever the log holds, and the empty log in one sentence."""

from __future__ import annotations

import json
from datetime import date, timedelta

from articlebot.bot import limits
from articlebot.bot.embeds import payload
from articlebot.bot.render import PLAIN, to_text
from articlebot.bot.render.report import field_lines, report_json, report_reply
from articlebot.bot.report import OpenedCount, QueryCount, Report
from tests.bot.render.samples import LONG, all_text, assert_safe, unescaped

START = date(2024, 3, 4)


def sample(**changes) -> Report:
    values = dict(
        days=7,
        start=START,
        end=START + timedelta(days=6),
        total=12,
        by_command=(("search", 9), ("ask", 2), ("latest", 1)),
        paged=2,
        per_day=tuple((START + timedelta(days=n), c) for n, c in enumerate([0, 2, 0, 5, 1, 4, 0])),
        top=(
            QueryCount("cruise stunt", "cruise stunt", 5, 2.4),
            QueryCount("knitting", "knitting", 3, 0.0),
        ),
        zero_results=(
            QueryCount("knitting", "knitting", 3, 0.0),
            QueryCount("quilts", "quilts", 1, 0.0, command="latest"),
        ),
        declined=(QueryCount("who is the mayor?", "is mayor the who", 2, 0.0, command="ask"),),
        opened=(OpenedCount("comet.md", "Comet seen over the valley", 4),),
    )
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]


def fields(reply) -> dict[str, str]:
    return {name: value for name, value, _ in reply.fields}


def test_the_sections() -> None:
    reply = report_reply(sample())
    assert reply.title == "Report: last 7 days"
    assert reply.description == (
        "12 queries from 4 Mar to 10 Mar 2024: 9 searches · 2 questions · 1 latest list. "
        "2 searches paged on to more results."
    )
    shown = fields(reply)
    assert shown["Most searched"] == (
        "1. “cruise stunt” — 5 · 2.4 results on average\n2. “knitting” — 3 · 0.0 results on average"
    )
    assert shown["Found nothing: what readers want that the site does not have"] == (
        "1. “knitting” — 3\n2. latest “quilts” — 1"
    )
    assert shown["Questions ask could not answer"] == "1. “who is the mayor?” — 2"
    assert shown["Most opened articles"] == "1. Comet seen over the valley — 4"
    assert shown["Queries per day"] == (
        "1.7 a day on average · busiest 7 Mar (5) · 3 days without any"
    )
    assert "word order count as one" in reply.footer
    assert_safe(reply)


def test_empty_sections_say_so() -> None:
    reply = report_reply(sample(top=(), zero_results=(), declined=(), opened=(), paged=0))
    assert list(fields(reply).values())[:4] == [
        "No searches.",
        "None: every search found something.",
        "None: every question was answered.",
        "No result was opened.",
    ]
    assert "paged" not in reply.description


def test_an_empty_log_is_one_sentence() -> None:
    reply = report_reply(
        sample(total=0, by_command=(), top=(), zero_results=(), declined=(), opened=()),
        image="attachment://report.png",
    )
    assert reply.description == (
        "Nobody searched, asked or listed anything in the last 7 days, so there is nothing "
        "to report yet."
    )
    assert not reply.title and not reply.fields and not reply.image
    one = report_reply(sample(days=1, total=0))
    assert "in the last 1 day," in one.description


def test_what_readers_typed_is_escaped_and_cut() -> None:
    hostile = QueryCount(LONG, "x", 2, 0.0)
    reply = report_reply(
        sample(
            top=(hostile,) * 10,
            zero_results=(hostile,) * 10,
            declined=(hostile,) * 10,
            opened=(OpenedCount("x.md", LONG, 3),) * 10,
        )
    )
    assert_safe(reply)
    for name, value, _ in reply.fields:
        assert limits.length(value) <= limits.FIELD_VALUE, name
        assert unescaped(value, "*_~|`[]") == [], name
    assert "… and" in fields(reply)["Most searched"]
    assert "@everyone" not in all_text(reply)


def test_field_lines_stop_at_the_limit_and_count_the_rest() -> None:
    lines = [f"{n}. " + "x" * 90 for n in range(30)]
    value = field_lines(lines)
    assert limits.length(value) <= limits.FIELD_VALUE
    kept = value.splitlines()
    assert kept[-1] == f"… and {30 - len(kept) + 1} more"
    assert field_lines(["a", "b"]) == "a\nb"


def test_the_chart_is_the_embeds_image_and_must_be_sent_with_it() -> None:
    reply = report_reply(sample(), image="attachment://report.png")
    assert reply.image == "attachment://report.png"
    sent = payload(reply)
    assert sent["embeds"][0]["image"] == {"url": "attachment://report.png"}
    problems = limits.validate_message_payload(sent)
    assert problems == ["embeds[0].image shows attachment 'report.png', which is not sent"]
    sent["attachments"] = [{"id": 0, "filename": "report.png"}]
    assert limits.validate_message_payload(sent) == []
    # Anything else that is not an http(s) URL is still refused.
    assert report_reply(sample(), image="attachment://../etc/passwd x").image == ""


def test_text_for_the_terminal() -> None:
    text = to_text(report_reply(sample(), style=PLAIN), PLAIN)
    assert text.startswith("Report: last 7 days\n12 queries")
    assert "Most searched\n1. “cruise stunt” — 5" in text


def test_json() -> None:
    out = report_json(sample())
    assert json.loads(json.dumps(out)) == out
    assert out["days"] == 7 and out["start"] == "2024-03-04" and out["end"] == "2024-03-10"
    assert out["by_command"] == {"search": 9, "ask": 2, "latest": 1}
    assert out["per_day"][3] == {"date": "2024-03-07", "count": 5}
    assert out["top"][0] == {
        "query": "cruise stunt",
        "normalized": "cruise stunt",
        "command": "search",
        "count": 5,
        "average_results": 2.4,
    }
    assert out["zero_results"][1]["command"] == "latest"
    assert out["opened"] == [{"id": "comet.md", "title": "Comet seen over the valley", "count": 4}]
