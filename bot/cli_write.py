"""``newsbot translate / summarize / brief``: long writing runs with a progress bar,
resumable (finished sentences are cached), output as Markdown, JSON or HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bot.cli import IndexOpt, _bot, _fail, _long_run, _settings, app, err
from bot.errors import NewsbotError

# -- translate / summarize / brief ---------------------------------------------------------

OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write here; the suffix picks the format (.md, .json)."),
]


def _read(file: Path) -> tuple[str, str]:
    from bot.corpus import read_article

    art = read_article(file)  # IngestError (a NewsbotError) says why it is not an article
    return art.source, art.text


def _emit(result: Any, out_file: Path | None, as_json: bool, html_ok: bool = False) -> None:
    fmt = out_file.suffix.lower() if out_file else (".json" if as_json else ".md")
    if fmt == ".json":
        text = json.dumps(result.as_json(), ensure_ascii=False, indent=1)
    elif fmt in (".html", ".htm") and html_ok:
        text = result.html()
    elif fmt in (".md", ".markdown", ".txt"):
        text = result.markdown()
    else:
        kinds = ".md, .json" + (", .html" if html_ok else "")
        raise NewsbotError(f"--out must end in {kinds}, not {fmt or '(no suffix)'}")
    write_out(text, out_file)


def write_out(text: str, out_file: Path | None) -> None:
    """``text`` to ``out_file`` (stdout when None); NewsbotError if it cannot be written."""
    if out_file is None:
        print(text)
        return
    try:
        out_file.write_text(text, "utf-8")
    except OSError as exc:
        raise NewsbotError(f"cannot write {out_file}: {exc.strerror or exc}") from exc
    err.print(f"wrote {escape(str(out_file))}")


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("translate")
def translate_cmd(
    file: Annotated[Path, typer.Argument(help="An Arabic article (.txt, .md, .html, .htm, .pdf).")],
    out_file: OutOpt = None,
    as_json: JsonOpt = False,
    index: IndexOpt = None,
    candidates: Annotated[
        int | None,
        typer.Option(
            "--candidates",
            help="Translations sampled per sentence, best kept (default 3; 1 is fastest).",
        ),
    ] = None,
) -> None:
    """The whole article in English, sentence by sentence, aligned with the Arabic."""
    try:
        bot = _bot(_settings(index, translate_candidates=candidates))
        source, text = _read(file)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    result = _long_run(bot, "sent", lambda p: bot.translate(text, source, p))
    try:
        _emit(result, out_file, as_json)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    err.print(f"[dim]checks: {escape(result.checks.line())}[/dim]")


@app.command("summarize")
def summarize_cmd(
    file: Annotated[Path, typer.Argument(help="An Arabic article (.txt, .md, .html, .htm, .pdf).")],
    lang: Annotated[str, typer.Option("--lang", help="Summary language: en or ar.")] = "en",
    out_file: OutOpt = None,
    as_json: JsonOpt = False,
    index: IndexOpt = None,
) -> None:
    """3-7 bullets, each citing the sentence(s) of the article it rests on."""
    try:
        if lang not in ("en", "ar"):
            raise NewsbotError(f"--lang must be en or ar, not {lang!r}")
        bot = _bot(_settings(index))
        source, text = _read(file)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    result = _long_run(bot, "bullet", lambda p: bot.summarize(text, source, lang, p))
    try:
        _emit(result, out_file, as_json)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    err.print(f"[dim]checks: {escape(result.checks.line())}[/dim]")


@app.command("brief")
def brief_cmd(
    topic: Annotated[str, typer.Option(help="Focus on this topic (default: everything).")] = "",
    files: Annotated[
        list[Path] | None, typer.Option("--files", help="Articles (default: the corpus folder).")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="briefing.md, briefing.html or briefing.json."),
    ] = None,
    as_json: JsonOpt = False,
    index: IndexOpt = None,
) -> None:
    """An English briefing over many articles: developments, timeline, actors, figures,
    and where sources disagree; every statement cites its file."""
    try:
        bot = _bot(_settings(index))
        articles = [_read(f) for f in files] if files else bot.corpus_articles()
        if not articles:
            raise NewsbotError(f"no articles in {bot.settings.corpus_dir}")
    except NewsbotError as exc:
        raise _fail(exc) from exc
    result = _long_run(bot, "sent", lambda p: bot.brief(articles, topic, p))
    try:
        _emit(result, out_file, as_json, html_ok=True)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    err.print(f"[dim]checks: {escape(result.checks.line())}[/dim]")


# -- end translate / summarize / brief ----------------------------------------------------
