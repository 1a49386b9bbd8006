"""Small posts written for the index tests, in the real Jigsaw shape."""

from __future__ import annotations

from pathlib import Path

from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article
from articlebot.index.results import ReindexReport
from articlebot.index.storage import database, tables
from articlebot.index.storage.reindex import run_reindex

POSTS = {
    "harbour_swimmers_brave_the_cold.md": (
        "Harbour swimmers brave the cold",
        "2021-01-03-09-15-00",
        "sports",
        "Forty swimmers crossed the harbour at dawn. The water was six degrees and the "
        "organisers handed out soup at the finish line.",
    ),
    "quiz_show_host_signs_new_deal.md": (
        "Quiz show host signs new deal",
        "2021-02-11-18-40-00",
        "tv",
        "The quiz show host agreed a three-year deal with the network. Filming of the new "
        "series begins in the spring, with a celebrity edition planned for the autumn.",
    ),
    "comet_seen_over_the_valley.md": (
        "Comet seen over the valley",
        "2021-03-20-22-05-00",
        "science",
        "Amateur astronomers photographed the comet above the valley. Its tail stretched "
        "across two degrees of sky, and the comet will return in 2094.",
    ),
    "bakery_chain_opens_tenth_shop.md": (
        "Bakery chain opens tenth shop",
        "2021-04-02-08-00-00",
        "business",
        "The bakery chain opened its tenth shop on the high street. Queues formed for the "
        "sourdough before the doors opened.",
    ),
}


def write_post(folder: Path, name: str, title: str, date: str, category: str, body: str) -> Path:
    """A post in the site's real shape: Jigsaw front matter, every line ending in a space."""
    path = folder / name
    path.write_text(
        "---\n"
        "extends: _layouts.post \n"
        "section: content \n"
        f"title: {title} \n"
        f"description: {body.split('.')[0]}. \n"
        f"date: {date} \n"
        f"categories: [latest, {category}] \n"
        "--- \n"
        f"{body}\n",
        encoding="utf-8",
    )
    return path


def write_posts(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, date, category, body) in POSTS.items():
        write_post(folder, name, title, date, category, body)
    return folder


def index_folder(
    folder: Path, db: Path, config: IndexConfig, workers: int | None = None
) -> tuple[list[Article], ReindexReport]:
    """The folder through the real pipeline (scan, read, parse, store), and the articles
    as stored, by id."""
    report = run_reindex(db, folder, config, workers=workers)
    conn = database.connect_reader(db)
    try:
        ids = [row[0] for row in conn.execute("SELECT id FROM articles ORDER BY id")]
        found = tables.fetch_articles(conn, ids)
    finally:
        conn.close()
    return [found[i] for i in ids], report
