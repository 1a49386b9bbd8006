"""Discord's limits, truncation, escaping and payload validation."""

from __future__ import annotations

import re

import pytest

from articlebot.bot import limits

# A character that Discord would still read as Markdown: not preceded by an odd run of
# backslashes.
UNESCAPED = r"(?<!\\)(?:\\\\)*[{chars}]"


def unescaped(text: str, chars: str) -> list[str]:
    return re.findall(UNESCAPED.format(chars=re.escape(chars)), text)


def pings(text: str) -> list[str]:
    return re.findall(r"@(?:everyone|here)|<@[!&]?\d+>", text)


class TestLength:
    def test_counts_astral_characters_twice(self):
        assert limits.length("abc") == 3
        assert limits.length("😀") == 2
        assert limits.length("é😀") == 3

    def test_a_lone_surrogate_is_one_unit(self):
        assert limits.length("a\ud800b") == 3
        assert limits.length("\udfff😀") == 3


class TestTruncate:
    def test_short_text_is_unchanged(self):
        assert limits.truncate("cruise stunt", 20) == "cruise stunt"
        assert limits.truncate("x" * 20, 20) == "x" * 20

    def test_cuts_at_a_word_with_an_ellipsis(self):
        out = limits.truncate("the quick brown fox jumps over the lazy dog", 20)
        assert out == "the quick brown fox…"
        assert len(out) <= 20

    def test_one_huge_word_is_cut_mid_word(self):
        out = limits.truncate("a" * 10_000, 100)
        assert out == "a" * 99 + "…"

    @pytest.mark.parametrize("limit", [0, -5])
    def test_no_room(self, limit):
        assert limits.truncate("anything", limit) == ""

    def test_limit_one(self):
        assert limits.truncate("anything", 1) == "…"

    def test_emoji_count_as_two(self):
        out = limits.truncate("😀" * 100, 11)
        assert limits.length(out) <= 11
        assert out == "😀" * 5 + "…"

    def test_never_ends_on_a_backslash(self):
        out = limits.truncate("abc\\\\\\\\\\ def ghi", 9)
        assert not out[:-1].endswith("\\")


class TestEscape:
    @pytest.mark.parametrize(
        "text",
        [
            "@everyone look",
            "hi @here",
            "<@123>",
            "<@!123>",
            "<@&5>",
            "<@&123456789012345678>",
            "@\u200beveryone",  # a pre-broken mention that stripping would rejoin
            "@\u202eeveryone",
        ],
    )
    def test_mentions_are_broken(self, text):
        assert pings(limits.escape(text)) == []

    def test_markdown_is_inert(self):
        out = limits.escape("**bold** __u__ ~~s~~ ||spoiler|| `code` > quote")
        assert unescaped(out, "*_~|`") == []

    def test_line_start_markdown(self):
        for text in ["# heading", "> quote", "- item", "-# subtext"]:
            assert limits.escape(text).startswith("\\")

    def test_masked_link_injection(self):
        out = limits.escape("a](https://evil.example) [b")
        assert unescaped(out, "[]") == []
        # Put inside our own link, Discord sees exactly one link: ours.
        linked = f"[{out}](https://example.com/x)"
        assert len(unescaped(linked, "]")) == 1

    def test_invisible_characters_are_removed(self):
        text = "a\u200bb\u200cc\u200dd\u200ee\u200ff\u202ag\u202eh\u2066i\u2069j\ufeffk\x00l"
        assert limits.escape(text) == "abcdefghijkl"

    def test_newlines_and_plain_text_survive(self):
        assert limits.escape("Comet seen\nover the valley") == "Comet seen\nover the valley"

    def test_urls_stay_clickable(self):
        assert limits.escape("see https://example.com/a_b_c") == "see https://example.com/a_b_c"

    def test_backslashes_are_kept_literal(self):
        out = limits.escape("C:\\path\\*x*")
        assert unescaped(out, "*") == []


