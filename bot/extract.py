"""Extract: a file's bytes -> the text readers are shown, and what is known of the article.

One function per format, each through a well-kept library: front matter (PyYAML) for
``.txt``/``.md``, trafilatura for the main text and metadata of saved web pages, pypdf for
PDF text page by page. The text returned here is the text that is chunked, cited and
shown, so every citation's ``start``/``end`` index into it; the ingest stores it beside
the index when it differs from the file's own bytes.

PDF and Arabic: tools that shape Arabic themselves write presentation-form glyphs in
visual (left-to-right) order. pypdf reverses the Arabic runs it finds but keeps the runs
in visual order (measured: "قال ... عام 2017 قرب المبنى." comes out as ". قرب المبنى2017
قال ... عام"). So the stream order is rebuilt from pypdf's runs, and each page is read
both as it stands and through the bidi algorithm (python-bidi, visual -> logical); the
reading with more common Arabic words wins. Presentation forms become normal letters.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.arabic import detect_language
from bot.errors import IngestError

# Bumped when extraction changes what text a file yields: the ingest then redoes every file.
EXTRACT_VERSION = 1
FORMATS = {".txt": "text", ".md": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}
META_KEYS = ("title", "date", "outlet", "url", "language")
MIN_LETTERS = 40  # less main text than a sentence: the page holds no article

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n)+", re.S)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_PERCENT = re.compile(r"%(\d+(?:[.,]\d+)*)")
_ENDS = re.compile(r"[.!?؟:»\"”)]$")
_ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
# Frequent Arabic function words: their count tells a readable line from a reversed one.
_COMMON = frozenset(
    ["في", "من", "على", "إلى", "أن", "عن", "التي", "الذي", "مع", "هذا", "بعد", "قال", "إن"]
)


@dataclass(frozen=True)
class Meta:
    title: str = ""
    date: str = ""  # ISO yyyy-mm-dd; "" when unknown
    outlet: str = ""
    url: str = ""
    language: str = ""
    format: str = "text"
    pages: tuple[int, ...] = ()  # PDF: where each page starts in the text

    def page_at(self, offset: int) -> int:
        """The 1-based page holding ``offset``; 0 when the format has no pages."""
        return sum(1 for p in self.pages if p <= offset) if self.pages else 0

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (*META_KEYS, "format")}


@dataclass(frozen=True)
class Extracted:
    text: str
    meta: Meta = field(default_factory=Meta)


def extract(path: Path, raw: bytes) -> Extracted:
    """The article in ``raw`` (the bytes of ``path``), or IngestError saying why not."""
    kind = FORMATS.get(path.suffix.lower())
    if kind == "html":
        return _html(raw)
    if kind == "pdf":
        return _pdf(raw)
    return _plain(raw)


def iso_date(value: object) -> str:
    """A date as yyyy-mm-dd (Arabic-Indic digits and d/m/y accepted); "" if not one."""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    text = str(value or "").translate(_DIGITS)
    if m := _ISO.search(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DMY.search(text):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return ""
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return ""


def date_number(iso: str) -> int:
    """yyyymmdd as an int (Chroma compares numbers only); 0 when there is no date."""
    return int(iso.replace("-", "")) if iso else 0


# -- text and markdown ----------------------------------------------------------------


def _plain(raw: bytes) -> Extracted:
    if b"\x00" in raw[:8192]:
        raise IngestError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not valid UTF-8 (byte {exc.start})") from exc
    fields: dict[str, Any] = {}
    if m := _FRONT.match(text):
        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise IngestError(f"front matter is not valid YAML ({_first_line(exc)})") from exc
        if isinstance(loaded, dict):
            fields = loaded
            text = text[m.end() :]
    if not text.strip():
        raise IngestError("empty file")
    meta = Meta(
        title=_clean(fields.get("title")),
        date=iso_date(fields.get("date")),
        outlet=_clean(fields.get("outlet") or fields.get("source")),
        url=_web_url(fields.get("url")),
        language=_clean(fields.get("language")) or detect_language(text[:2000]),
    )
    return Extracted(text, meta)


def _clean(value: object) -> str:
    return " ".join(str(value).split())[:300] if value not in (None, "") else ""


def _web_url(value: object) -> str:
    url = _clean(value)
    return url if re.match(r"https?://", url, re.I) else ""


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -- saved web pages --------------------------------------------------------------------


def _html(raw: bytes) -> Extracted:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            raw,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            # The page's own date fields only: the extensive search takes a footer's
            # "© 2016" or "12 July 2016" in the text for 2016-01-01 (measured).
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura raises whatever lxml raises on broken input
        raise IngestError(f"cannot read the web page ({_first_line(exc)})") from exc
    data: dict[str, Any] = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
    lines = [" ".join(ln.split()) for ln in str(data.get("text") or "").splitlines()]
    text = "\n\n".join(ln for ln in lines if ln)
    if sum(c.isalpha() for c in text) < MIN_LETTERS:  # a menu or a cookie notice is not one
        raise IngestError("no article text found in the web page")
    title = _clean(data.get("title"))
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"  # the first line is the title, as in every article
    meta = Meta(
        title=title,
        date=iso_date(data.get("date")) or _stated_date(raw),
        outlet=_clean(data.get("sitename") or data.get("hostname")),
        url=_web_url(data.get("url")),
        language=detect_language(text[:2000]),
        format="html",
    )
    return Extracted(text, meta)


def _stated_date(raw: bytes) -> str:
    """A whole date (year, month, day; either digit set) written near the top of the
    page, where outlets print the publication date; never a year alone."""
    from trafilatura.utils import decode_file

    page = str(decode_file(raw))
    body = page[page.lower().find("<body") :] if "<body" in page.lower() else page
    visible = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", body[:20_000], flags=re.S | re.I)
    return iso_date(" ".join(visible.split())[:1500])


# -- PDF --------------------------------------------------------------------------------


def _pdf(raw: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("encrypted PDF (needs a password)")
        pages = [_pdf_page(page) for page in reader.pages]
        info: dict[str, Any] = dict(reader.metadata or {})
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(f"broken PDF ({_first_line(exc)})") from exc
    starts: list[int] = []
    parts: list[str] = []
    at = 0
    for text in pages:
        starts.append(at)
        parts.append(text)
        at += len(text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise IngestError("no text layer in the PDF (a scan? run OCR first)")
    # No date or outlet from the PDF's own fields: /CreationDate is when the file was
    # made (a conversion, a print), /Author a person or a program. A sidecar says them.
    title = _clean(info.get("/Title"))
    meta = Meta(
        title="" if title.lower() in ("untitled", "") else title,
        language=detect_language(text[:2000]),
        format="pdf",
        pages=tuple(starts),
    )
    return Extracted(text, meta)


def _pdf_page(page: Any) -> str:
    lines: list[tuple[str, float]] = [("", 0.0)]  # (stream-order text, font size)

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        scaled = float(size or 0) * (abs(float(tm[3])) or 1.0)
        for n, part in enumerate(_unrun(text).split("\n")):
            if n:
                lines.append(("", 0.0))
            line, big = lines[-1]
            lines[-1] = (line + part, max(big, scaled) if part.strip() else big)

    page.extract_text(visitor_text=visit)
    # NUL: a glyph the font had no character for (the PDF holds no text for it).
    raw = [line.replace("\x00", "") for line, _ in lines]
    # Reorder before unshaping: a lam-alef ligature is two letters, in reading order.
    stream = [unshape(line) for line in raw]
    rtl = _mostly_arabic("".join(raw))
    visual = [unshape(visual_to_logical(line, rtl)) for line in raw]
    best = visual if _common_words(visual) > _common_words(stream) else stream
    sized = [(t.strip(), size) for t, (_, size) in zip(best, lines, strict=True) if t.strip()]
    return _unwrap(sized)


def _unwrap(lines: list[tuple[str, float]]) -> str:
    """A PDF's lines as paragraphs: a line goes on in the next unless it ends a sentence,
    stops well short of the page's width (a paragraph's last line) or the font size
    changes (a title); else a wrapped sentence would be cited in halves."""
    out: list[str] = []
    para: list[str] = []
    width = max((len(line) for line, _ in lines), default=0)
    for i, (line, size) in enumerate(lines):
        para.append(line)
        resized = i + 1 < len(lines) and abs(lines[i + 1][1] - size) > 0.5
        if _ENDS.search(line) or len(line) < 0.6 * width or resized:
            out.append(" ".join(para))
            para = []
    if para:
        out.append(" ".join(para))
    return "\n".join(out)


def _unrun(text: str) -> str:
    """One of pypdf's runs in stream order: pypdf reversed the Arabic ones (a line's
    newline stays at the end)."""
    body, nl = (text[:-1], "\n") if text.endswith("\n") else (text, "")
    return (body[::-1] if _ARABIC.search(body) else body) + nl


def unshape(text: str) -> str:
    """Arabic presentation forms (U+FB50-FDFF, U+FE70-FEFF) as normal letters; the rest
    untouched (NFKC on everything would also rewrite digits, ligatures and spaces)."""
    if not re.search(r"[\ufb50-\ufdff\ufe70-\ufeff]", text):
        return text
    return re.sub(
        r"[\ufb50-\ufdff\ufe70-\ufeff]+", lambda m: unicodedata.normalize("NFKC", m[0]), text
    )


def visual_to_logical(line: str, rtl: bool | None = None) -> str:
    """A line stored in visual order, in reading order. ``rtl``: the paragraph direction
    (a page's, from its script: an Arabic document lays out every line right to left,
    an English line with an Arabic word in it too); None: the line's own majority."""
    from bidi.algorithm import get_display  # the pure-Python one mirrors brackets

    if not _ARABIC.search(line):
        return line
    if rtl is None:
        rtl = _mostly_arabic(line)
    out = str(get_display(line, base_dir="R" if rtl else "L"))
    # The bidi algorithm does not undo itself for a percent sign at the end of a run of
    # text ("ارتفع 0.5%" drawn, read back as "ارتفع %0.5"): Arabic never writes "%0.5".
    return _PERCENT.sub(r"\1%", out) if rtl else out


def _mostly_arabic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if _ARABIC.match(c)) * 2 >= len(letters) > 0


def _common_words(lines: list[str]) -> int:
    return sum(1 for line in lines for w in line.split() if w.strip("،.:()«»\"'") in _COMMON)
