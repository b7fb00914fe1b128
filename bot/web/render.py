"""HTML for the web chat: messages, source cards, the article page.

Every piece of text (questions, model output, article text, file names) goes through
``html.escape`` before any markup is added, and only markup built here is added, so
HTML or script inside an article, a question or an answer shows as text. Chat
messages contain no blank lines and start with ``<div``: gradio's markdown renderer
then passes them through as one HTML block instead of re-reading the text as markdown.

Direction is set per paragraph (``dir="auto"``): Arabic lines run right-to-left and
English ones left-to-right inside the same message; numbers, code and [n] markers
are isolated left-to-right runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from bot.answer import Answer
from bot.cite import Citation, as_text
from bot.extract import Meta

CONTEXT_CHARS = 320  # shown around a cited passage, each side, within its paragraph

# `code`, [n] markers, and numbers (with their separators: 1.2, 5,000, 2017/03/08, 10:30)
_INLINE = re.compile(r"`([^`\n]+)`|\[(\d{1,3})\]|(\d(?:[\d.,:/٫٬%-]*\d)?%?)")


# Characters markdown (and gradio's LaTeX delimiters) would read as syntax, as character
# references: the browser shows them as they are, and the renderer never sees markup.
# Line breaks of every kind become &#10;: a raw blank line (even "\r\r") would end the
# HTML block and let the rest be read as markdown (a remote image, a live link).
# One pass over the text: HTML's own characters too, so no reference is encoded twice.
_INERT = {c: f"&#{ord(c)};" for c in "\\`*_[]()!#|~$"}
_INERT.update({c: "&#10;" for c in "\r\n\v\f\x85\u2028\u2029"})
_INERT.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})
# Other control characters (a terminal's escapes, NUL, DEL) are shown as U+FFFD, never
# sent raw into the page.
_INERT.update(
    {chr(c): "\ufffd" for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in _INERT}
)
_INERT.update({"\t": "\t"})
_INERT_TABLE = str.maketrans(_INERT)


def esc(text: str) -> str:
    """``text`` as inert HTML text: escaped, and nothing in it markdown can act on."""
    return text.translate(_INERT_TABLE)


# -- inline text ------------------------------------------------------------------


def inline(text: str, link: Callable[[int], str | None] | None = None) -> str:
    """Escape ``text``; mark up code, numbers and (when ``link`` knows them) [n] markers."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(esc(text[pos : m.start()]))
        code, marker, number = m.groups()
        if code is not None:
            out.append(f'<code dir="ltr">{esc(code)}</code>')
        elif marker is not None:
            out.append((link(int(marker)) if link else None) or esc(m.group(0)))
        else:
            out.append(f'<span class="nb-num" dir="ltr">{esc(number)}</span>')
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def paragraphs(text: str, link: Callable[[int], str | None] | None = None) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "".join(f'<p dir="auto">{inline(ln, link)}</p>' for ln in lines)


# -- citation links ------------------------------------------------------------------


@dataclass(frozen=True)
class CiteRef:
    """What a citation link carries: enough to show the passage with no session state."""

    source: str
    start: int
    end: int
    n: int


def cite_href(c: Citation) -> str:
    # A real link: without the chat's script (or on middle-click) it opens the article.
    return f"article/{quote(c.source)}?s={c.start}&e={c.end}&n={c.n}#nb-quote"


def article_href(source: str, start: int, end: int) -> str:
    return f"article/{quote(source)}?s={start}&e={end}#nb-quote"


def parse_cite_href(href: str) -> CiteRef | None:
    """The inverse of ``cite_href``; None for anything else."""
    parts = urlsplit(href or "")
    path = parts.path
    i = path.find("article/")
    if i < 0:
        return None
    source = unquote(path[i + len("article/") :])
    q = parse_qs(parts.query)
    try:
        start, end = int(q["s"][0]), int(q["e"][0])
        n = int(q.get("n", ["0"])[0])
    except (KeyError, ValueError, IndexError):
        return None
    if not source or start < 0 or end <= start:
        return None
    return CiteRef(source, start, end, n)


def cite_link(c: Citation) -> str:
    # The href is built here from quoted parts: plain attribute escaping is enough.
    return (
        f'<a class="nb-cite" dir="ltr" href="{html.escape(cite_href(c))}" '
        f'title="{esc(c.source)}">[{c.n}]</a>'
    )


# -- chat messages ---------------------------------------------------------------------


def user_message(question: str) -> str:
    return f'<div class="nb-msg nb-user">{paragraphs(question) or "&nbsp;"}</div>'


def pending_message(note: str) -> str:
    return f'<div class="nb-msg nb-pending"><p class="nb-note" dir="auto">{esc(note)}</p></div>'


def streaming_message(text: str, note: str = "") -> str:
    body = paragraphs(text)
    tail = f'<p class="nb-note" dir="auto">{esc(note)}</p>' if note else ""
    return f'<div class="nb-msg nb-streaming">{body}{tail}</div>'