class TestFit:
    def test_escaped_text_fits(self):
        text = "*" * 5000
        out = limits.fit(text, 1024)
        assert limits.length(out) <= 1024
        assert unescaped(out, "*") == []

    def test_short_text(self):
        assert limits.fit("_a_", 10) == "\\_a\\_"

    def test_hostile_text(self):
        text = ("@everyone **x** <@&1> \u202e" * 2000)[:10_000]
        out = limits.fit(text, 256)
        assert limits.length(out) <= 256
        assert pings(out) == []
        assert "\u202e" not in out


class TestSafeUrl:
    @pytest.mark.parametrize(
        "url",
        ["https://example.com/posts/x", "http://example.com/a?b=c#d"],
    )
    def test_accepts(self, url):
        assert limits.safe_url(url) == url

    @pytest.mark.parametrize(
        "url",
        [
            "",
            "/posts/x",
            "javascript:alert(1)",
            "ftp://example.com/x",
            "https://exa mple.com/x",
            "https://",
            "https://example.com/\u202ex",
            "https://example.com/" + "a" * 3000,
        ],
    )
    def test_refuses(self, url):
        assert limits.safe_url(url) == ""

    def test_brackets_are_encoded(self):
        assert limits.safe_url("https://example.com/a_(b)") == "https://example.com/a_%28b%29"


def embed(**extra):
    return {"title": "t", "description": "d", **extra}


class TestValidateEmbed:
    def test_valid(self):
        assert limits.validate_embed(embed(fields=[{"name": "a", "value": "b"}])) == []

    def test_long_parts(self):
        problems = limits.validate_embed(
            {
                "title": "t" * 257,
                "description": "d" * 4097,
                "footer": {"text": "f" * 2049},
                "author": {"name": "a" * 257},
            }
        )
        assert len([p for p in problems if "limit" in p]) == 5  # four parts and the total

    def test_fields(self):
        fields = [{"name": "n", "value": "v"}] * 26 + [{"name": "", "value": "x" * 1025}]
        problems = limits.validate_embed({"fields": fields})
        assert any("27 fields" in p for p in problems)
        assert any("fields[26].name is empty" in p for p in problems)
        assert any("fields[26].value" in p and "1025" in p for p in problems)

    def test_total(self):
        fields = [{"name": "n", "value": "v" * 1000}] * 3
        problems = limits.validate_embed(embed(description="d" * 3000, fields=fields))
        assert problems == ["embed total is 6004 (limit 6000)"]

    def test_bad_url_and_image(self):
        problems = limits.validate_embed(embed(url="javascript:x", image={"url": "/a.png"}))
        assert len(problems) == 2


class TestValidateMessagePayload:
    def test_valid(self):
        payload = {"content": "hi @everyone", "allowed_mentions": {"parse": []}}
        assert limits.validate_message_payload(payload) == []

    def test_long_content(self):
        payload = {"content": "x" * 2001, "allowed_mentions": {"parse": []}}
        assert limits.validate_message_payload(payload) == ["content is 2001 long (limit 2000)"]

    def test_pings(self):
        payload = {"content": "x", "allowed_mentions": {"parse": ["everyone"]}}
        assert any("permits pings" in p for p in limits.validate_message_payload(payload))
        payload = {"content": "x", "allowed_mentions": {"parse": [], "replied_user": True}}
        assert any("permits pings" in p for p in limits.validate_message_payload(payload))

    def test_content_without_allowed_mentions(self):
        assert limits.validate_message_payload({"content": "x"}) != []
        assert limits.validate_message_payload({"embeds": [embed()]}) == []

    def test_interaction_callback(self):
        payload = {"type": 4, "data": {"embeds": [embed(title="t" * 300)]}}
        assert limits.validate_message_payload(payload) == [
            "embeds[0]: title is 300 long (limit 256)"
        ]

    def test_several_embeds_share_the_total(self):
        payload = {"embeds": [embed(description="d" * 4000)] * 2}
        assert any("together" in p for p in limits.validate_message_payload(payload))

    def test_components(self):
        button = {"type": 2, "label": "x", "custom_id": "c"}
        rows = [{"type": 1, "components": [button] * 6}] * 6
        problems = limits.validate_message_payload({"embeds": [embed()], "components": rows})
        assert any("6 component rows" in p for p in problems)
        assert any("6 buttons" in p for p in problems)
