"""A post's language, and where it came from.

In order: the front matter (`lang`, `language`, `locale`), the path where a multilingual
site's layout puts it (`ja/docs/setup.md`, `zh-cn/...`, Hugo's `post.de.md`), the site's
declared language (ARTICLEBOT_LANGUAGE), else detection from the text with py3langid,
whose model ships inside its package (nothing is downloaded). The language picks the
Snowball stemmer a post's words are analysed with.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

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
WALKER_RECHECK = 10.0  # seconds: how often an identifier without the compiled walk looks again


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


# The detector's byte automaton (py3langid's Aho-Corasick walk over n-grams) is in a state
# that depends only on the last few bytes read: 6 for the model it ships (its deepest
# state), so every byte's state is found at once in numpy from its last 6 bytes instead of
# a Python loop over the bytes. The result is checked against the automaton (each state
# must follow from the one before it) and the library's own walk used if it ever is not.
_WINDOW = 6
# Every float16 as float32 (exact), by its bits: the model's table is float16, and numpy's
# own cast is ~2x slower than looking its values up here.
_HALF_TO_SINGLE = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
_HALF_TO_SINGLE = _HALF_TO_SINGLE.astype(np.float32)
# Model rows kept as float32 (9 MB at most for 142 languages): ~99% of the features of a
# sample of English news, once warm.
_HOT_ROWS = 16384


def _widen(rows: np.ndarray) -> np.ndarray:
    return np.take(_HALF_TO_SINGLE, rows.view(np.uint16))


def _walk_states(
    data: bytes, next_move: np.ndarray, row_base: np.ndarray, pairs: np.ndarray | None = None
) -> np.ndarray | None:
    """The automaton's state after each byte of ``data``, or None if the window does not
    give the same states as walking byte by byte. ``pairs`` (``_pair_states``) takes the
    window's first two bytes in one look-up."""
    seen = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
    n = len(seen)
    states = np.zeros(n, dtype=np.intp)
    top = min(_WINDOW, n) - 1
    if pairs is not None and top >= 1:
        # The passes for ``top`` and ``top - 1`` at once: two bytes from the root.
        states[top:] = pairs[(seen[: n - top] << 8) | seen[1 : n - top + 1]]
        states[top - 1] = next_move[row_base[0] + seen[0]]
        top -= 2
    for back in range(top, -1, -1):
        # States from the root over bytes [i - back, i], for every i at least ``back``.
        states[back:] = next_move[row_base[states[back:]] + seen[: n - back]]
    if n > 1 and not np.array_equal(states[1:], next_move[row_base[states[:-1]] + seen[1:]]):
        return None
    return states


def _pair_states(next_move: np.ndarray, row_base: np.ndarray) -> np.ndarray:
    """The state after each two bytes read from the root, by ``first << 8 | second``."""
    first = next_move[row_base[0] + np.arange(256)].astype(np.intp)
    return next_move[(row_base[first][:, None] + np.arange(256)).ravel()].astype(np.intp)


