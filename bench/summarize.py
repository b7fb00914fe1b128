"""Summary benchmark: ROUGE-1/2/L on the EASC news articles, newsbot vs lead-3, one run.

EASC's five reference summaries per article are extractive Arabic, so newsbot's Arabic
summary (embedding-picked sentences, no model call) is scored; both sides are
normalised (bot.arabic.normalize: alef/hamza/ta marbuta/diacritics) and tokenised on
words, and each system gets the same number of sentences (3) as lead-3. Scores are
F-measures, best over the five references (rouge-score's ``score_multi``), averaged.

    .venv/bin/python bench/summarize.py [--limit N] [--k 3]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer  # noqa: E402

from bot.arabic import normalize  # noqa: E402
from bot.chunk import sentence_units  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embed import get_embedder  # noqa: E402
from bot.summarize import select  # noqa: E402

DATA = ROOT / "bench" / "data" / "sum_ar_easc.news.jsonl"


class ArabicTokenizer:
    """rouge-score's default tokenizer keeps only [a-z0-9]: Arabic needs its own."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+", normalize(text))


def lead(text: str, k: int) -> str:
    return " ".join(text[a:b] for a, b in sentence_units(text)[:k])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="first N articles (0: all 47)")
    ap.add_argument("--k", type=int, default=3, help="sentences per summary")
    ap.add_argument(
        "--split",
        choices=["all", "dev", "heldout"],
        default="all",
        help="dev: even rows (what LEAD_BONUS was tuned on); heldout: odd rows",
    )
    args = ap.parse_args()
    rows = [json.loads(ln) for ln in DATA.read_text("utf-8").splitlines() if ln.strip()]
    rows = {"all": rows, "dev": rows[0::2], "heldout": rows[1::2]}[args.split]
    rows = rows[: args.limit or None]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=ArabicTokenizer())
    embedder = get_embedder(Settings())
    systems = {"lead-3": [], "newsbot (e5 centrality + MMR)": []}
    seconds = {k: 0.0 for k in systems}
    for r in rows:
        text, refs = r["article_ar"], r["summaries_ar"]
        t0 = time.perf_counter()
        base = lead(text, args.k)
        seconds["lead-3"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        ours = " ".join(s.text for s in select(text, embedder, args.k))
        seconds["newsbot (e5 centrality + MMR)"] += time.perf_counter() - t0
        for name, summary in (("lead-3", base), ("newsbot (e5 centrality + MMR)", ours)):
            s = scorer.score_multi(refs, summary)
            systems[name].append([s[m].fmeasure for m in ("rouge1", "rouge2", "rougeL")])
    print(
        f"EASC news articles: {len(rows)}; {args.k} sentences per summary; "
        "F-measure, best of 5 refs"
    )
    print("| system | ROUGE-1 | ROUGE-2 | ROUGE-L | s/article |")
    print("| --- | --- | --- | --- | --- |")
    for name, scores in systems.items():
        avg = [sum(x[i] for x in scores) / len(scores) for i in range(3)]
        print(
            f"| {name} | {avg[0]:.3f} | {avg[1]:.3f} | {avg[2]:.3f} | "
            f"{seconds[name] / len(rows):.3f} |"
        )


if __name__ == "__main__":
    main()
