"""A post's language from each source in turn: front matter, path, site setting, detection."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articlebot.index.config import IndexConfig
from articlebot.index.posts import language
from articlebot.index.posts.language import code_of, detect, from_path, resolve
from articlebot.index.posts.loader import parse_post, site_path
from articlebot.index.ranking import kernel_aot

ENGLISH = "The ferry crossed the bay twice before the storm closed the harbour for the night."
RUSSIAN = "Паром дважды пересёк залив, прежде чем шторм закрыл гавань на всю ночь до утра."
JAPANESE = "嵐が港を閉ざす前に、フェリーは湾を二度渡りました。夜の間はずっと閉じられていました。"


@pytest.mark.parametrize(
    ("value", "code"),
    [("de", "de"), ("pt-BR", "pt"), ("zh_CN", "zh"), ("Deutsch", "de"), ("русский", "ru"),
     ("", ""), (None, ""), (3, ""), ("not a language", "")],
)  # fmt: skip
def test_front_matter_values(value: object, code: str) -> None:
    assert code_of(value) == code


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("ja/docs/setup.md", "ja"),
        ("source/zh-cn/docs/index.md", "zh"),
        ("content/pt_BR/post.md", "pt"),
        ("posts/about.de.md", "de"),
        ("docs/setup.md", ""),  # "docs" is no language
        ("blog/italy-trip.md", ""),  # nor a word that starts like one
        ("it.md", ""),  # a file named like a code is not a folder or suffix
    ],
)
def test_languages_in_paths(path: str, code: str) -> None:
    assert from_path(path) == code


def test_detection_knows_scripts_and_declines_too_little_text() -> None:
    assert detect(ENGLISH) == "en"
    assert detect(RUSSIAN) == "ru"
    assert detect(JAPANESE) == "ja"
    assert detect("2020 ok") == ""


def test_sources_in_order() -> None:
    assert resolve("de", "ja/x.md", "fr", RUSSIAN) == ("de", "front matter")
    assert resolve(None, "ja/x.md", "fr", RUSSIAN) == ("ja", "path")
    assert resolve(None, "x.md", "fr", RUSSIAN) == ("fr", "site")
    assert resolve(None, "x.md", "", RUSSIAN) == ("ru", "detected")
    assert resolve(None, "x.md", "", "") == ("", "fallback")


def post(body: str, front: str = "title: A post") -> bytes:
    return f"---\n{front}\n---\n{body}\n".encode()


def test_a_loaded_post_records_its_language_and_where_it_came_from() -> None:
    config = IndexConfig()
    article = parse_post(post(RUSSIAN), "news/storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("ru", "detected")
    article = parse_post(post(ENGLISH), "ko/storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("ko", "path")
    article = parse_post(post(RUSSIAN), "storm.md", IndexConfig(site_language="en"))
    assert article is not None and (article.language, article.language_from) == ("en", "site")
    article = parse_post(post("", "title: 42"), "storm.md", config)
    assert article is not None and (article.language, article.language_from) == ("en", "fallback")


def test_same_named_files_in_different_folders_get_different_links() -> None:
    config = IndexConfig(url_template="https://site.example/{lang}/{path}")
    a = parse_post(post(ENGLISH), "ja/docs/setup.md", config)
    b = parse_post(post(ENGLISH), "ko/docs/setup.md", config)
    c = parse_post(post(ENGLISH), "ko/docs/index.md", config)
    assert a is not None and b is not None and c is not None
    assert a.url == "https://site.example/ja/ja/docs/setup"
    assert b.url == "https://site.example/ko/ko/docs/setup"
    assert c.url == "https://site.example/ko/ko/docs"
    assert len({a.id, b.id, c.id}) == 3


@pytest.mark.parametrize(
    ("rel_id", "slug", "path"),
    [
        ("harbour_seals.md", "harbour_seals", "harbour_seals"),  # a flat folder: the slug
        ("_posts/2020-09-18-seals.md", "seals", "seals"),  # generator folders left out
        ("docs/_index.md", "_index", "docs"),  # Hugo: the folder's own page
        ("en/docs/index.md", "index", "en/docs"),
        ("index.md", "index", "index"),
    ],
)
def test_site_paths(rel_id: str, slug: str, path: str) -> None:
    assert site_path(rel_id, slug) == path


# --- detection walks py3langid's automaton in numpy: the library's scores, bit for bit


@pytest.fixture(scope="module")
def reference() -> Any:
    """py3langid's identifier as shipped, walking its automaton byte by byte."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


MIXED = [
    ENGLISH, RUSSIAN, JAPANESE, "", "a", "2020", "ok ok ok", ENGLISH.upper(),
    "Der Hafen blieb die ganze Nacht geschlossen, während der Sturm über die Bucht zog.",
    "El transbordador cruzó la bahía dos veces antes de que la tormenta cerrara el puerto.",
    "¼ ﬁsh café naïve e\u0301 \u200bzero\u00adwidth \x00 nul 한국어 문장 ไทย 中文",
    ENGLISH * 5,  # longer than one window many times over
]  # fmt: skip


@pytest.mark.parametrize("text", MIXED)
def test_numpy_walk_scores_as_the_library_does(reference: Any, text: str) -> None:
    ours = language._identifier()
    assert type(ours) is not type(reference)  # the numpy walk is in use
    assert ours._decide(text).tobytes() == reference._decide(text).tobytes()
    assert ours.classify(text) == reference.classify(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=120))
def test_numpy_walk_on_any_text(reference: Any, text: str) -> None:
    assert language._identifier()._decide(text).tobytes() == reference._decide(text).tobytes()


