"""Settings that shape loading and ranking; one frozen value passed everywhere."""

from __future__ import annotations

from dataclasses import dataclass

# Bump when tokenisation or the stored layout changes: stored indexes then rebuild fully.
INDEX_FORMAT = 10  # 8: postings in segment files; 9: the catalog in them too; 10: positions
DEFAULT_URL_TEMPLATE = "https://example.com/posts/{path}"


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """How posts are read and ranked.

    Field weights repeat a field's tokens in the one combined BM25 document, so scoring
    stays exactly rank-bm25's on the resulting token list.
    """

    site_timezone: str = "UTC"
    url_template: str = DEFAULT_URL_TEMPLATE
    default_language: str = "en"  # what an unknown language is analysed as
    # The site's language when its posts do not say (ARTICLEBOT_LANGUAGE); "" detects it
    # per post from the text (index/posts/language.py).
    site_language: str = ""
    # English is stemmed through a British -> American spelling map (colour -> color), so
    # a question or query in either spelling meets text in the other: measured in
    # bench/README.md ("Spelling bridge").
    bridge_spellings: bool = True
    # Posts larger than this are refused with a reason: the largest real post seen is
    # 166 KB, and one of 50 MB cost 1.5 GB of memory and 4 s per search that showed it.
    max_post_bytes: int = 4 << 20
    # BM25Plus parameters (rank-bm25 semantics).
    k1: float = 1.2
    b: float = 0.75
    delta: float = 1.0
    # Field weights: how many times a field's tokens enter the combined document.
    title_weight: int = 4  # measured: bench/README.md, "Ranking quality"
    description_weight: int = 1
    categories_weight: int = 1
    tags_weight: int = 1
    author_weight: int = 1
    body_weight: int = 1

    def fingerprint(self) -> str:
        """Settings that change the stored index; a change forces a full rebuild."""
        return repr(
            (
                INDEX_FORMAT,
                self.site_timezone,
                self.url_template,
                self.default_language,
                self.site_language,
                self.bridge_spellings,
                self.max_post_bytes,
                self.title_weight,
                self.description_weight,
                self.categories_weight,
                self.tags_weight,
                self.author_weight,
                self.body_weight,
            )
        )
