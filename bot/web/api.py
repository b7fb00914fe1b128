"""The functions gradio's API names (``ask``, ``search``, ``library``, ``stats``,
``rescan``), for ``gradio_client`` and any HTTP client: the same service calls as the page,
the same "search only in" filter (outlets, files, since, until)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from bot.cite import as_text
from bot.condense import Turn
from bot.errors import NewsbotError
from bot.llm import describe_model
from bot.service import Newsbot
from bot.web.chat import language_of, to_filter, user_of


def api_functions(bot: Newsbot) -> list[tuple[Callable[..., Any], str]]:
    def ask(
        question: str,
        language: str = "auto",
        history: list[list[str]] | None = None,
        outlets: list[str] | None = None,
        files: list[str] | None = None,
        since: str = "",
        until: str = "",
    ) -> dict:
        """Answer a question from the articles, with checked citations.

        Args:
            question: the question, in English or Arabic
            language: answer language: auto, en or ar
            history: earlier [question, answer] pairs, for follow-up questions
            outlets: only articles of these outlets (none: all)
            files: only these articles, by file name (none: all)
            since: only articles dated on or after YYYY-MM-DD
            until: only articles dated on or before YYYY-MM-DD
        """
        turns: list[Turn] = [(str(p[0]), str(p[1])) for p in (history or []) if len(p) >= 2]
        try:
            where = to_filter(outlets, files, since, until)
            answer = bot.answer(question, turns, language=language_of(language), where=where)
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc
        return {
            **answer.as_json(),
            "text": as_text(answer.answer, answer.citations),
        }

    def search(
        query: str,
        k: int = 4,
        outlets: list[str] | None = None,
        files: list[str] | None = None,
        since: str = "",
        until: str = "",
    ) -> list[dict]:
        """Hybrid search over the index: the passages a question would be answered from.

        Args:
            query: the search text, in English or Arabic
            k: number of passages
            outlets: only articles of these outlets (none: all)
            files: only these articles, by file name (none: all)
            since: only articles dated on or after YYYY-MM-DD
            until: only articles dated on or before YYYY-MM-DD
        """
        try:
            where = to_filter(outlets, files, since, until)
            result = bot.search(query, max(1, min(int(k), 20)), where)
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc
        return [{**h.as_json(), "title": h.title} for h in result.hits]

    def library() -> list[dict]:
        """Every indexed article: file, title, outlet, date, format, language, url, chunks."""
        return [e.as_json() for e in bot.library()]

    def stats() -> dict:
        """The chat model and the index size."""
        return {**bot.stats(), "model": describe_model(bot.settings)}

    def rescan() -> str:
        """Ingest the corpus folder again; only changed files are embedded."""
        try:
            return bot.ingest([bot.settings.corpus_dir]).summary()
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc

    def conversations(request: gr.Request) -> list[dict]:
        """The caller's saved conversations (the login name's; ``local`` without one)."""
        saved = bot.conversations(user_of(request))
        return [{"id": c.id, "title": c.title, "updated": c.updated, "turns": c.turns}
                for c in saved]  # fmt: skip

    def conversation(conversation_id: str, request: gr.Request) -> dict:
        """One saved conversation, each turn the answer's JSON (citations, glosses).

        Args:
            conversation_id: the id ``conversations`` lists
        """
        try:
            return bot.conversation(user_of(request), conversation_id).as_json()
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc

    return [
        (conversations, "conversations"),
        (conversation, "conversation"),
        (ask, "ask"),
        (search, "search"),
        (library, "library"),
        (stats, "stats"),
        (rescan, "rescan"),
    ]
