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
from bot.web import conversations as convs
from bot.web import render
from bot.web.api import api_functions
from bot.web.chat import PANEL_HINT, ChatHandlers
from bot.web.library import FilterControls, LibraryTab, add_library_tab, filter_controls
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
    filters: FilterControls
    saved: convs.ConversationPanel


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
            # Which articles answers come from: outlets, files, dates (all when empty).
            with gr.Accordion("Search only in…", open=False, elem_id="nb-filter"):
                filters = filter_controls(bot, "nb-f")
            saved = convs.add_panel()
            sources = gr.HTML(render.panel_note(PANEL_HINT), elem_id="nb-sources")
    return ChatPanel(
        chatbot, question, ask_btn, language, clear_btn, examples, sources, filters, saved
    )


def _wire_chat(
    bot: Newsbot, h: ChatHandlers, c: ChatPanel, status: Any, answering: dict[str, Any]
) -> Any:
    messages, turns = gr.State([]), gr.State([])
    conv = gr.State(None)  # the saved conversation this chat adds its turns to
    only = c.filters.inputs
    chat_io: dict[str, Any] = {
        "fn": h.respond,
        "inputs": [c.question, c.language, messages, turns, *only, conv],
        "outputs": [c.question, c.chatbot, messages, turns, c.sources, status, conv],
        "show_progress": "hidden",
        **answering,
        **PRIVATE,
    }
    answered = [c.question.submit(**chat_io), c.ask_btn.click(**chat_io)]
    for btn in c.examples:  # an example is asked at once: its label is the question
        answered.append(
            btn.click(**{**chat_io, "inputs": [btn, c.language, messages, turns, *only, conv]})
        )
    reset = [c.chatbot, messages, turns, c.sources, c.question]
    c.clear_btn.click(h.clear, None, reset, **QUICK).then(lambda: None, None, conv, **QUICK)
    c.chatbot.clear(h.clear, None, reset, **QUICK).then(lambda: None, None, conv, **QUICK)
    list_saved = convs.wire(bot, c.saved, answered, [c.chatbot, messages, turns, c.sources], conv)
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
    return list_saved


def _wire_lists(c: ChatPanel, lib: LibraryTab, status: Any, h: ChatHandlers, tools: Refresh) -> Any:
    """After anything that changes the corpus: every article list, picker and count."""
    refresh_tools, tool_lists = tools
    f, g = c.filters, lib.filters
    pickers = [f.outlets, f.files, g.outlets, g.files, lib.remove_pick]

    def refresh() -> tuple[Any, ...]:
        table, count = lib.handlers.table()
        return (*refresh_tools(), *lib.handlers.choices(), table, count, h.status())

    outputs = [*tool_lists, *pickers, lib.table, lib.count, status]
    for event in lib.events:
        event.then(refresh, None, outputs, **QUICK)
    return refresh, outputs


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
        with gr.Tabs(elem_id="nb-tabs"):
            with gr.Tab("Chat", elem_id="nb-tab-chat"):
                chat = _chat_panel(bot)
            # Translate / Summarize / Brief: model work shares the answer slots, so the
            # model server sees at most ui_concurrency requests.
            tools = add_tool_tabs(bot, {**answering, **PRIVATE})
            library = add_library_tab(bot, INGESTING)
        list_saved = _wire_chat(bot, h, chat, status, answering)
        refresh, lists = _wire_lists(chat, library, status, h, tools)
        demo.load(refresh, None, lists, **QUICK)
        demo.load(list_saved, None, chat.saved.pick, **QUICK)
        gr.Timer(30).tick(h.status, None, status, show_progress="hidden", **QUICK)
        groups = {
            "ask": answering,
            "rescan": INGESTING,
            "stats": {"concurrency_limit": None},
            "library": {"concurrency_limit": None},
        }
        for fn, name in api_functions(bot):
            gr.api(fn, api_name=name, **groups.get(name, {}))
    return demo
