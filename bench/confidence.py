"""How well newsbot's confidence separates wrong English from right, on labelled data.

Data (bench/data/, committed): ``confidence_pool.jsonl``, the bundled model's
translations of every Arabic sentence unit of the seed articles and of held-out NTREX
news rows (made by bench/confidence_pool.py: the first, low-temperature translation and
sampled ones, with the server's token log-probabilities and the pipeline's check
flags), and ``confidence_labels.yaml``, each candidate labelled right / wrong in meaning
from the Arabic (``seed_references.yaml`` holds the reference translations the seed
labels were made against).

Splits: the weights of the combined score and its threshold are fitted on the seed dev
split (articles 000-002) only; articles 003-004 and NTREX are held out. In one run, per
split: AUROC of each signal alone and of the combination, and, at the threshold from
dev (the lowest that keeps dev's unmarked sentences <= 10% wrong), the share of
unmarked sentences that are wrong and the share of right sentences marked. Bench-only
signals (they cost model calls per sentence and are not in the pipeline): agreement
among samples (chrF of a candidate with the others of its sentence).

    python bench/confidence.py [--write-weights]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.confidence import FEATURES, Signals, auroc, cross_cosines, fit, score  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embed import get_embedder  # noqa: E402
from bot.writer import sentence_chrf  # noqa: E402

DATA = ROOT / "bench" / "data"
TARGET_WRONG = 0.10


def load() -> list[dict]:
    labels = yaml.safe_load((DATA / "confidence_labels.yaml").read_text("utf-8"))
    rows = []
    for line in (DATA / "confidence_pool.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        for c in item["candidates"]:
            label = (labels.get(item["id"]) or {}).get(c["kind"])
            if label is None:
                continue
            group = item["set"] + (f" {item['split']}" if item["set"] == "seed" else "")
            others = [o["text"] for o in item["candidates"] if o is not c]
            rows.append(
                {
                    "group": group,
                    "id": item["id"],
                    "kind": c["kind"],
                    "ar": item["ar"],
                    "text": c["text"],
                    "right": str(label).startswith("right"),
                    "logprobs": c["logprobs"],
                    "flags": len(c["flags"]),
                    "agreement": sentence_chrf(c["text"], others) if others else None,
                }
            )
    return rows


def with_cosines(rows: list[dict]) -> None:
    cos = cross_cosines(get_embedder(Settings()), [(r["ar"], r["text"]) for r in rows])
    for r, c in zip(rows, cos, strict=True):
        r["signals"] = Signals.of(r["logprobs"], c, r["flags"])


def threshold(scores: list[float], right: list[bool]) -> float:
    """The lowest floor at which the sentences at or above it are <= TARGET_WRONG wrong."""
    for t in sorted(set(scores)):
        shown = [r for s, r in zip(scores, right, strict=True) if s >= t]
        if shown and 1 - sum(shown) / len(shown) <= TARGET_WRONG:
            return t
    return 1.01


def at(scores: list[float], right: list[bool], t: float) -> tuple[float, float, int]:
    shown = [r for s, r in zip(scores, right, strict=True) if s >= t]
    wrong_shown = 1 - sum(shown) / len(shown) if shown else 0.0
    right_marked = 1 - sum(shown) / max(1, sum(right))
    return wrong_shown, right_marked, len(shown)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-weights", action="store_true", help="print the fitted weights")
    args = ap.parse_args()
    rows = load()
    with_cosines(rows)
    dev = [r for r in rows if r["group"] == "seed dev"]
    weights = fit([(r["signals"], r["right"]) for r in dev])
    signal_of: dict[str, Callable[[dict], float]] = {
        "combined (fit on seed dev)": lambda r: score(r["signals"], weights),
        "token logprob mean": lambda r: _or(r["signals"].lp_mean, -9.0),
        "token logprob min": lambda r: _or(r["signals"].lp_min, -30.0),
        "e5 cosine ar-en": lambda r: _or(r["signals"].cosine, 0.0),
        "checks passed (-flags)": lambda r: -float(r["flags"]),
        "sample agreement (bench only)": lambda r: _or(r["agreement"], 0.0),
    }
    floor = threshold([score(r["signals"], weights) for r in dev], [r["right"] for r in dev])
    groups = ["seed dev", "seed heldout", "ntrex"]
    table = Table(title=f"Confidence: AUROC (wrong vs right), {len(rows)} labelled candidates")
    table.add_column("signal")
    for g in groups:
        n = [r for r in rows if r["group"] == g]
        table.add_column(f"{g} ({len(n)}, {sum(not r['right'] for r in n)} wrong)", justify="right")
    for name, fn in signal_of.items():
        cells = []
        for g in groups:
            sub = [r for r in rows if r["group"] == g]
            cells.append(f"{auroc([fn(r) for r in sub], [r['right'] for r in sub]):.3f}")
        table.add_row(name, *cells)
    console = Console(width=160)
    console.print(table)

    t2 = Table(title=f"At the dev threshold (combined >= {floor:.3f}); first translations only")
    for c in ("split", "sentences", "wrong, no confidence", "unmarked", "wrong among unmarked",
              "right marked"):  # fmt: skip
        t2.add_column(c, justify="right")
    for g in groups:
        sub = [r for r in rows if r["group"] == g and r["kind"] == "first"]
        s = [score(r["signals"], weights) for r in sub]
        right = [r["right"] for r in sub]
        wrong_shown, right_marked, shown = at(s, right, floor)
        t2.add_row(
            g,
            str(len(sub)),
            f"{1 - sum(right) / max(1, len(right)):.1%}",
            str(shown),
            f"{wrong_shown:.1%}",
            f"{right_marked:.1%}",
        )
    console.print(t2)
    if args.write_weights:
        print(json.dumps({"confidence_weights": weights, "confidence_floor": round(floor, 4)}))
    print("features:", ", ".join(FEATURES))


def _or(v: float | None, default: float) -> float:
    return default if v is None else v


if __name__ == "__main__":
    main()
