"""Answers: retrieve, prompt with numbered passages, stream, check citations.

``stream_answer`` yields events so the CLI and the web chat render the same
pipeline: ``Retrieved`` once, ``Token`` per streamed delta, ``Done`` with the
checked answer. Nothing relevant retrieved means no model call at all: the answer
declines in the question's language. The checked answer lists the numbers and glossary
names it states that its cited passages do not hold (``unsupported``): shown, not hidden.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.arabic import detect_language
from bot.cite import Citation, attach_markers, resolve, unsupported
from bot.config import AnswerLanguage, Settings
from bot.embed import Embedder
from bot.glossary import load_glossary
from bot.llm import ChatGateway, load_prompt, sampling_extra
from bot.retrieve import Hit, Retriever, SearchResult

LANGUAGE_NAMES = {"en": "English", "ar": "Arabic"}
_DECLINE = re.compile(r"NOT\s*IN\s*(THE\s*)?SOURCES?|لا\s+(ت|ي)(تناول|ذكر|تضمن)", re.IGNORECASE)


@dataclass
class Answer:
    question: str
    language: str
    answer: str
    citations: list[Citation]
    declined: bool
    model: str
    timings: dict[str, float]
    invalid_markers: int = 0
    repaired_markers: int = 0
    hits: list[Hit] = field(default_factory=list)
    search_query: str = ""
    unsupported: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.answer,
            "citations": [c.as_json() for c in self.citations],
            "declined": self.declined,
            "model": self.model,
            "invalid_markers": self.invalid_markers,
            "repaired_markers": self.repaired_markers,
            "unsupported": self.unsupported,
            "search_query": self.search_query,
            "timings": self.timings,
        }


@dataclass(frozen=True)
class Retrieved:
    hits: list[Hit]
    covered: bool


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Retrieved | Token | Done


def answer_language(question: str, requested: str | AnswerLanguage | None) -> str:
    req = AnswerLanguage(requested) if requested else AnswerLanguage.AUTO
    return detect_language(question) if req is AnswerLanguage.AUTO else req.value


# A line of article text that looks like a passage header ("[3] (other.txt)"): an article
# must not forge where the next passage starts or which file it comes from.
_FORGED_HEADER = re.compile(r"^(\s*)\[(\d+)\](?=\s*\()", re.MULTILINE)


def format_passages(hits: list[Hit]) -> str:
    return "\n\n".join(
        f"[{i}] ({h.source})\n" + _FORGED_HEADER.sub(r"\1(\2)", h.text)
        for i, h in enumerate(hits, 1)
    )


@dataclass
class _Turn:
    """One question on its way to an answer: what was searched, found, and when."""

    question: str
    lang: str
    query: str
    result: SearchResult
    t0: float
    retrieve_s: float

    def done(
        self,
        text: str,
        citations: list[Citation],
        declined: bool,
        model: str,
        first: float | None,
        **checks: Any,
    ) -> Done:
        total = time.perf_counter() - self.t0
        timings = {
            "retrieve_s": round(self.retrieve_s, 3),
            "first_token_s": round(first if first is not None else total, 3),
            "total_s": round(total, 3),
        }
        answer = Answer(
            question=self.question,
            language=self.lang,
            answer=text,
            citations=citations,
            declined=declined,
            model=model,
            timings=timings,
            hits=self.result.hits,
            search_query=self.query,
            **checks,
        )
        return Done(answer)


def stream_answer(
    question: str,
    *,
    settings: Settings,
    retriever: Retriever,
    embedder: Embedder,
    gateway: Callable[[], ChatGateway],
    language: str | AnswerLanguage | None = None,
    search_query: str | None = None,
) -> Iterator[Event]:
    """Answer ``question``; ``search_query`` (e.g. a rewritten follow-up) drives retrieval."""
    t0 = time.perf_counter()
    lang = answer_language(question, language or settings.answer_language)
    prompt = load_prompt(settings.prompts_dir, "answer")
    query = search_query or question
    result = retriever.search(query)
    turn = _Turn(question, lang, query, result, t0, time.perf_counter() - t0)
    yield Retrieved(result.hits, result.covered)

    decline_text = prompt.strings.get(f"declined_{lang}", prompt.strings.get("declined_en", ""))
    if not result.covered or not result.hits:
        yield Token(decline_text)
        yield turn.done(decline_text, [], True, "none (nothing relevant retrieved)", None)
        return

    gw = gateway()
    messages = prompt.render(
        lang=lang,
        passages=format_passages(result.hits),
        question=question.strip(),
        language=LANGUAGE_NAMES[lang],
    )
    parts: list[str] = []
    first: float | None = None
    for delta in gw.stream(messages, prompt.chat_params(sampling_extra(settings))):
        if first is None:
            first = time.perf_counter() - t0
        parts.append(delta)
        yield Token(delta)
    raw = "".join(parts).strip()

    if not raw or (_DECLINE.search(raw) and len(raw) < 80):
        yield turn.done(decline_text, [], True, gw.model, first)
        return
    yield _checked(turn, raw, settings, embedder, gw.model, first)


def _checked(
    turn: _Turn, raw: str, settings: Settings, embedder: Embedder, model: str, first: float | None
) -> Done:
    """The model's text with its markers resolved to quotes and its claims checked."""
    hits = turn.result.hits
    resolved = resolve(attach_markers(raw, hits, embedder), hits)
    # What it cites, or (no citation at all) what it was given.
    cited = [c.quote for c in resolved.citations] or [h.text for h in hits]
    glossary = load_glossary(settings.glossary_path)
    return turn.done(
        resolved.text,
        resolved.citations,
        False,
        model,
        first,
        invalid_markers=resolved.invalid_markers,
        repaired_markers=resolved.repaired_markers,
        unsupported=unsupported(resolved.text, cited, glossary, turn.question),
    )
