"""newsbot for LangChain apps: a retriever and an answering runnable.

``NewsbotRetriever`` returns newsbot's cross-lingual hybrid hits (e5 + latent terms +
Arabic BM25, fused by query language) as ``Document``s whose metadata carries the exact
citation target (source file, chunk id, character offsets). ``answer_runnable`` answers
with checked citations through the same service the chat uses, so an LCEL chain gets the
same answer, declines and flags as the web chat::

    from bot.integrations.langchain import NewsbotRetriever, answer_runnable
    bot = Newsbot(Settings())
    docs = NewsbotRetriever(bot=bot, k=3).invoke("Kirkuk attack")
    chain = RunnableLambda(lambda q: {"question": q, "language": "en"}) | answer_runnable(bot)
    chain.invoke("How many were wounded in Kirkuk?")["answer"]
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from bot.errors import InputError
from bot.filters import Filter
from bot.retrieve import Hit
from bot.service import Newsbot


def hit_document(hit: Hit) -> Document:
    """One search hit as a LangChain ``Document`` (``page_content`` is the passage)."""
    return Document(
        page_content=hit.text,
        metadata={
            "source": hit.source,
            "chunk_id": hit.chunk_id,
            "start": hit.start,
            "end": hit.end,
            "score": hit.score,
            "title": hit.title,
            "outlet": hit.outlet,
            "date": hit.date,
            "url": hit.url,
            **({"page": hit.page} if hit.page else {}),
        },
    )


class NewsbotRetriever(BaseRetriever):
    """Hybrid, language-aware retrieval over a newsbot index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bot: Newsbot
    k: int | None = None  # None: the settings' top_k
    covered_only: bool = True  # nothing clears the relevance floors -> no documents
    where: Filter | None = None  # only some outlets, files, dates (bot.filters.Filter)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        result = self.bot.search(query, self.k, self.where)
        if self.covered_only and not result.covered:
            return []
        return [hit_document(h) for h in result.hits]


def _ask(bot: Newsbot, value: str | dict[str, Any]) -> dict[str, object]:
    if isinstance(value, str):
        value = {"question": value}
    question = str(value.get("question", "")).strip()
    if not question:
        raise InputError("answer_runnable needs a question (a string or {'question': ...})")
    history = value.get("history") or []
    where = value.get("where")
    answer = bot.answer(
        question,
        history=history,
        language=value.get("language"),
        where=where if isinstance(where, Filter) else None,
    )
    return answer.as_json()


def answer_runnable(bot: Newsbot) -> Runnable[Any, dict[str, object]]:
    """A runnable: question (str, or {"question", "language", "history", "where"}) -> answer
    JSON (``where``: a ``bot.filters.Filter``).

    The output is ``Answer.as_json()``: answer, citations (source, start, end, quote),
    declined, unsupported, model, timings.
    """
    return RunnableLambda(lambda value: _ask(bot, value), name="newsbot_answer")
