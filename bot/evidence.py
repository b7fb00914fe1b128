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

import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.arabic import arabic_share, detect_language, numbers, search_terms
from bot.chunk import sentence_spans, sentence_units
from bot.glossary import Glossary, Term
from bot.retrieve import Hit, Retriever

# Weights next to the e5 cosine (a narrow band, ~0.75-0.92). Set on the seed dev
# questions and XQuAD's dev half (bench/evidence.py prints the table).
NAME_WEIGHT = 0.08  # per share of the question's names the sentence holds
TERM_WEIGHT = 0.06  # share of an Arabic question's terms the sentence holds
NUMBER_WEIGHT = 0.03  # a number, for a how-many / how-much question
TYPE_WEIGHT = 0.03  # a person for "who", a place for "where"
CAPTION_PENALTY = 0.05  # a line with next to no Arabic: a caption (kept where all are)
RANK_WEIGHT = 0.02  # the chunk's rank: 1 for the first, falling
STRONG_KINDS = ("places", "people")  # names that pin a question to one article
MIN_WORDS = 3  # a sentence shorter than this is a caption or a heading
# A longer sentence is cut at its clauses: the prompt (read before the first token) stays
# small, and a number keeps the clause that says what it counts.
MAX_WORDS = 30  # bench/evidence.py: seed recall the same as 40, 17% fewer tokens
_WHO = re.compile(
    r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwhat (?:is|was) the name\b"
    r"|^\s*[وف]?(?:من|مَن)\s+(?!(?:أين|اين|أي|اي|أية|اية)\s)|(?:ما|وما) (?:هو )?اسم",
    re.IGNORECASE,
)
_WHERE = re.compile(r"^\s*where\b|^\s*(?:أين|اين)\s", re.IGNORECASE)
_HOW_MANY = re.compile(
    # و/ف written onto the word: "وكم عنصرا…؟" (and how many…?) is a how-many question too
    r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share)\b|(?<!\w)[وف]?(?:كم|عدد|نسبة)\b",
    re.IGNORECASE,
)


def asks_who(question: str) -> bool:
    """A question for a person: who / whom / what is the name of / من / ما اسم."""
    return bool(_WHO.search(question))


def asks_how_many(question: str) -> bool:
    """A question for a figure: how many / how much / what number / كم / عدد / نسبة."""
    return bool(_HOW_MANY.search(question))


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


@dataclass(frozen=True)
class _Unit:
    rank: int  # of the chunk it came from
    hit: Hit  # the sentence as a citable Hit (file offsets)
    pieces: tuple[str, ...]  # its clauses, as retrieval embedded them


@lru_cache(maxsize=256)
def _article(path: str, mtime_ns: int, size: int) -> tuple[str, tuple, tuple]:
    """An article's text, its sentences and its clauses (cached while the file is as is)."""
    text = Path(path).read_text("utf-8-sig")
    return text, tuple(sentence_units(text)), tuple(sentence_spans(text))


def _source_text(h: Hit) -> tuple[str, int, tuple, tuple]:
    """The text to cut ``h``'s sentences from, with its offset in the file: the whole
    article when its file still holds this chunk (a chunk often starts mid-sentence,
    leaving a clause without its subject), else the chunk alone."""
    try:
        st = os.stat(h.path)
        text, units, clauses = _article(h.path, st.st_mtime_ns, st.st_size)
        if text[h.start : h.end] == h.text:
            return text, 0, units, clauses
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    return h.text, h.start, tuple(sentence_units(h.text)), tuple(sentence_spans(h.text))


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraph(h: Hit) -> str:
    """The paragraph of its article that holds the sentence ``h``: what a figure of the
    sentence is about is often named a sentence earlier ("In Anbar, ... 11 were killed").
    The sentence alone when its file no longer holds it."""
    text, offset, _, _ = _source_text(h)
    at = h.start - offset
    if text[at : at + len(h.text)] != h.text:
        return h.text
    starts = [0, *(m.end() for m in _PARAGRAPH_BREAK.finditer(text, 0, at))]
    end = _PARAGRAPH_BREAK.search(text, at + len(h.text))
    return text[starts[-1] : end.start() if end else len(text)].strip()


# A photo credit closing a line: "(رويترز)", "ويترز)" (cut in copying), "(AFP)". What such a
# line says is about a picture; its date is the photo's ("May 29, 2017" answered when the
# western Mosul offensive began, and the year of a 2015 video).
_CREDIT = re.compile(
    r"(?:\(|^|\s)(?:رويترز|ويترز|الجزيرة|الفرنسية|أ\s?ف\s?ب|ا\s?ف\s?ب|الأناضول|أسوشيتد برس"
    r"|الأوروبية|غيتي|وكالات|Reuters|AFP|AP|EPA|Getty(?: Images)?)\)\s*$",
    re.IGNORECASE,
)


