"""The web page's Translate, Summarize and Brief tabs (added by ``bot.web.page.build_app``).

Thin over ``Newsbot.translate/summarize/brief``: every text shown is escaped, Arabic
is set right-to-left per element, and a model or input error becomes a notice in
the tab (the app stays up). Results are cached on disk, so asking again is instant.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from bot.brief import BODY_CSS, Briefing
from bot.errors import NewsbotError
from bot.service import Newsbot
from bot.summarize import Summary
from bot.translate import Translation

PROGRESS = gr.Progress()
_CSS = (
    "<style>.nb-tr{border-collapse:collapse;width:100%}.nb-tr td{border-top:1px solid #ddd;"
    "padding:.35rem .5rem;vertical-align:top;width:50%}.nb-flag{color:#a15c00;font-size:.85em}"
    + BODY_CSS
    + "</style>"
)


def _notice(text: str) -> str:
    return f"<div class='nb-error'>{html.escape(text)}</div>"


def _progress(progress: gr.Progress | None) -> Callable[[int, int, str], None] | None:
    if progress is None:
        return None

    def update(done: int, total: int, label: str) -> None:
        progress((done, total), desc=label, unit="sentences")

    return update


def translation_html(tr: Translation) -> str:
    e = html.escape
    rows = []
    for s in tr.sentences:
        flag = f"<div class='nb-flag'>⚠ {e('; '.join(s.flags))}</div>" if s.flags else ""
        rows.append(
            f"<tr data-start='{s.start}' data-end='{s.end}'>"
            f"<td dir='rtl' lang='ar' class='nb-ar'>{e(s.arabic)}</td>"
            f"<td dir='ltr' lang='en' class='nb-en'>{e(s.english)}{flag}</td></tr>"
        )
    return (
        f"{_CSS}<p class='cite'>{e(tr.source)} · {e(tr.checks.line())}</p>"
        f"<table class='nb-tr'>{''.join(rows)}</table>"
    )


def summary_html(s: Summary) -> str:
    e = html.escape
    items = []
    for b in s.bullets:
        d = "rtl" if s.language == "ar" else "ltr"
        quotes = "".join(f"<p dir='rtl' lang='ar'>s{c.index + 1}: {e(c.text)}</p>" for c in b.cites)
        where = ", ".join(f"s{c.index + 1}" for c in b.cites)
        items.append(
            f"<li dir='{d}' class='nb-bullet'>{e(b.text)} <span class='cite'>[{e(where)}]</span>"
            f"<details><summary>cited sentence</summary>{quotes}</details></li>"
        )
    dropped = (
        f"<p class='nb-flag'>{len(s.dropped)} bullet(s) failed the checks and were dropped.</p>"
        if s.dropped
        else ""
    )
    return (
        f"{_CSS}<p class='cite'>{e(s.source)} · {e(s.checks.line())}</p>"
        f"<ul>{''.join(items)}</ul>{dropped}"
    )


class ToolHandlers:
    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self._out = Path(tempfile.mkdtemp(prefix="newsbot-exports-"))

    def articles(self) -> dict[str, str]:
        return dict(self.bot.corpus_articles())

    def choices(self) -> Any:
        names = sorted(self.articles())
        return gr.update(choices=names, value=names[0] if names else None)

    def _text(self, name: str | None, pasted: str) -> tuple[str, str]:
        if pasted and pasted.strip():
            return "pasted text", pasted
        arts = self.articles()
        if not name or name not in arts:
            raise NewsbotError("choose an article or paste Arabic text")
        return name, arts[name]

    def translate(
        self, name: str | None, pasted: str, progress: gr.Progress = PROGRESS
    ) -> tuple[str, Any]:
        try:
            source, text = self._text(name, pasted)
            tr = self.bot.translate(text, source, _progress(progress))
        except NewsbotError as exc:
            return _notice(str(exc)), None
        path = self._save(f"translation-{Path(source).stem}.md", tr.markdown())
        return translation_html(tr), str(path)

    def summarize(
        self, name: str | None, pasted: str, lang: str, progress: gr.Progress = PROGRESS
    ) -> str:
        try:
            source, text = self._text(name, pasted)
            s = self.bot.summarize(text, source, lang or "en", _progress(progress))
        except NewsbotError as exc:
            return _notice(str(exc))
        return summary_html(s)

    def brief(
        self, topic: str, names: list[str] | None, progress: gr.Progress = PROGRESS
    ) -> tuple[str, Any]:
        try:
            arts = self.articles()
            chosen = [(n, arts[n]) for n in (names or sorted(arts)) if n in arts]
            b: Briefing = self.bot.brief(chosen, topic or "", _progress(progress))
        except NewsbotError as exc:
            return _notice(str(exc)), None
        md = self._save("briefing.md", b.markdown())
        page = self._save("briefing.html", b.html())
        return _CSS + b.html_body(), [str(md), str(page)]

    def _save(self, name: str, text: str) -> Path:
        folder = Path(tempfile.mkdtemp(dir=self._out))
        path = folder / name
        path.write_text(text, "utf-8")
        return path


Refresh = tuple[Callable[[], tuple[Any, ...]], list[Any]]


def add_tool_tabs(bot: Newsbot, events: dict[str, Any]) -> Refresh:
    """Translate / Summarize / Brief tabs, inside the caller's ``gr.Tabs``.

    Returns ``(refresh, pickers)``: the caller runs ``refresh`` into the article pickers on
    page load and after every ingest, so the lists follow the corpus folder."""
    h = ToolHandlers(bot)
    names = sorted(h.articles())
    first = names[0] if names else None
    with gr.Tab("Translate", elem_id="nb-tab-translate"):
        with gr.Row():
            tr_article = gr.Dropdown(names, value=first, label="Article", elem_id="nb-tr-article")
            tr_btn = gr.Button("Translate", variant="primary", elem_id="nb-tr-go")
        tr_text = gr.Textbox(label="…or paste Arabic text", lines=3, rtl=True, elem_id="nb-tr-text")
        tr_out = gr.HTML(elem_id="nb-tr-out")
        tr_file = gr.File(label="Download (.md)", elem_id="nb-tr-file")
        tr_btn.click(h.translate, [tr_article, tr_text], [tr_out, tr_file], **events)
    with gr.Tab("Summarize", elem_id="nb-tab-summarize"):
        with gr.Row():
            su_article = gr.Dropdown(names, value=first, label="Article", elem_id="nb-su-article")
            su_lang = gr.Radio(
                [("English", "en"), ("العربية", "ar")], value="en", label="Summary language"
            )
            su_btn = gr.Button("Summarize", variant="primary", elem_id="nb-su-go")
        su_text = gr.Textbox(label="…or paste Arabic text", lines=3, rtl=True, elem_id="nb-su-text")
        su_out = gr.HTML(elem_id="nb-su-out")
        su_btn.click(h.summarize, [su_article, su_text, su_lang], su_out, **events)
    with gr.Tab("Brief", elem_id="nb-tab-brief"):
        with gr.Row():
            br_topic = gr.Textbox(label="Topic (optional)", elem_id="nb-br-topic", scale=3)
            br_files = gr.Dropdown(names, value=names, multiselect=True, label="Articles", scale=3)
            br_btn = gr.Button("Write briefing", variant="primary", elem_id="nb-br-go")
        br_out = gr.HTML(elem_id="nb-br-out")
        br_dl = gr.File(label="Download (.md, .html)", file_count="multiple")
        br_btn.click(h.brief, [br_topic, br_files], [br_out, br_dl], **events)

    def refresh() -> tuple[Any, ...]:
        names = sorted(h.articles())
        one = gr.update(choices=names, value=names[0] if names else None)
        return one, one, gr.update(choices=names, value=names)

    return refresh, [tr_article, su_article, br_files]
