"""The chat page's handlers: answering (streamed), source cards, the status line.

Every handler goes through ``Newsbot`` (``chat``, ``source``, ``model_status``); a model
or input error becomes a message in the chat, and a bug is
logged and shown as one line: the app stays up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer import Answer, Done, Glossed, Retrieved, Retrying, Token
from bot.condense import Turn
from bot.config import AnswerLanguage
from bot.conversations import LOCAL_USER
from bot.errors import ModelUnavailable, NewsbotError
from bot.filters import Filter
from bot.ingest import IngestReport
from bot.library import SourceText
from bot.llm import describe_model
from bot.service import Newsbot
from bot.web import render

log = logging.getLogger(__name__)

Message = dict[str, str]
# A gr.Progress default is how gradio knows to pass a progress bar to a handler.
PROGRESS = gr.Progress()
PANEL_HINT = "Click a [n] marker in an answer to see the cited passage here."


def status_html(bot: Newsbot) -> str:
    try:
        stats = bot.stats()
        index = f"<b>{stats['articles']}</b> articles, <b>{stats['chunks']}</b> chunks"
    except NewsbotError as exc:
        index = f'<span class="nb-bad">{render.esc(str(exc))}</span>'
    state, ok = bot.model_status()
    cls = "nb-ok" if ok else "nb-bad"
    return (
        '<div class="nb-status" dir="ltr">'
        f'<span>Model: <b class="nb-model">{render.esc(describe_model(bot.settings))}</b> '
        f'<span class="{cls}">● {render.esc(state)}</span></span>'
        f'<span class="nb-index">Index: {index}</span></div>'
    )


def to_filter(
    outlets: list[str] | None, files: list[str] | None, since: str | None, until: str | None
) -> Filter:
    """The filter the page's controls (or the API's arguments) say; InputError for a
    malformed date."""
    where = [f"outlet={o}" for o in outlets or []]
    return Filter.parse(where, since or "", until or "", files or [])


def user_of(request: gr.Request | None) -> str:
    """Whose conversations: the login name, or ``local`` on a chat without a login."""
    name = getattr(request, "username", None) if request is not None else None
    return str(name) if name else LOCAL_USER


def language_of(value: str | None) -> AnswerLanguage:
    try:
        return AnswerLanguage(value or "auto")
    except ValueError:
        return AnswerLanguage.AUTO


def _cards(bot: Newsbot, answer: Answer) -> str:
    if answer.declined:
        return render.panel_note(
            "The sources do not cover this question: no passage was close enough, "
            "so no answer was made up."
        )
    if not answer.citations:
        return render.panel_note("This answer cites no passage.")
    texts: dict[str, SourceText | None] = {}
    cards: list[str] = []
    for c in sorted(answer.citations, key=lambda c: c.n):
        if c.source not in texts:
            texts[c.source] = bot.source(c.source)
        found = texts[c.source]
        if found is None:
            continue
        ref = render.CiteRef(c.source, c.start, c.end, c.n)
        gloss = render.gloss_html(c.quote_en, c.quote_en_flags)
        card = render.source_card(
            c.source, found.title, found.text, ref, gloss=gloss, meta=found.meta
        )
        cards.append(card)
    if not cards:
        return render.panel_note("The cited articles are not in the corpus folder.")
    return render.sources_panel(cards, "Sources of the last answer")


def _retrieved_note(event: Retrieved) -> str:
    if not event.covered or not event.hits:
        return "Nothing close enough in the articles."
    return f"{len(event.hits)} passages found; writing the answer…"


def _error_hint(exc: NewsbotError) -> str:
    if isinstance(exc, ModelUnavailable):
        return "The app is still running: ask again once the model server is back."
    return ""


class ChatHandlers:
    """The functions behind the page's events, bound to one ``Newsbot``."""

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot

    def status(self) -> str:
        return status_html(self.bot)

    def respond(
        self,
        question: str,
        language: str,
        messages: list[Message],
        turns: list[Turn],
        outlets: list[str] | None = None,
        files: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        conversation: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: (textbox, chat, messages state, turns, sources, status,
        conversation id). ``outlets``/``files``/``since``/``until``: the "search only in"
        filter. The answered turn is saved to the user's ``conversation`` (a new one if
        None), glossed when its glosses come."""
        skip = gr.skip()
        user = user_of(request)
        q = (question or "").strip()
        if not q:
            yield skip, skip, skip, skip, skip, skip, skip
            return
        messages = [*messages, {"role": "user", "content": render.user_message(q)}]
        placeholder = "Understanding the follow-up…" if turns else "Searching the articles…"
        messages.append({"role": "assistant", "content": render.pending_message(placeholder)})
        yield "", messages, messages, skip, skip, skip, skip

        def show(html: str) -> None:
            nonlocal messages  # a new list per update: each yield is its own snapshot
            messages = [*messages[:-1], {"role": "assistant", "content": html}]

        partial = ""
        try:
            answer: Answer | None = None
            where = to_filter(outlets, files, since, until)
            for event in self.bot.chat(q, turns, language=language_of(language), where=where):
                if isinstance(event, Glossed):  # the answer is shown: its sources' English
                    answer, saved = event.answer, self._save(event.answer, user, conversation)
                    yield skip, skip, skip, skip, _cards(self.bot, answer), skip, saved
                    continue
                if isinstance(event, Done):
                    answer = event.answer
                    show(render.answer_message(answer))
                    turns = [*turns, (q, answer.answer)]
                    glossing = self.bot.settings.answer_glosses and answer.citations
                    saved = skip if glossing else self._save(answer, user, conversation)
                    cards = _cards(self.bot, answer)
                    yield "", messages, messages, turns, cards, self.status(), saved
                    continue
                if isinstance(event, Retrieved):
                    show(render.pending_message(_retrieved_note(event)))
                elif isinstance(event, Token):
                    partial += event.text
                    show(render.streaming_message(partial))
                elif isinstance(event, Retrying):  # the first draft failed its check
                    partial = ""
                    show(render.pending_message("Checking the answer against the sources again…"))
                yield skip, messages, skip, skip, skip, skip, skip
            if answer is None:  # stream_answer always ends with Done
                raise NewsbotError("the answer ended unexpectedly")
        except NewsbotError as exc:
            if answer is not None:  # only the glosses failed: the answer stands
                log.warning("glossing the sources failed: %s", exc)
                yield skip, skip, skip, skip, skip, skip, self._save(answer, user, conversation)
                return
            show(render.error_message(str(exc), _error_hint(exc), partial))
            yield "", messages, messages, turns, skip, self.status(), skip
        except Exception:  # a bug must not take the chat down or show a traceback
            log.exception("answering %r failed", q)
            if answer is not None:
                return
            show(render.error_message("Something went wrong while answering", "", partial))
            yield "", messages, messages, turns, skip, self.status(), skip

    def _save(self, answer: Answer, user: str, conversation: str | None) -> Any:
        """The conversation id the turn was saved to (a failed save is logged: the answer
        stands, unsaved)."""
        try:
            return self.bot.remember(answer, user, conversation)
        except NewsbotError as exc:
            log.warning("could not save the conversation turn: %s", exc)
            return gr.skip()

    def show_source(self, href: str) -> str:
        """The source card for a clicked citation link."""
        ref = render.parse_cite_href(href)
        if ref is None:
            return render.panel_note(PANEL_HINT)
        found = self.bot.source(ref.source)
        if found is None:
            return render.panel_note(f"{ref.source} is not an indexed file in the corpus folder.")
        gloss = ""
        if self.bot.settings.answer_glosses and render.valid_span(found.text, ref.start, ref.end):
            try:  # made with the answer: from the sentence cache, no model call
                gloss = render.gloss_html(*self.bot.glosser()(found.text[ref.start : ref.end]))
            except NewsbotError:
                gloss = ""  # the Arabic stays readable without it
        card = render.source_card(ref.source, found.title, found.text, ref, True, gloss, found.meta)
        return render.sources_panel([card], f"Source [{ref.n}]")

    def clear(self) -> tuple[Any, ...]:
        return [], [], [], render.panel_note(PANEL_HINT), ""


def _progress(progress: gr.Progress | None) -> Callable[[int, int, str], None] | None:
    if progress is None:
        return None

    def update(done: int, total: int, label: str) -> None:
        progress((done, total), desc=f"Embedding {label}", unit="chunks")

    return update


def _failed(exc: Exception) -> str:
    message = str(exc) if isinstance(exc, NewsbotError) else f"cannot write the file: {exc}"
    return f'<p class="nb-bad" dir="auto">⚠ {render.esc(render.sentence(message))}</p>'


def _notice(text: str) -> str:
    return f'<p class="nb-note" dir="auto">{render.esc(text)}</p>'


def _ingest_html(report: IngestReport | None, problems: list[tuple[str, str]]) -> str:
    lines: list[str] = []
    if report is not None:
        lines.append(f"<p>{render.esc(report.summary())}</p>")
        for label, names in (("Added", report.added), ("Updated", report.updated)):
            if names:
                lines.append(f"<p>{label}: {render.esc(', '.join(names))}</p>")
        problems = [*problems, *report.skipped]
    for name, reason in problems:
        lines.append(f'<p class="nb-bad">Skipped {render.esc(name)}: {render.esc(reason)}</p>')
    return '<div class="nb-ingest" dir="auto">' + "".join(lines) + "</div>"


def uploaded_by_gradio(path: Path) -> bool:
    """Is ``path`` a plain file that gradio received as an upload (in its upload folder)?"""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    return real.is_relative_to(folder) and real.is_file() and not path.is_symlink()
