"""Web page extraction: which extractor keeps an Arabic article's text and drops the rest.

Pages: each article's title and body put into the page shapes of
``tests/support/formats.py``: an <article> layout (nav, share and font-size widgets, an
ad and a "read also" box splitting the body, related links, comments, footer), an older
<div>/<table> layout (also in windows-1256), and a portal layout with teasers of other
stories that are whole real sentences. The portal shape is used by no test and was not
looked at while choosing the extractor (the held-out shape). Articles: the five seeds
and the 47 EASC newspaper articles (Alwatan, Alrai; bench/data/SOURCES.md), whose
teasers are sentences of other EASC articles.

Per extractor, in one run: the share of the body's sentences kept (whitespace-normalised,
exact), the share of the page's boilerplate lines dropped (a one-to-three-word line such
as "الرئيسية" counts as kept only as a line of its own: articles use those words too),
and the pages where every sentence was kept and no boilerplate line. No public Arabic web
page set ships offline with a licence that allows it; this one is synthetic in its layout,
real in its text.

PDFs: the same articles drawn by reportlab, once as shaped presentation-form glyphs in
visual order (arabic-reshaper + python-bidi, as tools that shape Arabic themselves write
them) and once as logical text, each extractor's sentences checked word for word.

    python bench/extract.py [--limit N] [--pdf-limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.extract import extract  # noqa: E402
from tests.support import formats as F  # noqa: E402

EASC = ROOT / "bench" / "data" / "sum_ar_easc.news.jsonl"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[.!؟?])\s+", _norm(p)) if len(s) > 20]


def articles(limit: int | None) -> list[tuple[str, str, list[str]]]:
    out = [(f"seed-{s}", *F.seed_paragraphs(s)) for s in ("000", "001", "002", "003", "004")]
    for line in EASC.read_text("utf-8").splitlines():
        row = json.loads(line)
        lines = [ln.strip() for ln in row["article_ar"].splitlines() if ln.strip()]
        if len(lines) < 3:
            continue
        title, rest = lines[0], lines[1:]
        body = [" ".join(rest[i : i + 3]) for i in range(0, len(rest), 3)]
        out.append((row["id"], title, body))
    return out[:limit] if limit else out


def pages(arts: list[tuple[str, str, list[str]]]) -> list[tuple[str, str, F.Page]]:
    out: list[tuple[str, str, F.Page]] = []
    for n, (name, title, body) in enumerate(arts):
        other = arts[(n + 7) % len(arts)][2]  # teasers: real sentences of another article
        teasers = [s for s in _sentences(other)][:4]
        out += [
            ("article", name, F.article_html(title, body)),
            ("div", name, F.div_html(title, body)),
            ("div-1256", name, F.div_html(title, body, "windows-1256")),
            ("portal (held out)", name, F.teaser_html(title, body, teasers)),
        ]
    return out


def _trafilatura(**opts: object) -> Callable[[bytes], str]:
    import trafilatura

    def run(html: bytes) -> str:
        return trafilatura.extract(html, include_comments=False, **opts) or ""

    return run


def _justext(html: bytes) -> str:
    import justext

    paras = justext.justext(html, justext.get_stoplist("Arabic"))
    return "\n".join(p.text for p in paras if not p.is_boilerplate)


def _readability(html: bytes) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    return lxml_html.fromstring(summary).text_content() if summary.strip() else ""


def _all_text(html: bytes) -> str:
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return "\n".join(t for t in root.itertext() if t.strip())


def _newsbot(html: bytes) -> str:
    return extract(Path("page.html"), html).text


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "newsbot (trafilatura, bot/extract.py)": _newsbot,
    "trafilatura favor_precision": _trafilatura(favor_precision=True),
    "trafilatura favor_recall": _trafilatura(favor_recall=True),
    "jusText (Arabic stoplist)": _justext,
    "readability-lxml": _readability,
    "all visible text (baseline)": _all_text,
}


def score(fn: Callable[[bytes], str], page: F.Page) -> tuple[int, int, int, int, float]:
    t = time.perf_counter()
    try:
        raw = fn(page.html)
    except Exception:  # an extractor that fails on a page keeps nothing of it
        raw = ""
    took = time.perf_counter() - t
    got = _norm(raw)
    lines = {_norm(ln) for ln in raw.splitlines()}
    sents = _sentences(page.paragraphs)
    kept = sum(1 for s in sents if s in got)
    dropped = sum(1 for b in page.boilerplate if not _kept(_norm(b), got, lines))
    return kept, len(sents), dropped, len(page.boilerplate), took


def _kept(line: str, text: str, lines: set[str]) -> bool:
    """A boilerplate line survived: as a line of its own, or (four words or more, too
    long to be an article's own word) anywhere in the text."""
    return line in lines or (len(line.split()) >= 4 and line in text)


def _pypdf_plain(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def _pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(str(path)))


PDF_EXTRACTORS: dict[str, Callable[[Path], str]] = {
    "newsbot (pypdf + reading order, bot/extract.py)": lambda p: extract(p, p.read_bytes()).text,
    "pypdf extract_text": _pypdf_plain,
    "pdfminer.six extract_text": _pdfminer,
}


def pdf_table(arts: list[tuple[str, str, list[str]]], work: Path) -> Table:
    """Each article as two PDFs: shaped glyphs in visual order (what tools that shape
    Arabic themselves write) and logical text; sentences recovered word for word, as
    shown and after NFKC (letter forms forgiven, order not)."""
    import unicodedata

    docs: list[tuple[str, Path, list[str]]] = []
    for name, title, body in arts:
        lines = [title, *(ln for p in body[:3] for ln in F.wrap(p))]
        pages = [lines[i : i + 40] for i in range(0, len(lines), 40)]
        for kind, logical in (("shaped, visual order", False), ("logical order", True)):
            path = F.shaped_pdf(work / f"{name}-{logical}.pdf", pages, logical=logical)
            docs.append((kind, path, body[:3]))
    table = Table(title=f"PDF extraction: {len(docs)} PDFs ({len(arts)} articles x 2)")
    for col in ("extractor", "producer", "sentences exact", "exact after NFKC"):
        table.add_column(col, justify="left" if col in ("extractor", "producer") else "right")
    for name, fn in PDF_EXTRACTORS.items():
        for kind in ("shaped, visual order", "logical order"):
            k = kn = n = 0
            for _, path, body in (d for d in docs if d[0] == kind):
                got = _norm(fn(path))
                folded = unicodedata.normalize("NFKC", got)
                for sent in _sentences(body):
                    n += 1
                    k += sent in got
                    kn += unicodedata.normalize("NFKC", sent) in folded
            first = kind == "shaped, visual order"
            table.add_row(name if first else "", kind, f"{k / n:.3f}", f"{kn / n:.3f}")
        table.add_section()
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, help="first N articles only")
    ap.add_argument("--pdf-limit", type=int, default=20, help="articles drawn as PDFs")
    args = ap.parse_args()
    ps = pages(articles(args.limit))
    shapes = sorted({shape for shape, _, _ in ps})
    table = Table(title=f"Web page extraction: {len(ps)} pages ({len(ps) // 4} articles x 4)")
    for col in ("extractor", "shape", "sentences kept", "boilerplate dropped", "clean pages",
                "ms/page"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("extractor", "shape") else "right")
    for name, fn in EXTRACTORS.items():
        for shape in [*shapes, "all"]:
            rows = [score(fn, p) for s, _, p in ps if shape in ("all", s)]
            k, n, d, b = (sum(r[i] for r in rows) for i in range(4))
            clean = sum(1 for r in rows if r[0] == r[1] and r[2] == r[3])
            ms = 1000 * sum(r[4] for r in rows) / len(rows)
            table.add_row(name if shape == shapes[0] else "", shape, f"{k / n:.3f}",
                          f"{d / b:.3f}", f"{clean}/{len(rows)}", f"{ms:.0f}")  # fmt: skip
        table.add_section()
    Console(width=140).print(table)
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        Console(width=140).print(pdf_table(articles(args.pdf_limit), Path(work)))


if __name__ == "__main__":
    main()