def _counts_first_seen_first(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in order of first occurrence, and how often each occurs (float32),
    as ``Counter(values)`` would list them (values below 2**31). One sort of
    value-then-position keys: a value's run in it starts at its first position."""
    n = len(values)
    keys = (values.astype(np.int64) << 32) | np.arange(n, dtype=np.int64)
    keys.sort()
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(keys[1:] >> 32, keys[:-1] >> 32, out=new[1:])
    starts = np.flatnonzero(new)
    first = keys[starts] & 0xFFFFFFFF
    runs = np.empty(len(starts), dtype=np.int64)  # np.diff(starts, append=n), cheaper
    np.subtract(starts[1:], starts[:-1], out=runs[:-1])
    runs[-1:] = n - starts[-1:]
    counts = np.zeros(n, dtype=np.float32)
    counts[first] = runs  # by first position: each is one value's
    first.sort()
    return values[first], counts[first]


def _numpy_walk(identifier_class: type) -> type:
    """The identifier with ``_raw_score`` walking the automaton in numpy: the same feature
    counts in the same order (first seen first), so the same scores to the last bit."""

    class NumpyWalk(identifier_class):  # type: ignore[misc, valid-type]
        __slots__ = (
            "_filling", "_hot", "_next_move", "_outputs", "_pairs", "_row_base", "_slot", "_used",
            "_walker", "_walker_checked", "_where",
        )  # fmt: skip

        def prepare(self) -> None:
            # A view of the model's table (39 MB, mapped from the cache folder), not a copy.
            self._next_move = np.asarray(self.tk_nextmove)
            self._row_base = np.asarray(self._rowbase, dtype=np.intp)
            self._pairs = _pair_states(self._next_move, self._row_base)
            self._outputs = np.asarray(self.tk_output, dtype=np.intp)
            # Float32 rows kept (pages are only touched as rows are written), which row
            # of them holds each feature's (-1: none yet), how many are taken.
            self._hot = np.empty((_HOT_ROWS, self.nb_ptc.shape[1]), dtype=np.float32)
            self._slot = np.full(len(self.nb_ptc), -1, dtype=np.int32)
            self._used = 0
            self._filling = threading.Lock()
            self._where = threading.local()  # per thread: the compiled walk's scratch
            self._walker_checked = time.monotonic()
            self._walker = _compiled_walk(self)

        def _raw_score(self, text: Any) -> Any:
            if self._walker is None and time.monotonic() - self._walker_checked > WALKER_RECHECK:
                # Built since this identifier loaded (a bot whose first reindex came
                # before the kernel's first build): taken up without a restart.
                self._walker_checked = time.monotonic()
                self._walker = _compiled_walk(self)
            if self._walker is not None and isinstance(text, bytes) and text:
                return self._compiled_score(text)
            states = None
            if isinstance(text, bytes) and text:
                states = _walk_states(text, self._next_move, self._row_base, self._pairs)
            if states is None:
                return super()._raw_score(text)
            features = self._outputs[states]
            features = features[features >= 0]
            if not len(features):
                return super()._raw_score(b"")  # no features: the library's answer
            ids, counts = _counts_first_seen_first(features)
            # ``_sparse_score``'s sum on the same ids, counts and values, in the same order.
            return np.log1p(counts) @ self._rows(ids) + self.nb_pc

        def _compiled_score(self, text: bytes) -> Any:
            """``_raw_score`` with the walk and the counting compiled (``langkernel``):
            the same features and counts in the same order, so the same sum."""
            where = getattr(self._where, "table", None)
            if where is None:
                where = self._where.table = np.full(len(self.nb_ptc), -1, dtype=np.int32)
            ids = np.empty(len(text), dtype=np.int64)
            counts = np.empty(len(text), dtype=np.float32)
            n = self._walker.walk_features(
                np.frombuffer(text, dtype=np.uint8), self._next_move, self._row_base,
                self._outputs, where, ids, counts,
            )  # fmt: skip
            if not n:
                return super()._raw_score(b"")  # no features: the library's answer
            return np.log1p(counts[:n]) @ self._rows(ids[:n]) + self.nb_pc

        def _rows(self, ids: np.ndarray) -> np.ndarray:
            """The model's rows for ``ids`` as float32, the values ``_sparse_score``
            multiplies (its float16 table widened exactly). Widening ~350 rows per
            sample cost more than the rest of the scoring, so rows are kept widened on
            first use, up to ``_HOT_ROWS``; past that the others are widened each time."""
            table = self.nb_ptc
            if table.dtype != np.float16:
                return table[ids]
            slots = self._slot[ids]
            if slots.min(initial=0) >= 0:
                return self._hot[slots]
            # One thread at a time takes rows (a reindex in a thread may detect while
            # another does); a row is written before its slot is, so readers never see
            # a slot without its row.
            with self._filling:
                slots = self._slot[ids]
                fresh = ids[slots < 0][: len(self._hot) - self._used]
                if len(fresh):
                    new = np.arange(self._used, self._used + len(fresh), dtype=np.int32)
                    self._hot[new] = _widen(table[fresh])
                    self._slot[fresh] = new
                    self._used += len(fresh)
                    slots = self._slot[ids]
            rows = self._hot[np.maximum(slots, 0)]
            missed = np.flatnonzero(slots < 0)
            if len(missed):
                rows[missed] = _widen(table[ids[missed]])
            return rows

    return NumpyWalk


def _compiled_walk(identifier: Any) -> Any:
    """The built kernel (with ``walk_features``) when it is built and reads this model's
    tables as they are, else None (the numpy walk). py3langid narrows its moves to
    uint16 when they fit: the kernel's own argument check refuses other widths, so one
    empty walk asks it, rather than every detection raising."""
    from articlebot.index.ranking import kernel_aot

    kernel = kernel_aot.shared()
    if kernel is None:
        return None
    try:
        kernel.walk_features(
            np.zeros(0, dtype=np.uint8), identifier._next_move, identifier._row_base,
            identifier._outputs, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.float32),
        )  # fmt: skip
    except TypeError:
        return None
    return kernel


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, loaded once per process (~0.7 s) and only when needed."""
    return _load_identifier()


def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from articlebot.index.posts import langid_model

    try:
        # The tables memory-mapped from the cache folder (langid_model): shared by every
        # process, and no 1.2 s of unpacking each time.
        tables = langid_model.load_tables(langid_model.model_file())
        identifier = _numpy_walk(LanguageIdentifier)(
            tables["ptc"], tables["pc"], tables["classes"], tables["nextmove"],
            tables["out_feat"], norm_probs=True, tk_row=(),
        )  # fmt: skip
        # The rows' offsets as one array, not the library's list of 104k ints (~11 MB
        # with the outputs' list, in every process that detects); its own walk, the
        # fallback, indexes them the same way.
        identifier.tk_row = tables["nextmove_row"]
        identifier._rowbase = tables["nextmove_row"].astype(np.intp) << 8
        identifier.prepare()
    except Exception as exc:  # another py3langid's layout, or anything else: its own load
        logging.getLogger(__name__).warning("Language detection loads py3langid's model "
                                            "the slow way: %s", exc)  # fmt: skip
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return identifier


def _letters(sample: str) -> int:
    return sum(map(str.isalpha, sample))


def detect(text: str) -> str:
    """The language the text is most likely written in, or "" when unsure."""
    sample = text[:DETECT_CHARS]
    # At least 20 letters: most samples have them in their first 64 characters.
    if _letters(sample[:64]) < 20 and _letters(sample) < 20:
        return ""
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_DETECTED else ""


def resolve(declared: object, rel_id: str, site: str, sample: str) -> tuple[str, str]:
    """(language code, where it came from) for one post; ("", FALLBACK) when nothing
    says, so the analyser's default applies."""
    return resolve_many([(declared, rel_id, site, sample)])[0]


def resolve_many(hints: Sequence[tuple[object, str, str, str]]) -> list[tuple[str, str]]:
    """``resolve`` of each post's (declared, rel_id, site, sample). The posts that need
    detection are detected one after another once the others are settled: interleaved
    with the reading of each post, the model's tables and the reader's pushed each other
    out of the processor's caches (~0.1 ms a post of ~0.8)."""
    out: list[tuple[str, str]] = []
    pending: list[int] = []
    for i, (declared, rel_id, site, _) in enumerate(hints):
        if code := code_of(declared):
            out.append((code, FRONT_MATTER))
        elif code := from_path(rel_id):
            out.append((code, PATH))
        elif code := code_of(site):
            out.append((code, SITE))
        else:
            out.append(("", FALLBACK))
            pending.append(i)
    for i in pending:
        if code := detect(hints[i][3]):
            out[i] = (code, DETECTED)
    return out