def sentence(message: str) -> str:
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!", "؟")) else text + "."


def error_message(message: str, hint: str = "", partial: str = "") -> str:
    """A failed answer: what went wrong in one line, and any text streamed before it."""
    shown = f'<div class="nb-partial">{paragraphs(partial)}</div>' if partial.strip() else ""
    hint_html = f" {esc(hint)}" if hint else ""
    return (
        f'<div class="nb-msg nb-error" role="alert">{shown}'
        f'<p dir="auto">⚠ {esc(sentence(message))}{hint_html}</p></div>'
    )


def answer_message(answer: Answer) -> str:
    """The checked answer: linked markers, its sources, and how it was made."""
    by_n = {c.n: c for c in answer.citations}

    def link(n: int) -> str | None:
        return cite_link(by_n[n]) if n in by_n else None

    kind = "nb-declined" if answer.declined else "nb-answer"
    body = paragraphs(answer.answer, link)
    if answer.declined:
        body = body.replace('<p dir="auto">', '<p dir="auto">ⓘ ', 1)
    elif not answer.verified:  # never shown as if it were fine
        kind += " nb-unverified"
        body = (
            '<p class="nb-unverified-banner" dir="ltr">⚠ Unverified: the cited sentences do '
            f"not hold {esc(', '.join(answer.unsupported))}. Check the sources before relying "
            "on this answer.</p>" + body
        )
    refs = "".join(
        f'<li class="nb-ref" dir="ltr">{cite_link(c)} <span class="nb-file">{esc(c.source)}</span>'
        + (
            f' <span class="nb-prov">{_parts(c.outlet, c.date, c.page)}</span>'
            if c.provenance
            else ""
        )
        + (f' <bdi class="nb-title" dir="auto">{esc(c.title)}</bdi>' if c.title else "")
        + "</li>"
        for c in sorted(answer.citations, key=lambda c: c.n)
    )
    refs_html = f'<ol class="nb-refs">{refs}</ol>' if refs else ""
    notes: list[str] = []
    if answer.search_query and answer.search_query.strip() != answer.question.strip():
        notes.append(f'searched for <bdi class="nb-query">{esc(answer.search_query)}</bdi>')
    if answer.invalid_markers:
        notes.append(f"{answer.invalid_markers} marker(s) pointing at no passage removed")
    if answer.unsupported:
        notes.append(
            '<span class="nb-unsupported">⚠ not in the cited passages: '
            f"{esc(', '.join(answer.unsupported))}</span>"
        )
    if answer.dropped:
        notes.append(
            f'<span class="nb-unsupported">{len(answer.dropped)} sentence(s) left out: not '
            "in the cited sentences</span>"
        )
    notes.append(esc(answer.model))
    total = answer.timings.get("total_s")
    if total is not None and not answer.declined:
        first = answer.timings.get("first_token_s", total)
        notes.append(f"first token {first:.1f} s, total {total:.1f} s")
    text = answer.answer if answer.verified else f"[UNVERIFIED] {answer.answer}"
    copy = esc(as_text(text, answer.citations))  # newlines as entities (esc)
    return (
        f'<div class="nb-msg {kind}"><div class="nb-body">{body}</div>{refs_html}'
        f'<div class="nb-meta" dir="ltr">{" · ".join(notes)} '
        '<button class="nb-copy" type="button" title="Copy the answer with its sources">'
        "Copy</button></div>"
        f'<pre class="nb-copytext">{copy}</pre></div>'
    )


# -- passages ----------------------------------------------------------------------------


def highlight(text: str, a: int, b: int, start: int, end: int, mark_id: str = "") -> str:
    """Paragraphs of ``text[a:b]``, one ``<p>`` per line, with ``[start, end)`` marked."""
    out: list[str] = []
    pos = a
    first_mark = True
    for line in text[a:b].split("\n"):
        la, lb = pos, pos + len(line)
        pos = lb + 1
        if not line.strip():
            continue
        s, e = max(la, start), min(lb, end)
        if s < e:
            attr = f' id="{mark_id}"' if mark_id and first_mark else ""
            first_mark = False
            inner = (
                esc(text[la:s]) + f'<mark class="nb-quote"{attr}>{esc(text[s:e])}</mark>'
                f"{esc(text[e:lb])}"
            )
        else:
            inner = esc(line)
        out.append(f'<p dir="auto">{inner}</p>')
    return "".join(out)


