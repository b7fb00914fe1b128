"""Grounding on the seed articles: English summaries of each seed and one briefing over
all five, written by the configured model (default: the bundled one), with the share
of numbers found in their cited sentences and of statements the embeddings support
(both counted before failing items are dropped).

    .venv/bin/python bench/grounding.py [--topic TEXT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.checks import CheckReport  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.llm import describe_model  # noqa: E402
from bot.service import Newsbot  # noqa: E402


def rate(ok: int, n: int) -> str:
    return f"{ok}/{n} ({ok / n:.0%})" if n else "0/0"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--topic", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            index_dir=Path(tmp) / "index", corpus_dir=ROOT / "seeds", request_timeout=600
        )
        bot = Newsbot(settings)
        try:
            rows: list[tuple[str, CheckReport, float]] = []
            total = CheckReport()
            for source, text in bot.corpus_articles():
                t0 = time.perf_counter()
                s = bot.summarize(text, source, "en")
                rows.append((f"summary {source}", s.checks, time.perf_counter() - t0))
                total.add(s.checks)
            rows.append(("all summaries", total, sum(r[2] for r in rows)))
            t0 = time.perf_counter()
            b = bot.brief(topic=args.topic)
            rows.append(("briefing (5 seeds)", b.checks, time.perf_counter() - t0))
        finally:
            bot.close()
    print(f"model: {describe_model(settings)}; support floor {settings.support_floor}")
    print("| output | numbers grounded | statements supported | glossary names kept | s |")
    print("| --- | --- | --- | --- | --- |")
    for name, c, sec in rows:
        print(
            f"| {name} | {rate(c.numbers_ok, c.numbers)} | "
            f"{rate(c.statements_ok, c.statements)} | {rate(c.names_ok, c.names)} | {sec:.0f} |"
        )


if __name__ == "__main__":
    main()
