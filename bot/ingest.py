"""Ingest: files -> chunks -> embeddings -> Chroma, incrementally and crash-safely.

A manifest (``index/manifest.json``) records each file's content hash and chunk ids.
Before a file's chunks are touched, its entry is marked pending and saved; it is
marked done only after its new chunks are stored. A killed ingest therefore leaves
at worst pending entries, which the next run redoes; chunk ids are deterministic,
so upserts never duplicate.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.arabic import detect_language
from bot.chunk import Chunk, chunk_text
from bot.config import Settings
from bot.corpus import Article, discover, read_article
from bot.embed import Embedder, SparseVector, sparse_name, sparse_of, sparse_to_str
from bot.errors import IngestError, NewsbotError, StoreError
from bot.extract import EXTRACT_VERSION, Meta, date_number
from bot.keyword import KeywordIndex, keyword_index
from bot.manifest import Manifest
from bot.store import Store

TEXTS = "texts"  # under index_dir
# Chunks per store write: well under a Chroma server's maximum batch.
UPSERT_BATCH = 500

Progress = Callable[[int, int, str], None]  # (done, total, label)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks_added: int = 0
    chunks_removed: int = 0
    repaired: str = ""  # what was wrong with the manifest this ingest started over from

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if self.repaired:
            return (
                f"The index manifest was broken ({self.repaired}); rebuilt. "
                + replace(self, repaired="").summary()
            )
        if not self.changed and not self.skipped:
            return f"Nothing changed: {len(self.unchanged)} files up to date, nothing embedded."
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks_added} chunks embedded, {self.chunks_removed} removed."
        )


def _fingerprint(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    return {
        "embedder": embedder.name,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        # Chunks stored without latent terms would silently lose the sparse signal.
        "sparse": sparse_name(embedder),
        # What text a file yields (and so every offset) and the metadata chunks carry.
        "extract": EXTRACT_VERSION,
    }


def text_name(path: str) -> str:
    return f"{hashlib.sha1(path.encode()).hexdigest()[:16]}.txt"


def _chunk_id(path: str, index: int) -> str:
    return f"{hashlib.sha1(path.encode()).hexdigest()[:12]}-{index:05d}"


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    progress: Progress | None = None,
    prune: bool = True,
    verify: bool = False,
) -> IngestReport:
    """Bring the store in line with ``paths``.

    With ``prune``, files that were ingested from under these paths and are gone now
    have their chunks removed. ``verify``: compare the store and the keyword index with
    the manifest file by file even when their totals agree.
    """
    report = IngestReport()
    manifest = Manifest(settings.index_dir / "manifest.json")
    report.repaired = manifest.problem or ""
    index = _Index(store, keyword_index(settings), settings.index_dir / TEXTS)
    _reconcile(manifest, index, _fingerprint(settings, embedder), verify)
    articles = _read_all(paths, report)
    # Work out what changed before touching anything.
    todo: list[tuple[Article, bool]] = []
    for a in articles:
        known = manifest.files.get(str(a.path))
        if known and known.get("sha256") == a.sha256 and not known.get("pending"):
            report.unchanged.append(a.source)
        else:
            todo.append((a, known is not None and not known.get("new")))
    if prune:
        seen = {str(a.path) for a in articles} | {
            str(Path(s).resolve()) for s, _ in report.skipped if Path(s).exists()
        }
        _prune(manifest, index, [p.resolve() for p in paths], seen, report)
    chunked = [
        (a, existed, chunk_text(a.text, settings.chunk_tokens, settings.chunk_overlap))
        for a, existed in todo
    ]
    _embed_all(chunked, settings, embedder, index, manifest, report, progress)
    if not manifest.path.exists() or manifest.data.pop("corrupt", None):
        manifest.save()
    return report


@dataclass(frozen=True)
class _Index:
    """The two halves of the index the ingest keeps in step: vectors and keywords."""

    store: Store
    keywords: KeywordIndex
    texts: Path  # extracted texts (web pages, PDFs, front matter), the ones cited

    def delete_paths(self, paths: Sequence[str]) -> None:
        self.store.delete_paths(paths)
        self.keywords.delete_paths(paths)
        for p in paths:
            (self.texts / text_name(p)).unlink(missing_ok=True)

    def save_text(self, article: Article) -> str | None:
        """Store the text an article's offsets index into, when it is not the file."""
        if not article.derived:
            return None
        self.texts.mkdir(parents=True, exist_ok=True)
        name = text_name(str(article.path))
        tmp = self.texts / f"{name}.tmp"
        tmp.write_text(article.text, "utf-8")
        os.replace(tmp, self.texts / name)
        return name