def is_caption(sentence: str, article_arabic: float) -> bool:
    """A photo caption or credit line, not reporting: a line with next to no Arabic in an
    Arabic article (captions are often left in the agency's English), or one that ends
    with a photo credit."""
    latin = article_arabic >= 0.6 and arabic_share(sentence) < 0.3
    return latin or bool(_CREDIT.search(sentence.strip()))


def _overlap(a: Hit, b: Hit) -> bool:
    return a.source == b.source and a.start < b.end and b.start < a.end


def _capped(
    text: str, units: tuple, clauses: tuple, max_words: int = MAX_WORDS
) -> list[tuple[int, int]]:
    """``units``, each over ``max_words`` words cut into runs of whole clauses."""
    out: list[tuple[int, int]] = []
    for a, b in units:
        if len(text[a:b].split()) <= max_words:
            out.append((a, b))
            continue
        start = end = a
        for x, y in (c for c in clauses if c[0] >= a and c[1] <= b):
            if end > start and len(text[start:y].split()) > max_words:
                out.append((start, end))
                start = x
            end = y
        out.append((start, end if end > start else b))
    return out


def _sentences(hits: list[Hit], max_words: int = MAX_WORDS) -> list[_Unit]:
    """Every sentence that overlaps a hit (clauses re-joined, ``sentence_units``) as a
    sentence-sized Hit with file offsets, once each, with its chunk's rank."""
    seen: set[tuple[str, int]] = set()
    out: list[_Unit] = []
    for rank, h in enumerate(hits):
        text, base, units, clauses = _source_text(h)
        share = arabic_share(text)
        for a, b in _capped(text, units, clauses, max_words):
            start, end = base + a, base + b
            if end <= h.start or start >= h.end:
                continue  # not in this chunk
            key = (h.path or h.source, start)
            sentence = text[a:b]
            if key in seen or len(sentence.split()) < MIN_WORDS or is_caption(sentence, share):
                continue
            seen.add(key)
            pieces = tuple(text[x:y] for x, y in clauses if x >= a and y <= b) or (sentence,)
            unit = replace(
                h,
                chunk_id=f"{h.source}@{start}",
                start=start,
                end=end,
                text=sentence,
                page=h.page_at(start),
            )
            out.append(_Unit(rank, unit, pieces))
    return out


def select(
    question: str,
    query: str,
    hits: list[Hit],
    retriever: Retriever,
    glossary: Glossary,
    k: int,
    exclude: frozenset[tuple[str, int]] = frozenset(),
    max_words: int = MAX_WORDS,
) -> list[Hit]:
    """The ``k`` best sentences (of at most ``max_words`` words: longer ones are cut at
    clauses) of ``hits`` for ``question`` (searched as ``query``), in reading order;
    sentences in ``exclude`` ((source, start)) are left out."""
    units = [u for u in _sentences(hits, max_words) if (u.hit.source, u.hit.start) not in exclude]
    if not units:
        return []
    names = question_names(f"{question} {query}", glossary)
    articles = article_names(hits, glossary)
    if names.strong:
        pinned = {src for src, held in articles.items() if names.strong <= held}
        if pinned:  # one article holds every place and person asked about: only it
            units = [u for u in units if u.hit.source in pinned]
    # A sentence is as close as its closest clause (retrieval's cached clause vectors).
    pieces = [p for u in units for p in u.pieces]
    cos = iter(retriever.sentence_cosines(query, pieces).tolist())
    scores = [
        max(next(cos) for _ in u.pieces)
        + _bonus(question, query, names, articles, u.rank, u.hit, glossary)
        for u in units
    ]
    chosen: list[int] = []
    for i in np.argsort(scores)[::-1].tolist():  # best first; no two overlapping
        h = units[i].hit
        if not any(_overlap(h, units[j].hit) for j in chosen):
            chosen.append(i)
        if len(chosen) == k:
            break
    picked = [(units[i].rank, replace(units[i].hit, score=round(scores[i], 4))) for i in chosen]
    first: dict[str, int] = {}
    for rank, h in picked:
        first[h.source] = min(first.get(h.source, rank), rank)
    return [h for _, h in sorted(picked, key=lambda p: (first[p[1].source], p[1].start))]


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
    if asks_how_many(question) and numbers(unit.text):
        bonus += NUMBER_WEIGHT
    kinds = _kinds(unit.text, glossary) if _WHO.search(question) or _WHERE.search(question) else ()
    if _WHO.search(question) and "people" in kinds:
        bonus += TYPE_WEIGHT
    if _WHERE.search(question) and "places" in kinds:
        bonus += TYPE_WEIGHT
    if arabic_share(unit.text) < 0.3:
        bonus -= CAPTION_PENALTY
    return bonus


def _kinds(text: str, glossary: Glossary) -> set[str]:
    return {m.term.kind for m in glossary.find(text)}
