"""Synthetic Arabic articles made from the seed articles' sentences.

For load and fault tests and ``bench/ingest.py``: real Arabic news prose (so the real
embedder and chunker do real work), varied by shuffling and recombining sentences
and changing numbers and dates, reproducible from a seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

from bot.chunk import sentence_spans

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# Questions the seed articles answer (each clears the relevance floors), English and
# Arabic; the load and ingest benchmarks both ask them.
SEED_QUESTIONS = [
    "How many people were wounded in the clashes in Kirkuk?",
    "كم عدد الجرحى في اشتباكات كركوك؟",
    "Which town near Mosul did Iraqi forces storm?",
    "ماذا قال اللواء علي كاظم اللامي عن المتحف؟",
    "What did the US defense secretary say in Baghdad?",
    "Who withdrew from al-Nasr?",
]
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_NUMBER = re.compile(r"\d+")


def seed_sentences() -> list[str]:
    out: list[str] = []
    for f in sorted(SEEDS.glob("*.txt")):
        text = f.read_text("utf-8")
        for a, b in sentence_spans(text):
            s = " ".join(text[a:b].split())
            if len(s) >= 25:  # drop headings, datelines and fragments
                out.append(s)
    return out


def _vary_numbers(text: str, rng: random.Random) -> str:
    text = _YEAR.sub(lambda m: str(rng.randint(2012, 2020)), text)
    # Other figures (casualties, distances) change; the years just set stay.
    return _NUMBER.sub(
        lambda m: m.group() if len(m.group()) >= 4 else str(rng.randint(2, 999)), text
    )


def articles(
    n: int, seed: int = 6, sentences: tuple[int, int] = (4, 12), disjoint: bool = False
) -> Iterator[tuple[str, str]]:
    """``n`` (file name, text) pairs. ``disjoint``: no two articles share a sentence
    (for tests that must find one article by its text; at most len(sentences) / 2)."""
    rng = random.Random(seed)
    pool = seed_sentences()
    order = rng.sample(pool, len(pool))
    at = 0
    for i in range(n):
        k = rng.randint(*sentences)
        if disjoint:
            if at + k > len(order):
                raise ValueError(f"only {len(order)} seed sentences for disjoint articles")
            body, at = order[at : at + k], at + k
        else:
            body = [_vary_numbers(s, rng) for s in rng.sample(pool, k)]
        title = body[0].split("،")[0][:90]
        paragraphs = [" ".join(body[j : j + 3]) for j in range(0, len(body), 3)]
        text = f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"
        yield f"syn_{seed}_{i:05d}.txt", text


def write_articles(folder: Path, n: int, **kwargs: object) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in articles(n, **kwargs):  # type: ignore[arg-type]
        p = folder / name
        p.write_text(text, "utf-8")
        paths.append(p)
    return paths
