"""The reindex workers' reading of a batch of posts (``workers.read_posts``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from articlebot.index.config import IndexConfig
from articlebot.index.posts import language
from articlebot.index.posts.folder import scan_folder
from articlebot.index.storage import workers
from articlebot.index.text.analysis import Analyzer

FIXTURES = Path(__file__).resolve().parents[1] / "posts" / "fixtures" / "posts"
# Posts whose language is detected from their text: no front matter says it.
UNDECLARED = {
    "wetter.md": "Das Wetter in den Bergen war gestern kalt, und die Wanderer kehrten früh "
    "zurück, weil der Schnee auf den Wegen lag und niemand die Hütte erreichen konnte.",
    "gatos.md": "Los gatos del barrio se reúnen cada noche en la plaza, donde los vecinos "
    "les dejan comida y agua fresca mientras los niños juegan cerca de la fuente.",
    "harbour.md": "The harbour master counted the boats twice before the storm arrived, "
    "and every fisherman tied his ropes again while the gulls circled over the pier.",
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(FIXTURES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    for name, body in UNDECLARED.items():
        title = name.removesuffix(".md").capitalize()
        (folder / name).write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
    return folder


def test_a_batch_reads_as_its_posts_one_by_one(tmp_path: Path) -> None:
    """Languages are resolved once the whole batch is read; every outcome (the article,
    its detected language and the link that holds it, refusals, drafts) is the one a
    post read alone gets."""
    folder = _folder(tmp_path)
    config = IndexConfig(url_template="https://example.test/{lang}/{slug}/")
    rels = sorted(scan_folder(str(folder)).posts)
    batch = workers.read_posts(str(folder), rels, config)
    alone = [workers.read_post(str(folder), rel, config) for rel in rels]
    assert batch == alone
    by_rel = {f.rel: f.article for f in batch}
    detected = {rel: (a.language, a.url) for rel, a in by_rel.items() if rel in UNDECLARED}
    assert detected == {
        "wetter.md": ("de", "https://example.test/de/wetter/"),
        "gatos.md": ("es", "https://example.test/es/gatos/"),
        "harbour.md": ("en", "https://example.test/en/harbour/"),
    }
    assert {f.rel for f in batch if f.skipped} >= {"draft_post.md", "unpublished_post.md"}
    assert {f.rel for f in batch if f.refused} >= {"garbage.md"}


def test_a_post_that_breaks_detection_is_refused_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    real = language.detect

    def fragile(text: str) -> str:
        if "gatos" in text.casefold():
            raise RuntimeError("the model tripped")
        return real(text)

    monkeypatch.setattr(language, "detect", fragile)
    rels = sorted(UNDECLARED)
    outcomes = {f.rel: f for f in workers.read_posts(str(folder), rels, IndexConfig())}
    assert "the model tripped" in outcomes["gatos.md"].refused
    assert outcomes["gatos.md"].article is None
    assert outcomes["wetter.md"].article is not None
    assert outcomes["wetter.md"].article.language == "de"
    assert outcomes["harbour.md"].article is not None


def _resolved(batches: list[workers.PreparedBatch]) -> list[tuple[list[str], list[str], list[str]]]:
    """Each indexed article's tokens, words (sorted, so a word sent twice for one article
    shows: its document count would be one too many) and positions as strings."""
    terms: list[str] = []
    words: list[str] = []
    out = []
    for batch in batches:
        terms += batch.new_terms
        words += batch.new_words
        t = w = x = 0
        for k in range(len(batch.term_lens)):
            a, b, c = int(batch.term_lens[k]), int(batch.word_lens[k]), int(batch.text_lens[k])
            out.append(
                (
                    [terms[i] for i in batch.term_ids[t : t + a]],
                    sorted(words[i] for i in batch.word_ids[w : w + b]),
                    [terms[i] for i in batch.text_ids[x : x + c]],
                )
            )
            t, w, x = t + a, w + b, x + c
    return out


def test_the_compiled_numbering_sends_what_the_dict_sends(
    tmp_path: Path, built_kernel: object
) -> None:
    """Articles numbered by the compiled table and by the dict (those not all Latin-1:
    Cyrillic, Japanese, an emoji) in one worker, sharing words between them (so a word
    gets an id each way): every article's tokens, words and positions are the same."""
    folder = _folder(tmp_path)
    mixed = {
        "moscow.md": "Погода в Москве: harbour storm и снег, the harbour master ждал.",
        "kyoto.md": "京都の港 harbour storm は静かだった; the gulls circled anyway.",
        "emoji.md": "The harbour 🌊 storm came twice, and every rope held fast.",
        "plain.md": "The harbour storm came twice; every fisherman's rope held fast.",
    }
    for name, body in mixed.items():
        (folder / name).write_text(f"---\ntitle: {name[:-3]} harbour\n---\n{body}\n", "utf-8")
    rels = sorted(scan_folder(str(folder)).posts)
    config = IndexConfig()
    results = []
    for kernel in (built_kernel, None):
        analyzer = Analyzer(config.default_language, config.bridge_spellings)
        state = workers._WorkerState(
            str(folder), config, analyzer, surface=workers._Surface(kernel)
        )
        batches = [
            workers.analyse_batch(workers.read_posts(str(folder), rels[i : i + 7], config), state)
            for i in range(0, len(rels), 7)
        ]
        results.append(_resolved(batches))
    compiled, plain = results
    assert len(compiled) == len(plain) > 30
    assert compiled == plain
