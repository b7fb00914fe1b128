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

from bot.arabic import arabic_share, numbers
from bot.checks import ROLE_GROUPS, figure_roles, number_roles, roles, ungrounded_numbers
from bot.embed import Embedder
from bot.evidence import asks_how_many, asks_who
from bot.glossary import Glossary, Term
from bot.names import unheld
from bot.numbers import values
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
    """Numbers and glossary names in ``text`` that none of ``sources`` holds.

    Names are compared by their English form, so an English answer and an Arabic
    passage (or two Arabic spellings of one name) agree. Names the question gives are the
    user's own words, not the model's: restating them is not flagged (numbers are)."""
    plain = MARKER.sub(" ", text)  # "[2]" is a citation, not a figure
    out = [f"number {n}" for n in dict.fromkeys(ungrounded_numbers(plain, sources))]
    out += [p for p in dict.fromkeys(number_roles(plain, sources)) if p not in out]
    held = {t.en for s in [*sources, question] for t in _names(s, glossary)}
    out += [
        f"name {en}"
        for en in dict.fromkeys(t.en for t in _names(plain, glossary))
        if not _held(en, held)
    ]
    if asks_who(question) and arabic_share(plain) < 0.5:  # the name asked for, made up
        out += [f"name {w}" for w in unheld(plain, sources, glossary, question)]
    return out


def _held(name: str, held: set[str]) -> bool:
    """``name`` or a longer name that holds it: "Jones" of Stuart Jones (the Arabic
    matches the full name alone, the English both)."""
    return name in held or any(re.search(rf"\b{re.escape(name)}\b", h) for h in held)


def _names(text: str, glossary: Glossary) -> list[Term]:
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


def strip_lead_in(text: str) -> str:
    """The answer without lead-ins naming the prompt's passages or article letters."""
    return _LEAD_IN.sub(lambda m: m.group(1).upper(), text)


# A count the sources give only roughly ("dozens of", "عشرات") answers "how many" too.
_VAGUE = re.compile(
    r"\b(?:dozens|scores|hundreds|thousands|millions|several|a few|a number of)\b"
    r"|(?:^|\s)[وب]?(?:ال)?(?:عشرات|مئات|آلاف|الاف|ملايين|بضع|بضعة|عدد من)",
    re.IGNORECASE,
)


