"""The one set of reply builders that Discord and the console share.

Every builder is a pure function from index results to a neutral ``Reply``. The ``Style``
says how text is escaped and how matched words, bold text, links and commands look:
``DISCORD`` escapes Markdown and mentions and writes ``**word**`` and ``[title](url)``;
``plain_style()`` writes plain text for a terminal. Whatever the input, the result fits
Discord's limits (``finish`` is the last guard).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from urllib.parse import urljoin

from articlebot.bot import limits
from articlebot.index import Answer, Article, IndexStats, ReindexReport, SearchResult, Snippet

PAGE_SIZE = 5

BRAND = 0x5865F2
GREEN = 0x57F287
ORANGE = 0xE67E22
RED = 0xED4245

Field = tuple[str, str, bool]


@dataclass(frozen=True, slots=True)
class Reply:
    """A message in neutral form: an embed's parts, or plain ``content`` (or both)."""

    title: str = ""
    url: str = ""
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    image: str = ""
    colour: int | None = None
    content: str = ""
    ephemeral: bool = False

    @property
    def has_embed(self) -> bool:
        return bool(self.title or self.description or self.fields or self.image)


def _discord_code(text: str) -> str:
    """Inline code: nothing inside renders as Markdown; backticks cannot end it early."""
    text = limits.break_mentions(" ".join(limits.strip_invisible(text).split()))
    return "`" + text.replace("`", "ˋ") + "`"


@dataclass(frozen=True, slots=True)
class Style:
    """How one surface shows text. ``escape`` is applied to every untrusted text."""

    name: str
    escape: Callable[[str], str]
    mark: Callable[[str], str]  # a matched word, already escaped
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (escaped text, safe url)
    code: Callable[[str], str]  # a command the user can type (our own text)
    markdown: bool = False


DISCORD = Style(
    name="discord",
    escape=limits.escape,
    mark=lambda s: f"**{s}**",
    bold=lambda s: f"**{s}**",
    link=lambda text, url: f"[{text}]({url})",
    code=_discord_code,
    markdown=True,
)


def plain_style(colour: bool = False) -> Style:
    """Terminal text: ANSI bold and yellow when ``colour``, else ``[word]`` marks."""
    if colour:
        return Style(
            name="ansi",
            escape=limits.strip_invisible,
            mark=lambda s: f"\x1b[1;33m{s}\x1b[0m",
            bold=lambda s: f"\x1b[1m{s}\x1b[0m",
            link=lambda text, url: f"{text} \x1b[2m<{url}>\x1b[0m",
            code=limits.strip_invisible,
        )
    return Style(
        name="plain",
        escape=limits.strip_invisible,
        mark=lambda s: f"[{s}]",
        bold=lambda s: s,
        link=lambda text, url: f"{text} <{url}>",
        code=limits.strip_invisible,
    )


PLAIN = plain_style()


# --- small pieces -----------------------------------------------------------------------


def quoted(text: str, style: Style, limit: int = 100) -> str:
    """User text inside “curly quotes”, escaped and cut to ``limit``."""
    return "“" + limits.fit(" ".join(text.split()), limit, style.escape) + "”"


def format_date(date: datetime | None, tz: tzinfo = UTC) -> str:
    if date is None:
        return "undated"
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    local = date.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _meta(article: Article, tz: tzinfo, style: Style, limit: int = 60) -> str:
    parts = [format_date(article.date, tz)]
    if article.categories:
        parts.append(limits.fit(", ".join(article.categories), limit, style.escape))
    return " · ".join(parts)


def _title_link(article: Article, style: Style, limit: int, link: bool = True) -> str:
    """The escaped title (at most ``limit`` long), linked to the article when possible."""
    raw = " ".join(article.title.split()) or article.slug or article.id
    title = limits.fit(raw, limit, style.escape)
    url = limits.safe_url(article.url, 300) if link else ""
    return style.link(title, url) if url else title


