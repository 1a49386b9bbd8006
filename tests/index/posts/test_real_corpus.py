"""The loader on a real scraped Jigsaw site (24,833 posts), when the archive is at hand.

The archive lives in ``../shared/corpora`` beside the checkout and is never committed; a
fresh clone skips this module.
"""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article, Refusal
from tests.sample_posts import index_folder

ARCHIVE = Path(__file__).resolve().parents[4] / "shared/corpora/finescoop-2020.tar.xz"

pytestmark = pytest.mark.slow

Loaded = tuple[Path, list[Article], list[Refusal], list[Refusal]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    if not ARCHIVE.is_file():
        pytest.skip(f"{ARCHIVE} is not here (only the project's own machines have it)")
    target = tmp_path_factory.mktemp("corpus")
    with tarfile.open(ARCHIVE) as archive:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            archive.extractall(target, filter="data")
        else:
            archive.extractall(target)  # our own archive
    root = target / "finescoop-2020"
    articles, report = index_folder(root, target / "index.sqlite3", IndexConfig(), workers=2)
    return root, articles, list(report.refused), list(report.skipped)


def test_counts(corpus: Loaded) -> None:
    root, articles, refused, skipped = corpus
    assert len(list(root.glob("*.md"))) == 24_833
    assert refused == []
    assert len(skipped) == 679
    assert all(s.reason.startswith("identical copy of ") for s in skipped)
    assert all(s.path.endswith(" 2.md") for s in skipped)  # the originals are kept
    assert len(articles) == 24_154


def test_every_article_has_title_date_and_latest(corpus: Loaded) -> None:
    _, articles, _, _ = corpus
    low, high = datetime(2020, 8, 31, tzinfo=UTC), datetime(2020, 10, 2, tzinfo=UTC)
    for article in articles:
        assert article.title, article.id
        assert article.date is not None and low <= article.date <= high, article.id
        assert article.categories[0] == "latest", article.id


def test_hash_cut_title_comes_back_whole(corpus: Loaded) -> None:
    _, articles, _, _ = corpus
    assert not any(a.title == "Is" for a in articles)
    mulan = [a for a in articles if a.id.startswith("is_metoo_mulan")]
    assert len(mulan) == 1 and len(mulan[0].title) > 40 and "#MeToo" in mulan[0].title
    recovered = [a for a in articles if any("' #'" in w for w in a.warnings)]
    # 1 title and 10 descriptions over all files; one description is in a copy.
    assert len(recovered) == 10


def test_titles_are_clean(corpus: Loaded) -> None:
    _, articles, _, _ = corpus
    for article in articles:
        assert "\u00a0" not in article.title, article.id
        assert article.title == article.title.strip(), article.id
        assert "\u00a0" not in article.description, article.id


def test_empty_bodies_and_images_are_kept(corpus: Loaded) -> None:
    _, articles, _, _ = corpus
    assert sum(1 for a in articles if not a.body) > 100
    assert sum(1 for a in articles if not a.image) > 10