def _reconcile(manifest: Manifest, index: _Index, fp: dict[str, Any], verify: bool) -> None:
    """The manifest describes one store (which may be a server others write to, or a
    different one than last time): bring it in line with what that store really holds.
    A file whose chunks are missing or short is redone; chunks of files the manifest
    does not know (e.g. a manifest lost) are orphans. The keyword index is then made
    to agree with the store, refilled from the stored texts (nothing re-embedded)."""
    if manifest.data.get("fingerprint") not in (None, fp):
        # Settings that change chunks or vectors invalidate every file.
        for entry in manifest.files.values():
            entry["pending"] = True
    manifest.data["fingerprint"] = fp
    manifest.data["store"] = index.store.location
    entries = manifest.files.values()
    if not verify and not any(e.get("pending") for e in entries):
        # Totals first: two counts, where reading every chunk's metadata (to count per
        # file) took 70 s at 446,000 chunks on a server. Equal totals with nothing
        # pending is what a finished ingest leaves; `ingest --verify` checks per file.
        total = sum(int(e.get("chunks", 0)) for e in entries)
        if index.store.count() == total and index.keywords.count() == total:
            return
    stored = index.store.path_counts()
    for key, entry in manifest.files.items():
        expected = entry.get("chunks")
        if not entry.get("pending") and expected is not None and stored[key] != int(expected):
            entry["pending"] = True
    index.delete_paths(sorted(set(stored) - set(manifest.files)))
    keyed = index.keywords.path_counts()
    index.keywords.delete_paths(sorted(set(keyed) - set(manifest.files)))
    refill = [
        k for k, e in manifest.files.items() if not e.get("pending") and keyed[k] != stored[k]
    ]
    for b in range(0, len(refill), 200):
        part = refill[b : b + 200]
        rows = [(c.id, str(c.meta["path"]), c.text) for c in index.store.chunks_of(part)]
        index.keywords.replace(part, rows)


def _read_all(paths: Sequence[Path], report: IngestReport) -> list[Article]:
    found, bad = discover(paths)
    report.skipped.extend(bad)
    articles: list[Article] = []
    for f, source in found:
        try:
            articles.append(read_article(f, source))
        except IngestError as exc:
            report.skipped.append((source, str(exc).split(": ", 1)[-1]))
    return articles


def _prune(
    manifest: Manifest, index: _Index, roots: list[Path], seen: set[str], report: IngestReport
) -> None:
    """Remove the chunks of files once ingested from under ``roots`` that are gone."""
    removed = False
    for key in list(manifest.files):
        under = any(Path(key) == r or Path(key).is_relative_to(r) for r in roots)
        if under and key not in seen and not Path(key).exists():
            entry = manifest.files[key]
            index.delete_paths([key])
            report.removed.append(entry.get("source", key))
            report.chunks_removed += int(entry.get("chunks", 0))
            del manifest.files[key]
            removed = True
    if removed:  # once: a kill before it leaves entries whose chunks are gone, redone
        manifest.save()


Wave = list[tuple[Article, bool, list[Chunk]]]


def _embed_all(
    chunked: Wave,
    settings: Settings,
    embedder: Embedder,
    index: _Index,
    manifest: Manifest,
    report: IngestReport,
    progress: Progress | None,
) -> None:
    total = sum(len(chunks) for _, _, chunks in chunked)
    # Articles go in waves of about embedding_batch x (requests the embedder sends at
    # once) chunks, so that a remote embeddings server gets that many requests in flight.
    wave_size = settings.embedding_batch * max(1, int(getattr(embedder, "parallel", 1)))
    done = files_done = start = 0

    def embedded(n: int, label: str) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total, label)

    # Pending first, all at once: one manifest write, not one per wave.
    for article, existed, _ in chunked:
        key = str(article.path)
        old = manifest.files.get(key, {})
        manifest.files[key] = {**old, "source": article.source, "pending": True, "new": not existed}
    if chunked:
        manifest.save()
    try:
        while start < len(chunked):
            end, n = start, 0
            while end < len(chunked) and (end == start or n < wave_size):
                n += len(chunked[end][2])
                end += 1
            _ingest_wave(chunked[start:end], embedder, index, manifest, wave_size, embedded)
            for article, existed, chunks in chunked[start:end]:
                (report.updated if existed else report.added).append(article.source)
                report.chunks_added += len(chunks)
            files_done = start = end
            manifest.save_soon(settings.manifest_save_s)
        if chunked:
            manifest.save()
    except NewsbotError as exc:
        # Finished files are in; the rest are pending in the manifest and redone next time.
        manifest.save()
        raise type(exc)(
            f"ingest stopped after {files_done} of {len(chunked)} changed files: {exc}. "
            "The index is consistent; run the ingest again to finish."
        ) from exc


