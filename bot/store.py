"""The Chroma store: chunks with our own embeddings and their provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from bot.config import Settings
from bot.errors import StoreError


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: str
    text: str
    meta: dict[str, Any]


class Store:
    """One Chroma collection. ``embedding_function=None`` everywhere: Chroma's default
    would download an English-only model at the first ``add``."""

    def __init__(self, settings: Settings, embedder_name: str) -> None:
        try:
            path = settings.index_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            self._col = self._client.get_or_create_collection(
                settings.collection,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedder": embedder_name},
            )
        except Exception as exc:  # chromadb raises many types; the user needs one line
            raise StoreError(f"cannot open the index at {settings.index_dir}: {exc}") from exc
        stored = (self._col.metadata or {}).get("embedder")
        if stored and stored != embedder_name:
            raise StoreError(
                f"the index at {settings.index_dir} was built with {stored}, not "
                f"{embedder_name}; re-ingest into a new --index or run `newsbot ingest --rebuild`"
            )
        self.embedder_name = embedder_name

    def count(self) -> int:
        return self._col.count()

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        self._col.upsert(
            ids=list(ids),
            embeddings=np.asarray(embeddings, dtype=np.float32),
            documents=list(documents),
            metadatas=list(metadatas),
        )

    def delete_path(self, path: str) -> None:
        self._col.delete(where={"path": path})

    def paths(self) -> set[str]:
        got = self._col.get(include=["metadatas"])
        return {str(m["path"]) for m in got["metadatas"] or []}

    def all_chunks(self) -> list[StoredChunk]:
        got = self._col.get(include=["documents", "metadatas"])
        return [
            StoredChunk(i, d or "", dict(m or {}))
            for i, d, m in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]

    def query(self, embedding: np.ndarray, n: int) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks with cosine similarity (1 - cosine distance)."""
        n = min(n, self.count())
        if n == 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=n,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (StoredChunk(i, d or "", dict(m or {})), 1.0 - float(dist))
            for i, d, m, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._col.get(ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(e, dtype=np.float32)
            for i, e in zip(got["ids"], got["embeddings"], strict=True)
        }

    def reset(self) -> None:
        name, meta = self._col.name, dict(self._col.metadata or {})
        self._client.delete_collection(name)
        self._col = self._client.get_or_create_collection(
            name, embedding_function=None, metadata=meta
        )
