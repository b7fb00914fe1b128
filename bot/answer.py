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

from bot.arabic import detect_language
from bot.checks import ungrounded_numbers
from bot.cite import MARKER, Citation, attach_markers, resolve
from bot.config import AnswerLanguage, Settings
from bot.embed import Embedder
from bot.glossary import Glossary, Term, load_glossary
from bot.llm import ChatGateway, load_prompt, sampling_extra
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
        unsupported: list[str] | None = None,
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
                unsupported=unsupported or [],
            )
        )

    decline_text = prompt.strings.get(f"declined_{lang}", prompt.strings.get("declined_en", ""))
    if not result.covered or not result.hits:
        yield Token(decline_text)
        yield finish(decline_text, [], True, "none (nothing relevant retrieved)", None)
        return

    gw = gateway()
    extra = sampling_extra(settings)
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
    # What it cites, or (no citation at all) what it was given.
    cited = [c.quote for c in resolved.citations] or [h.text for h in result.hits]
    glossary = load_glossary(settings.glossary_path)
    yield finish(
        resolved.text,
        resolved.citations,
        False,
        gw.model,
        first,
        resolved.invalid_markers,
        resolved.repaired_markers,
        unsupported(resolved.text, cited, glossary, question),
    )


def unsupported(text: str, sources: list[str], glossary: Glossary, question: str = "") -> list[str]:
    """Numbers and glossary names in ``text`` that none of ``sources`` holds.

    Names are compared by their English form, so an English answer and an Arabic
    passage (or two Arabic spellings of one name) agree. Names the question gives are the
    user's own words, not the model's: restating them is not flagged (numbers are)."""
    plain = MARKER.sub(" ", text)  # "[2]" is a citation, not a figure
    out = [f"number {n}" for n in dict.fromkeys(ungrounded_numbers(plain, sources))]
    held = {t.en for s in [*sources, question] for t in _names(s, glossary)}
    out += [
        f"name {en}"
        for en in dict.fromkeys(t.en for t in _names(plain, glossary))
        if en not in held
    ]
    return out


def _names(text: str, glossary: Glossary) -> list[Term]:
    return [m.term for m in glossary.find(text)] + glossary.named_in_english(text)




def ask(question: str, **kwargs: object) -> Answer:
    """The whole answer at once (no streaming)."""
    for event in stream_answer(question, **kwargs):  # type: ignore[arg-type]
        if isinstance(event, Done):
            return event.answer
    raise AssertionError("stream_answer ended without Done")
