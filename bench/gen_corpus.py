"""Generate a synthetic content folder: N articles of ~800 words over a Zipf vocabulary.

Posts are written in the real Jigsaw shape (front matter with trailing spaces, scrape-style
dates, `[latest, X]` categories) so the loader does its real work. Deterministic per seed.

    python bench/gen_corpus.py /tmp/synth-100k --count 100000
"""

from __future__ import annotations

import argparse
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

CATEGORIES = ["tv", "news", "sports", "latest", "female", "business", "science", "health"]


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    """Pronounceable pseudo-words, unique, 3-11 letters."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        length = int(rng.integers(2, 6))
        syllables = rng.integers(0, 16, size=length), rng.integers(0, 5, size=length)
        words.add("".join(consonants[c] + vowels[v] for c, v in zip(*syllables, strict=True)))
    return sorted(words, key=lambda w: (len(w), w))


def zipf_probabilities(size: int, exponent: float = 1.07) -> np.ndarray:
    ranks = np.arange(1, size + 1, dtype=np.float64)
    weights = ranks**-exponent
    return weights / weights.sum()


def generate(out: Path, count: int, words_per_post: int = 800, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = vocabulary(60_000, rng)
    # Shuffle so frequency does not follow word length.
    order = rng.permutation(len(vocab))
    vocab = [vocab[i] for i in order]
    probs = zipf_probabilities(len(vocab))
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2020, 8, 31, tzinfo=UTC)
    for n in range(count):
        length = int(rng.normal(words_per_post, 150))
        ids = rng.choice(len(vocab), size=max(50, length), p=probs)
        body_words = [vocab[i] for i in ids]
        title = " ".join(body_words[:8]).capitalize()
        paragraphs = [" ".join(body_words[i : i + 60]) + "." for i in range(0, len(ids), 60)]
        date = start + timedelta(seconds=int(rng.integers(0, 31 * 86400)))
        category = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
        text = (
            "---\n"
            "extends: _layouts.post \n"
            "section: content \n"
            f"image: https://img.example.com/{n}.jpg \n"
            f"title: {title} \n"
            f"description: {' '.join(body_words[8:30])} \n"
            f"date: {date:%Y-%m-%d-%H-%M-%S} \n"
            f"categories: [latest, {category}] \n"
            "featured: false \n"
            "--- \n" + "\n\n".join(paragraphs) + "\n"
        )
        slug = "".join(
            c if c in string.ascii_lowercase + string.digits else "_" for c in title.lower()
        )
        (out / f"{n:06d}_{slug[:60]}.md").write_text(text, encoding="utf-8")
    return vocab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=800)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.count, args.words, args.seed)
    print(f"wrote {args.count} posts to {args.out}")


if __name__ == "__main__":
    main()
