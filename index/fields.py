"""One BM25 document per article, with fields weighted by repetition.

Repeating a field's tokens (rather than scoring fields separately) keeps the ranking
exactly rank-bm25's BM25Plus on the resulting token list, and lets one postings list
serve every field.
"""

from __future__ import annotations

from index.analysis import Analyzer
from index.article import Article
from index.config import IndexConfig


def document_tokens(article: Article, analyzer: Analyzer, config: IndexConfig) -> list[str]:
    language = article.language
    fields = (
        (article.title, config.title_weight),
        (article.description, config.description_weight),
        (" \n ".join(article.categories), config.categories_weight),
        (" \n ".join(article.tags), config.tags_weight),
        (article.author, config.author_weight),
        (article.body, config.body_weight),
    )
    tokens: list[str] = []
    for text, weight in fields:
        if text and weight > 0:
            tokens.extend(analyzer.tokens(text, language) * weight)
    return tokens
