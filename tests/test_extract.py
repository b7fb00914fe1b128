"""Extraction: saved web pages, PDFs with shaped Arabic, front matter and sidecars, and
the files that cannot be articles (each refused by name with the reason)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.corpus import read_article
from bot.errors import IngestError
from bot.extract import extract, iso_date, unshape, visual_to_logical
from tests.support import formats as F


def _in_order(text: str, paragraphs: list[str]) -> bool:
    at = 0
    for p in paragraphs:
        at = text.find(p, at)
        if at < 0:
            return False
        at += len(p)
    return True


@pytest.mark.parametrize(
    ("name", "page"),
    [
        ("article.html", F.article_page()),
        ("story.html", F.div_page("001")),
        ("legacy.htm", F.div_page("004", "windows-1256")),
    ],
    ids=["article-tag", "div-layout", "windows-1256"],
)
def test_web_page_main_text_only(name: str, page: F.Page) -> None:
    got = extract(Path(name), page.html)
    assert _in_order(got.text, page.paragraphs), "every body paragraph, in order"
    kept = [b for b in page.boilerplate if b in got.text]
    assert kept == [], f"boilerplate kept: {kept}"
    assert got.text.splitlines()[0] == page.title  # the first line is the title
    assert got.meta.format == "html" and got.meta.language == "ar"


def test_web_page_metadata() -> None:
    got = extract(Path("a.html"), F.article_page(outlet="ميدل إيست أونلاين").html)
    assert got.meta.title == F.seed_paragraphs("003")[0]
    assert got.meta.outlet == "ميدل إيست أونلاين"
    assert got.meta.date == "2017-03-08"
    assert got.meta.url == "https://news.example.org/iraq/2017/03/08/mosul-counter-attack"


def test_web_page_arabic_indic_date_only() -> None:
    # No date in the page's metadata: the Arabic-Indic ٢٠١٧/٠٧/١٠ under the title.
    assert extract(Path("s.html"), F.div_page("001").html).meta.date == "2017-07-10"


@pytest.mark.parametrize(
    "extra",
    ["<footer>جميع الحقوق محفوظة © 2016</footer>", "<p>وقع الهجوم في 12 يوليو 2016</p>"],
    ids=["copyright-year", "date-in-text"],
)
def test_web_page_date_is_never_guessed(extra: str) -> None:
    """A year in a footer or a date in a sentence is not the publication date."""
    title, body = F.seed_paragraphs("003")
    paras = "".join(f"<p>{p}</p>" for p in body[:2])
    html = f"<html><body><article><h1>{title}</h1>{paras}{extra}</article></body></html>"
    assert extract(Path("p.html"), html.encode()).meta.date == ""


def test_web_page_without_text_is_refused() -> None:
    with pytest.raises(IngestError, match="no article text"):
        extract(Path("empty.html"), b"<html><body><nav><a href='/'>home</a></nav></body></html>")


@pytest.mark.parametrize("logical", [False, True], ids=["shaped-visual", "logical"])
@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_pdf_arabic_in_reading_order(tmp_path: Path, seed: str, logical: bool) -> None:
    title, body = F.seed_paragraphs(seed)
    pages = [[title, *F.wrap(body[0])], F.wrap(body[1])]
    pdf = F.shaped_pdf(tmp_path / "r.pdf", pages, logical=logical)
    if not logical:  # the fixture really is what such tools write: presentation forms
        from pypdf import PdfReader

        raw = PdfReader(str(pdf)).pages[0].extract_text()
        assert any("\ufe70" <= c <= "\ufeff" for c in raw)
    got = extract(pdf, pdf.read_bytes())
    assert got.text.splitlines()[0] == title  # a short line ends its paragraph
    flat = " ".join(got.text.split())
    assert " ".join(body[0].split()) in flat and " ".join(body[1].split()) in flat
    assert not any("\ufb50" <= c <= "\ufdff" or "\ufe70" <= c <= "\ufeff" for c in got.text)
    # Page numbers: the second page starts where body[1] starts.
    assert got.meta.pages[0] == 0 and got.meta.page_at(got.text.index(body[1][:30])) == 2
    assert got.meta.page_at(0) == 1


@pytest.mark.parametrize(
    "line",
    [
        "وقال مراسل Al Jazeera إن 1.2 مليون مدني (في الموصل) عام 2017.",
        "والنقل والاتصالات 0.3% والتعليم 0.2%.",
        "ارتفع 0.5%",
        "0.5% ارتفاع",
        "سجلت 4 مجموعات -0.3% تراجعا «بحسب البيان»",
    ],
)
def test_pdf_mixed_line_numbers_latin_brackets_percent(line: str) -> None:
    import arabic_reshaper
    from bidi.algorithm import get_display

    visual = get_display(arabic_reshaper.reshape(line), base_dir="R")
    assert unshape(visual_to_logical(visual, rtl=True)) == line


def test_unshape_ligatures() -> None:
    assert unshape("\ufdf2") == "الله" and unshape("\ufefb") == "لا"
    assert unshape("2017 ١٢") == "2017 ١٢", "digits and the rest untouched"


def test_pdf_scan_encrypted_broken(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    blank = PdfWriter()
    blank.add_blank_page(200, 200)
    buf = io.BytesIO()
    blank.write(buf)
    with pytest.raises(IngestError, match="no text layer"):
        extract(Path("scan.pdf"), buf.getvalue())
    locked = PdfWriter(clone_from=F.shaped_pdf(tmp_path / "x.pdf", [["نص تجريبي في الموصل"]]))
    locked.encrypt("secret")
    buf = io.BytesIO()
    locked.write(buf)
    with pytest.raises(IngestError, match="encrypted"):
        extract(Path("locked.pdf"), buf.getvalue())
    with pytest.raises(IngestError, match="broken PDF"):
        extract(Path("bad.pdf"), b"%PDF-1.4\n1 0 obj garbage")


def test_front_matter_and_sidecar(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text(
        "---\ntitle: قوات عراقية\ndate: ٢٠١٧-٠٧-١٢\noutlet: Al Jazeera\n"
        "url: https://example.org/a\n---\n\nالنص الأول.\n",
        "utf-8",
    )
    art = read_article(md)
    assert art.text == "النص الأول.\n" and art.derived
    assert (art.meta.title, art.meta.date, art.meta.outlet, art.meta.url) == (
        "قوات عراقية",
        "2017-07-12",
        "Al Jazeera",
        "https://example.org/a",
    )
    (tmp_path / "a.md.meta.yaml").write_text("outlet: Reuters\ndate: 2017-07-13\n", "utf-8")
    again = read_article(md)
    assert (again.meta.outlet, again.meta.date, again.meta.title) == (
        "Reuters",
        "2017-07-13",
        "قوات عراقية",
    )
    assert again.sha256 != art.sha256  # a changed sidecar re-ingests the article


def test_front_matter_unsafe_values(tmp_path: Path) -> None:
    md = tmp_path / "b.md"
    md.write_text("---\nurl: javascript:alert(1)\ntitle: !!python/object x\n---\nنص.\n", "utf-8")
    with pytest.raises(IngestError, match="front matter"):
        read_article(md)  # safe_load refuses the python tag: said, not run
    md.write_text("---\nurl: javascript:alert(1)\n---\nنص.\n", "utf-8")
    assert read_article(md).meta.url == ""  # only http(s) links are kept


def test_plain_seed_unchanged() -> None:
    seed = next(F.SEEDS.glob("000_*.txt"))
    art = read_article(seed)
    assert art.text == seed.read_text("utf-8") and not art.derived
    assert art.meta.format == "text" and art.meta.date == ""


def test_oversized_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("نص " * 1000, "utf-8")
    with pytest.raises(IngestError, match="too large"):
        read_article(big, max_bytes=1000)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("2017-07-12T10:00:00Z", "2017-07-12"),
        ("١٢/٠٧/٢٠١٧", "2017-07-12"),
        ("2017/7/2", "2017-07-02"),
        ("2017-02-30", ""),
        ("yesterday", ""),
    ],
)
def test_iso_date(value: str, want: str) -> None:
    assert iso_date(value) == want
