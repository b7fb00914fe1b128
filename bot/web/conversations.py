"""The chat's saved conversations: listed per user, resumed (the chat and its follow-up
context come back), exported with their citations and glosses, deleted. Every call goes
through ``Newsbot`` (``conversations``, ``conversation``, ``forget``)."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer import Answer
from bot.conversations import save_export
from bot.errors import NewsbotError
from bot.service import Newsbot
from bot.web import render
from bot.web.chat import PANEL_HINT, user_of

log = logging.getLogger(__name__)


@dataclass
class ConversationPanel:
    pick: Any
    open_btn: Any
    new_btn: Any
    delete_btn: Any
    export_md: Any
    export_html: Any
    file: Any
    note: Any


def add_panel() -> ConversationPanel:
    """The "Conversations" accordion, inside the caller's column."""
    with gr.Accordion("Conversations", open=False, elem_id="nb-convs"):
        pick = gr.Dropdown([], label="Saved conversations", elem_id="nb-conv-pick")
        with gr.Row():
            open_btn = gr.Button("Resume", size="sm", elem_id="nb-conv-open")
            new_btn = gr.Button("New", size="sm", elem_id="nb-conv-new")
            delete_btn = gr.Button("Delete", size="sm", variant="stop", elem_id="nb-conv-del")
        with gr.Row():
            export_md = gr.Button("Export Markdown", size="sm", elem_id="nb-conv-md")
            export_html = gr.Button("Export HTML", size="sm", elem_id="nb-conv-html")
        file = gr.File(label="Export", interactive=False, elem_id="nb-conv-file")
        note = gr.HTML(elem_id="nb-conv-note")
    return ConversationPanel(pick, open_btn, new_btn, delete_btn, export_md, export_html, file,
                             note)  # fmt: skip


class ConversationHandlers:
    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.folder = Path(tempfile.mkdtemp(prefix="newsbot-export-"))

    def choices(self, current: str | None = None, request: gr.Request | None = None) -> Any:
        try:
            saved = self.bot.conversations(user_of(request))
        except NewsbotError as exc:
            log.warning("listing conversations failed: %s", exc)
            return gr.update(choices=[])
        ids = [c.id for c in saved]
        return gr.update(
            choices=[(c.label, c.id) for c in saved], value=current if current in ids else None
        )

    def resume(self, cid: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """(chat, messages state, turns, sources, conversation id, note)."""
        skip = gr.skip()
        if not cid:
            return skip, skip, skip, skip, skip, _note("Choose a conversation first.")
        try:
            conv = self.bot.conversation(user_of(request), cid)
        except NewsbotError as exc:
            return skip, skip, skip, skip, skip, _note(str(exc))
        messages: list[dict[str, str]] = []
        turns: list[tuple[str, str]] = []
        for turn in conv.turns:
            answer = Answer.from_json(turn)
            messages.append({"role": "user", "content": render.user_message(answer.question)})
            messages.append({"role": "assistant", "content": render.answer_message(answer)})
            turns.append((answer.question, answer.answer))
        sources = render.panel_note(PANEL_HINT)
        return messages, messages, turns, sources, cid, _note(f"Resumed “{conv.title}”.")

    def delete(self, cid: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """(picker, conversation id, note); the chat on screen stays as it is."""
        if not cid:
            return gr.skip(), gr.skip(), _note("Choose a conversation first.")
        try:
            self.bot.forget(user_of(request), cid)
        except NewsbotError as exc:
            return gr.skip(), gr.skip(), _note(str(exc))
        return self.choices(None, request), None, _note("Deleted.")

    def export(self, cid: str | None, kind: str, request: gr.Request | None) -> tuple[Any, Any]:
        if not cid:
            return None, _note("Choose a conversation first.")
        try:
            conv = self.bot.conversation(user_of(request), cid)
            return str(save_export(conv, kind, self.folder)), _note("")
        except (NewsbotError, OSError) as exc:
            return None, _note(str(exc))

    def export_md(self, cid: str | None, request: gr.Request | None = None) -> tuple[Any, Any]:
        return self.export(cid, "md", request)

    def export_html(self, cid: str | None, request: gr.Request | None = None) -> tuple[Any, Any]:
        return self.export(cid, "html", request)


def _note(text: str) -> str:
    return f'<p class="nb-note" dir="auto">{render.esc(text)}</p>' if text else ""


def wire(
    bot: Newsbot, p: ConversationPanel, answered: Any, chat_state: list[Any], conv: Any
) -> Any:
    """Events of the panel. ``answered``: the answer events (the list follows each one);
    ``chat_state``: [chatbot, messages, turns, sources]. Returns the page-load refresh."""
    h = ConversationHandlers(bot)
    quick: dict[str, Any] = {"concurrency_limit": None, "api_visibility": "private"}
    for event in answered:
        event.then(h.choices, conv, p.pick, **quick)
    p.open_btn.click(h.resume, p.pick, [*chat_state, conv, p.note], **quick)
    p.new_btn.click(
        lambda: ([], [], [], render.panel_note(PANEL_HINT), None, _note("A new conversation.")),
        None,
        [*chat_state, conv, p.note],
        **quick,
    )
    p.delete_btn.click(h.delete, p.pick, [p.pick, conv, p.note], **quick)
    p.export_md.click(h.export_md, p.pick, [p.file, p.note], **quick)
    p.export_html.click(h.export_html, p.pick, [p.file, p.note], **quick)
    return h.choices
