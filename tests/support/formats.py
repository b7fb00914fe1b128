"""Fixtures in the shapes real Arabic outlets publish: saved web pages with their
boilerplate, PDFs whose Arabic is shaped glyphs in visual order, RSS and Atom feeds.

Article text comes from the seed articles (real Arabic news sentences); the boilerplate
is what outlets wrap around it. Every builder returns what the page holds and, apart,
the lines that must not survive extraction, so tests assert on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# What outlets put around an article (all of it must be gone after extraction).
BOILERPLATE = [
    "الرئيسية",
    "ت + ت - الحجم الطبيعي",
    "شارك عبر فيسبوك تويتر واتساب",
    "اضغط هنا لمشاهدة الفيديو",
    "أخبار ذات صلة",
    "القوات العراقية تتقدم نحو تلعفر وسط مخاوف إنسانية",
    "تعليق: شكرا على هذه التغطية الممتازة للأحداث",
    "جميع الحقوق محفوظة",
    "اشترك في النشرة البريدية",
    "مساحة إعلانية",
    "الأكثر قراءة",
    "يستخدم هذا الموقع ملفات تعريف الارتباط",
]


def _present(html: str) -> list[str]:
    return [b for b in BOILERPLATE if escape(b) in html]


@dataclass(frozen=True)
class Page:
    html: bytes
    title: str
    paragraphs: list[str]  # the article's body, in order
    boilerplate: list[str]  # lines that must not be extracted


def seed_paragraphs(name: str) -> tuple[str, list[str]]:
    """Title and body paragraphs of a seed article (its first line is the title)."""
    path = next(SEEDS.glob(f"{name}_*.txt"))
    paras = [" ".join(p.split()) for p in path.read_text("utf-8").split("\n\n") if p.strip()]
    body = [p for p in paras[1:] if len(p) > 80]  # captions and widgets out
    return paras[0], body


def article_page(seed: str = "003", outlet: str = "ميدل إيست أونلاين") -> Page:
    """<article> layout: nav, share and font-size widgets, the body split by an ad and a
    "read also" box, related links, comments, footer; date in meta and Arabic-Indic."""
    return article_html(*seed_paragraphs(seed), outlet=outlet)


def article_html(title: str, body: list[str], outlet: str = "ميدل إيست أونلاين") -> Page:
    """``article_page`` for any title and body paragraphs."""
    parts = []
    for i, p in enumerate(body):
        parts.append(f"<p>{escape(p)}</p>")
        if i == 1:
            parts.append(
                '<div class="ad-slot"><span>مساحة إعلانية</span></div>'
                '<aside class="read-also"><a href="/news/2">اضغط هنا لمشاهدة الفيديو</a></aside>'
            )
    html = f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(outlet)}</title>
<meta property="og:site_name" content="{escape(outlet)}">
<meta property="og:title" content="{escape(title)}">
<link rel="canonical" href="https://news.example.org/iraq/2017/03/08/mosul-counter-attack">
<meta property="article:published_time" content="2017-03-08T09:30:00+03:00"></head>
<body><div class="cookie">يستخدم هذا الموقع ملفات تعريف الارتباط</div>
<nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/iraq">العراق</a></li>
<li><a href="/sport">رياضة</a></li></ul></nav>
<div class="tools">ت + ت - الحجم الطبيعي</div>
<div class="share"><a href="#">شارك عبر فيسبوك تويتر واتساب</a></div>
<main><article><h1>{escape(title)}</h1><time>الأربعاء ٨ مارس ٢٠١٧</time>
{"".join(parts)}</article>
<section class="related"><h3>أخبار ذات صلة</h3><ul>
<li><a href="/a">القوات العراقية تتقدم نحو تلعفر وسط مخاوف إنسانية</a></li></ul></section>
<section id="comments"><h3>التعليقات</h3><div class="comment">
<p>تعليق: شكرا على هذه التغطية الممتازة للأحداث</p></div></section></main>
<aside class="most-read"><h3>الأكثر قراءة</h3></aside>
<footer><p>اشترك في النشرة البريدية</p><p>جميع الحقوق محفوظة © ٢٠١٧</p></footer>
</body></html>"""
    return Page(html.encode("utf-8"), title, body, _present(html))


def div_page(seed: str = "001", encoding: str = "utf-8") -> Page:
    """No <article>: a story <div> between sidebars, an older outlet's layout, optionally
    in windows-1256 (still common on Arabic sites); the date only as Arabic-Indic text."""
    return div_html(*seed_paragraphs(seed), encoding=encoding)


