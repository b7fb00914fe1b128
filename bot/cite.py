"""Citations: turn the model's [n] markers into checked links to source text.

Each valid marker points at a retrieved passage and becomes a citation with the
exact Arabic quote from its file (``text[start:end]``). Markers that point at no
passage are removed and counted; an answer the model left without any marker gets
markers from cross-lingual similarity between its sentences and the passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bot.arabic import arabic_share, normalize, numbers
from bot.checks import frames, frames_named, number_roles, speakers, ungrounded_numbers
from bot.embed import Embedder
from bot.evidence import asks_who
from bot.glossary import Glossary, Term
from bot.names import unheld
from bot.numbers import ungrounded_dates, ungrounded_directions, ungrounded_times
from bot.retrieve import Hit

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# [1]  [1, 2]  [1،2]  [١]  and the "[Passage 1]" / "[source 2]" forms small models write
MARKER = re.compile(
    r"\[\s*(?:passage|source|المقطع|المصدر)?\s*"
    r"([0-9٠-٩۰-۹]+(?:\s*[,،;]\s*[0-9٠-٩۰-۹]+)*)\s*\]",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟]*(?:\s*\[[^\]]*\])*")
# An answer sentence, for the check: up to . ! ? ؟ followed by a space or the end (so
# "2.5" and "window.x" do not cut it), its markers included, or a line.
_CLAIM = re.compile(r"[^\n]+?(?:[.!?؟]+(?:\s*\[[^\]]*\])*(?=\s|$)|(?=\n)|$)")
ATTACH_FLOOR = 0.80  # e5 cosine: below this a sentence is not taken to rest on a passage


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    source: str
    chunk_id: str
    start: int
    end: int
    quote: str
    title: str = ""
    quote_en: str = ""  # the reader's English gloss of the quote (newsbot's translation)
    quote_en_flags: tuple[str, ...] = ()  # what the translation checks found in it
    outlet: str = ""
    date: str = ""  # the article's, yyyy-mm-dd
    url: str = ""  # where it was published (http/https only)
    page: int = 0  # PDF page, 1-based; 0 for formats without pages

    @property
    def provenance(self) -> str:
        """Who published it and when: "Al Jazeera, 2017-07-12, p. 2" ("" if unknown)."""
        parts = [self.outlet, self.date, f"p. {self.page}" if self.page else ""]
        return ", ".join(p for p in parts if p)

    def as_json(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("title")
        d["quote_en_flags"] = list(self.quote_en_flags)
        if not self.page:
            d.pop("page")
        return d


@dataclass(frozen=True, slots=True)
class Resolved:
    text: str
    citations: list[Citation]
    invalid_markers: int
    repaired_markers: int = 0


def repair_by_numbers(answer: str, hits: Sequence[Hit]) -> tuple[str, int]:
    """Re-point a sentence's markers when its numbers are not in the cited passages.

    Small models often cite the wrong passage number; a figure in the sentence that
    only one retrieved passage contains says which passage the sentence rests on.
    """
    repaired = 0
    passage_numbers = [numbers(h.text) for h in hits]

    def fix(m: re.Match[str]) -> str:
        nonlocal repaired
        sentence = m.group(0)
        wanted = numbers(MARKER.sub("", sentence))
        cited = [
            int(p.strip().translate(_DIGITS))
            for mm in MARKER.finditer(sentence)
            for p in re.split(r"[,،;]", mm.group(1))
        ]
        cited = [n for n in cited if 1 <= n <= len(hits)]
        if not wanted or not cited or any(wanted <= passage_numbers[n - 1] for n in cited):
            return sentence
        holders = [i + 1 for i, nums in enumerate(passage_numbers) if wanted <= nums]
        if not holders:
            return sentence  # no passage has these figures: leave it for the number check
        repaired += 1
        first = MARKER.search(sentence)
        assert first is not None
        body = MARKER.sub("", sentence[first.start() :]).rstrip()
        return sentence[: first.start()].rstrip() + f" [{holders[0]}]" + body

    text = _SENTENCE.sub(fix, answer)
    return text, repaired


def of_hit(n: int, h: Hit) -> Citation:
    return Citation(
        n, h.source, h.chunk_id, h.start, h.end, h.text, h.title,
        outlet=h.outlet, date=h.date, url=h.url, page=h.page,
    )  # fmt: skip


def resolve(answer: str, hits: Sequence[Hit]) -> Resolved:
    """Map every marker to its passage; drop markers that point at nothing."""
    answer, repaired = repair_by_numbers(answer, hits)
    invalid = 0
    cited: dict[int, Citation] = {}

    def repl(m: re.Match[str]) -> str:
        nonlocal invalid
        keep: list[int] = []
        for part in re.split(r"[,،;]", m.group(1)):
            n = int(part.strip().translate(_DIGITS))
            if 1 <= n <= len(hits):
                if n not in keep:
                    keep.append(n)
            else:
                invalid += 1
        for n in keep:
            if n not in cited:
                h = hits[n - 1]
                cited[n] = of_hit(n, h)
        return "".join(f"[{n}]" for n in keep)

    text = MARKER.sub(repl, answer)
    text = re.sub(r"[ \t]+([.,،؛!?؟])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return Resolved(text, list(cited.values()), invalid, repaired)


def attach_markers(answer: str, hits: Sequence[Hit], embedder: Embedder) -> str:
    """Give each unmarked sentence a marker: the passage holding its figures, else the
    passage it is closest to in meaning, if close enough."""
    if not hits or MARKER.search(answer):
        return answer
    sentences = [m.group(0) for m in _SENTENCE.finditer(answer) if m.group(0).strip()]
    if not sentences:
        return answer
    passage_numbers = [numbers(h.text) for h in hits]
    s_vec = embedder.embed_queries([s.strip() for s in sentences])
    p_vec = embedder.embed_passages([h.text for h in hits])
    sims = np.asarray(s_vec) @ np.asarray(p_vec).T
    out: list[str] = []
    for sent, row in zip(sentences, sims, strict=True):
        wanted = numbers(sent)
        holders = [i for i, nums in enumerate(passage_numbers) if wanted and wanted <= nums]
        # Among passages holding the figures, the closest; else the closest overall.
        best = max(holders, key=lambda i: row[i]) if holders else int(np.argmax(row))
        stripped = sent.rstrip()
        if holders or row[best] >= ATTACH_FLOOR:
            out.append(f"{stripped} [{best + 1}]" + sent[len(stripped) :])
        else:
            out.append(sent)
    return "".join(out)


def as_text(answer: str, citations: Sequence[Citation]) -> str:
    """The answer with its sources as plain text (what "copy" should give)."""
    lines = [answer, ""] if citations else [answer]
    lines += [
        f"[{c.n}] {c.source}"
        + (f", {c.provenance}" if c.provenance else "")
        + (f" <{c.url}>" if c.url else "")
        for c in sorted(citations, key=lambda c: c.n)
    ]
    return "\n".join(lines)


# -- the answer's own check ----------------------------------------------------------------


def unsupported(text: str, sources: list[str], glossary: Glossary, question: str = "") -> list[str]:
    """Numbers, months and weekdays, times of day, compass directions, glossary names, and
    (in English) events and speakers in ``text`` that none of
    ``sources`` holds.

    Names are compared by their English form, so an English answer and an Arabic
    passage (or two Arabic spellings of one name) agree. Names the question gives are the
    user's own words, not the model's: restating them is not flagged (numbers are)."""
    plain = MARKER.sub(" ", text)  # "[2]" is a citation, not a figure
    out = [f"number {n}" for n in dict.fromkeys(ungrounded_numbers(plain, sources))]
    out += [p for p in dict.fromkeys(number_roles(plain, sources)) if p not in out]
    out += [f"date {d}" for d in ungrounded_dates(plain, [*sources, question])]
    out += [f"direction {d}" for d in ungrounded_directions(plain, [*sources, question])]
    out += [f"time {t}" for t in ungrounded_times(plain, [*sources, question])]
    held = {t.en for s in [*sources, question] for t in names_of(s, glossary)}
    out += [
        f"name {en}"
        for en in dict.fromkeys(t.en for t in names_of(plain, glossary))
        if not _held(en, held)
    ]
    if arabic_share(plain) < 0.5:
        if asks_who(question):  # the name asked for, made up
            out += [f"name {w}" for w in unheld(plain, sources, glossary, question)]
        out += meaning(plain, sources, glossary, question)
    return out


def meaning(text: str, sources: Sequence[str], glossary: Glossary, question: str = "") -> list[str]:
    """Events (repelled, withdrew, surrendered, suicide attacks) and speakers an English
    answer gives that its cited Arabic does not: the checks every written translation
    gets. Events the question names are the user's words, not the model's."""
    source = " ".join(sources)
    asked = frames_named(question)
    out = [p for p in frames(source, text, full=False) if p.split("'")[1] not in asked]
    return out + speakers(source, text, glossary)


def from_example(
    text: str, terms: dict[str, str], sources: Sequence[str], question: str = ""
) -> list[str]:
    """The prompt example's own terms (English -> Arabic) that ``text`` names in either
    script while neither ``question`` nor ``sources`` holds them: copied, not read."""
    out: list[str] = []
    held = normalize(" ".join([*sources, question]))
    asked = question.casefold()
    for en, ar in terms.items():
        named = re.search(rf"\b{re.escape(en)}", text, re.IGNORECASE) or normalize(ar) in (
            normalize(text)
        )
        if named and normalize(ar) not in held and en.casefold() not in asked:
            out.append(f"from the prompt's example: {en}")
    return out


def _held(name: str, held: set[str]) -> bool:
    """``name`` or a longer name that holds it: "Jones" of Stuart Jones (the Arabic
    matches the full name alone, the English both)."""
    return name in held or any(re.search(rf"\b{re.escape(name)}\b", h) for h in held)


def names_of(text: str, glossary: Glossary) -> list[Term]:
    """The glossary terms a text names, by either script."""
    return [m.term for m in glossary.find(text)] + glossary.named_in_english(text)


@dataclass(frozen=True)
class Settled:
    """An answer after its own check: what may be shown, and what was not."""

    text: str
    citations: list[Citation]
    unsupported: list[str]  # claims of the shown text its cited sentences lack
    dropped: list[str]  # answer sentences left out: their claims are not in the sources
    off_topic: list[str]  # places/people the question names that no cited article holds


def settle(
    resolved: Resolved,
    glossary: Glossary,
    question: str,
    strong_names: frozenset[str] = frozenset(),
    article_names: dict[str, set[str]] | None = None,
) -> Settled:
    """Check each answer sentence against the sentences it cites: keep the supported
    ones; if none is supported, keep them all (the caller marks the answer unverified).

    A sentence's claims are its numbers and glossary names; with no marker it is checked
    against everything cited. ``strong_names`` (the question's places and people) must
    be held by a cited article (``article_names``: per source, the names its text holds)."""
    by_n = {c.n: c for c in resolved.citations}
    parts = [m.group(0) for m in _CLAIM.finditer(resolved.text) if m.group(0).strip()]
    kept: list[str] = []
    dropped: list[str] = []
    for part in parts:
        cited = [by_n[int(n)] for n in re.findall(r"\[(\d+)\]", part) if int(n) in by_n]
        quotes = [c.quote for c in cited] or [c.quote for c in resolved.citations]
        (dropped if unsupported(part, quotes, glossary, question) else kept).append(part)
    if not kept:
        kept, dropped = parts, []
    text = re.sub(r"\s+", " ", "".join(kept)).strip() or resolved.text
    used = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    citations = [c for c in resolved.citations if c.n in used] or resolved.citations
    sources = {c.source for c in citations}
    held: set[str] = set()
    for s in sources:
        held |= (article_names or {}).get(s, set())
    off_topic = sorted(strong_names - held) if article_names is not None else []
    return Settled(
        text,
        citations,
        unsupported(text, [c.quote for c in citations], glossary, question),
        [" ".join(d.split()) for d in dropped],
        off_topic,
    )


# "According to article A, ..." / "According to the passage, ...": the prompt's labels are
# not the reader's; the citation says where it comes from.
_LEAD_IN = re.compile(
    r"(?:(?<=^)|(?<=[.!?]\s))(?:according to|as (?:stated|reported) in|in)\s+"
    r"(?:the\s+)?(?:article\s+[A-Z]\b|passages?(?:\s*\[?\d+\]?)?)\s*,?\s*(\w)",
    re.IGNORECASE,
)


# The same labels inside a sentence: "The army said in article A that ..." / "(article B)".
_MID_LABEL = re.compile(
    r",?\s*\(?\b(?:(?:according to|as (?:stated|reported) in|in)\s+)?(?:the\s+)?"
    r"article\s+[A-Z]\b\)?",
)


def strip_lead_in(text: str) -> str:
    """The answer without lead-ins or mid-sentence mentions naming the prompt's passages
    or article letters."""
    text = _LEAD_IN.sub(lambda m: m.group(1).upper(), text)
    if not _MID_LABEL.search(text):
        return text
    return re.sub(r"\s+([.,;!?])", r"\1", _MID_LABEL.sub("", text))
