"""Months, weekdays, times of day, compass directions, figures, destruction and theft the
English names and its Arabic does not (``bot.numbers.ungrounded_*``, the ``destroyed`` and
``stolen`` event frames of ``bot.checks.frames``), and figures given to another event or
side (``bot.checks.number_roles``), Arabic words written out in Latin letters
(``bot.names.transliterated``), without the model, one run.

- False alarms: human English against its Arabic, sentence by sentence: NTREX's reference
  translations (bench/data/mt_ar_en.dev.jsonl) and the team's seed references
  (bench/data/seed_references.yaml).
- Catches: the bundled model's fixed candidate translations
  (bench/data/confidence_pool.jsonl) with their right / wrong labels
  (bench/data/confidence_labels.yaml): a flagged wrong candidate is a catch, a flagged
  right one a false alarm.

    python bench/claims.py
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.checks import frames, number_roles  # noqa: E402
from bot.chunk import sentence_units  # noqa: E402
from bot.glossary import load_glossary  # noqa: E402
from bot.names import transliterated  # noqa: E402
from bot.numbers import (  # noqa: E402
    ungrounded_dates,
    ungrounded_directions,
    ungrounded_numbers,
    ungrounded_times,
)

DATA = ROOT / "bench" / "data"
Check = Callable[[str, Sequence[str]], list[str]]


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


def human_pairs() -> dict[str, list[tuple[str, str]]]:
    units: dict[str, str] = {}
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        text = f.read_text("utf-8")
        for i, (a, b) in enumerate(sentence_units(text)):
            units[f"{f.name[:3]}:{i}"] = text[a:b]
    refs = yaml.safe_load((DATA / "seed_references.yaml").read_text("utf-8"))
    return {
        "NTREX references": [(r["en"], r["ar"]) for r in _jsonl("mt_ar_en.dev.jsonl")],
        "seed references": [(str(v), units[k]) for k, v in refs.items() if k in units],
    }


def destroyed(en: str, sources: Sequence[str]) -> list[str]:
    """An added destruction (the event frame, as answers and translations check it)."""
    return [p for p in frames(" ".join(sources), en, full=False) if "'destroyed'" in p]


def stolen(en: str, sources: Sequence[str]) -> list[str]:
    """An added theft or looting (the event frame, as answers and translations check it)."""
    return [p for p in frames(" ".join(sources), en, full=False) if "'stolen'" in p]


def numbers(en: str, sources: Sequence[str]) -> list[str]:
    """Figures not in the Arabic (a bare مليون or "a million" counts as one million)."""
    return ungrounded_numbers(en, sources)


GLOSSARY = load_glossary(ROOT / "prompts" / "glossary.yaml")


def latin(en: str, sources: Sequence[str]) -> list[str]:
    """Arabic words written out in Latin letters ("a damara" for دمارا)."""
    return transliterated(en, sources, GLOSSARY)


def main() -> None:
    checks: dict[str, Check] = {
        "dates": ungrounded_dates,
        "directions": ungrounded_directions,
        "destroyed (added)": destroyed,
        "times of day": ungrounded_times,
        "stolen (added)": stolen,
        "numbers": numbers,
        "number roles": number_roles,
        "Arabic in Latin letters": latin,
    }
    labels = yaml.safe_load((DATA / "confidence_labels.yaml").read_text("utf-8"))
    pool = [
        (cand["text"], row["ar"], str(labels.get(row["id"], {}).get(cand["kind"], "")))
        for row in _jsonl("confidence_pool.jsonl")
        for cand in row["candidates"]
    ]
    pool = [(en, ar, "right" if lab == "right" else "wrong") for en, ar, lab in pool if lab]
    print(
        "| check | NTREX references flagged | seed references flagged "
        "| right candidates flagged | wrong candidates caught |"
    )
    print("| --- | --: | --: | --: | --: |")
    human = human_pairs()
    for name, check in checks.items():
        cells = [
            f"{sum(bool(check(en, [ar])) for en, ar in pairs)}/{len(pairs)}"
            for pairs in human.values()
        ]
        for kind in ("right", "wrong"):
            rows = [(en, ar) for en, ar, lab in pool if lab == kind]
            cells.append(f"{sum(bool(check(en, [ar])) for en, ar in rows)}/{len(rows)}")
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