# A distance, share or year is not a count ("15 members surrendered in Diyala (60 km east
# of Baghdad)" lost its 15 and kept the 60), unless the question asks for one.
_MEASURED = re.compile(
    r"\d[\d.,]*\s*(?:كلم|كم|كيلومتر\w*|km|kilomet\w*|miles?|ميلا?|متر\w*|met(?:er|re)s?"
    r"|%|٪|percent|بالمئة|بالمائة|في المئة)|\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_ASKS_MEASURE = re.compile(
    r"\bhow (?:far|long|high|tall|wide|deep)\b|\bdistance\b|\bpercent|\bwhat (?:percentage|"
    r"share|year)\b|\bwhen\b|\byear\b|تبعد|مسافة|ارتفاع|طول|عرض|نسبة|متى|عام|سنة|كيلومتر",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Gap:
    """What the question asks that the answer does not give; ``kind`` picks the retry's
    note (``retry_<kind>`` in prompts/answer.yaml)."""

    kind: str  # "missing" (no figure), "role" (a figure of something else), "who"
    text: str

    def __str__(self) -> str:
        return self.text


def missing(
    question: str,
    answer: str,
    quotes: Sequence[str] = (),
    glossary: Glossary | None = None,
) -> list[Gap]:
    """What the question asks for that the answer does not give: a figure for "how
    many" (the bundled model often restates the question's sentence without its number),
    a figure of what the question counts (the killed, not the wounded), a name for "who"
    when the cited sentences (``quotes``) give one. Such an answer is retried once, then
    shown marked, never as if it answered."""
    plain = MARKER.sub(" ", answer).translate(_DIGITS)
    if not _ASKS_MEASURE.search(question):
        plain = _MEASURED.sub(" ", plain)
    if asks_how_many(question) and not values(plain) and not _VAGUE.search(plain):
        return [Gap("missing", "no figure, though the question asks how many")]
    gaps = _other_count(question, plain, quotes)
    if glossary is not None:
        gaps += _no_name(question, plain, quotes, glossary)
    return gaps


_EVENTS = frozenset(ROLE_GROUPS[0])  # killed, wounded, arrested, surrendered, displaced
# Whose figure: only a specific side in the question is held to ("militants", "soldiers",
# "civilians"); "people" may count anyone.
_SIDES = frozenset({"militants", "troops"})
_CIVILIANS = re.compile(r"\bcivilians?\b|مدني", re.IGNORECASE)


_COUNTED = re.compile(
    r"\bhow many\s+((?:(?!(?:were|was|did|do|does|are|is|have|has|had|died)\b)[\w'’-]+\s*){1,6})"
    r"|(?<!\w)[وف]?(?:كم|عدد)\s+((?:\S+\s*){1,3})",
    re.IGNORECASE,
)


def _counted(question: str) -> str:
    """What a how-many question counts: the words after "how many" (to the verb) or
    after كم / عدد; the rest of the question may name another side ("the attack of the
    organisation")."""
    m = _COUNTED.search(question)
    return (m.group(1) or m.group(2) or "") if m else ""


def _other_count(question: str, answer: str, quotes: Sequence[str] = ()) -> list[Gap]:
    """ "How many were wounded?" answered with the killed, "how many militants were
    killed?" with "46 people were killed", or with a bare "46" that the cited sentence
    says counts people: the figure may be in the cited sentence, and it answers another
    question."""
    if not asks_how_many(question):
        return []
    asked = roles(question)
    said = roles(answer) & _EVENTS
    events = asked & _EVENTS
    if events and said and not events & said:
        return [
            Gap(
                "role",
                f"the answer counts the {'/'.join(sorted(said))}, "
                f"the question asks about the {'/'.join(sorted(events))}",
            )
        ]
    counted = _counted(question)  # "how many civilians ... the organisation's attack?"
    sides = (roles(counted) & _SIDES) | ({"civilians"} if _CIVILIANS.search(counted) else set())
    source: dict[float, set[str]] = {}
    for q in quotes:
        for value, found in figure_roles(q).items():
            source.setdefault(value, set()).update(found)
    # One figure that counts what was asked answers it; others may add to it ("46 killed
    # and 133 wounded" for the killed).
    conflicts: list[str] = []
    for value, found in figure_roles(answer).items():
        why = _conflict("answer's", found, sides, events) or _conflict(
            "cited sentence's", source.get(value, set()), sides, events
        )
        if not why:
            return []
        conflicts.append(why)
    return [Gap("role", conflicts[0])] if conflicts else []


def _conflict(where: str, found: set[str], sides: set[str], events: set[str]) -> str:
    """Why a figure whose clause says ``found`` does not count what was asked, or ""."""
    whose, did = found & set(ROLE_GROUPS[1]), found & _EVENTS

    def names(roles: set[str]) -> str:
        return "/".join(sorted(roles))

    if sides and whose and not sides & whose:
        return f"the {where} figure counts {names(whose)}, the question asks about {names(sides)}"
    if events and did and not events & did:
        return (
            f"the {where} figure counts the {names(did)}, "
            f"the question asks about the {names(events)}"
        )
    return ""


# A title standing in for a name: "the United States ambassador" for "who announced it?"
_TITLE = re.compile(
    r"\b(?:ambassadors?|ministers?|commanders?|spokes\w+|leaders?|presidents?|premier|"
    r"officials?|chiefs?|head|governors?|envoys?|generals?|secretary|directors?|mayors?|"
    r"colonel|brigadier|correspondents?|sources?)\b"
    r"|(?:^|\s)[وب]?(?:ال)?(?:سفير|وزير|قائد|ناطق|متحدث|زعيم|رئيس|مسؤول|محافظ|آمر|امر|عميد|"
    r"لواء|مدير|مراسل|مصدر)",
    re.IGNORECASE,
)
_ACTORS = ("forces", "organisations")


def _no_name(question: str, answer: str, quotes: Sequence[str], glossary: Glossary) -> list[Gap]:
    """ "Who?" answered with no person, though a cited sentence names one: with a title
    instead ("the ambassador"), or with nobody at all."""
    if not asks_who(question):
        return []

    def people(text: str) -> set[str]:
        return {t.en for t in _names(text, glossary) if t.kind == "people"}

    named = set().union(*(people(q) for q in quotes)) - people(question)
    if people(answer):
        return []
    if not named:  # "who is the spokesman of X?" -> "the commander of Y": a title for a title
        return [Gap("who", "a title, not a name")] if _other_title(question, answer) else []
    actors = [t for t in _names(answer, glossary) if t.kind in _ACTORS]
    if actors and not _TITLE.search(answer):
        return []  # "Iraqi forces repelled it": a group can be the answer to "who"
    return [Gap("who", "no name, though the question asks who")]


def _titles(text: str) -> set[str]:
    stems = (
        re.sub(r"^[وب]?(?:ال)?", "", m.group(0).strip().lower()) for m in _TITLE.finditer(text)
    )
    return {re.sub(r"s$", "", re.sub(r"men$", "man", t)) for t in stems}  # one per title


def _other_title(question: str, answer: str) -> bool:
    """The question asks for the holder of a title and the answer gives another title."""
    asked = _titles(question)
    return bool(asked) and bool(_titles(answer) - asked)