def _clean_marks(snippet: Snippet, text: str) -> list[tuple[int, int]]:
    """The marks in order, inside the text, not overlapping, without edge whitespace
    (``** word**`` would not render bold)."""
    marks = []
    last = 0
    for start, end in sorted(snippet.marks):
        start, end = max(start, last, 0), min(end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            marks.append((start, end))
            last = end
    return marks


def _render_marked(text: str, marks: list[tuple[int, int]], style: Style) -> str:
    out, at = [], 0
    for start, end in marks:
        out.append(style.escape(text[at:start]))
        word = style.escape(text[start:end])
        out.append(style.mark(word) if word.strip() else word)
        at = end
    out.append(style.escape(text[at:]))
    return "".join(out)


def render_snippet(snippet: Snippet, style: Style, limit: int = 400) -> str:
    """The snippet on one line with its matched words marked, within ``limit``."""
    text = snippet.text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    marks = _clean_marks(snippet, text)
    out = _render_marked(text, marks, style)
    room = min(limit, limits.length(text))
    while limits.length(out) > limit and room > 0:
        cut = limits.truncate(text, room)
        keep = len(cut) - 1  # truncate keeps a prefix of text and adds "…"
        kept = [(s, min(e, keep)) for s, e in marks if s < keep]
        out = _render_marked(text[:keep], kept, style) + limits.ELLIPSIS
        size = limits.length(out)
        room = min(room - 1, room * limit // max(size, 1))
    return out if limits.length(out) <= limit else ""


def _list_lines(items: Sequence[str], limit: int, style: Style) -> str:
    """Lines of escaped items until ``limit``, then "… and N more"."""
    lines: list[str] = []
    used = 0
    for i, item in enumerate(items):
        line = limits.fit(item, 200, style.escape)
        more = f"… and {len(items) - i} more"
        reserve = len(more) + 1 if i < len(items) - 1 else 0
        if used + limits.length(line) + 1 + reserve > limit:
            lines.append(f"… and {len(items) - i} more")
            break
        lines.append(line)
        used += limits.length(line) + 1
    return "\n".join(lines)


# --- the last guard -----------------------------------------------------------------------


def finish(reply: Reply) -> Reply:
    """Cut every part of ``reply`` to Discord's limits, and the embed to 6000 in total.

    Builders already keep within the limits by choosing what to show; this guard only
    cuts (which can break Markdown) when something slipped through.
    """
    cut = limits.truncate
    fields = []
    for name, value, inline in reply.fields[: limits.EMBED_FIELDS]:
        name, value = cut(name.strip(), limits.FIELD_NAME), cut(value.strip(), limits.FIELD_VALUE)
        if name and value:
            fields.append((name, value, inline))
    reply = replace(
        reply,
        title=cut(reply.title, limits.EMBED_TITLE),
        url=limits.safe_url(reply.url),
        description=cut(reply.description, limits.EMBED_DESCRIPTION),
        fields=tuple(fields),
        footer=cut(reply.footer, limits.FOOTER),
        image=limits.safe_url(reply.image),
        content=cut(reply.content, limits.CONTENT),
    )
    while (over := embed_size(reply) - limits.EMBED_TOTAL) > 0:
        sizes = [limits.length(reply.description)] + [limits.length(f[1]) for f in reply.fields]
        biggest = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[biggest] <= 1:  # only titles are left: drop fields from the end
            reply = replace(reply, fields=reply.fields[:-1])
            continue
        target = max(1, sizes[biggest] - over)
        if biggest == 0:
            reply = replace(reply, description=cut(reply.description, target))
        else:
            name, value, inline = reply.fields[biggest - 1]
            fields = list(reply.fields)
            fields[biggest - 1] = (name, cut(value, target) or "…", inline)
            reply = replace(reply, fields=tuple(fields))
    return reply


def embed_size(reply: Reply) -> int:
    return (
        limits.length(reply.title)
        + limits.length(reply.description)
        + sum(limits.length(n) + limits.length(v) for n, v, _ in reply.fields)
        + limits.length(reply.footer)
    )


# --- search ---------------------------------------------------------------------------------

# (snippet, title, categories, linked) room per hit, tried in order until a page fits.
_SEARCH_BUDGETS = (
    (400, 150, 60, True),
    (260, 120, 50, True),
    (160, 100, 40, True),
    (80, 80, 30, True),
    (0, 60, 20, False),
)


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(total / max(1, page_size)))


def search_page(
    result: SearchResult,
    *,
    style: Style = DISCORD,
    tz: tzinfo = UTC,
    prefix: str = "!",
    page_size: int = PAGE_SIZE,
) -> Reply:
    """One page of search results: linked titles, date, categories and marked snippets."""
    query = quoted(result.query, style, 200)
    if not result.hits:
        return no_results(result, style=style, prefix=prefix)
    page = result.offset // max(1, page_size) + 1
    pages = page_count(result.total, page_size)
    description = ""
    for snippet_room, title_room, cat_room, link in _SEARCH_BUDGETS:
        blocks = []
        for i, hit in enumerate(result.hits, start=result.offset + 1):
            head = style.bold(f"{i}. {_title_link(hit.article, style, title_room, link)}")
            lines = [head, _meta(hit.article, style=style, tz=tz, limit=cat_room)]
            if snippet_room:
                snippet = render_snippet(hit.snippet, style, snippet_room)
                if snippet:
                    lines.append(snippet)
            blocks.append("\n".join(lines))
        description = "\n\n".join(blocks)
        if limits.length(description) <= limits.EMBED_DESCRIPTION:
            break
    about = "about " if result.estimated else ""
    footer = f"Page {page}/{pages} · {about}{_plural(result.total, 'result')}"
    return finish(
        Reply(
            title=f"Results for {query}",
            description=description,
            footer=footer,
            colour=BRAND,
        )
    )


def no_results(result: SearchResult, *, style: Style = DISCORD, prefix: str = "!") -> Reply:
    query = quoted(result.query, style, 200)
    if result.total > 0:  # a page past the end
        return finish(
            Reply(
                content=f"There are no more results for {query} "
                f"({_plural(result.total, 'result')} in all).",
                ephemeral=True,
            )
        )
    lines = []
    if result.suggestion:
        lines.append(
            f"Did you mean {style.bold(limits.fit(result.suggestion, 200, style.escape))}?"
        )
    lines.append(
        f"Try fewer or different words; {style.code(f'{prefix}help')} shows the search syntax."
    )
    return finish(
        Reply(
            title=f"No results for {query}",
            description="\n".join(lines),
            colour=ORANGE,
        )
    )


# --- listings -------------------------------------------------------------------------------


def latest_list(
    articles: Sequence[Article],
    *,
    category: str | None = None,
    style: Style = DISCORD,
    tz: tzinfo = UTC,
    prefix: str = "!",
) -> Reply:
    """The newest articles, optionally of one category."""
    where = f" in {quoted(category, style, 80)}" if category else ""
    if not articles:
        return finish(Reply(content=f"There are no articles{where} yet."))
    blocks = []
    for i, article in enumerate(articles[:25], start=1):
        lines = [
            style.bold(f"{i}. {_title_link(article, style, 150)}"),
            _meta(article, tz, style),
        ]
        if article.description.strip():
            lines.append(limits.fit(" ".join(article.description.split()), 200, style.escape))
        blocks.append("\n".join(lines))
    description = ""
    for count in range(len(blocks), 0, -1):  # whole articles only
        description = "\n\n".join(blocks[:count])
        if limits.length(description) <= limits.EMBED_DESCRIPTION:
            break
    title = f"Latest{where}" if category else "Latest articles"
    return finish(
        Reply(
            title=title,
            description=description,
            footer=f"{prefix}article <title> shows one in full",
            colour=BRAND,
        )
    )


def categories_list(
    categories: Sequence[tuple[str, int]], *, style: Style = DISCORD, prefix: str = "!"
) -> Reply:
    """Every category with its article count, most articles first."""
    if not categories:
        return finish(Reply(content="There are no categories yet."))
    items = [
        f"{style.bold(limits.fit(name, 80, style.escape))} · {_plural(count, 'article')}"
        for name, count in categories
    ]
    separator = "\n" if len(items) <= 30 else "  •  "
    shown: list[str] = []
    used = 0
    for i, item in enumerate(items):
        more = f"… and {len(items) - i} more"
        if used + limits.length(item) + 5 + len(more) > limits.EMBED_DESCRIPTION - 10:
            shown.append(more)
            break
        shown.append(item)
        used += limits.length(item) + len(separator)
    return finish(
        Reply(
            title=f"Categories ({len(categories)})",
            description=separator.join(shown),
            footer=f"{prefix}latest <category> shows the newest in one",
            colour=BRAND,
        )
    )


# --- one article -----------------------------------------------------------------------------


def _excerpt(body: str, limit: int) -> str:
    """The opening of the body, whole paragraphs while they fit."""
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
    out = ""
    for paragraph in (p for p in paragraphs if p):
        candidate = f"{out}\n\n{paragraph}" if out else paragraph
        if len(candidate) > limit:
            return out or limits.truncate(paragraph, limit)
        out = candidate
    return out


def article_card(article: Article, *, style: Style = DISCORD, tz: tzinfo = UTC) -> Reply:
    """One article: title, link, description, opening, date, categories, tags, author, image."""
    title = limits.fit(
        " ".join(article.title.split()) or article.slug, limits.EMBED_TITLE, style.escape
    )
    parts = []
    description = " ".join(article.description.split())
    excerpt = _excerpt(article.body, 900)
    # Posts often repeat their opening sentence as the description: show it once.
    stem = description.rstrip(".…!? ").casefold()
    if description and not (stem and excerpt.casefold().startswith(stem)):
        parts.append(limits.fit(description, 600, style.escape))
    if excerpt:
        parts.append(limits.fit(excerpt, 1800, style.escape))
    url = limits.safe_url(article.url)
    if url:
        parts.append(style.link("Read the article", url))
    fields: list[Field] = [("Published", format_date(article.date, tz), True)]
    if article.categories:
        fields.append(
            ("Categories", limits.fit(", ".join(article.categories), 500, style.escape), True)
        )
    if article.tags:
        fields.append(("Tags", limits.fit(", ".join(article.tags), 500, style.escape), True))
    if article.author.strip():
        fields.append(("Author", limits.fit(article.author.strip(), 200, style.escape), True))
    image = (
        limits.safe_url(urljoin(url, article.image.strip()))
        if article.image.strip() and url
        else ""
    )
    if not image and article.image.strip():
        image = limits.safe_url(article.image.strip())
    words = len(article.body.split())
    footer = (
        f"{_plural(words, 'word')} · about {max(1, round(words / 230))} min read" if words else ""
    )
    return finish(
        Reply(
            title=title,
            url=url,
            description="\n\n".join(parts),
            fields=tuple(fields),
            footer=footer,
            image=image,
            colour=BRAND,
        )
    )


def article_not_found(ref: str, *, style: Style = DISCORD, prefix: str = "!") -> Reply:
    search = style.code(f"{prefix}search {limits.truncate(' '.join(ref.split()), 60)}")
    return finish(
        Reply(
            content=f"I couldn't find an article called {quoted(ref, style)}. Try {search}.",
            ephemeral=True,
        )
    )


def unknown_category(
    category: str, known: Sequence[str], *, style: Style = DISCORD, prefix: str = "!"
) -> Reply:
    names = ", ".join(limits.fit(name, 40, style.escape) for name in known[:15])
    more = f" (and {len(known) - 15} more)" if len(known) > 15 else ""
    hint = f" Try one of: {names}{more}." if known else ""
    return finish(
        Reply(
            content=f"There is no category {quoted(category, style, 80)}.{hint} "
            f"{style.code(f'{prefix}categories')} lists them all.",
            ephemeral=True,
        )
    )


# --- answers to questions ------------------------------------------------------------------

QUOTE_ROOM = 1500  # the quoted sentences; the rest of the description is the source line
RELATED_SHOWN = 3
LOW_CONFIDENCE = 0.75  # below this an answer carries a hint to check the article
DECLINED = "I couldn't find that in the articles."
ASK_EXAMPLE = "how many takes did the motorbike stunt need?"
UNSURE = "This may not answer it exactly: the article has the details."


def _dated_link(article: Article, style: Style, tz: tzinfo, limit: int = 150) -> str:
    return f"{_title_link(article, style, limit)} · {format_date(article.date, tz)}"


def answer_reply(answer: Answer, *, style: Style = DISCORD, tz: tzinfo = UTC) -> Reply:
    """The sentences that answer the question, quoted, with the source article linked and
    dated; or, when the articles do not hold an answer, one plain sentence and the closest
    articles."""
    title = quoted(answer.question, style, 200)
    article = answer.article
    text = " ".join(" ".join(s.split()) for s in answer.sentences)
    if answer.declined or article is None or not text:
        lines = [DECLINED]
        related = list({a.id: a for a in answer.related}.values())
        if related:
            lines.append("")
            lines.append(style.bold("Closest articles"))
            lines += [f"- {_dated_link(a, style, tz)}" for a in related[:RELATED_SHOWN]]
        return finish(Reply(title=title, description="\n".join(lines), colour=ORANGE))
    # One line: escaping keeps a sentence's own "> " or "# " from becoming Markdown.
    quote = "> " + limits.fit(text, QUOTE_ROOM, style.escape)
    source = f"Source: {_dated_link(article, style, tz, 200)}"
    unsure = answer.confidence < LOW_CONFIDENCE
    return finish(
        Reply(
            title=title,
            description=f"{quote}\n\n{source}",
            footer=UNSURE if unsure else "",
            colour=BRAND,
        )
    )


# --- help ------------------------------------------------------------------------------------


def help_reply(
    *, style: Style = DISCORD, prefix: str = "!", console: bool = False, mention: str = ""
) -> Reply:
    """What the bot can do, with examples. ``console`` lists the console's own commands."""
    p = "" if console else prefix
    c = style.code
    lines = [
        f"{c(p + 'search cruise stunt')} — articles about these words, best first",
        f"{c(p + 'ask ' + ASK_EXAMPLE)} — the sentences that answer it, quoted, with "
        "the article they come from",
        f"{c(p + 'latest tv 3')} — the newest articles, of one category if you like (1–10)",
        f"{c(p + 'categories')} — every category and how many articles it has",
        f"{c(p + 'article comet seen over the valley')} — one article in full",
    ]
    if console:
        lines += [
            f"{c('more')} / {c('back')} — the next / previous page of results",
            f"{c('reindex')}, {c('stats')} — refresh the index, show its figures",
            f"{c('quit')} — leave (or Ctrl-D). A question is answered, anything else is searched.",
        ]
    else:
        lines.append("Every command also works as a slash command: " + c("/search cruise stunt"))
        if mention:
            me = limits.fit(mention, 80, style.escape)
            lines.append(
                f"Or mention me with words to search or a question to answer: {me} cruise stunt"
                f" · {me} who judged the cooking show?"
            )
    phrase, author = c('"train chase"'), c('author:"Jane Doe"')
    syntax = "\n".join(
        [
            f"{phrase} — the exact phrase",
            f"{c('-crash')} — leave out articles with this word",
            f"{c('category:tv')} or {c('in:tv')} — only this category",
            f"{c('tag:olympics')}, {author} — only this tag / author",
            f"{c('after:2020-09-01')}, {c('before:2020-10')} — a day, month or year",
        ]
    )
    fields: list[Field] = [("Search syntax", syntax, False)]
    if not console:
        fields.append(
            (
                "For server managers",
                f"{c(p + 'reindex')} — read new and changed articles now\n"
                f"{c(p + 'stats')} — index figures · {c(p + 'sync')} — publish slash commands "
                "(bot owner)",
                False,
            )
        )
    return finish(
        Reply(
            title="Search the site's articles",
            description="\n".join(lines),
            fields=tuple(fields),
            colour=BRAND,
        )
    )


# --- admin -----------------------------------------------------------------------------------


def reindex_reply(report: ReindexReport, *, style: Style = DISCORD) -> Reply:
    """What a reindex did: counts, then the files added, updated, removed and refused."""
    summary = (
        f"{_plural(report.total, 'article')} · {len(report.added)} added · "
        f"{len(report.updated)} updated · {len(report.removed)} removed · "
        f"{report.unchanged} unchanged"
    )
    extra = []
    if report.refused:
        extra.append(f"{len(report.refused)} refused")
    if report.skipped:
        extra.append(f"{len(report.skipped)} skipped (drafts, unpublished or duplicates)")
    lines = [summary]
    if extra:
        lines.append(" · ".join(extra))
    lines.append(f"Took {report.seconds:.1f} s.")
    fields: list[Field] = []
    for name, items in (
        ("Added", report.added),
        ("Updated", report.updated),
        ("Removed", report.removed),
    ):
        if items:
            fields.append((f"{name} ({len(items)})", _list_lines(items, 1000, style), False))
    if report.refused:
        reasons = [f"{r.path} — {r.reason}" for r in report.refused]
        fields.append(
            (f"Refused ({len(report.refused)})", _list_lines(reasons, 1000, style), False)
        )
    return finish(
        Reply(
            title="Index rebuilt" if report.full else "Index updated",
            description="\n".join(lines),
            fields=tuple(fields),
            colour=ORANGE if report.refused else GREEN,
        )
    )


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def human_age(then: datetime | None, now: datetime | None = None) -> str:
    if then is None:
        return "never built"
    now = now or datetime.now(UTC)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return f"{_plural(seconds // size, unit)} ago"
    return "just now"


def stats_reply(
    stats: IndexStats,
    *,
    queries_hour: int = 0,
    queries_day: int = 0,
    reindexing: bool = False,
    now: datetime | None = None,
    tz: tzinfo = UTC,
) -> Reply:
    built = human_age(stats.built_at, now)
    if stats.built_at is not None:
        built += f" ({format_date(stats.built_at, tz)})"
    fields: list[Field] = [
        ("Articles", str(stats.articles), True),
        ("Categories", str(stats.categories), True),
        ("Distinct words", str(stats.terms), True),
        ("Index built", built + (" · reindexing now" if reindexing else ""), True),
        ("Index size", human_bytes(stats.db_bytes), True),
        ("Searches", f"{queries_hour} in the last hour · {queries_day} in the last day", True),
    ]
    if stats.refused:
        fields.append(("Refused files", str(stats.refused), True))
    return finish(Reply(title="Index statistics", fields=tuple(fields), colour=BRAND))


# --- error sentences -----------------------------------------------------------------------


def sentence_with_code(text: str, style: Style) -> str:
    """Escape ``text`` but show its balanced `code` spans (the index quotes the user's
    filter or date in them) as inline code, whose content cannot render or ping."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced: treat every character as plain text
        return style.escape(text)
    return "".join(
        style.code(part) if i % 2 else style.escape(part) for i, part in enumerate(parts)
    )


def error(message: str) -> Reply:
    """A one-sentence reply that only the asker sees (for slash commands)."""
    return finish(Reply(content=message, ephemeral=True))


def cooldown_message(retry_after: float) -> str:
    seconds = max(1, math.ceil(retry_after))
    return f"You're going a little fast: try again in {_plural(seconds, 'second')}."


def usage_message(usage: str, style: Style = DISCORD) -> str:
    return f"Usage: {style.code(usage)}"


QUERY_TOO_LONG = "That search is too long; keep it under {limit} characters."
EMPTY_QUERY = "Tell me what to look for, e.g. {example}."
EMPTY_QUESTION = "What would you like to know? For example: {example}"
QUESTION_TOO_LONG = "That question is too long; keep it under {limit} characters."
COUNT_RANGE = "The count must be a whole number from 1 to 10."
NOT_ALLOWED = "Sorry, only server managers and the bot's admins can do that."
OWNER_ONLY = "Only the bot's owner can do that."
INTERNAL = "Something went wrong on my side; it has been logged. Please try again later."
OUT_OF_DATE = (
    "That command has changed since Discord last heard about it; please try again in a "
    "minute (an admin can run sync to update it now)."
)
BUSY_REINDEXING = "A reindex is already running; this reply will show its result."
ONLY_ASKER = "Only the person who searched can turn these pages."


# --- text for the console ----------------------------------------------------------------------


def to_text(reply: Reply, style: Style = PLAIN) -> str:
    """A reply as terminal text: title, link, description, fields, footer."""
    out = []
    if reply.content:
        out.append(reply.content)
    if reply.title:
        out.append(style.bold(reply.title))
    if reply.url:
        out.append(reply.url)
    if reply.description:
        out.append(reply.description)
    inline: list[str] = []
    for name, value, is_inline in reply.fields:
        if is_inline and "\n" not in value:
            inline.append(f"{name}: {value}")
            continue
        if inline:
            out.append(" · ".join(inline))
            inline = []
        out.append(f"{style.bold(name)}\n{value}")
    if inline:
        out.append(" · ".join(inline))
    if reply.image:
        out.append(f"Image: {reply.image}")
    if reply.footer:
        out.append(reply.footer)
    return "\n".join(part for part in out if part)