def context_window(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The paragraph(s) around ``[start, end)``, cut to ``chars`` each side at a space."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    if start - a > chars:
        cut = text.find(" ", start - chars, start)
        a = cut + 1 if cut >= 0 else start - chars
    if b - end > chars:
        cut = text.rfind(" ", end, end + chars)
        b = cut if cut >= 0 else end + chars
    return a, b


def valid_span(text: str, start: int, end: int) -> bool:
    return 0 <= start < end <= len(text)


def gloss_html(english: str, flags: Sequence[str] = ()) -> str:
    """The English gloss of a cited Arabic sentence, marked as newsbot's own translation."""
    if not english:
        return ""
    warn = (
        f'<div class="nb-gloss-flags">⚠ check against the Arabic: {esc("; ".join(flags))}</div>'
        if flags
        else ""
    )
    return (
        '<div class="nb-gloss" dir="ltr" lang="en"><span class="nb-gloss-label">English '
        f"(machine translation):</span> {esc(english)}{warn}</div>"
    )


def provenance_html(meta: Meta, offset: int) -> str:
    """ "Al Jazeera, 2017-07-12, p. 2, link": who published the cited words, and when."""
    parts = _parts(meta.outlet, meta.date, meta.page_at(offset))
    if meta.url.lower().startswith(("http://", "https://")):  # never javascript: and co.
        link = (
            f'<a class="nb-url" href="{esc(meta.url)}" target="_blank" '
            'rel="noopener noreferrer nofollow">link ↗</a>'
        )
        parts = f"{parts}, {link}" if parts else link
    return f'<div class="nb-prov" dir="ltr">{parts}</div>' if parts else ""


def _parts(outlet: str, date: str, page: int) -> str:
    """Outlet, date, page, each isolated (<bdi>): an Arabic outlet name must not turn
    the date beside it into 08-03-2017."""
    items = [outlet, date, f"p. {page}" if page else ""]
    return ", ".join(f'<bdi dir="auto">{esc(x)}</bdi>' for x in items if x)


def source_card(
    source: str,
    title: str,
    text: str,
    ref: CiteRef,
    active: bool = False,
    gloss: str = "",
    meta: Meta | None = None,
) -> str:
    """One cited source: file, outlet, date, page and link, title, the sentence
    right-to-left in its paragraph, and (``gloss``, from ``gloss_html``) its English."""
    head = (
        f'<div class="nb-card-head" dir="ltr"><span class="nb-badge">[{ref.n}]</span> '
        f'<span class="nb-file">{esc(source)}</span></div>'
        + (provenance_html(meta, ref.start) if meta else "")
    )
    title_html = f'<div class="nb-card-title" dir="auto">{esc(title)}</div>' if title else ""
    if valid_span(text, ref.start, ref.end):
        a, b = context_window(text, ref.start, ref.end)
        before = "… " if a > 0 and text[a - 1] != "\n" else ""
        after = " …" if b < len(text) and text[b] != "\n" else ""
        passage = highlight(text, a, b, ref.start, ref.end)
        passage = f'<div class="nb-passage" dir="rtl" lang="ar">{esc(before)}{passage}{after}</div>'
    else:
        passage = (
            '<p class="nb-note">The cited passage is no longer at this place in the file '
            "(it changed after it was indexed).</p>"
        )
    link = (
        f'<a class="nb-open" href="{esc(article_href(source, ref.start, ref.end))}" '
        'target="_blank" rel="noopener">Open the whole article ↗</a>'
    )
    cls = "nb-card nb-active" if active else "nb-card"
    return f'<div class="{cls}">{head}{title_html}{passage}{gloss}{link}</div>'


def sources_panel(cards: Sequence[str], heading: str) -> str:
    return (
        f'<div class="nb-sources"><div class="nb-sources-head">{esc(heading)}</div>'
        + "".join(cards)
        + "</div>"
    )


def panel_note(text: str) -> str:
    return (
        '<div class="nb-sources"><div class="nb-sources-head">Sources</div>'
        f'<p class="nb-note" dir="auto">{esc(text)}</p></div>'
    )


# -- the article page ------------------------------------------------------------------------

ARTICLE_CSS = """
body{font-family:system-ui,'Noto Naskh Arabic','Noto Sans Arabic',sans-serif;margin:0;
background:#fafaf9;color:#1c1917}
header{padding:.8rem 1.2rem;border-bottom:1px solid #e7e5e4;background:#fff;font-size:.9rem}
header .file{font-family:ui-monospace,monospace}
article{max-width:48rem;margin:1.5rem auto;padding:0 1.2rem;font-size:1.15rem;line-height:2}
article p{margin:.2rem 0 .9rem}
mark{background:#fde68a;padding:.1em 0;scroll-margin:35vh}
"""


def article_page(
    source: str,
    title: str,
    text: str,
    start: int | None,
    end: int | None,
    meta: Meta | None = None,
) -> str:
    """The whole article, escaped, right-to-left, the cited span marked (#nb-quote)."""
    s, e = (start, end) if start is not None and end is not None else (-1, -1)
    if not valid_span(text, s, e):
        s, e = -1, -1  # nothing to mark: the page opens at the top
    body = highlight(text, 0, len(text), s, e, mark_id="nb-quote")
    return (
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title or source)}</title><style>{ARTICLE_CSS}</style></head><body>"
        f'<header dir="ltr"><span class="file">{esc(source)}</span>'
        + (provenance_html(meta, max(s, 0)) if meta else "")
        + "</header>"
        + f'<article dir="rtl">{body}</article></body></html>'
    )
