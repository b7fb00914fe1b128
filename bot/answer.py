"""Answers: retrieve, prompt with numbered passages, stream, check citations.

``stream_answer`` yields events so the CLI and the web chat render the same
pipeline: ``Retrieved`` once, ``Token`` per streamed delta, ``Done`` with the
checked answer. Nothing relevant retrieved means no model call at all: the answer
declines in the question's language.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bot.arabic import detect_language
from bot.cite import Citation, attach_markers, resolve
from bot.config import AnswerLanguage, Settings
from bot.embed import Embedder
from bot.gateway import ChatGateway
from bot.prompts import load_prompt
from bot.retrieve import Hit, Retriever

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


def format_passages(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{i}] ({h.source})\n{h.text}" for i, h in enumerate(hits, 1))


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
    retrieve_s = time.perf_counter() - t0
    yield Retrieved(result.hits, result.covered)

    def finish(
        text: str,
        citations: list[Citation],
        declined: bool,
        model: str,
        first: float | None,
        invalid: int = 0,
        repaired: int = 0,
    ) -> Done:
        total = time.perf_counter() - t0
        timings = {
            "retrieve_s": round(retrieve_s, 3),
            "first_token_s": round(first if first is not None else total, 3),
            "total_s": round(total, 3),
        }
        return Done(
            Answer(
                question=question,
                language=lang,
                answer=text,
                citations=citations,
                declined=declined,
                model=model,
                timings=timings,
                invalid_markers=invalid,
                repaired_markers=repaired,
                hits=result.hits,
                search_query=query,
            )
        )

    decline_text = prompt.strings.get(f"declined_{lang}", prompt.strings.get("declined_en", ""))
    if not result.covered or not result.hits:
        yield Token(decline_text)
        yield finish(decline_text, [], True, "none (nothing relevant retrieved)", None)
        return

    gw = gateway()
    extra = _bundled_extra() if settings.uses_bundled_model else None
    messages = prompt.render(
        lang=lang,
        passages=format_passages(result.hits),
        question=question.strip(),
        language=LANGUAGE_NAMES[lang],
    )
    parts: list[str] = []
    first: float | None = None
    for delta in gw.stream(messages, prompt.chat_params(extra)):
        if first is None:
            first = time.perf_counter() - t0
        parts.append(delta)
        yield Token(delta)
    raw = "".join(parts).strip()

    if not raw or (_DECLINE.search(raw) and len(raw) < 80):
        yield finish(decline_text, [], True, gw.model, first)
        return
    raw = attach_markers(raw, result.hits, embedder)
    resolved = resolve(raw, result.hits)
    yield finish(
        resolved.text,
        resolved.citations,
        False,
        gw.model,
        first,
        resolved.invalid_markers,
        resolved.repaired_markers,
    )


def _bundled_extra() -> dict[str, object]:
    from bot.bundled import SAMPLING_EXTRA

    return SAMPLING_EXTRA


def ask(question: str, **kwargs: object) -> Answer:
    """The whole answer at once (no streaming)."""
    for event in stream_answer(question, **kwargs):  # type: ignore[arg-type]
        if isinstance(event, Done):
            return event.answer
    raise AssertionError("stream_answer ended without Done")
