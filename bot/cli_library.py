"""``newsbot search / library / feed / remove``: searching the corpus (with its filters),
the corpus as a list, feeds in, articles out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli import (
    FilesOpt,
    IndexOpt,
    SinceOpt,
    UntilOpt,
    WhereOpt,
    _bar,
    _bot,
    _fail,
    _filtered,
    _settings,
    app,
    err,
    out,
)
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


@app.command("search")
def search_cmd(
    query: Annotated[list[str] | None, typer.Argument(help="The query.")] = None,
    k: Annotated[int | None, typer.Option("-k", help="Number of results.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    batch: Annotated[
        Path | None, typer.Option(help="One query per line; prints JSON lines.")
    ] = None,
    index: IndexOpt = None,
    where: WhereOpt = None,
    since: SinceOpt = "",
    until: UntilOpt = "",
    files: FilesOpt = None,
) -> None:
    """Hybrid search over the index."""
    try:
        bot, only = _filtered(index, where, since, until, files)
        if batch is not None:
            try:
                lines = batch.read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise NewsbotError(f"cannot read {batch}: {exc}") from exc
            for q in (ln.strip() for ln in lines):
                if q:
                    r = bot.search(q, k, only)
                    print(
                        json.dumps(
                            {"query": q, "results": [h.as_json() for h in r.hits]},
                            ensure_ascii=False,
                        ),
                        flush=True,
                    )
            return
        q = " ".join(query or []).strip()
        if not q:
            raise NewsbotError("give a query, or --batch FILE")
        r = bot.search(q, k, only)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(
            json.dumps(
                {
                    "query": q,
                    "language": r.language,
                    "covered": r.covered,
                    "results": [h.as_json() for h in r.hits],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    if not r.covered:
        out.print("[yellow]Nothing in the index clears the relevance floor.[/yellow]")
    for i, h in enumerate(r.hits, 1):
        about = ", ".join(x for x in (h.outlet, h.date, f"p. {h.page}" if h.page else "") if x)
        out.print(
            f"[bold]{i}. {escape(h.chunk_id)}[/bold]  score {h.score:.4f}  cosine {h.dense:.3f}"
            + (f"  [dim]{escape(about)}[/dim]" if about else "")
        )
        out.print(escape(h.text), soft_wrap=True)
        out.print()
