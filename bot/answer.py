"""Answers: retrieve, pick the evidence sentences, prompt, stream, check, gloss.

``stream_answer`` yields events so every front end renders the same pipeline:
``Retrieved`` once, ``Token`` per streamed delta, ``Retrying`` when the answer failed its
check and is asked again, ``Done`` with the checked answer. Nothing relevant retrieved
means no model call at all: the answer declines in the question's language.

The model sees a few numbered sentences (``bot/evidence.py``), not whole chunks (the
``chunks`` strategy keeps the old way, for comparison). Each answer sentence must hold
only numbers and names its cited sentences hold, and the cited articles must be about the
places and people the question names. An answer that fails is asked again once with the
next-best evidence and a note saying what was wrong; then sentences that still fail are
left out (counted), and an answer with nothing supported left is shown marked
unverified, never as if it were fine. Every cited Arabic sentence gets an English gloss
(``quote_en``) from the translation pipeline, with its check flags, after the answer is
done (``glossed``; the service yields it as ``Glossed``). The answer and event types live
in ``bot/_result.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from bot._result import Answer, Done, Event, Glossed, Retrieved, Retrying, Token
from bot.arabic import detect_language
from bot.asked import Gap, missing
from bot.cite import (
    Citation,
    Settled,
    attach_markers,
    from_example,
    resolve,
    settle,
    strip_lead_in,
)
from bot.config import AnswerEvidence, AnswerLanguage, Settings
from bot.embed import Embedder
from bot.evidence import article_names, paragraph, question_names, select
from bot.filters import Filter
from bot.glossary import Glossary, load_glossary
from bot.hint import figure_hint
from bot.llm import ChatGateway, Prompt, load_prompt, sampling_extra
from bot.names import english_script, respell, transliterated
from bot.numbers import with_digits
from bot.retrieve import Hit, Retriever, SearchResult

__all__ = [
    "LANGUAGE_NAMES",
    "Answer",
    "Done",
    "Event",
    "Gloss",
    "Glossed",
    "Retrieved",
    "Retrying",
    "Token",
    "answer_language",
    "format_passages",
    "glossed",
    "stream_answer",
]

LANGUAGE_NAMES = {"en": "English", "ar": "Arabic"}
_DECLINE = re.compile(r"NOT\s*IN\s*(THE\s*)?SOURCES?|لا\s+(ت|ي)(تناول|ذكر|تضمن)", re.IGNORECASE)


Gloss = Callable[[str], tuple[str, list[str]]]  # Arabic sentence -> (English, flags)


def answer_language(question: str, requested: str | AnswerLanguage | None) -> str:
    req = AnswerLanguage(requested) if requested else AnswerLanguage.AUTO
    return detect_language(question) if req is AnswerLanguage.AUTO else req.value


# A line of article text that looks like a passage header ("[3] (other.txt)"): an article
# must not forge where the next passage starts or which file it comes from.
_FORGED_HEADER = re.compile(r"^(\s*)\[(\d+)\](?=\s*\()", re.MULTILINE)


def format_passages(hits: list[Hit], compact: bool = False, digits: bool = False) -> str:
    """Numbered passages with their file; an article's title the first time it appears.

    ``compact`` (sentence evidence): "article A" in place of the file name. The model
    cites by number only, and a hashed file name is ~20 tokens a passage, read before
    the first token (a quarter of four sentences' prompt). ``digits``: written-out
    Arabic numbers as digits (``bot.numbers.with_digits``); citations keep the text."""
    seen: dict[str, str] = {}
    out: list[str] = []
    for i, h in enumerate(hits, 1):
        first = h.source not in seen
        seen.setdefault(h.source, _letter(len(seen)))
        label = f"article {seen[h.source]}" if compact else h.source
        if h.title and first and h.title.strip() != h.text.strip():
            label = f"{label}: {' '.join(h.title.split())[:120]}"
        text = with_digits(h.text) if digits else h.text
        out.append(f"[{i}] ({label})\n" + _FORGED_HEADER.sub(r"\1(\2)", text))
    return "\n\n".join(out)


def _letter(n: int) -> str:
    return chr(ord("A") + n) if n < 26 else str(n + 1)


@dataclass
class _Turn:
    """One question on its way to an answer: what was searched, found, and when."""

    question: str
    lang: str
    query: str
    result: SearchResult
    t0: float
    retrieve_s: float
    first: float | None = None

    def done(
        self, text: str, citations: list[Citation], declined: bool, model: str, **checks: Any
    ) -> Done:
        total = time.perf_counter() - self.t0
        timings = {
            "retrieve_s": round(self.retrieve_s, 3),
            "first_token_s": round(self.first if self.first is not None else total, 3),
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


@dataclass
class _Attempt:
    passages: list[Hit]
    raw: str
    settled: Settled | None  # None: the model declined
    invalid: int = 0
    repaired: int = 0
    missing: list[Gap] = field(default_factory=list)  # what the question asks, not given

    @property
    def problems(self) -> list[str]:
        if self.settled is None:
            return []
        return [
            *self.settled.unsupported,
            *(f"not about {n}" for n in self.settled.off_topic),
            *map(str, self.missing),
        ]


def stream_answer(
    question: str,
    *,
    settings: Settings,
    retriever: Retriever,
    embedder: Embedder,
    gateway: Callable[[], ChatGateway],
    language: str | AnswerLanguage | None = None,
    search_query: str | None = None,
    gloss: Gloss | None = None,
    where: Filter | None = None,
) -> Iterator[Event]:
    """Answer ``question``; ``search_query`` (e.g. a rewritten follow-up) drives retrieval,
    ``where`` limits it to some articles (outlets, dates, files)."""
    t0 = time.perf_counter()
    lang = answer_language(question, language or settings.answer_language)
    prompt = load_prompt(settings.prompts_dir, "answer")
    query = search_query or question
    sentences = settings.answer_evidence == AnswerEvidence.SENTENCES
    result = retriever.search(query, settings.evidence_chunks if sentences else None, where)
    turn = _Turn(question, lang, query, result, t0, time.perf_counter() - t0)
    yield Retrieved(result.hits, result.covered)

    decline_text = prompt.strings.get(f"declined_{lang}", prompt.strings.get("declined_en", ""))
    glossary = load_glossary(settings.glossary_path)
    passages = _evidence(turn, settings, retriever, glossary)
    if not result.covered or not passages:
        yield Token(decline_text)
        yield turn.done(decline_text, [], True, "none (nothing relevant retrieved)")
        return

    gw = gateway()
    if gloss is not None:
        gloss = _memo(gloss)  # a sentence shown in English is glossed once per turn
    read_as = gloss if gloss is not None and settings.evidence_glossed and lang == "en" else None
    ask = _Asker(turn, prompt, gw, settings, embedder, glossary, read_as)
    attempt = yield from ask(passages, "")
    tries = 1
    if attempt.problems and settings.answer_retries > 0:
        attempt = yield from _retry(attempt, ask, turn, settings, retriever, glossary)
        tries = 2
    if attempt.settled is None:
        yield turn.done(decline_text, [], True, gw.model, attempts=tries)
        return
    yield _final(turn, attempt, gw.model, tries)


def _retry(
    attempt: _Attempt,
    ask: _Asker,
    turn: _Turn,
    settings: Settings,
    retriever: Retriever,
    glossary: Glossary,
) -> Generator[Event, None, _Attempt]:
    """The answer failed its check: ask again once, with a note saying what was wrong."""
    reason = "; ".join(attempt.problems)
    yield Retrying(reason)
    settled = attempt.settled
    assert settled is not None
    if settled.off_topic or any(g.kind == "place" for g in attempt.missing):
        # it read the wrong article, or a sentence about another place: offer others
        used = frozenset((c.source, c.start) for c in settled.citations)
        again = _evidence(turn, settings, retriever, glossary, exclude=used) or attempt.passages
    else:  # it misread its sentences: the same ones and the next best, and the note
        again = _evidence(turn, settings, retriever, glossary, extra=2) or attempt.passages
    gaps = [str(g) for g in attempt.missing]
    kind = f"retry_{attempt.missing[0].kind}" if attempt.problems == gaps else "retry_note"
    note = _note(ask.prompt, turn.lang, reason, kind)
    if any(g.kind in ("role", "missing") for g in attempt.missing):
        hint, again = _hint(ask.prompt, turn, again, glossary)
        note += hint
    second = yield from ask(again, note)
    if second.settled is None or len(second.problems) < len(attempt.problems):
        return second
    return attempt


def _evidence(
    turn: _Turn,
    settings: Settings,
    retriever: Retriever,
    glossary: Glossary,
    exclude: frozenset[tuple[str, int]] = frozenset(),
    extra: int = 0,
) -> list[Hit]:
    hits = turn.result.hits
    if settings.answer_evidence == AnswerEvidence.CHUNKS:
        return [h for h in hits if (h.source, h.start) not in exclude][: settings.top_k + extra]
    k = settings.evidence_sentences + extra
    return select(
        turn.question,
        turn.query,
        hits,
        retriever,
        glossary,
        k,
        exclude,
        settings.evidence_max_words,
    )


def _hint(
    prompt: Prompt, turn: _Turn, passages: list[Hit], glossary: Glossary
) -> tuple[str, list[Hit]]:
    """The one figure the passages give for what the question counts, as a pointer, and
    the passages with that one first: told "passage [4] gives 133", the bundled model
    still wrote the 46 of an earlier line of the same passage list."""
    texts, contexts = [h.text for h in passages], [paragraph(h) for h in passages]
    found = figure_hint(turn.question, texts, contexts, glossary)
    if found is None:
        return "", passages
    n, figure = found
    first = [passages[n - 1], *passages[: n - 1], *passages[n:]]
    fallback = prompt.strings.get("hint_figure_en", "")
    template = prompt.strings.get(f"hint_figure_{turn.lang}", fallback)
    return template.replace("{n}", "1").replace("{figure}", figure), first


def _note(prompt: Prompt, lang: str, reason: str, kind: str = "retry_note") -> str:
    fallback = prompt.strings.get(f"retry_note_{lang}", prompt.strings.get("retry_note_en", ""))
    template = prompt.strings.get(f"{kind}_{lang}", fallback)
    return template.replace("{problems}", reason)


class _Asker:
    """Streams one attempt: the prompt over ``passages`` (with a note on a retry), the
    model's tokens as events, and the attempt checked against its passages."""

    def __init__(
        self,
        turn: _Turn,
        prompt: Prompt,
        gw: ChatGateway,
        settings: Settings,
        embedder: Embedder,
        glossary: Glossary,
        read_as: Gloss | None = None,
    ) -> None:
        self.turn, self.prompt, self.gw = turn, prompt, gw
        self.settings, self.embedder, self.glossary = settings, embedder, glossary
        self.read_as = read_as

    def _shown(self, passages: list[Hit]) -> str:
        """The passages as the model reads them: for an English answer with
        ``evidence_glossed``, each sentence's English gloss (the translation pipeline:
        glossary names, number checks) in place of the Arabic. Citations and the answer's
        check stay on the Arabic sentences."""
        sentences = self.settings.answer_evidence == AnswerEvidence.SENTENCES
        if self.read_as is None or not sentences:
            return format_passages(passages, sentences, self.settings.evidence_digits)
        shown = [replace(h, text=self.read_as(h.text)[0], title="") for h in passages]
        return format_passages(shown, compact=True)

    def __call__(self, passages: list[Hit], note: str) -> Generator[Event, None, _Attempt]:
        t = self.turn
        messages = self.prompt.render(
            lang=t.lang,
            passages=self._shown(passages),
            question=t.question.strip(),
            language=LANGUAGE_NAMES[t.lang],
            note=note,
        )
        parts: list[str] = []
        params = self.prompt.chat_params(sampling_extra(self.settings))
        for delta in self.gw.stream(messages, params):
            if t.first is None:
                t.first = time.perf_counter() - t.t0
            parts.append(delta)
            yield Token(delta)
        raw = strip_lead_in("".join(parts).strip())
        if not raw or (_DECLINE.search(raw) and len(raw) < 80):
            return _Attempt(passages, raw, None)
        untranslated: list[str] = []
        if t.lang == "en":  # "Kerkuk" -> Kirkuk: the glossary's spelling of the passages' names
            raw, untranslated = english_script(raw, self.glossary)
            raw = respell(raw, [h.text for h in passages], self.glossary, t.question).text
        resolved = resolve(attach_markers(raw, passages, self.embedder), passages)
        names = question_names(f"{t.question} {t.query}", self.glossary)
        articles = article_names(t.result.hits, self.glossary)
        settled = settle(resolved, self.glossary, t.question, names.strong, articles)
        if t.lang == "en":  # "a damara" for دمارا: an Arabic word in Latin letters
            quotes = [c.quote for c in settled.citations]
            untranslated += transliterated(settled.text, quotes, self.glossary)
        flags = [f"untranslated: {w}" for w in untranslated[:1]]  # the reader can't read it
        flags += from_example(
            settled.text,
            self.prompt.example_terms(t.lang),
            [c.quote for c in settled.citations],
            t.question,
        )
        if flags:
            settled = replace(settled, unsupported=[*settled.unsupported, *flags])
        return _Attempt(
            passages,
            raw,
            settled,
            resolved.invalid_markers,
            resolved.repaired_markers,
            missing(
                t.question,
                settled.text,
                [c.quote for c in settled.citations],
                self.glossary,
                [paragraph(passages[c.n - 1]) for c in settled.citations],
            ),
        )


def _memo(gloss: Gloss) -> Gloss:
    seen: dict[str, tuple[str, list[str]]] = {}

    def once(arabic: str) -> tuple[str, list[str]]:
        if arabic not in seen:
            seen[arabic] = gloss(arabic)
        return seen[arabic]

    return once


def _final(turn: _Turn, attempt: _Attempt, model: str, tries: int) -> Done:
    settled = attempt.settled
    assert settled is not None
    citations = settled.citations
    off = [f"not about {n} (no cited article names it)" for n in settled.off_topic]
    return turn.done(
        settled.text,
        citations,
        False,
        model,
        invalid_markers=attempt.invalid,
        repaired_markers=attempt.repaired,
        unsupported=[*settled.unsupported, *off, *map(str, attempt.missing)],
        dropped=settled.dropped,
        attempts=tries,
    )


def glossed(answer: Answer, gloss: Gloss) -> Answer:
    """``answer`` with each cited sentence's English gloss (``quote_en``, its flags);
    the time it took in ``timings["gloss_s"]``."""
    t0 = time.perf_counter()
    citations = [_glossed(c, gloss) for c in answer.citations]
    timings = {**answer.timings, "gloss_s": round(time.perf_counter() - t0, 3)}
    return replace(answer, citations=citations, timings=timings)


def _glossed(c: Citation, gloss: Gloss) -> Citation:
    english, flags = gloss(c.quote)
    return replace(c, quote_en=english, quote_en_flags=tuple(flags))
