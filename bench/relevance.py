"""Relevance floors: does newsbot recognise a question the corpus cannot answer?

Part 1, seed articles: hand-written questions about them (covered) and about anything
else (not covered), English and Arabic (bench/data/relevance_queries.yaml). Printed,
in one run, for several decision rules: how many covered questions are wrongly
declined and how many off-topic ones wrongly answered.

Part 2, XQuAD (every question is answerable from its paragraph): the share of
questions newsbot would decline, i.e. the cost of the floors on other text.

    python bench/relevance.py [--xquad-limit N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.retrieve import SearchResult
from bot.service import Newsbot

HERE = Path(__file__).parent
ROOT = HERE.parent
Rule = Callable[[SearchResult], bool]


def rules(s: Settings) -> dict[str, Rule]:
    def floor(r: SearchResult) -> float:
        return s.relevance_floor_ar if r.language == "ar" else s.relevance_floor_en

    def latent(r: SearchResult) -> float:
        return s.latent_floor_ar if r.language == "ar" else s.latent_floor_en

    return {
        "cosine >= 0.80 (one floor)": lambda r: r.best_dense >= 0.80,
        "cosine, per-language floor": lambda r: r.best_dense >= floor(r),
        "latent terms only": lambda r: (r.best_latent or 0.0) >= latent(r),
        "newsbot (both floors)": lambda r: r.covered,
    }


def build(tmp: Path, corpus: Path) -> Newsbot:
    bot = Newsbot(Settings(index_dir=tmp / "index", corpus_dir=corpus))
    bot.ingest([corpus])
    return bot


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--xquad-limit", type=int, default=0, help="only the first N XQuAD rows")
    args = ap.parse_args()
    console = Console(width=120)
    queries = yaml.safe_load((HERE / "data" / "relevance_queries.yaml").read_text("utf-8"))

    with tempfile.TemporaryDirectory() as tmp:
        bot = build(Path(tmp), ROOT / "seeds")
        results = {
            label: [bot.search(q) for q in queries[label]] for label in ("covered", "not_covered")
        }
        table = Table(title="Seed articles: wrong decisions (lower is better)")
        for col in (
            "rule",
            "en declined/covered",
            "ar declined/covered",
            "en answered/off",
            "ar answered/off",
            "errors",
        ):
            table.add_column(col)
        for name, rule in rules(bot.settings).items():
            cells, errors = [], 0
            for label, wrong in (("covered", False), ("not_covered", True)):
                for lang in ("en", "ar"):
                    rs = [r for r in results[label] if r.language == lang]
                    bad = sum(rule(r) is wrong for r in rs)
                    errors += bad
                    cells.append(f"{bad}/{len(rs)}")
            table.add_row(name, *cells, str(errors))
        console.print(table)

    data = (HERE / "data" / "xquad_ar_en.dev.jsonl").read_text("utf-8")
    rows = [json.loads(x) for x in data.splitlines() if x.strip()]
    if args.xquad_limit:
        rows = rows[: args.xquad_limit]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, ctx in enumerate(dict.fromkeys(r["context_ar"] for r in rows)):
            (corpus / f"p{i:04d}.txt").write_text(ctx, encoding="utf-8")
        bot = build(Path(tmp), corpus)
        table = Table(title=f"XQuAD ({len(rows)} answerable questions per language): declined")
        table.add_column("rule")
        table.add_column("en declined")
        table.add_column("ar declined")
        found = {lang: [bot.search(r[f"question_{lang}"]) for r in rows] for lang in ("en", "ar")}
        for name, rule in rules(bot.settings).items():
            table.add_row(
                name,
                *(f"{sum(not rule(r) for r in found[lang]) / len(rows):.1%}" for lang in found),
            )
        console.print(table)


if __name__ == "__main__":
    main()