@pytest.fixture(params=["built", "jit", "numpy"])
def walker(request: pytest.FixtureRequest) -> Any:
    """Each form of the walk: the built kernel, numba's JIT form, numpy (None)."""
    if request.param == "built":
        return request.getfixturevalue("built_kernel")
    if request.param == "jit":
        pytest.importorskip("numba")
        from articlebot.index.ranking import kernel

        return kernel
    return None


def test_every_form_of_the_walk_scores_as_the_library_does(
    reference: Any, walker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled walk (``langkernel``) meets the same features, counted in the same
    order, as the numpy walk and the library: the same probabilities to the bit."""
    ours = language._identifier()
    monkeypatch.setattr(ours, "_walker", walker)
    texts = [*MIXED, "ʼ" * 700, "abc" * 300, "\udcff broken \udc80 bytes"]
    texts += ["".join(chr(0x20 + (i * 7919 + k) % 0x2FF0) for k in range(400)) for i in range(20)]
    for text in texts:
        assert ours._decide(text).tobytes() == reference._decide(text).tobytes(), text[:40]
        assert ours.classify(text) == reference.classify(text)


def test_a_window_too_short_is_caught_and_the_library_walk_used(
    reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = language._identifier()
    data = ours._encode(ENGLISH)
    assert language._walk_states(data, ours._next_move, ours._row_base) is not None
    monkeypatch.setattr(language, "_WINDOW", 1)  # the state depends on more than one byte
    assert language._walk_states(data, ours._next_move, ours._row_base) is None
    assert ours._decide(ENGLISH).tobytes() == reference._decide(ENGLISH).tobytes()


@pytest.mark.parametrize("text", ["", "a", "ab", "abcdef", *MIXED])
def test_two_bytes_at_once_give_the_same_states(text: str) -> None:
    ours = language._identifier()
    data = ours._encode(text)
    walked = language._walk_states(data, ours._next_move, ours._row_base)
    paired = language._walk_states(data, ours._next_move, ours._row_base, ours._pairs)
    assert walked is not None and paired is not None
    assert paired.tolist() == walked.tolist()


def test_counts_list_values_first_seen_first() -> None:
    values = np.array([5, 3, 5, 9, 3, 5, 1], dtype=np.intp)
    ids, counts = language._counts_first_seen_first(values)
    assert list(zip(ids.tolist(), counts.tolist(), strict=True)) == list(
        Counter(values.tolist()).items()
    )
    assert counts.dtype == np.float32


def test_too_few_letters_are_not_detected() -> None:
    assert detect("1234567890 " * 10 + "abc") == ""
    assert detect("9" * 100 + ENGLISH) == "en"  # letters past the first 64 characters


def test_rows_past_the_kept_ones_score_the_same(
    reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(language, "_HOT_ROWS", 40)  # full after the first text
    ours = language._load_identifier()
    for text in MIXED * 2:
        assert ours._decide(text).tobytes() == reference._decide(text).tobytes()
    assert ours._used == 40


def test_threads_detecting_at_once_score_as_the_library(
    reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(language, "_HOT_ROWS", 300)  # fills up while the threads run
    ours = language._load_identifier()
    texts = [f"{text} {i}" for i in range(8) for text in MIXED]
    with ThreadPoolExecutor(4) as pool:
        scores = list(pool.map(lambda t: ours._decide(t).tobytes(), texts))
    assert scores == [reference._decide(t).tobytes() for t in texts]


def test_a_model_whose_tables_the_built_walk_cannot_read_is_walked_in_numpy(
    reference: Any, built_kernel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """py3langid stores its automaton's moves as uint16 when its states fit (its
    ``modelio.save_model``), as uint32 otherwise; the built walk reads uint32 only, and
    its check refuses anything else. A model with tables of another width (here the
    shipped one widened: the same values) must fall back to the numpy walk, not make
    every detection raise (every post without a declared language was refused)."""
    from articlebot.index.posts import langid_model

    load_tables = langid_model.load_tables

    def other_width(*args: Any, **kwargs: Any) -> dict[str, Any]:
        tables = dict(load_tables(*args, **kwargs))
        tables["nextmove"] = np.asarray(tables["nextmove"]).astype(np.int32)
        return tables

    monkeypatch.setattr(langid_model, "load_tables", other_width)
    monkeypatch.setattr(kernel_aot, "shared", lambda: built_kernel)
    ours = language._load_identifier()
    assert type(ours) is not type(reference) and ours._next_move.dtype == np.int32
    for text in (ENGLISH, RUSSIAN, JAPANESE):
        assert ours._decide(text).tobytes() == reference._decide(text).tobytes()


def test_a_kernel_built_after_the_identifier_loaded_is_taken_up(
    reference: Any, built_kernel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot whose first reindex detected languages before the kernel's first build
    finished walks in numpy only until its next look (``WALKER_RECHECK``)."""
    monkeypatch.setattr(kernel_aot, "shared", lambda: None)  # not built yet
    monkeypatch.setattr(language, "WALKER_RECHECK", 1e9)
    ours = language._load_identifier()
    assert ours._walker is None
    assert ours._decide(ENGLISH).tobytes() == reference._decide(ENGLISH).tobytes()
    monkeypatch.setattr(kernel_aot, "shared", lambda: built_kernel)  # built meanwhile
    assert ours._decide(RUSSIAN).tobytes() == reference._decide(RUSSIAN).tobytes()
    assert ours._walker is None  # not looked for again yet
    monkeypatch.setattr(language, "WALKER_RECHECK", -1.0)  # due now, whatever the clock
    assert ours._decide(JAPANESE).tobytes() == reference._decide(JAPANESE).tobytes()
    assert ours._walker is built_kernel
