"""The corpus folder: which files are articles, reading them, and their names.

A folder's files become (file, source name) pairs; a file that cannot be an article
(binary, not UTF-8, empty, a link leading out of the folder, a name with invisible
characters) is reported by name with the reason, never half-read.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.errors import IngestError

SUFFIXES = {".txt", ".md"}


@dataclass(frozen=True)
class Article:
    path: Path
    source: str  # the name users see and cite
    text: str
    sha256: str

    @property
    def title(self) -> str:
        return next((ln.strip() for ln in self.text.splitlines() if ln.strip()), self.source)


def read_article(path: Path, source: str | None = None) -> Article:
    """Read one article, or raise IngestError saying why it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:8192]:
        raise IngestError(f"{path}: binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise IngestError(f"{path}: empty file")
    return Article(path.resolve(), source or path.name, text, hashlib.sha256(raw).hexdigest())


def prepare_corpus(settings: Settings) -> None:
    """An installed newsbot's default corpus folder starts as a copy of the shipped seeds
    (a folder the chat may add uploads to, unlike site-packages)."""
    from bot.config import IN_CHECKOUT, data_home, shipped

    folder = settings.corpus_dir
    if IN_CHECKOUT or folder != data_home() / "corpus" or folder.exists():
        return
    folder.mkdir(parents=True)
    for f in sorted(shipped("seeds").iterdir()):
        if f.is_file() and f.suffix.lower() in SUFFIXES:
            shutil.copyfile(f, folder / f.name)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a source name shown and linked in citations, or None.

    Control and format characters (newlines, U+202E right-to-left override...) would
    break the article link or make a name read as another one."""
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"the file name holds the invisible character U+{ord(ch):04X}"
    return None


def _in_folder(f: Path, folder: Path) -> bool:
    try:
        f.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """Expand folders into (file, source name) pairs; report paths that can't be articles.

    A link inside a folder that leads out of it is refused: the corpus folder is what the
    chat may show, and only what lies inside it."""
    found: list[tuple[Path, str]] = []
    bad: list[tuple[str, str]] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not (f.suffix.lower() in SUFFIXES and not f.name.startswith(".")):
                    continue
                name = f.relative_to(p).as_posix()
                if not _in_folder(f, p):
                    bad.append((name, "a link to a file outside the folder"))
                elif not f.is_file():
                    continue
                elif (why := name_problem(name)) is not None:
                    bad.append((name.encode("unicode_escape").decode("ascii"), why))
                else:
                    found.append((f, name))
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                found.append((p, p.name))
            else:
                bad.append((str(p), f"not a .txt or .md file ({p.suffix or 'no extension'})"))
        else:
            bad.append((str(p), "no such file or folder"))
    return found, bad


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no hidden files, no odd characters."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .")
    return base or "article.txt"
