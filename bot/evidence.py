"""Sentence-level evidence: the few sentences of the retrieved chunks that bear on the
question, each a citable unit with its own exact offsets.

Retrieval finds chunks; the answer is written from sentences. Each sentence of the
retrieved chunks is scored with the signals retrieval already has: its e5 cosine with
the query (the retriever's cached sentence vectors), the question's glossary names
(people and places above all) that the sentence and its article hold, normalised Arabic
terms shared with an Arabic question, a number where the question asks "how many", and
the rank of the chunk it came from. The best few go to the model, in reading order,
numbered, with their file and title, so a citation points at one sentence, and the
prompt is a fraction of four whole chunks.

Where one article holds every place and person the question names, sentences of other
articles are not offered: "how many were killed in Kirkuk?" must not be answered from a
sentence about Tal Afar that happens to hold a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from bot.arabic import detect_language, numbers, search_terms
from bot.chunk import sentence_spans
from bot.glossary import Glossary, Term
from bot.retrieve import Hit, Retriever

# Weights next to the e5 cosine (a narrow band, ~0.75-0.92). Set on the seed dev
# questions and XQuAD's dev half (bench/evidence.py prints the table).
NAME_WEIGHT = 0.08  # per share of the question's names the sentence holds
TERM_WEIGHT = 0.06  # share of an Arabic question's terms the sentence holds
NUMBER_WEIGHT = 0.03  # a number, for a how-many / how-much question
RANK_WEIGHT = 0.02  # the chunk's rank: 1 for the first, falling
STRONG_KINDS = ("places", "people")  # names that pin a question to one article
MIN_WORDS = 3  # a sentence shorter than this is a caption or a heading
_HOW_MANY = re.compile(
    r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share)\b|\bكم\b|\bعدد\b|\bنسبة\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionNames:
    """The glossary names a question gives, by their English form."""

    all: frozenset[str]
    strong: frozenset[str]


def question_names(question: str, glossary: Glossary) -> QuestionNames:
    terms: list[Term] = [m.term for m in glossary.find(question)]
    terms += glossary.named_in_english(question)
    return QuestionNames(
        frozenset(t.en for t in terms), frozenset(t.en for t in terms if t.kind in STRONG_KINDS)
    )


def names_in(text: str, glossary: Glossary) -> set[str]:
    """English forms of the glossary names an (Arabic or English) text holds."""
    return {m.term.en for m in glossary.find(text)} | {
        t.en for t in glossary.named_in_english(text)
    }


def _sentences(hits: list[Hit]) -> list[tuple[int, Hit]]:
    """Every sentence of the hits as a sentence-sized Hit (file offsets), once each,
    with the rank of the first chunk it came from."""
    seen: set[tuple[str, int]] = set()
    out: list[tuple[int, Hit]] = []
    for rank, h in enumerate(hits):
        for a, b in sentence_spans(h.text):
            key = (h.path or h.source, h.start + a)
            text = h.text[a:b]
            if key in seen or len(text.split()) < MIN_WORDS:
                continue
            seen.add(key)
            unit = replace(
                h,
                chunk_id=f"{h.source}@{h.start + a}",
                start=h.start + a,
                end=h.start + b,
                text=text,
            )
            out.append((rank, unit))
    return out


def select(
    question: str,
    query: str,
    hits: list[Hit],
    retriever: Retriever,
    glossary: Glossary,
    k: int,
    exclude: frozenset[tuple[str, int]] = frozenset(),
) -> list[Hit]:
    """The ``k`` best sentences of ``hits`` for ``question`` (searched as ``query``), in
    reading order; sentences in ``exclude`` ((source, start)) are left out."""
    units = [(r, u) for r, u in _sentences(hits) if (u.source, u.start) not in exclude]
    if not units:
        return []
    names = question_names(f"{question} {query}", glossary)
    articles = article_names(hits, glossary)
    if names.strong:
        pinned = {src for src, held in articles.items() if names.strong <= held}
        if pinned:  # one article holds every place and person asked about: only it
            units = [(r, u) for r, u in units if u.source in pinned]
    cos = retriever.sentence_cosines(query, [u.text for _, u in units])
    scores = [
        float(cos[i]) + _bonus(question, query, names, articles, rank, u, glossary)
        for i, (rank, u) in enumerate(units)
    ]
    best = sorted(np.argsort(scores)[::-1][:k].tolist())
    picked = [replace(units[i][1], score=round(scores[i], 4)) for i in best]
    return sorted(picked, key=lambda u: (_first_rank(units, u.source), u.start))


def _first_rank(units: list[tuple[int, Hit]], source: str) -> int:
    return min(r for r, u in units if u.source == source)


def article_names(hits: list[Hit], glossary: Glossary) -> dict[str, set[str]]:
    """Per source, the names its retrieved text and title hold (what we know of it)."""
    out: dict[str, set[str]] = {}
    for h in hits:
        out.setdefault(h.source, set()).update(names_in(f"{h.title}\n{h.text}", glossary))
    return out


def _bonus(
    question: str,
    query: str,
    names: QuestionNames,
    articles: dict[str, set[str]],
    rank: int,
    unit: Hit,
    glossary: Glossary,
) -> float:
    bonus = RANK_WEIGHT / (1 + rank)
    if names.all:
        held = names_in(unit.text, glossary) | (articles.get(unit.source, set()) & names.strong)
        bonus += NAME_WEIGHT * len(names.all & held) / len(names.all)
    if detect_language(query) == "ar":
        terms = set(search_terms(query))
        if terms:
            bonus += TERM_WEIGHT * len(terms & set(search_terms(unit.text))) / len(terms)
    if _HOW_MANY.search(question) and numbers(unit.text):
        bonus += NUMBER_WEIGHT
    return bonus
