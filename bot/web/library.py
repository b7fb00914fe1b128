"""The Library tab and the search filter: every article with outlet, date, format and
chunk count; upload, feeds, re-scan, remove; which outlets, files and dates the chat
searches. Thin over ``Newsbot.library/add_files/add_feed/remove/ingest``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from bot.corpus import SUFFIXES
from bot.errors import NewsbotError
from bot.library import Entry
from bot.service import Newsbot
from bot.web import render
from bot.web.chat import (
    PROGRESS,
    _failed,
    _ingest_html,
    _notice,
    _progress,
    to_filter,
    uploaded_by_gradio,
)

COLUMNS = ["file", "outlet", "date", "format", "chunks", "title"]


@dataclass
class FilterControls:
    outlets: Any
    files: Any
    since: Any
    until: Any

    @property
    def inputs(self) -> list[Any]:
        return [self.outlets, self.files, self.since, self.until]


def filter_controls(bot: Newsbot, prefix: str) -> FilterControls:
    """Outlets, files and a date range; empty means every article."""
    outlets, files = _choices(bot.library())
    with gr.Row():
        o = gr.Dropdown(outlets, multiselect=True, label="Outlets", elem_id=f"{prefix}-outlets")
        f = gr.Dropdown(files, multiselect=True, label="Articles", elem_id=f"{prefix}-files")
    with gr.Row():
        s = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id=f"{prefix}-since", max_lines=1)
        u = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id=f"{prefix}-until", max_lines=1)
    return FilterControls(o, f, s, u)


def _choices(entries: list[Entry]) -> tuple[list[str], list[str]]:
    outlets = sorted({e.outlet for e in entries if e.outlet})
    return outlets, sorted(e.source for e in entries)


def rows(entries: list[Entry]) -> list[list[Any]]:
    return [[e.source, e.outlet, e.date, e.format, e.chunks, e.title[:120]] for e in entries]


class LibraryHandlers:
    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot

    def table(
        self,
        outlets: list[str] | None = None,
        files: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[Any, str]:
        """The articles the filter lets through, and a line saying how many."""
        entries = self.bot.library()
        try:
            only = to_filter(outlets, files, since, until)
        except NewsbotError as exc:
            return gr.skip(), _notice(str(exc))
        shown = [e for e in entries if only.matches(_entry(e))]
        note = f"{len(shown)} of {len(entries)} articles" + (
            f" ({only.describe()})" if only.active else ""
        )
        return rows(shown), _notice(note)

    def choices(self) -> tuple[Any, ...]:
        """New choices for every outlet and file picker (after an ingest or removal)."""
        outlets, files = _choices(self.bot.library())
        return (
            gr.update(choices=outlets),
            gr.update(choices=files),
            gr.update(choices=outlets),
            gr.update(choices=files),
            gr.update(choices=files, value=[]),
        )

    def add_feed(self, source: str, progress: gr.Progress = PROGRESS) -> str:
        # URLs only: a path typed here would make the server read its own files.
        if not re.match(r"https?://\S+$", (source or "").strip(), re.I):
            return _notice("Give a feed's http(s) URL (a feed file: `newsbot feed FILE`).")
        try:
            feed, report = self.bot.add_feed(source.strip(), progress=_progress(progress))
        except NewsbotError as exc:
            return _failed(exc)
        lines = [f"<p>{render.esc(feed.summary())}</p>"]
        for item, why in [*feed.summaries, *feed.failed]:
            lines.append(f'<p class="nb-note">{render.esc(item)}: {render.esc(why)}</p>')
        return _ingest_html(report, []) + "".join(lines) if report else "".join(lines)

    def remove(self, names: list[str] | None, progress: gr.Progress = PROGRESS) -> str:
        if not names:
            return _notice("Choose the articles to remove first.")
        try:
            report = self.bot.remove(names, progress=_progress(progress))
        except NewsbotError as exc:
            return _failed(exc)
        return _notice(f"Removed {', '.join(names)}. {report.summary()}")

    def upload(
        self, files: list[str] | None, replace: bool = False, progress: gr.Progress = PROGRESS
    ) -> tuple[str, Any]:
        if not files:
            return _notice(f"Choose one or more files first ({', '.join(sorted(SUFFIXES))})."), None
        try:
            paths = [Path(f) for f in files]
            report, problems = self.bot.add_files(
                paths, uploaded_by_gradio, _progress(progress), replace=bool(replace)
            )
        except (NewsbotError, OSError) as exc:
            return _failed(exc), gr.skip()
        return _ingest_html(report, problems), None

    def rescan_folder(self, progress: gr.Progress = PROGRESS) -> str:
        try:
            report = self.bot.ingest([self.bot.settings.corpus_dir], progress=_progress(progress))
        except (NewsbotError, OSError) as exc:
            return _failed(exc)
        return _ingest_html(report, [])


def _entry(e: Entry) -> dict[str, Any]:
    return {"source": e.source, "outlet": e.outlet, "date": e.date, "format": e.format,
            "language": e.language}  # fmt: skip


@dataclass
class LibraryTab:
    table: Any
    count: Any
    filters: FilterControls
    remove_pick: Any
    report: Any
    events: list[Any]  # what changes the corpus: the caller refreshes the lists after each
    handlers: LibraryHandlers


def add_library_tab(bot: Newsbot, ingesting: dict[str, Any]) -> LibraryTab:
    """The Library tab, inside the caller's ``gr.Tabs``."""
    h = LibraryHandlers(bot)
    with gr.Tab("Library", elem_id="nb-tab-library"):
        controls = filter_controls(bot, "nb-lib")
        count = gr.HTML(elem_id="nb-lib-count")
        table = gr.Dataframe(
            headers=COLUMNS,
            value=rows(bot.library()),
            interactive=False,
            wrap=True,
            elem_id="nb-lib-table",
        )
        with gr.Row(equal_height=False):
            with gr.Column():
                upload = gr.File(
                    label="Add articles (" + ", ".join(sorted(SUFFIXES)) + ")",
                    file_count="multiple",
                    file_types=sorted(SUFFIXES),
                    type="filepath",
                    height=140,
                    elem_id="nb-upload",
                )
                replace = gr.Checkbox(
                    label="Replace articles with the same name",
                    value=False,
                    elem_id="nb-replace",
                )
                with gr.Row():
                    add_btn = gr.Button("Add to the index", variant="primary", elem_id="nb-add")
                    rescan_btn = gr.Button("Re-scan the corpus folder", elem_id="nb-rescan")
            with gr.Column():
                feed = gr.Textbox(label="RSS or Atom feed URL", elem_id="nb-feed", max_lines=1)
                feed_btn = gr.Button("Add the feed's new items", elem_id="nb-feed-go")
                remove_pick = gr.Dropdown(
                    _choices(bot.library())[1],
                    multiselect=True,
                    label="Remove articles",
                    elem_id="nb-remove-pick",
                )
                remove_btn = gr.Button("Remove", variant="stop", elem_id="nb-remove")
        report = gr.HTML(elem_id="nb-ingest-report")
    for c in controls.inputs:
        c.change(h.table, controls.inputs, [table, count], concurrency_limit=None,
                 api_visibility="private")  # fmt: skip
    private = {"api_visibility": "private", **ingesting}
    events = [
        add_btn.click(h.upload, [upload, replace], [report, upload], **private),
        rescan_btn.click(h.rescan_folder, None, report, **private),
        feed_btn.click(h.add_feed, feed, report, **private),
        remove_btn.click(h.remove, remove_pick, report, **private),
    ]
    return LibraryTab(table, count, controls, remove_pick, report, events, h)
