"""Checks on what the model writes: numbers grounded in the source, meaning close to it.

``figures`` reads numbers the way news writes them in either language: digits in any
script, thousands separators, written-out Arabic and English numbers (ثلاثين, خمسة
وعشرون, twenty-five), and multipliers (35 ألف, 1.2 million). A number in the output
must be one of the source's numbers; the source side also keeps the parts of each
compound (35 and 35000), so a correct output never fails for being precise.

``polarity`` catches the small model's worst error, which numbers and embeddings both
miss: a denial or negation of the Arabic that the English drops or inverts ("denied it
was postponed" written as "it is scheduled to open").

``support`` compares a statement with the sentences it cites using the multilingual
embeddings (English vs Arabic works: e5 is cross-lingual).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.arabic import arabic_share, normalize
from bot.embed import Embedder

_AR_UNITS = {
    "واحد": 1,
    "واحده": 1,
    "اثنان": 2,
    "اثنين": 2,
    "اثنتان": 2,
    "اثنتين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "ست": 6,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثمان": 8,
    "ثماني": 8,
    "ثمانيه": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
}
_AR_TENS = {
    "عشرون": 20,
    "عشرين": 20,
    "ثلاثون": 30,
    "ثلاثين": 30,
    "اربعون": 40,
    "اربعين": 40,
    "خمسون": 50,
    "خمسين": 50,
    "ستون": 60,
    "ستين": 60,
    "سبعون": 70,
    "سبعين": 70,
    "ثمانون": 80,
    "ثمانين": 80,
    "تسعون": 90,
    "تسعين": 90,
    "مئه": 100,
    "مائه": 100,
    "مئتان": 200,
    "مئتين": 200,
    "مائتان": 200,
    "مائتين": 200,
    "الفين": 2000,
    "الفان": 2000,
}
_AR_ORDINALS = {
    "الثاني": 2,
    "الثانيه": 2,
    "الثالث": 3,
    "الثالثه": 3,
    "الرابع": 4,
    "الرابعه": 4,
    "الخامس": 5,
    "الخامسه": 5,
    "السادس": 6,
    "السادسه": 6,
    "السابع": 7,
    "السابعه": 7,
    "الثامن": 8,
    "الثامنه": 8,
    "التاسع": 9,
    "التاسعه": 9,
    "العاشر": 10,
    "العاشره": 10,
}
_AR_MULT = {
    "الف": 1000,
    "الاف": 1000,
    "مليون": 10**6,
    "ملايين": 10**6,
    "مليار": 10**9,
    "مليارات": 10**9,
}
_EN_UNITS = {
    # "one"/"first" are left out: too common as plain words to check.
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_EN_MULT = {"thousand": 1000, "million": 10**6, "billion": 10**9}
# Arabic expresses "two" and "both" with the dual ending, which no word list catches:
# a "two" written out in English is not checked (a digit 2 still is).
_UNCHECKED_WORD_VALUES = {2}

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th)?|[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Figure:
    value: float
    text: str  # as written


def figures(text: str, *, source: bool = False) -> list[Figure]:
    """Numbers in ``text`` (Arabic or English). ``source=True`` also keeps compound parts."""
    toks = _TOKEN.findall(normalize(text))
    out: list[Figure] = []
    i = 0
    while i < len(toks):
        value, n, is_word = _number_at(toks, i)
        if value is None:
            mult, m = _multiplier_at(toks, i)
            if mult and source:  # مليون دولار, "a million dollars": one million
                out.append(Figure(float(mult), toks[i]))
            i += 1
            continue
        raw = " ".join(toks[i : i + n])
        mult, m = _multiplier_at(toks, i + n)
        if mult:
            if source:
                out.append(Figure(value, raw))
            value *= mult
            raw = " ".join(toks[i : i + n + m])
            n += m
            is_word = False
        if not (is_word and value in _UNCHECKED_WORD_VALUES and not source):
            out.append(Figure(value, raw))
        i += n
    return out


def _strip_wa(tok: str) -> str:
    return tok[1:] if tok[:1] in "وب" and len(tok) > 3 else tok


def _word_value(tok: str) -> float | None:
    low = tok.lower()
    if low in _EN_UNITS:
        return _EN_UNITS[low]
    for cand in (tok, _strip_wa(tok)):
        if cand in _AR_UNITS:
            return _AR_UNITS[cand]
        if cand in _AR_TENS:
            return _AR_TENS[cand]
        if cand in _AR_ORDINALS:
            return _AR_ORDINALS[cand]
    return None


def _number_at(toks: list[str], i: int) -> tuple[float | None, int, bool]:
    """(value, tokens used, written out?) for a number starting at ``toks[i]``."""
    tok = toks[i]
    if tok[0].isdigit():
        digits = re.sub(r"(st|nd|rd|th)$", "", tok)
        try:
            if re.fullmatch(r"\d{1,3}(,\d{3})+", digits):
                return float(digits.replace(",", "")), 1, False
            return float(digits.replace(",", ".")), 1, False
        except ValueError:
            return None, 1, False
    v = _word_value(tok)
    if v is None:
        return None, 1, True
    n = 1
    # Compounds: خمسة وعشرون (5 + 20), ثلاث عشرة (3 + 10), twenty five, hundred.
    if i + 1 < len(toks):
        nxt = toks[i + 1]
        if v < 10 and nxt.startswith("و") and _strip_wa(nxt) in _AR_TENS:
            v += _AR_TENS[_strip_wa(nxt)]
            n = 2
        elif v < 10 and nxt in ("عشر", "عشره"):
            v += 10
            n = 2
        elif 20 <= v < 100 and nxt.lower() in _EN_UNITS and _EN_UNITS[nxt.lower()] < 10:
            v += _EN_UNITS[nxt.lower()]
            n = 2
        elif v < 10 and nxt.lower() == "hundred":
            v *= 100
            n = 2
    return float(v), n, True


def _multiplier_at(toks: list[str], i: int) -> tuple[int, int]:
    if i < len(toks):
        t = toks[i].lower()
        if t in _EN_MULT:
            return _EN_MULT[t], 1
        if _strip_wa(t) in _AR_MULT:
            return _AR_MULT[_strip_wa(t)], 1
    return 0, 0


def values(text: str, *, source: bool = False) -> set[float]:
    return {f.value for f in figures(text, source=source)}


def ungrounded_numbers(output: str, sources: Sequence[str]) -> list[str]:
    """Numbers written in ``output`` that none of ``sources`` contains (as written)."""
    allowed: set[float] = set()
    for s in sources:
        allowed |= values(s, source=True)
    return [f.text for f in figures(output) if f.value not in allowed]


def dropped_numbers(output: str, source: str) -> list[str]:
    """Numbers written with digits in ``source`` that ``output`` leaves out."""
    have = values(output, source=True)
    return [f.text for f in figures(source) if f.text[:1].isdigit() and f.value not in have]


# Arabic cues, on normalised tokens with a leading و/ف taken off.
_AR_DENIAL = re.compile(
    r"^(?:[يت]?نفي|نف(?:ت|وا|يا)|[يت]نفون|نافي(?:ا|ه|ن)?|[يت]?رفض\w*|رافض\w*|"
    r"[ايت]نكر\w*|انكار)$"
)
_AR_NEGATION = {"لم", "لن", "ليس", "ليست", "ليسا", "ليسوا", "عدم", "دون", "بدون", "بلا", "لا"}
_STILL = {
    "يزال",
    "تزال",
    "يزالون",
    "زال",
    "زالت",
    "سيما",
}  # لا يزال: "still", لا سيما: "especially"
# Words whose English rendering may well be negative although they are not negations.
_AR_NEGATIVE_ISH = {"ما", "غير", "الا", "سوي", "لولا", "فشل", "فشلت", "يفشل", "تفشل", "رغم"}
_EN_NEGATION = re.compile(
    r"\b(?:not|no(?!\.\s?\d)|never|none|nor|neither|nobody|nothing|without|cannot"
    r"|den(?:y|ies|ied|ying|ial))\b|n't\b",
    re.IGNORECASE,
)
# A denial verb stays a denial verb: "not"/"no" alone let "denied reports" become
# "we have not seen any reports", which the regression suite caught.
_EN_DENIAL = re.compile(
    r"\b(?:den(?:y|ies|ied|ying|ial)|refut\w*|dismiss\w*|reject\w*|refus\w*|disput\w*"
    r"|declin\w*|turn(?:ed|s)? down|contradict\w*)\b",
    re.IGNORECASE,
)


# Ways English negates without a negation word (عدم الثقة "mistrust", دون تغيير "unchanged").
_EN_NEGATIVE_FORM = re.compile(
    r"\b(?:un\w{3,}|mis\w{3,}|non\w*|rather than|instead|fail\w*|lack\w*|absen\w*|free of)\b",
    re.IGNORECASE,
)


def _ar_tokens(text: str) -> list[str]:
    toks = re.findall(r"[\u0621-\u064a]+", normalize(text))
    return [t[1:] if t[0] in "وف" and (len(t) > 3 or t[1:] in _AR_NEGATION) else t for t in toks]


def polarity(source: str, output: str, *, full: bool) -> list[str]:
    """Denials and negations of the Arabic ``source`` that ``output`` loses or adds.

    Every output must keep a denial (نفى, رفض, أنكر). A full translation (``full``) must
    also keep a negation (لم, لن, ليس, لا, عدم, دون ...) and must not add one the
    Arabic has no word for."""
    toks = _ar_tokens(source)
    probs: list[str] = []
    if any(_AR_DENIAL.match(t) for t in toks) and not _EN_DENIAL.search(output):
        probs.append("denial left out")
    if not full:
        return probs
    negated = any(
        t in _AR_NEGATION and not (t == "لا" and i + 1 < len(toks) and toks[i + 1] in _STILL)
        for i, t in enumerate(toks)
    )
    kept = any(rx.search(output) for rx in (_EN_NEGATION, _EN_DENIAL, _EN_NEGATIVE_FORM))
    if negated and not kept:
        probs.append("negation left out")
    elif (
        not negated
        and _EN_NEGATION.search(output)
        and not any(_AR_DENIAL.match(t) or t in _AR_NEGATIVE_ISH or t == "لا" for t in toks)
    ):
        probs.append("negation not in the Arabic")
    return probs


@dataclass
class CheckReport:
    """Counts for a run: numbers and statements checked, and how many passed."""

    numbers: int = 0
    numbers_ok: int = 0
    statements: int = 0
    statements_ok: int = 0
    names: int = 0
    names_ok: int = 0
    flagged: list[str] = field(default_factory=list)

    def add(self, other: CheckReport) -> None:
        self.numbers += other.numbers
        self.numbers_ok += other.numbers_ok
        self.statements += other.statements
        self.statements_ok += other.statements_ok
        self.names += other.names
        self.names_ok += other.names_ok
        self.flagged.extend(other.flagged)

    def as_json(self) -> dict[str, object]:
        return {
            "numbers": self.numbers,
            "numbers_grounded": self.numbers_ok,
            "statements": self.statements,
            "statements_supported": self.statements_ok,
            "names": self.names,
            "names_as_glossary": self.names_ok,
            "flagged": list(self.flagged),
        }

    def line(self) -> str:
        return (
            f"numbers grounded {self.numbers_ok}/{self.numbers}, "
            f"statements supported {self.statements_ok}/{self.statements}, "
            f"glossary names kept {self.names_ok}/{self.names}"
        )


def support(embedder: Embedder, statements: Sequence[str], cited: Sequence[str]) -> np.ndarray:
    """Cosine of each statement with its cited text (pairwise, same length lists)."""
    if not statements:
        return np.zeros(0, dtype=np.float32)
    a = embedder.embed_passages(list(statements))
    b = embedder.embed_passages(list(cited))
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-9)
    return np.sum(a * b, axis=1)


# -- what a number counts -------------------------------------------------------------------
# "46 people were wounded" from "46 شخصا قتلوا، وأصيب 133 بجروح": the number is in the
# source, the name too, and the sentence is wrong. The words in a number's own clause say
# what it counts; a small bilingual lexicon of what news numbers count compares them.
# English patterns; Arabic stems matched at the start of normalised words (after و ف ب ل).
ROLES: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    # what happened to them
    "killed": (
        re.compile(r"\b(?:kill\w*|dead|died|die|deaths?|slain|lives|fatalit\w*)\b", re.I),
        ("قتل", "قتيل", "مقتل", "مصرع", "حتف", "وفا", "توفي", "ماتو", "موت"),
    ),
    "wounded": (
        re.compile(r"\b(?:wound\w*|injur\w*|hurt)\b", re.I),
        ("جرح", "جريح", "بجروح", "اصيب", "اصاب", "مصاب"),
    ),
    "arrested": (
        re.compile(r"\b(?:arrest\w*|detain\w*|captur\w*|prisoners?)\b", re.I),
        ("اعتقل", "اعتقال", "معتقل", "القبض", "احتجز", "اسر", "اسير"),
    ),
    "surrendered": (re.compile(r"\bsurrender\w*\b", re.I), ("سلمو", "سلم انفس", "استسلم")),
    "displaced": (
        re.compile(r"\b(?:displac\w*|fled|flee\w*|refugees?)\b", re.I),
        ("نزح", "نازح", "نزوح", "فرو", "هرب", "لاجي"),
    ),
    # whose side they were on
    "troops": (
        re.compile(r"\b(?:soldiers?|troops?|police\w*|army|security forces|servicemen)\b", re.I),
        (
            *("جندي", "جنود", "عسكري", "الجيش", "جيش", "الشرطه", "شرطي"),
            *("القوات العراقيه", "عناصر الامن"),
        ),
    ),
    "militants": (
        re.compile(
            r"\b(?:militants?|fighters?|jihadists?|insurgents?|terrorists?|gunmen|extremists?"
            r"|Islamic State|IS|ISIS|ISIL|Daesh)\b"
        ),
        ("مسلح", "مقاتل", "متشدد", "ارهابي", "الارهابيين", "داعش", "التنظيم", "انتحاري"),
    ),
}
# Each group is compared on its own: "70 soldiers killed" against "70 militants killed"
# agrees on what happened and not on who.
ROLE_GROUPS = (
    ("killed", "wounded", "arrested", "surrendered", "displaced"),
    ("troops", "militants"),
)
_CLAUSE = re.compile(r"[^,;،؛.!?؟\n]+")
_AR_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _roles_en(clause: str) -> set[str]:
    return {role for role, (pattern, _) in ROLES.items() if pattern.search(clause)}


def _roles_ar(clause: str) -> set[str]:
    words = [w[1:] if w[:1] in "وفبل" and len(w) > 3 else w for w in _AR_WORD.findall(clause)]
    plain = " ".join(words)
    return {
        role
        for role, (_, stems) in ROLES.items()
        if any(w.startswith(s) for w in words for s in stems if " " not in s)
        or any(f" {s} " in f" {plain} " for s in stems if " " in s)
    }


def _clauses_by_value(text: str, roles: Callable[[str], set[str]]) -> dict[float, set[str]]:
    out: dict[float, set[str]] = {}
    for m in _CLAUSE.finditer(normalize(text)):
        clause = m.group(0)
        found = roles(clause)
        for f in figures(clause, source=True):
            out.setdefault(f.value, set()).update(found)
    return out


def number_roles(output: str, sources: Sequence[str]) -> list[str]:
    """Numbers of ``output`` whose clause says they count something (killed, wounded,
    arrested...) that no clause of ``sources`` holding that number says."""
    held: dict[float, set[str]] = {}
    for s in sources:
        for value, found in _clauses_by_value(s, _roles_ar).items():
            held.setdefault(value, set()).update(found)
    problems: list[str] = []
    arabic = arabic_share(output) > 0.5
    roles = _roles_ar if arabic else _roles_en
    for m in _CLAUSE.finditer(normalize(output) if arabic else output):
        said = roles(m.group(0))
        for f in figures(m.group(0)):
            src = held.get(f.value, set())
            for group in ROLE_GROUPS:
                a, b = said & set(group), src & set(group)
                if a and b and not a & b:
                    problems.append(
                        f"number {f.text} counts {'/'.join(sorted(b))} in the source, "
                        f"not {'/'.join(sorted(a))}"
                    )
    return problems
