"""The library: the corpus as readers see it, and the operations on it that the front
ends use (through the service): an article's indexed text, the list of articles with
what is known of each, uploads and removal.
"""

from __future__ import annotations

import filecmp
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.corpus import KINDS, SIDECAR, SUFFIXES, read_article, safe_name
from bot.errors import IngestError, InputError
from bot.extract import Meta
from bot.ingest import TEXTS, indexed_files


@dataclass(frozen=True)
class Entry:
    """One indexed article, as the Library tab and ``newsbot library`` list it."""

    source: str
    title: str
    outlet: str
    date: str
    format: str
    language: str
    url: str
    chunks: int

    def as_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def library(settings: Settings) -> list[Entry]:
    """Every indexed article, newest first (undated last, then by file name)."""
    out = [
        Entry(
            source=str(e.get("source", "")),
            title=str(e.get("title", "")),
            outlet=str(e.get("outlet", "")),
            date=str(e.get("date", "")),
            format=str(e.get("format") or "text"),
            language=str(e.get("language", "")),
            url=str(e.get("url", "")),
            chunks=int(e.get("chunks", 0)),
        )
        for e in indexed_files(settings).values()
    ]
    out.sort(key=lambda a: a.source)
    out.sort(key=lambda a: a.date or "0000", reverse=True)
    return out


def corpus_file(settings: Settings, source: str) -> tuple[Path, dict[str, Any]] | None:
    """The corpus-folder file an indexed source name stands for, with its manifest
    entry (None: not one)."""
    corpus = settings.corpus_dir.resolve()
    for key, entry in indexed_files(settings).items():
        path = Path(key).resolve()  # resolve: a symlink must not lead out of the folder
        if entry.get("source") == source and path.is_relative_to(corpus) and path.is_file():
            return path, entry
    return None


def remove_file(settings: Settings, source: str) -> Path:
    """Delete an article (and its sidecar) from the corpus folder; the caller's ingest
    then drops its chunks. Only files inside the corpus folder, by indexed name."""
    found = corpus_file(settings, source)
    if found is None:
        raise InputError(f"{source!r} is not an article of the corpus folder")
    path = found[0]
    path.unlink()
    path.with_name(path.name + SIDECAR).unlink(missing_ok=True)
    return path


@dataclass(frozen=True)
class SourceText:
    source: str
    title: str
    text: str  # the text the index's offsets point into
    meta: Meta = field(default_factory=Meta)


def entry_meta(entry: dict[str, Any]) -> Meta:
    """An article's metadata as the manifest recorded it at ingest."""
    return Meta(
        title=str(entry.get("title") or ""),
        date=str(entry.get("date") or ""),
        outlet=str(entry.get("outlet") or ""),
        url=str(entry.get("url") or ""),
        language=str(entry.get("language") or ""),
        format=str(entry.get("format") or "text"),
        pages=tuple(int(p) for p in entry.get("pages") or ()),
    )


def find_source(settings: Settings, source: str) -> SourceText | None:
    """An indexed article inside the corpus folder, by its source name; else None.
    Its text is the one stored at ingest where extraction made it (web page, PDF),
    so that citations still point at the right words."""
    found = corpus_file(settings, source)
    if found is None:
        return None
    path, entry = found
    meta = entry_meta(entry)
    try:
        if entry.get("text"):
            text = (settings.index_dir / TEXTS / str(entry["text"])).read_text("utf-8")
        else:
            text = read_article(path, source).text
    except (IngestError, OSError, UnicodeDecodeError):
        return None
    return SourceText(source, meta.title or source, text, meta)


REPLACE_REFUSED = (
    "an article with this name is already in the corpus; choose to replace it, or rename the file"
)


def save_uploads(
    files: Sequence[Path],
    corpus: Path,
    accept: Callable[[Path], bool] = lambda p: True,
    replace: bool = False,
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Copy valid files into the corpus folder (where they are served from).

    ``accept`` says whether a path really is an upload of this request (the web chat
    passes gradio's check): a path elsewhere on this server is refused, never read.
    A file named like an article already there, with other content, replaces it only
    with ``replace``: otherwise it is refused and the article kept."""
    corpus.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    problems: list[tuple[str, str]] = []
    for f in files:
        name = safe_name(f.name)
        if not accept(f):
            problems.append((name, "not a file uploaded through this page"))
            continue
        if Path(name).suffix.lower() not in SUFFIXES:
            problems.append((name, f"not an article file ({KINDS})"))
            continue
        try:
            read_article(f, name)  # refuse what cannot be an article before copying
        except IngestError as exc:
            problems.append((name, str(exc).split(": ", 1)[-1]))
            continue
        dest = corpus / name
        if dest.exists() and not replace and not filecmp.cmp(f, dest, shallow=False):
            problems.append((name, REPLACE_REFUSED))
            continue
        shutil.copyfile(f, dest)  # same name, replace chosen: a new version of that article
        saved.append(dest)
    return saved, problems
