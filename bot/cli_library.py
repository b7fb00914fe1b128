"""``newsbot library / feed / remove``: the corpus as a list, feeds in, articles out."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli import IndexOpt, _bar, _bot, _fail, _settings, app, err, out
from bot.errors import NewsbotError


@app.command("library")
def library_cmd(
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every indexed article: outlet, date, format, chunks."""
    try:
        entries = _bot(_settings(index)).library()
    except NewsbotError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(entries)} articles")
    for col in ("file", "outlet", "date", "format", "chunks", "title"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            escape(e.source),
            escape(e.outlet),
            e.date,
            e.format,
            str(e.chunks),
            escape(e.title[:80]),
        )
    out.print(table)


@app.command("feed")
def feed_cmd(
    source: Annotated[str, typer.Argument(help="An RSS or Atom feed: a file or an http(s) URL.")],
    index: IndexOpt = None,
) -> None:
    """Add a feed's new items to the corpus folder and index them (re-runs add only new
    items; each item's linked page is fetched and extracted when it answers)."""
    try:
        bot = _bot(_settings(index))
        progress, close = _bar("chunk")
        try:
            feed, report = bot.add_feed(source, progress=progress)
        finally:
            close()
    except NewsbotError as exc:
        raise _fail(exc) from exc
    for item, why in feed.summaries:
        err.print(f"[yellow]feed text only[/yellow] {escape(item)}: {escape(why)}")
    for item, why in feed.failed:
        err.print(f"[yellow]skipped[/yellow] {escape(item)}: {escape(why)}")
    out.print(escape(feed.summary()))
    if report is not None:
        for name, reason in report.skipped:
            err.print(f"[yellow]skipped[/yellow] {escape(name)}: {escape(reason)}")
        out.print(report.summary())


@app.command("remove")
def remove_cmd(
    sources: Annotated[list[str], typer.Argument(help="Article file names, as cited.")],
    index: IndexOpt = None,
) -> None:
    """Delete articles from the corpus folder and their chunks from the index."""
    try:
        report = _bot(_settings(index)).remove(sources)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    out.print(report.summary())
