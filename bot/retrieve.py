"""Hybrid retrieval that knows the query's language.

Dense (multilingual e5) carries both languages; BM25 over normalised, lightly
stemmed Arabic terms sharpens Arabic queries. For an English query, Arabic BM25
is noise (measured: equal-weight fusion drops English recall@5 from .95 to .38),
so its weight follows the query's share of Arabic script.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from threading import Lock

import numpy as np
from rank_bm25 import BM25Okapi

from bot.arabic import arabic_share, detect_language, search_terms
from bot.config import Settings
from bot.embed import Embedder
from bot.store import Store, StoredChunk

RRF_K = 60
CANDIDATES = 50


@dataclass(frozen=True, slots=True)
class Hit:
    source: str
    path: str
    title: str
    chunk_id: str
    chunk_index: int
    start: int
    end: int
    score: float  # fused score, higher is better
    dense: float  # cosine similarity to the query
    text: str

    def as_json(self) -> dict[str, object]:
        d = asdict(self)
        return {k: d[k] for k in ("source", "chunk_id", "start", "end", "score", "text")}


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    language: str
    hits: list[Hit]
    best_dense: float
    covered: bool  # False: nothing clears the relevance floor


class _Lexical:
    """BM25 over every chunk in the store, rebuilt when the store changes."""

    def __init__(self, chunks: list[StoredChunk]) -> None:
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        corpus = [search_terms(c.text) for c in chunks]
        self.bm25 = BM25Okapi(corpus) if chunks else None

    def top(self, query: str, n: int) -> list[str]:
        terms = search_terms(query)
        if self.bm25 is None or not terms:
            return []
        scores = self.bm25.get_scores(terms)
        order = np.argsort(-scores)[:n]
        return [self.chunks[i].id for i in order if scores[i] > 0]


class Retriever:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._lexical: _Lexical | None = None
        self._lexical_key: tuple[int, float] | None = None
        self._lock = Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._lexical = None

    def _lexical_index(self) -> _Lexical:
        manifest = self.settings.index_dir / "manifest.json"
        key = (self.store.count(), manifest.stat().st_mtime if manifest.exists() else 0.0)
        with self._lock:
            if self._lexical is None or key != self._lexical_key:
                self._lexical = _Lexical(self.store.all_chunks())
                self._lexical_key = key
            return self._lexical

    def search(self, query: str, k: int | None = None) -> SearchResult:
        k = k or self.settings.top_k
        lang = detect_language(query)
        qvec = self.embedder.embed_queries([query])[0]
        dense = self.store.query(qvec, CANDIDATES)
        best = max((s for _, s in dense), default=0.0)

        # Lexical weight: full for Arabic queries, none for English ones.
        w_lex = arabic_share(query)
        fused: dict[str, float] = {}
        chunk_of: dict[str, StoredChunk] = {}
        dense_of: dict[str, float] = {}
        for rank, (c, sim) in enumerate(dense):
            fused[c.id] = 1.0 / (RRF_K + rank)
            chunk_of[c.id] = c
            dense_of[c.id] = sim
        if w_lex > 0:
            lex = self._lexical_index()
            for rank, cid in enumerate(lex.top(query, CANDIDATES)):
                fused[cid] = fused.get(cid, 0.0) + w_lex / (RRF_K + rank)
                chunk_of.setdefault(cid, lex.by_id[cid])
        if any(cid not in dense_of for cid in fused):
            # Lexical-only candidates still need a cosine: read their stored vectors.
            missing = [cid for cid in fused if cid not in dense_of]
            for cid, v in self.store.embeddings(missing).items():
                dense_of[cid] = float(np.dot(v, qvec))

        ranked = sorted(fused, key=lambda c: fused[c], reverse=True)[:k]
        hits = [_hit(chunk_of[c], fused[c], dense_of[c]) for c in ranked]
        return SearchResult(query, lang, hits, best, covered=best >= self.settings.relevance_floor)


def _hit(c: StoredChunk, score: float, dense: float) -> Hit:
    m = c.meta
    return Hit(
        source=str(m.get("source", "")),
        path=str(m.get("path", "")),
        title=str(m.get("title", "")),
        chunk_id=str(m.get("chunk_id", c.id)),
        chunk_index=int(m.get("chunk_index", 0)),
        start=int(m.get("start", 0)),
        end=int(m.get("end", 0)),
        score=round(score, 6),
        dense=round(dense, 4),
        text=c.text,
    )