def div_html(title: str, body: list[str], encoding: str = "utf-8") -> Page:
    """``div_page`` for any title and body paragraphs."""
    paras = "".join(f"<p>{escape(p)}</p>" for p in body)
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<title>{escape(title)}</title></head><body>
<div id="header"><a href="/">الرئيسية</a> | <a href="/w">العالم</a></div>
<table><tr><td class="side"><b>الأكثر قراءة</b><ul>
<li><a href="/x">القوات العراقية تتقدم نحو تلعفر وسط مخاوف إنسانية</a></li></ul></td>
<td class="main"><h2>{escape(title)}</h2><div class="date">٢٠١٧/٠٧/١٠</div>
<div class="story-body">{paras}</div>
<div class="share">شارك عبر فيسبوك تويتر واتساب</div></td></tr></table>
<div id="footer">جميع الحقوق محفوظة</div></body></html>"""
    return Page(html.encode(encoding, "xmlcharrefreplace"), title, body, _present(html))


def teaser_html(title: str, body: list[str], teasers: list[str]) -> Page:
    """A portal layout (bench only, not tuned on): breadcrumb, tags, author box, and
    teasers of other stories that are whole real sentences, the hard boilerplate."""
    paras = "".join(f"<p>{escape(p)}</p>" for p in body)
    side = "".join(f'<li><a href="/s/{i}"><h4>{escape(t)}</h4></a></li>'
                   for i, t in enumerate(teasers))  # fmt: skip
    extra = ["الصفحة الرئيسية » أخبار محلية", "الكلمات الدالة: الكويت، ثقافة، معرض",
             "عن الكاتب: محرر الشؤون المحلية في الجريدة منذ عشر سنوات"]  # fmt: skip
    html = f"""<!doctype html><html lang="ar"><head><meta charset="utf-8">
<title>{escape(title)}</title></head><body>
<div class="breadcrumb">{escape(extra[0])}</div>
<div class="layout"><div class="content"><h1>{escape(title)}</h1>
<div class="entry">{paras}</div>
<div class="tags">{escape(extra[1])}</div><div class="author-box">{escape(extra[2])}</div>
</div><div class="sidebar"><h3>اقرأ أيضا</h3><ul>{side}</ul></div></div></body></html>"""
    return Page(html.encode("utf-8"), title, body, [*extra, *teasers])


def shaped_pdf(
    path: Path, pages: list[list[str]], logical: bool = False, title: bool = True
) -> Path:
    """A PDF the way tools that shape Arabic themselves write it: presentation-form glyphs
    in visual order (arabic-reshaper + python-bidi, drawn by reportlab with DejaVu Sans).
    Lines are laid out right to left (an Arabic document's paragraph direction), the
    first line (a title) in a larger size. ``logical``: unshaped letters in reading order
    instead (another producer's habit)."""
    import arabic_reshaper
    from bidi.algorithm import get_display
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(DEJAVU)))
    # DejaVu Sans has no glyph for the ﷲ ligature: a PDF drawn with it holds no text there.
    shaper = arabic_reshaper.ArabicReshaper(
        configuration={"delete_harakat": False, "ARABIC LIGATURE ALLAH": False}
    )
    c = canvas.Canvas(str(path), invariant=True)  # invariant: the same bytes every run
    for lines in pages:
        y = 800
        for n, line in enumerate(lines):
            c.setFont("DejaVu", 16 if n == 0 and title else 11)
            drawn = line if logical else get_display(shaper.reshape(line), base_dir="R")
            c.drawRightString(560, y, drawn)
            y -= 24 if n == 0 and title else 18
        title = False
        c.showPage()
    c.save()
    return path


def wrap(text: str, width: int = 70) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces (a PDF's lines)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    date: datetime
    summary: str
    guid: str


def rss(
    items: list[Item], title: str = "أخبار العراق", site: str = "https://news.example.org/"
) -> bytes:
    body = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<guid>{escape(i.guid)}</guid><pubDate>{format_datetime(i.date)}</pubDate>"
        f"<description>{escape(i.summary)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(site)}</link><language>ar</language>"
        f"{body}</channel></rss>"
    ).encode()


def atom(items: list[Item], title: str = "الموصل اليوم") -> bytes:
    body = "".join(
        f'<entry><title>{escape(i.title)}</title><link href="{escape(i.link)}"/>'
        f"<id>{escape(i.guid)}</id><updated>{i.date.isoformat()}</updated>"
        f'<content type="html">{escape("<p>" + i.summary + "</p>")}</content></entry>'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:mosul-today</id>"
        f"<updated>2017-07-10T12:00:00Z</updated>{body}</feed>"
    ).encode()


def items(base: str, n: int = 3) -> list[Item]:
    """Feed items made from seed articles (title, first paragraph as summary)."""
    out = []
    for k, seed in enumerate(["000", "001", "002", "003", "004"][:n]):
        title, body = seed_paragraphs(seed)
        out.append(
            Item(
                title=title,
                link=f"{base}/article/{seed}",
                date=datetime(2017, 3, 1 + k, 8, 0, tzinfo=UTC),
                summary=body[0],
                guid=f"{base}/article/{seed}",
            )
        )
    return out
