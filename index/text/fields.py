"""One BM25 document per article, with fields weighted by repetition.

Repeating a field's tokens (rather than scoring fields separately) keeps the ranking
exactly rank-bm25's BM25Plus on the resulting token list, and lets one postings list
serve every field.
"""

from __future__ import annotations

from articlebot.index.config import IndexConfig
from articlebot.index.posts.article import Article
from articlebot.index.text.analysis import Analyzer

# The fields of ``document_fields`` a quoted phrase is matched in (title, description and
# body, read as one text in this order, as ``Searcher.phrase_ok`` reads them); their
# tokens are stored once each as the segment's positions.
PHRASE_FIELDS = (0, 1, 5)


def document_fields(article: Article, config: IndexConfig) -> tuple[tuple[str, int, bool], ...]:
    """(text, weight, offered by "did you mean") per field; the author is searchable but
    never offered as a spelling."""
    return (
        (article.title, config.title_weight, True),
        (article.description, config.description_weight, True),
        (" \n ".join(article.categories), config.categories_weight, True),
        (" \n ".join(article.tags), config.tags_weight, True),
        (article.author, config.author_weight, False),
        (article.body, config.body_weight, True),
    )


def document_tokens(article: Article, analyzer: Analyzer, config: IndexConfig) -> list[str]:
    """The article as one BM25 document: each field's tokens repeated by its weight."""
    tokens: list[str] = []
    for text, weight, _ in document_fields(article, config):
        if text and weight > 0:
            tokens.extend(analyzer.tokens(text, article.language) * weight)
    return tokens


def document_words(article: Article, analyzer: Analyzer) -> set[str]:
    """Distinct surface words of the fields "did you mean" offers from."""
    text = " ".join((article.title, article.description, *article.categories, *article.tags))
    return set(analyzer.words(text + " " + article.body))
