"""The Chroma store: chunks with our own embeddings and their provenance.

Embedded (a folder under ``index_dir``) by default; with ``chroma_url`` set, a
``chroma run`` server through ``chromadb.HttpClient``, the same collection API. Every
call goes through ``_call``, which turns a server that is down into one ``StoreError``
line and re-opens the collection when the server comes back without it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from bot.config import Settings, redact_url
from bot.errors import StoreError

T = TypeVar("T")
PAGE = 5000  # records per read of the whole collection


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: str
    text: str
    meta: dict[str, Any]


class Store:
    """One Chroma collection. ``embedding_function=None`` everywhere: Chroma's default
    would download an English-only model at the first ``add``."""

    def __init__(self, settings: Settings, embedder_name: str) -> None:
        self._settings = settings
        self.embedder_name = embedder_name
        self.remote = bool(settings.chroma_url)
        if self.remote:
            url = redact_url(str(settings.chroma_url).rstrip("/"))
            self.where = f"the Chroma server at {url}"
            # What the ingest manifest records: the store it describes.
            self.location = f"{url}#{settings.collection}"
        else:
            self.where = f"the index at {settings.index_dir}"
            self.location = f"{settings.index_dir / 'chroma'}#{settings.collection}"
        self._client: Any = None
        self._col: Any = None
        self._lock = Lock()
        self._stamp: int | None = None  # the index's change marker when last looked at
        self._wrote = False  # this process wrote since then
        self._collection()  # fail early, with a clear line, if it cannot be opened

    # -- connection -----------------------------------------------------------------------

    def _connect(self) -> Any:
        s = self._settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if not self.remote:
            path = s.index_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        headers: dict[str, str] = {}
        if s.chroma_token:
            token = s.chroma_token.get_secret_value()
            is_auth = s.chroma_auth_header.lower() == "authorization"
            headers[s.chroma_auth_header] = f"Bearer {token}" if is_auth else token
        # A full URL as host: chromadb takes scheme, port and path from it.
        return chromadb.HttpClient(
            host=str(s.chroma_url).rstrip("/"), headers=headers, settings=chroma_settings
        )

    def _collection(self) -> Any:
        """The collection, (re)opened on demand; raises StoreError if it cannot be."""
        with self._lock:
            if self._col is not None:
                return self._col
            try:
                if self._client is None:
                    self._client = self._connect()
                col = self._client.get_or_create_collection(
                    self._settings.collection,
                    embedding_function=None,
                    metadata={"hnsw:space": "cosine", "embedder": self.embedder_name},
                )
            except Exception as exc:  # chromadb raises many types; the user needs one line
                raise self._error(exc, "cannot open") from exc
            stored = (col.metadata or {}).get("embedder")
            if stored and stored != self.embedder_name:
                raise StoreError(
                    f"{self.where} was built with {stored}, not {self.embedder_name}; "
                    "re-ingest into a new --index or run `newsbot ingest --rebuild`"
                )
            self._col = col
            return col

    def _error(self, exc: Exception, doing: str) -> StoreError:
        if self.remote and _is_down(exc):
            return StoreError(
                f"{self.where} is not reachable (is `chroma run` running?); "
                "newsbot reconnects once it is back"
            )
        if isinstance(exc, StoreError):
            return exc
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        return StoreError(f"{doing} {self.where}: {detail}")

    def _call(self, op: Callable[[Any], T], doing: str) -> T:
        """Run ``op(collection)``. A collection that vanished (the server came back on an
        empty folder, a reset elsewhere) is re-created once: the next ingest refills it."""
        for attempt in (0, 1):
            col = self._collection()
            try:
                return op(col)
            except NotFoundError as exc:
                with self._lock:
                    self._col = None
                if attempt:
                    raise self._error(exc, doing) from exc
            except (ChromaError, httpx.HTTPError, ValueError, OSError) as exc:
                raise self._error(exc, doing) from exc
        raise AssertionError("unreachable")

    def follow(self, marker: Path) -> None:
        """Embedded store: re-open when another process changed the index (its ingest
        re-saved ``marker``, the manifest). Chroma's embedded client keeps its vector
        index in memory: after another process's writes, ``count()`` and ``get()`` see
        them but ``query()`` does not (measured), until the client is opened again."""
        if self.remote:
            return  # a server has one view for every client
        try:
            stamp = marker.stat().st_mtime_ns
        except OSError:
            stamp = 0
        with self._lock:
            changed = self._stamp is not None and stamp != self._stamp and not self._wrote
            self._stamp, self._wrote = stamp, False
            client = self._client if changed else None
            if changed:
                self._client = self._col = None
        if client is not None:
            client.close()  # public API: frees the system, the next call opens a fresh one

    # -- reads and writes -----------------------------------------------------------------

    def count(self) -> int:
        return self._call(lambda c: c.count(), "cannot read")

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        self._wrote = True
        self._call(
            lambda c: c.upsert(
                ids=list(ids),
                embeddings=np.asarray(embeddings, dtype=np.float32),
                documents=list(documents),
                metadatas=list(metadatas),
            ),
            "cannot write to",
        )

    def delete_path(self, path: str) -> None:
        self._wrote = True
        self._call(lambda c: c.delete(where={"path": path}), "cannot write to")

    def delete_paths(self, paths: Sequence[str]) -> None:
        self._wrote = True
        if paths:
            where = {"path": {"$in": list(paths)}} if len(paths) > 1 else {"path": paths[0]}
            self._call(lambda c: c.delete(where=where), "cannot write to")

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """Every record, a page at a time: one ``get`` of a whole archive fails on a
        server ("too many SQL variables" at 89,000 chunks, measured) and holds it all."""
        offset = 0
        while True:

            def read(c: Any, at: int = offset) -> Any:
                return c.get(include=include, limit=PAGE, offset=at)

            page: dict[str, Any] = self._call(read, "cannot read")
            yield page
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def path_counts(self) -> Counter[str]:
        """Chunks stored per article path (the ingest reconciles its manifest with this)."""
        counts: Counter[str] = Counter()
        for page in self._pages(["metadatas"]):
            counts.update(str(m["path"]) for m in page["metadatas"] or [] if m and "path" in m)
        return counts

    def paths(self) -> set[str]:
        return set(self.path_counts())

    def all_chunks(self) -> list[StoredChunk]:
        return [
            StoredChunk(i, d or "", dict(m or {}))
            for page in self._pages(["documents", "metadatas"])
            for i, d, m in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
            )
        ]

    def query(
        self, embedding: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks with cosine similarity (1 - cosine distance). Chroma (1.x)
        returns fewer than ``n`` when the collection holds fewer, so no ``count()`` first:
        on a server at 446,000 chunks that count alone took 35 ms of a 137 ms search."""
        if n <= 0:
            return []
        res = self._call(
            lambda c: c.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32)],
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances"],
            ),
            "cannot search",
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

    def chunks(self, ids: Sequence[str]) -> dict[str, tuple[StoredChunk, np.ndarray]]:
        """These chunks (those the store still has) with their vectors."""
        if not ids:
            return {}
        got = self._call(
            lambda c: c.get(ids=list(ids), include=["documents", "metadatas", "embeddings"]),
            "cannot read",
        )
        return {
            i: (StoredChunk(i, d or "", dict(m or {})), np.asarray(e, dtype=np.float32))
            for i, d, m, e in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        }

    def chunks_of(self, paths: Sequence[str]) -> list[StoredChunk]:
        """Every chunk of these article paths (the keyword index refills from this)."""
        out: list[StoredChunk] = []
        for b in range(0, len(paths), 100):
            part = list(paths[b : b + 100])
            where: dict[str, Any] = {"path": {"$in": part}} if len(part) > 1 else {"path": part[0]}

            def read(c: Any, w: dict[str, Any] = where) -> Any:
                return c.get(where=w, include=["documents", "metadatas"])

            got = self._call(read, "cannot read")
            out.extend(
                StoredChunk(i, d or "", dict(m or {}))
                for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )
        return out

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._call(lambda c: c.get(ids=list(ids), include=["embeddings"]), "cannot read")
        return {
            i: np.asarray(e, dtype=np.float32)
            for i, e in zip(got["ids"], got["embeddings"], strict=True)
        }

    def reset(self) -> None:
        self._wrote = True
        col = self._collection()
        name, meta = col.name, dict(col.metadata or {})

        def recreate(_: Any) -> None:
            with contextlib.suppress(NotFoundError):  # already gone
                self._client.delete_collection(name)
            with self._lock:
                self._col = self._client.get_or_create_collection(
                    name, embedding_function=None, metadata=meta
                )

        self._call(recreate, "cannot reset")


def _is_down(exc: BaseException) -> bool:
    """A server that does not answer, as httpx or chromadb's client reports it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TransportError):
            return True
        if isinstance(seen, ValueError) and "Could not connect" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
