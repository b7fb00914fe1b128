"""The corpus folder: which files are articles, reading them, and their names.

A folder's files become (file, source name) pairs; a file that cannot be an article
(binary, not UTF-8, empty, broken, encrypted, a scan with no text, too large, a link
leading out of the folder, a name with invisible characters) is reported by name with
the reason, never half-read. What an article's text is (front matter, a web page's main
text, a PDF's pages) is ``bot/extract.py``'s business. Any file may have a sidecar,
``NAME.meta.yaml`` (title, date, outlet, url, language), which overrides what the
file itself says: the way to give a PDF its outlet and date.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from bot.config import Settings
from bot.errors import IngestError
from bot.extract import FORMATS, META_KEYS, Meta, extract, iso_date

SUFFIXES = set(FORMATS)
KINDS = ", ".join(sorted(SUFFIXES))
SIDECAR = ".meta.yaml"
# A larger file is refused by name: an article, even a long PDF report, is far smaller.
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Article:
    path: Path
    source: str  # the name users see and cite
    text: str  # what is chunked, cited and shown (extracted, for web pages and PDFs)
    sha256: str  # of the file's bytes and its sidecar's
    meta: Meta = field(default_factory=Meta)
    derived: bool = False  # the text is not the file's bytes: the ingest stores it

    @property
    def title(self) -> str:
        first = next((ln.strip() for ln in self.text.splitlines() if ln.strip()), self.source)
        return self.meta.title or first


def read_article(path: Path, source: str | None = None, max_bytes: int = MAX_BYTES) -> Article:
    """Read one article, or raise IngestError saying why it is not one."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            limit = f"limit {max_bytes / 1e6:.0f} MB"
            raise IngestError(f"{path}: too large ({size / 1e6:.1f} MB; {limit})")
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        got = extract(path, raw)
        side, side_raw = _sidecar(path)
    except IngestError as exc:
        raise IngestError(f"{path}: {exc}") from exc
    meta = got.meta
    if side:
        meta = replace(
            meta,
            title=side.get("title", meta.title),
            date=side.get("date", meta.date),
            outlet=side.get("outlet", meta.outlet),
            url=side.get("url", meta.url),
            language=side.get("language", meta.language),
        )
    digest = hashlib.sha256(raw + side_raw).hexdigest()
    derived = got.meta.format != "text" or got.text != raw.decode("utf-8-sig", "replace")
    return Article(path.resolve(), source or path.name, got.text, digest, meta, derived)


def _sidecar(path: Path) -> tuple[dict[str, str], bytes]:
    side = path.with_name(path.name + SIDECAR)
    if not side.is_file():
        return {}, b""
    raw = side.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise IngestError(f"{side.name} is not valid YAML") from exc
    if not isinstance(data, dict):
        raise IngestError(f"{side.name} is not a mapping of {', '.join(META_KEYS)}")
    out = {k: " ".join(str(data[k]).split())[:300] for k in META_KEYS if data.get(k)}
    if "date" in out:
        out["date"] = iso_date(data["date"])
    return out, raw


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
                bad.append((str(p), f"not an article file ({KINDS}): {p.suffix or 'no extension'}"))
        else:
            bad.append((str(p), "no such file or folder"))
    return found, bad


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no hidden files, no odd characters."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .")
    return base or "article.txt"
