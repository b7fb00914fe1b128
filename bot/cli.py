"""The ``newsbot`` command: a thin layer over ``bot.service.Newsbot``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from bot.answer import Done, Retrieved, Retrying, Token
from bot.config import AnswerLanguage, Settings
from bot.errors import ConfigError, InputError, NewsbotError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Sourced answers from Arabic news reporting."
)
model_app = typer.Typer(help="The bundled model server.", no_args_is_help=True)
app.add_typer(model_app, name="model")
out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays one line

IndexOpt = Annotated[
    Path | None,
    typer.Option(
        "--index", envvar="NEWSBOT_INDEX_DIR", help="Index folder (Chroma store + manifest)."
    ),
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Only articles with KEY=VALUE (outlet, file, format, language); repeatable.",
    ),
]
SinceOpt = Annotated[str, typer.Option(help="Only articles dated on or after YYYY-MM-DD.")]
UntilOpt = Annotated[str, typer.Option(help="Only articles dated on or before YYYY-MM-DD.")]
FilesOpt = Annotated[
    list[str] | None, typer.Option("--files", help="Only these articles (file names).")
]


def _filtered(
    index: Path | None,
    where: list[str] | None,
    since: str,
    until: str,
    files: list[str] | None,
) -> tuple[Any, Any]:
    """The service on an existing index, and the filter the options say (``search`` and
    ``ask`` both take them; typer has no option groups, so each lists the four)."""
    from bot.filters import Filter

    only = Filter.parse(where or [], since, until, files or [])  # a bad option fails first
    return _bot(_existing_index(_settings(index))), only


def _settings(index: Path | None, **overrides: object) -> Settings:
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if index is not None:
        values["index_dir"] = index
    try:
        return Settings(**values)
    except Exception as exc:  # pydantic's ValidationError: show it, no traceback
        raise ConfigError(f"invalid configuration: {_one_line(exc)}") from exc


def _existing_index(s: Settings) -> Settings:
    """Searching an index that was never built is a mistyped --index, not "not covered"."""
    if not (s.index_dir / "manifest.json").is_file():
        raise InputError(
            f"no index at {s.index_dir}: check --index, or build it with `newsbot ingest`"
        )
    return s


def _one_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = [f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in errors()]
        return "; ".join(parts)
    return " ".join(str(exc).split())


def _bot(settings: Settings):
    from bot.service import Newsbot

    return Newsbot(settings)


def _fail(exc: NewsbotError) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(1)


def _bar(unit: str) -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    from tqdm import tqdm

    state: dict[str, tqdm] = {}

    def progress(done: int, total: int, label: str) -> None:
        bar = state.get("bar")
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = state["bar"] = tqdm(total=total, unit=unit, file=sys.stderr)
        bar.set_description_str(label[:40], refresh=False)
        bar.update(done - bar.n)

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return progress, close


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: seeds/).")
    ] = None,
    index: IndexOpt = None,
    rebuild: Annotated[
        bool, typer.Option(help="Drop the index and embed everything again.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(help="Check every file's chunks in the store, not only the totals."),
    ] = False,
    translate: Annotated[
        bool,
        typer.Option(
            "--translate",
            help="Also write the English gloss of every sentence now (resumable), so "
            "citations show it at once.",
        ),
    ] = False,
) -> None:
    """Chunk, embed and store articles; only what changed is embedded again."""
    from tqdm import tqdm

    try:
        s = _settings(index)
        bot = _bot(s)
        if rebuild:
            bot.reset_index()
        bar: tqdm | None = None

        def progress(done: int, total: int, label: str) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
            bar.set_postfix_str(label, refresh=False)
            bar.update(done - bar.n)

        report = bot.ingest(paths or [s.corpus_dir], progress=progress, verify=verify)
        if bar is not None:
            bar.close()
    except NewsbotError as exc:
        raise _fail(exc) from exc
    for name, reason in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(name)}: {escape(reason)}")
    out.print(report.summary())
    if translate:
        _gloss_all(bot)


def _long_run(bot: Any, unit: str, work: Callable[[Any], Any]) -> Any:
    """Run ``work(progress)`` with a progress bar; Ctrl-C keeps what is done (cached)."""
    progress, close = _bar(unit)
    try:
        return work(progress)
    except KeyboardInterrupt:
        close()
        err.print(
            "[yellow]interrupted[/yellow]: finished sentences are cached; run again to resume"
        )
        raise typer.Exit(130) from None
    except NewsbotError as exc:
        close()
        raise _fail(exc) from exc
    finally:
        close()
        bot.close()


def _gloss_all(bot: Any) -> None:
    n, flagged = _long_run(bot, "sent", bot.gloss_corpus)
    out.print(f"{n} sentences glossed in English; {flagged} flagged by the translation checks.")


def _print_answer(
    bot: Any,
    question: str,
    lang: AnswerLanguage,
    as_json: bool,
    history: list[Any],
    only: Any = None,
    conversation: str = "",
) -> None:
    answer = None
    streamed = False
    try:
        for event in bot.chat(question, history, language=lang, where=only):
            if isinstance(event, Retrieved) and not as_json:
                err.print(f"[dim]{len(event.hits)} passages retrieved[/dim]")
            elif isinstance(event, Token) and not as_json:
                streamed = True
                print(event.text, end="", flush=True)
            elif isinstance(event, Retrying) and not as_json:
                print()
                err.print(f"[yellow]checking again: {escape(event.reason)}[/yellow]")
            elif isinstance(event, Done):  # then Glossed: the same, with English
                answer = event.answer
    except NewsbotError as exc:
        if answer is None:
            raise
        err.print(f"[yellow]no English for the sources: {escape(str(exc))}[/yellow]")
    if answer is None:
        raise NewsbotError("the answer ended without a result")
    history.append((question, answer.answer))
    if conversation:  # the CLI's user is the machine's: the chat's login-less "local"
        from bot.conversations import LOCAL_USER

        bot.remember(answer, LOCAL_USER, bot.named_conversation(LOCAL_USER, conversation))
    if as_json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=1))
        return
    if streamed:
        print()
    out.rule("checked answer" if answer.verified else "[yellow]unverified answer[/yellow]")
    out.print(escape(answer.answer), soft_wrap=True)
    if answer.citations:
        out.print("\n[bold]Sources[/bold]")
        for c in answer.citations:
            about = f", {c.provenance}" if c.provenance else ""
            out.print(f"[{c.n}] {escape(c.source)}{escape(about)} (chars {c.start}-{c.end})")
            if c.url:
                out.print(f"    {escape(c.url)}", soft_wrap=True)
            out.print(f"    [dim]{escape(c.quote[:300])}[/dim]", soft_wrap=True)
            if c.quote_en:
                mark = f" [yellow](check: {escape('; '.join(c.quote_en_flags))})[/yellow]"
                flags = mark if c.quote_en_flags else ""
                out.print(f"    English: {escape(c.quote_en)}{flags}", soft_wrap=True)
    if answer.dropped:
        out.print(
            f"[yellow]{len(answer.dropped)} sentence(s) of the answer left out: their numbers "
            "or names are not in the cited sentences[/yellow]"
        )
    if answer.invalid_markers:
        out.print(
            f"[yellow]{answer.invalid_markers} citation marker(s) pointed at no passage "
            "and were removed[/yellow]"
        )
    if answer.unsupported:
        out.print(
            "[yellow]not in the cited passages (check before relying on it): "
            f"{escape(', '.join(answer.unsupported))}[/yellow]"
        )
    out.print(
        f"[dim]{answer.model}; first token {answer.timings['first_token_s']:.1f} s, "
        f"total {answer.timings['total_s']:.1f} s[/dim]"
    )


@app.command("ask")
def ask_cmd(
    question: Annotated[
        list[str] | None, typer.Argument(help="The question (none: interactive).")
    ] = None,
    lang: Annotated[
        AnswerLanguage, typer.Option("--lang", help="Answer language.")
    ] = AnswerLanguage.AUTO,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    index: IndexOpt = None,
    where: WhereOpt = None,
    since: SinceOpt = "",
    until: UntilOpt = "",
    files: FilesOpt = None,
    conversation: Annotated[
        str,
        typer.Option(help="Append each answer to this saved conversation (the chat's list)."),
    ] = "",
) -> None:
    """Answer a question from the articles, with citations."""
    try:
        bot, only = _filtered(index, where, since, until, files)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    q = " ".join(question or []).strip()
    try:
        if q:
            _print_answer(bot, q, lang, as_json, [], only, conversation)
            return
        out.print("Ask about the articles (English or Arabic). Empty line or Ctrl-D to quit.")
        history: list[tuple[str, str]] = []  # follow-ups are condensed, as in the chat
        while True:
            try:
                q = input("? ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if not q:
                break
            try:
                _print_answer(bot, q, lang, as_json, history, only, conversation)
            except NewsbotError as exc:  # the session goes on after a model error
                err.print(f"[red]error:[/red] {escape(str(exc))}")
    except NewsbotError as exc:
        raise _fail(exc) from exc
    finally:
        bot.close()


@app.command("chat")
def chat_cmd(
    index: IndexOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    allow_no_auth: Annotated[
        bool, typer.Option(help="Serve a non-loopback --host with no login (not advised).")
    ] = False,
) -> None:
    """Open the web chat (ingests the corpus folder first if the index is empty)."""
    from bot.web import launch

    try:
        launch(_settings(index), host=host, port=port, allow_no_auth=allow_no_auth)
    except NewsbotError as exc:
        raise _fail(exc) from exc


@app.command("setup")
def setup_cmd(index: IndexOpt = None) -> None:
    """Assemble the bundled model (if used) and ingest the corpus folder when needed."""
    try:
        s = _settings(index)
        if s.uses_bundled_model:
            from bot.llm import assemble_model

            out.print(f"bundled model: {assemble_model(s)}")
        report = _bot(s).ingest([s.corpus_dir])
    except NewsbotError as exc:
        raise _fail(exc) from exc
    out.print(report.summary())


@model_app.command("status")
def model_status() -> None:
    """The bundled model servers (answers; side prompts): who holds them, how long idle."""
    from bot.llm import Slot, idle_since, leases, running_server

    try:
        s = _settings(None)
        servers = {slot: running_server(s, slot) for slot in Slot}
        for slot, server in servers.items():
            if not server:
                continue
            held = leases(s, slot)
            line = f"{slot}: running at {server.base_url} (pid {server.pid}); "
            if held:
                pids = ", ".join(f"{h.pid} {h.command}".strip() for h in held)
                line += f"{len(held)} lease(s): {pids}"
            elif idle := idle_since(s, slot):
                since, timeout = idle
                waited = max(0.0, time.time() - since)
                line += f"idle for {waited:.0f} s, stops after {timeout:.0f} s idle"
            else:
                line += "no lease"
            out.print(escape(line))
    except NewsbotError as exc:
        raise _fail(exc) from exc
    if not any(servers.values()):
        out.print("not running")


@model_app.command("stop")
def model_stop() -> None:
    """Stop the bundled model servers."""
    from bot.llm import stop_server

    try:
        out.print("stopped" if stop_server(_settings(None)) else "not running")
    except NewsbotError as exc:
        raise _fail(exc) from exc


# The eval and the translate / summarize / brief commands register on ``app`` too.
from bot import cli_conversations, cli_eval, cli_library, cli_write  # noqa: E402, F401


def main() -> None:
    # Run as ``python -m bot.cli`` this file is ``__main__``, a second module: the other
    # command modules register on ``bot.cli``'s app, so that is the one to run.
    from bot.cli import app as registered

    registered()


if __name__ == "__main__":
    main()
