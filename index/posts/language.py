"""A post's language, and where it came from.

In order: the front matter (`lang`, `language`, `locale`), the path where a multilingual
site's layout puts it (`ja/docs/setup.md`, `zh-cn/...`, Hugo's `post.de.md`), the site's
declared language (ARTICLEBOT_LANGUAGE), else detection from the text with py3langid,
whose model ships inside its package (nothing is downloaded). The language picks the
Snowball stemmer a post's words are analysed with.
"""

from __future__ import annotations

import functools
import re
from typing import Any

FRONT_MATTER = "front matter"
PATH = "path"
SITE = "site"
DETECTED = "detected"
FALLBACK = "fallback"  # detection unsure or impossible: the analyser's default (English)

# Language names and three-letter codes people write in front matter.
_NAMES = {
    "english": "en", "englisch": "en", "german": "de", "deutsch": "de", "ger": "de",
    "deu": "de", "spanish": "es", "español": "es", "espanol": "es", "castellano": "es",
    "spa": "es", "russian": "ru", "русский": "ru", "rus": "ru", "french": "fr",
    "français": "fr", "francais": "fr", "fra": "fr", "fre": "fr", "italian": "it",
    "italiano": "it", "ita": "it", "portuguese": "pt", "português": "pt", "por": "pt",
    "dutch": "nl", "nederlands": "nl", "nld": "nl", "polish": "pl", "polski": "pl",
    "pol": "pl", "eng": "en", "ukrainian": "uk", "українська": "uk", "ukr": "uk",
    "swedish": "sv", "svenska": "sv", "turkish": "tr", "türkçe": "tr", "japanese": "ja",
    "日本語": "ja", "chinese": "zh", "中文": "zh", "korean": "ko", "한국어": "ko",
    "thai": "th", "ไทย": "th",
}  # fmt: skip

# ISO 639-1 codes a folder or a file-name suffix may be named after. A path segment counts
# only when it is exactly one of these, optionally with a region ("zh-cn", "pt_BR"), so
# ordinary folder names are never read as languages.
_CODES = frozenset(
    (
        "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "eo", "es", "et",
        "eu", "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it",
        "ja", "ka", "kk", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "nb", "ne", "nl",
        "nn", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sv", "sw", "ta",
        "te", "th", "tl", "tr", "uk", "ur", "uz", "vi", "zh",
    )
)  # fmt: skip
_SEGMENT = re.compile(r"([a-z]{2})(?:[-_]([a-z]{2}|hans|hant))?")
# The least share of its probability mass the detector must give a language to be believed.
MIN_DETECTED = 0.5
DETECT_CHARS = 600  # of title, description and body: enough for a sure guess, and cheap


def code_of(value: object) -> str:
    """The two-letter code of a language as written in front matter ("pt-BR" -> "pt",
    "Deutsch" -> "de"), or "" when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return ""
    lowered = value.strip().casefold()
    if lowered in _NAMES:
        return _NAMES[lowered]
    code = re.split(r"[-_]", lowered, maxsplit=1)[0]
    if len(code) == 2 and code.isalpha() and code.isascii():
        return code
    return _NAMES.get(code, "")


def from_path(rel_id: str) -> str:
    """The language a site's layout gives a post by its path: a folder named for it
    (`ja/docs/x.md`, `content/zh-cn/x.md`) or a suffix (`post.de.md`); "" otherwise."""
    *folders, name = rel_id.casefold().split("/")
    parts = name.split(".")
    if len(parts) >= 3 and parts[-2] in _CODES:  # Hugo: about.de.md
        return parts[-2]
    for folder in folders:
        m = _SEGMENT.fullmatch(folder)
        if m and m.group(1) in _CODES:
            return m.group(1)
    return ""


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, loaded once per process (~0.7 s) and only when needed."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str:
    """The language the text is most likely written in, or "" when unsure."""
    sample = text[:DETECT_CHARS]
    if sum(c.isalpha() for c in sample) < 20:
        return ""
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_DETECTED else ""


def resolve(declared: object, rel_id: str, site: str, sample: str) -> tuple[str, str]:
    """(language code, where it came from) for one post; ("", FALLBACK) when nothing
    says, so the analyser's default applies."""
    if code := code_of(declared):
        return code, FRONT_MATTER
    if code := from_path(rel_id):
        return code, PATH
    if code := code_of(site):
        return code, SITE
    if code := detect(sample):
        return code, DETECTED
    return "", FALLBACK
