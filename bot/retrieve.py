"""Hybrid retrieval that knows the query's language.

Per candidate chunk, a semantic score: e5 cosine, plus e5's sparse "latent terms"
(stored per chunk at ingest), plus, for the few best, the cosine of the chunk's
best-matching sentence. BM25 over normalised, lightly stemmed Arabic terms (the
persistent SQLite FTS5 index of ``bot/keyword.py``, kept in step with the store by the
ingest) is then fused in by rank. For an English query, Arabic BM25 is noise
(measured: equal-weight fusion drops English recall@5 from .95 to .38), so its weight
follows the query's share of Arabic script.

Measured on XQuAD (bench/retrieval.py, English questions over Arabic paragraphs,
recall@1): dense .78; + latent terms .84; + sentence re-scoring .85.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from threading import Lock

import numpy as np

from bot.arabic import arabic_share, detect_language
from bot.chunk import sentence_spans
from bot.config import Settings
from bot.embed import Embedder, SparseVector, sparse_from_str, sparse_of
from bot.filters import Filter
from bot.glossary import load_glossary
from bot.ingest import indexed_files
from bot.keyword import keyword_index
from bot.store import Store, StoredChunk

# Keyword searches run beside the dense query; shared by every Retriever of a process.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="newsbot-keyword")

RRF_K = 60
CANDIDATES = 50
# Weight of the latent-term score (scaled to 1 for the query's best candidate) next to
# the cosine. XQuAD, r@1 en/ar: 0.03 .82/.90, 0.05 .84/.90, 0.08 .83/.91, 0.2 .79/.89.
SPARSE_WEIGHT = 0.05
# Sentence re-scoring: a chunk's best sentence cosine, weight 0.3 (0.5 scores the same,
# 1.0 lower), for the few best candidates only, since it embeds their sentences.
SENTENCE_WEIGHT = 0.3
SENTENCE_RESCORE = 6
# Weight (next to 1 for the semantic ranking) of BM25 over the Arabic forms of the
# glossary names in an English question.
NAMES_WEIGHT = 1.0


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
    outlet: str = ""
    date: str = ""  # yyyy-mm-dd
    url: str = ""
    page: int = 0  # PDF page (1-based) where the hit starts; 0 when the format has none
    pages: tuple[int, ...] = ()  # PDF: where each page starts in the article's text

    def page_at(self, offset: int) -> int:
        """The page of ``offset`` in the article (a sentence inside this chunk)."""
        return sum(1 for p in self.pages if p <= offset) if self.pages else self.page

    def as_json(self) -> dict[str, object]:
        d = asdict(self)
        keys = ("source", "chunk_id", "start", "end", "score", "text", "outlet", "date", "url")
        return {k: d[k] for k in keys} | ({"page": self.page} if self.page else {})


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    language: str
    hits: list[Hit]
    best_dense: float
    covered: bool  # False: nothing clears the relevance floors
    best_latent: float | None = None  # best latent-term dot product; None without a head


class Retriever:
    # Per instance, so that the benchmark can switch a signal off to measure it.
    sparse_weight: float = SPARSE_WEIGHT
    sentence_weight: float = SENTENCE_WEIGHT

    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.keywords = keyword_index(settings)
        self._sentences: dict[str, tuple[str, np.ndarray]] = {}  # chunk id -> (text, vectors)
        self._by_text: dict[str, np.ndarray] = {}  # sentence text -> vector (evidence)
        self._queries: dict[str, np.ndarray] = {}  # query -> vector, the last few
        self._lock = Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._sentences.clear()

    def query_vector(self, query: str) -> np.ndarray:
        with self._lock:
            if query in self._queries:
                return self._queries[query]
        vec = self.embedder.embed_queries([query])[0]
        with self._lock:
            if len(self._queries) >= 64:
                self._queries.pop(next(iter(self._queries)))
            self._queries[query] = vec
        return vec

    def sentence_cosines(self, query: str, sentences: list[str]) -> np.ndarray:
        """e5 cosine of each sentence with ``query``; sentence vectors are made once."""
        qvec = self.query_vector(query)
        with self._lock:
            todo = [s for s in dict.fromkeys(sentences) if s not in self._by_text]
        if todo:
            vecs = self.embedder.embed_passages(todo)
            with self._lock:
                if len(self._by_text) > 20_000:  # bounded: an archive's worth of questions
                    self._by_text.clear()
                self._by_text.update(zip(todo, vecs, strict=True))
        with self._lock:
            mat = np.stack([self._by_text[s] for s in sentences])
        return mat @ qvec

    def search(self, query: str, k: int | None = None, where: Filter | None = None) -> SearchResult:
        """The ``k`` best chunks for ``query``; with ``where``, of the articles it lets
        through only (both sides: Chroma's ``where`` and the keyword index's paths)."""
        k = k or self.settings.top_k
        lang = detect_language(query)
        self.store.follow(self.settings.index_dir / "manifest.json")
        paths = where.paths(indexed_files(self.settings)) if where and where.active else None
        # The keyword side waits on SQLite, the dense side on ONNX and Chroma: both let go
        # of the GIL, so they overlap (archive p95 at 446,000 chunks: 170 -> 124 ms).
        keyword_job = _POOL.submit(self._lexical, query, paths)
        qvec = self.query_vector(query)
        chroma_where = where.chroma_where() if paths is not None and where else None
        dense = [] if paths == set() else self.store.query(qvec, CANDIDATES, chroma_where)
        best = max((s for _, s in dense), default=0.0)
        chunk_of = {c.id: c for c, _ in dense}
        dense_of = {c.id: sim for c, sim in dense}
        lexical, w_lex = keyword_job.result()
        self._fetch([c for c in lexical if c not in chunk_of], qvec, chunk_of, dense_of)
        lexical = [c for c in lexical if c in chunk_of]  # a row the store no longer has
        semantic, latent = self._semantic(list(chunk_of), query, chunk_of, dense_of, qvec)
        fused: dict[str, float] = {}
        for rank, cid in enumerate(semantic):
            fused[cid] = 1.0 / (RRF_K + rank)
        for rank, cid in enumerate(lexical):
            fused[cid] += w_lex / (RRF_K + rank)
        ranked = sorted(fused, key=lambda c: fused[c], reverse=True)[:k]
        hits = [_hit(chunk_of[c], fused[c], dense_of[c]) for c in ranked]
        return SearchResult(query, lang, hits, best, self._covered(lang, best, latent), latent)

    def _lexical(self, query: str, paths: set[str] | None) -> tuple[list[str], float]:
        """Keyword candidates and their fusion weight."""
        w_lex = arabic_share(query)  # lexical weight: full for Arabic, none for English
        lexical = self.keywords.top(query, CANDIDATES, paths) if w_lex > 0 else []
        if w_lex < 1 and (names := self._arabic_names(query)):
            # English names the glossary knows, searched in Arabic: dictionary query
            # translation, the part of cross-lingual search e5 is weakest at.
            lexical = self.keywords.top(names, CANDIDATES, paths)
            w_lex = max(w_lex, NAMES_WEIGHT)
        return lexical, w_lex

    def _fetch(
        self,
        ids: list[str],
        qvec: np.ndarray,
        chunk_of: dict[str, StoredChunk],
        dense_of: dict[str, float],
    ) -> None:
        """Keyword-only candidates: their text, metadata and cosine, read from the store
        for these few ids (no process holds every chunk's text)."""
        if not ids:
            return
        for chunk, vec in self.store.chunks(ids).values():
            chunk_of[chunk.id] = chunk
            dense_of[chunk.id] = float(np.dot(vec, qvec))

    def _arabic_names(self, query: str) -> str:
        terms = load_glossary(self.settings.glossary_path).named_in_english(query)
        # A name that is also a common word (al-Nasr / "victory") keeps its cue word.
        return " ".join(" ".join([*sorted(t.after)[:1], t.ar]) for t in terms)

    def _covered(self, lang: str, dense: float, latent: float | None) -> bool:
        s = self.settings
        arabic = lang == "ar"
        if dense < (s.relevance_floor_ar if arabic else s.relevance_floor_en):
            return False
        return latent is None or latent >= (s.latent_floor_ar if arabic else s.latent_floor_en)

    def _semantic(
        self,
        ids: list[str],
        query: str,
        chunk_of: dict[str, StoredChunk],
        dense_of: dict[str, float],
        qvec: np.ndarray,
    ) -> tuple[list[str], float | None]:
        """``ids`` ordered by cosine + latent terms + best sentence, and the best
        latent-term score (None when the embedder or the index has none)."""
        if not ids:
            return [], None
        score = {c: dense_of.get(c, 0.0) for c in ids}

        latent: float | None = None
        stored = {c: sparse_from_str(str(chunk_of[c].meta.get("sparse", ""))) for c in ids}
        qsparse = sparse_of(self.embedder, [query]) if any(stored.values()) else None
        if qsparse and len(qsparse[0][0]):
            qi, qv = qsparse[0]
            qdense = np.zeros(int(qi.max()) + 1, dtype=np.float32)
            qdense[qi] = qv
            sp = {c: _sparse_dot(qdense, stored[c]) for c in ids}
            latent = max(sp.values())
            if latent > 0 and self.sparse_weight > 0:
                for c in ids:
                    score[c] += self.sparse_weight * sp[c] / latent

        order = sorted(ids, key=lambda c: score[c], reverse=True)
        if self.sentence_weight <= 0:
            return order, latent
        head = order[:SENTENCE_RESCORE]
        best_sentence = self._best_sentences({c: chunk_of[c].text for c in head}, qvec)
        head.sort(key=lambda c: score[c] + self.sentence_weight * best_sentence[c], reverse=True)
        return head + order[SENTENCE_RESCORE:], latent

    def _best_sentences(self, texts: dict[str, str], qvec: np.ndarray) -> dict[str, float]:
        """Each chunk's best sentence cosine; sentence vectors are made once per chunk."""
        todo: list[tuple[str, str, list[str]]] = []
        with self._lock:
            cached = {c: self._sentences[c] for c in texts if c in self._sentences}
        for cid, text in texts.items():
            if cid not in cached or cached[cid][0] != text:
                todo.append((cid, text, [text[a:b] for a, b in sentence_spans(text)] or [text]))
        if todo:
            flat = [s for _, _, sents in todo for s in sents]
            vecs = self.embedder.embed_passages(flat)
            at = 0
            with self._lock:
                if len(self._sentences) > 20_000:  # bounded, like the sentence cache
                    self._sentences.clear()
                for cid, text, sents in todo:
                    cached[cid] = self._sentences[cid] = (text, vecs[at : at + len(sents)])
                    self._by_text.update(zip(sents, vecs[at : at + len(sents)], strict=True))
                    at += len(sents)
        return {cid: float(np.max(cached[cid][1] @ qvec)) for cid in texts}


def _sparse_dot(query: np.ndarray, doc: SparseVector | None) -> float:
    if doc is None:
        return 0.0
    idx, val = doc
    inside = idx < len(query)
    return float(query[idx[inside]] @ val[inside])


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
        outlet=str(m.get("outlet", "")),
        date=str(m.get("date", "")),
        url=str(m.get("url", "")),
        page=int(m.get("page", 0) or 0),
        pages=tuple(int(p) for p in str(m.get("pages", "")).split() if p.isdigit()),
    )
