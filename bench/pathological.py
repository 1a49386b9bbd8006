"""Time the loader on crafted posts: pathological Markdown lines and YAML alias bombs.

Each motif is repeated into one line of 0.25, 1 and 4 MB (4 MB is the default post size
limit); linear cleaning shows ~4x per step, quadratic ~16x. Before the reliability work an
80 KB line of ``_a `` took 37 s.

    .venv/bin/python bench/pathological.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articlebot.index import IndexConfig, PostError
from articlebot.index.posts.loader import parse_post

MOTIFS = [
    "_a ", "*a ", "**a ", "~~a ", "`", "``a", "[", "[a](", "![", "{{", "{%", "<img ",
    "# " + " " * 40 + "x\n", "| --" + " " * 30,
]  # fmt: skip
SIZES = (250_000, 1_000_000, 4_000_000)


def laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    lines.append(f"title: [{','.join([f'*a{levels - 1}'] * 9)}]")
    return "---\n" + "\n".join(lines) + "\n---\nbody\n"


def main() -> None:
    config = IndexConfig()
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("motif".ljust(14) + "".join(f"{n / 1e6:>10.2f} MB" for n in SIZES))
    worst = 0.0
    for motif in MOTIFS:
        times = []
        for size in SIZES:
            body = (motif * (size // len(motif) + 1))[:size]
            data = f"---\ntitle: Crafted\n---\n{body}".encode()
            started = time.perf_counter()
            parse_post(data, "crafted.md", config)
            times.append(time.perf_counter() - started)
        worst = max(worst, times[-1] / (SIZES[-1] / 1e6))
        print(repr(motif)[:14].ljust(14) + "".join(f"{t:>11.3f} s" for t in times))
    print(f"worst: {worst:.2f} s per MB at 4 MB")
    started = time.perf_counter()
    try:
        parse_post(laughs().encode(), "laughs.md", config)
        outcome = "indexed"
    except PostError as exc:
        outcome = f"refused ({exc})"
    seconds = time.perf_counter() - started
    print(f"billion laughs ({len(laughs())} bytes): {outcome} in {seconds:.4f} s")


if __name__ == "__main__":
    main()