def _ingest_wave(
    wave: Wave,
    embedder: Embedder,
    index: _Index,
    manifest: Manifest,
    step: int,
    embedded: Callable[[int, str], None],
) -> None:
    """Replace the chunks of a few articles, already marked pending on disk; done (in
    memory, saved by the caller) only once stored. Embeds ``step`` chunks at a time (a
    long article is one wave), reporting each."""
    paths = [str(a.path) for a, _, _ in wave]
    index.delete_paths(paths)
    texts = [c.text for _, _, chunks in wave for c in chunks]
    owner = [a.source for a, _, chunks in wave for _ in chunks]
    parts: list[np.ndarray] = []
    sparse: list[SparseVector] = []
    for b in range(0, len(texts), step):
        part = texts[b : b + step]
        parts.append(embedder.embed_passages(part))
        # Latent terms ride in the metadata (scalars only), read back by retrieval.
        sparse.extend(sparse_of(embedder, part) or [])
        embedded(len(part), owner[b + len(part) - 1])
    ids, metas = _chunk_rows(wave, sparse)
    vectors = np.concatenate(parts)
    for b in range(0, len(ids), UPSERT_BATCH):
        index.store.upsert(
            ids=ids[b : b + UPSERT_BATCH],
            embeddings=vectors[b : b + UPSERT_BATCH],
            documents=texts[b : b + UPSERT_BATCH],
            metadatas=metas[b : b + UPSERT_BATCH],
        )
    index.keywords.replace(paths, zip(ids, (str(m["path"]) for m in metas), texts, strict=True))
    for article, _, chunks in wave:
        entry = {
            "source": article.source,
            "sha256": article.sha256,
            "title": article.title[:300],
            "chunks": len(chunks),
            **article.meta.as_json(),
        }
        entry["title"] = article.title[:300]
        if text := index.save_text(article):
            entry["text"] = text
        if article.meta.pages:
            entry["pages"] = list(article.meta.pages)
        manifest.files[str(article.path)] = entry


def _chunk_rows(wave: Wave, sparse: list[SparseVector]) -> tuple[list[str], list[dict[str, Any]]]:
    """Chunk ids and metadata for a wave, in the order its texts were embedded."""
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    for article, _, chunks in wave:
        key = str(article.path)
        lang = article.meta.language or detect_language(article.text[:2000])
        about = _about(article.meta)
        for c in chunks:
            ids.append(_chunk_id(key, c.index))
            metas.append(
                {
                    "path": key,
                    "source": article.source,
                    "title": article.title[:300],
                    "chunk_index": c.index,
                    "chunk_id": f"{article.source}#{c.index}",
                    "start": c.start,
                    "end": c.end,
                    "sha256": article.sha256,
                    "lang": lang,
                    **about,
                    **_pages(article.meta, c.start),
                    **({"sparse": sparse_to_str(sparse[len(metas)])} if sparse else {}),
                }
            )
    return ids, metas


def _about(meta: Meta) -> dict[str, Any]:
    """What the filters and citations read, per chunk (Chroma: scalars only)."""
    return {
        "outlet": meta.outlet,
        "date": meta.date,
        "date_num": date_number(meta.date),
        "url": meta.url,
        "format": meta.format,
    }


def _pages(meta: Meta, start: int) -> dict[str, Any]:
    """PDF: the chunk's first page, and every page start (a cited sentence further in
    may be on the next page)."""
    if not meta.pages:
        return {}
    return {"page": meta.page_at(start), "pages": " ".join(map(str, meta.pages))}


def indexed_files(settings: Settings) -> dict[str, dict[str, Any]]:
    """The manifest's view of the index: absolute path -> entry (source, title, chunks)."""
    m = Manifest(settings.index_dir / "manifest.json")
    if m.problem:
        raise StoreError(
            f"the index manifest {m.path} is broken ({m.problem}): "
            "run `newsbot ingest` to rebuild the index"
        )
    return {k: v for k, v in m.files.items() if not v.get("pending")}


def reset_index(settings: Settings, store: Store) -> None:
    """Drop every chunk, keyword row and the manifest: the next ingest embeds everything."""
    store.reset()
    keyword_index(settings).reset()
    shutil.rmtree(settings.index_dir / TEXTS, ignore_errors=True)
    (settings.index_dir / "manifest.json").unlink(missing_ok=True)
