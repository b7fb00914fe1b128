"""``newsbot conversations``: the saved conversations (the chat's, and what ``ask
--conversation`` appended), listed, exported, deleted. The CLI's user is ``local``, the
chat's user when it has no login."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli import IndexOpt, _bot, _fail, _settings, app, out
from bot.cli_write import write_out
from bot.conversations import LOCAL_USER, export
from bot.errors import InputError, NewsbotError

conv_app = typer.Typer(help="Saved conversations: list, export, delete.", no_args_is_help=True)
app.add_typer(conv_app, name="conversations")


def _find(bot: object, key: str) -> str:
    """A conversation by id, or by its title (the newest of that title)."""
    saved = bot.conversations(LOCAL_USER)  # type: ignore[attr-defined]
    for c in saved:
        if key in (c.id, c.title):
            return str(c.id)
    raise InputError(f"no saved conversation {key!r} (see `newsbot conversations list`)")


@conv_app.command("list")
def list_cmd(
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The saved conversations, newest first."""
    try:
        saved = _bot(_settings(index)).conversations(LOCAL_USER)
    except NewsbotError as exc:
        raise _fail(exc) from exc
    if as_json:
        rows = [{"id": c.id, "title": c.title, "updated": c.updated, "turns": c.turns}
                for c in saved]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not saved:
        out.print("no saved conversations")
    for c in saved:
        out.print(f"{c.id}  {escape(c.label)}")


@conv_app.command("export")
def export_cmd(
    conversation: Annotated[str, typer.Argument(help="Its id or title.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here.")] = None,
    index: IndexOpt = None,
) -> None:
    """One conversation with its citations, the cited Arabic and the English glosses."""
    try:
        bot = _bot(_settings(index))
        write_out(export(bot.conversation(LOCAL_USER, _find(bot, conversation)), fmt), out_file)
    except NewsbotError as exc:
        raise _fail(exc) from exc


@conv_app.command("delete")
def delete_cmd(
    conversation: Annotated[str, typer.Argument(help="Its id or title.")],
    index: IndexOpt = None,
) -> None:
    """Delete a saved conversation."""
    try:
        bot = _bot(_settings(index))
        bot.forget(LOCAL_USER, _find(bot, conversation))
    except NewsbotError as exc:
        raise _fail(exc) from exc
    out.print("deleted")
