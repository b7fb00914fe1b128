"""The chat page's layout (gradio Blocks) and the wiring of its events to the handlers.

Concurrency is set deliberately (gradio otherwise limits each event on its own): every
way of asking shares one group of ``ui_concurrency`` answers in flight (what the model
server sees); ingests run one at a time; quick page updates never queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from bot.service import Newsbot
from bot.web import render
from bot.web.api import api_functions
from bot.web.chat import PANEL_HINT, ChatHandlers
from bot.web.tools import Refresh, add_tool_tabs

LANGUAGES = [("Auto", "auto"), ("English", "en"), ("العربية", "ar")]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
QUICK: dict[str, Any] = {"concurrency_limit": None, **PRIVATE}
INGESTING: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1}


@dataclass
class ChatPanel:
    chatbot: Any
    question: Any
    ask_btn: Any
    language: Any
    clear_btn: Any
    examples: list[Any]
    sources: Any


@dataclass
class IngestPanel:
    upload: Any
    add_btn: Any
    rescan_btn: Any
    report: Any


def _chat_panel(bot: Newsbot) -> ChatPanel:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            chatbot = gr.Chatbot(
                elem_id="nb-chat",
                height=560,
                show_label=False,
                buttons=[],
                latex_delimiters=[],
                feedback_options=None,
                allow_file_downloads=False,
                placeholder="Ask about the articles, in English or Arabic. Every answer "
                "cites its passages; click a [n] to read the source.",
            )
            with gr.Row():
                question = gr.Textbox(
                    elem_id="nb-question",
                    show_label=False,
                    placeholder="Ask in English or Arabic… / اسأل بالعربية أو بالإنجليزية",
                    max_lines=4,
                    scale=5,
                    autofocus=True,
                )
                ask_btn = gr.Button("Ask", variant="primary", scale=1, elem_id="nb-ask")
            with gr.Row(equal_height=False):
                language = gr.Radio(
                    LANGUAGES,
                    value=bot.settings.answer_language.value,
                    label="Answer language",
                    elem_id="nb-language",
                    scale=3,
                )
                clear_btn = gr.Button(
                    "Clear chat", elem_id="nb-clear", scale=1, size="sm", min_width=100
                )
            with gr.Row(elem_id="nb-examples"):
                examples = [
                    gr.Button(q, size="sm", elem_classes=["nb-example"])
                    for q in bot.settings.ui_examples
                ]
        with gr.Column(scale=2, min_width=320):
            sources = gr.HTML(render.panel_note(PANEL_HINT), elem_id="nb-sources")
    return ChatPanel(chatbot, question, ask_btn, language, clear_btn, examples, sources)


def _ingest_panel() -> IngestPanel:
    with gr.Accordion("Add articles", open=False, elem_id="nb-ingest"):
        upload = gr.File(
            label="Articles (.txt or .md, UTF-8)",
            file_count="multiple",
            file_types=[".txt", ".md"],
            type="filepath",
            height=150,
            elem_id="nb-upload",
        )
        with gr.Row():
            add_btn = gr.Button("Add to the index", variant="primary", elem_id="nb-add")
            rescan_btn = gr.Button("Re-scan the corpus folder", elem_id="nb-rescan")
        report = gr.HTML(elem_id="nb-ingest-report")
    return IngestPanel(upload, add_btn, rescan_btn, report)


def _wire_chat(h: ChatHandlers, c: ChatPanel, status: Any, answering: dict[str, Any]) -> None:
    messages, turns = gr.State([]), gr.State([])
    chat_io: dict[str, Any] = {
        "fn": h.respond,
        "inputs": [c.question, c.language, messages, turns],
        "outputs": [c.question, c.chatbot, messages, turns, c.sources, status],
        "show_progress": "hidden",
        **answering,
        **PRIVATE,
    }
    c.question.submit(**chat_io)
    c.ask_btn.click(**chat_io)
    for btn in c.examples:  # an example is asked at once: its label is the question
        btn.click(**{**chat_io, "inputs": [btn, c.language, messages, turns]})
    reset = [c.chatbot, messages, turns, c.sources, c.question]
    c.clear_btn.click(h.clear, None, reset, **QUICK)
    c.chatbot.clear(h.clear, None, reset, **QUICK)
    # The bridge for citation clicks: present in the page, never shown.
    cite_href = gr.Textbox(visible="hidden", elem_id="nb-cite-href")
    cite_btn = gr.Button("source", visible="hidden", elem_id="nb-cite-btn")
    cite_btn.click(
        h.show_source,
        cite_href,
        c.sources,
        js="() => [window.nbCiteHref || '']",
        show_progress="hidden",
        **QUICK,
    )


def _wire_ingest(h: ChatHandlers, p: IngestPanel, status: Any, tools: Refresh) -> None:
    refresh, lists = tools
    p.add_btn.click(h.upload, p.upload, [p.report, status, p.upload], **INGESTING, **PRIVATE).then(
        refresh, None, lists, **QUICK
    )
    p.rescan_btn.click(h.rescan_folder, None, [p.report, status], **INGESTING, **PRIVATE).then(
        refresh, None, lists, **QUICK
    )


def build_app(bot: Newsbot) -> gr.Blocks:
    h = ChatHandlers(bot)
    answering: dict[str, Any] = {
        "concurrency_id": "answer",
        "concurrency_limit": bot.settings.ui_concurrency,
    }
    with gr.Blocks(title="Newsbot", analytics_enabled=False) as demo:
        gr.HTML(
            f'<div class="nb-brand"><b>Newsbot</b> · {render.esc(bot.settings.ui_tagline)}</div>'
        )
        status = gr.HTML(elem_id="nb-status")
        chat = _chat_panel(bot)
        ingest = _ingest_panel()
        # Translate / Summarize / Brief: model work shares the answer slots, so the model
        # server sees at most ui_concurrency requests.
        tools = add_tool_tabs(bot, {**answering, **PRIVATE})
        _wire_chat(h, chat, status, answering)
        _wire_ingest(h, ingest, status, tools)
        demo.load(h.status, None, status, **QUICK)
        demo.load(tools[0], None, tools[1], **QUICK)
        gr.Timer(30).tick(h.status, None, status, show_progress="hidden", **QUICK)
        groups = {"ask": answering, "rescan": INGESTING, "stats": {"concurrency_limit": None}}
        for fn, name in api_functions(bot):
            gr.api(fn, api_name=name, **groups.get(name, {}))
    return demo
