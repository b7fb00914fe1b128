"""Checks on what the model writes: numbers grounded in the source, meaning close to it.

Numbers are read by ``bot/numbers.py`` (``figures``; re-exported here): a number in the
output must be one of the source's numbers.

``polarity`` catches the small model's worst error, which numbers and embeddings both
miss: a denial or negation of the Arabic that the English drops or inverts ("denied it
was postponed" written as "it is scheduled to open").

``support`` compares a statement with the sentences it cites using the multilingual
embeddings (English vs Arabic works: e5 is cross-lingual).

Event frames and speakers (``frames``, ``speakers``) live in ``bot/_events.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot._events import FRAMES, SPEAKERS, frames, frames_named, speakers
from bot.arabic import arabic_share, normalize
from bot.embed import Embedder
from bot.numbers import Figure, dropped_numbers, figures, ungrounded_numbers, values

__all__ = [
    "FRAMES",
    "SPEAKERS",
    "CheckReport",
    "Figure",
    "dropped_numbers",
    "figure_roles",
    "figures",
    "frames",
    "frames_named",
    "number_roles",
    "polarity",
    "roles",
    "speakers",
    "support",
    "ungrounded_numbers",
    "values",
]

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
        re.compile(
            r"\b(?:soldiers?|troops?|police\w*|army|security forces|servicemen|peshmerga"
            r"|Kurdish (?:fighters?|forces))\b",
            re.I,
        ),
        (
            *("جندي", "جنود", "عسكري", "الجيش", "جيش", "الشرطه", "شرطي"),
            *("القوات العراقيه", "عناصر الامن", "البيشمركه", "البشمركه", "بيشمركه"),
        ),
    ),
    "militants": (
        re.compile(
            r"\b(?:militants?|(?<!Peshmerga )(?<!Kurdish )fighters?|jihadists?|insurgents?"
            r"|terrorists?|gunmen|extremists?|Islamic State|IS|ISIS|ISIL|Daesh)\b"
        ),
        ("مسلح", "مقاتل", "متشدد", "ارهابي", "الارهابيين", "داعش", "التنظيم", "انتحاري"),
    ),
    # Pro-government militias are a side of their own: "four Popular Mobilisation members
    # killed near Tal Afar" does not answer how many civilians died of the gases.
    "militia": (
        re.compile(r"\b(?:militia\w*|Popular Mobili[sz]ation|Hashd|PMF|PMU)\b", re.I),
        ("مليشي", "ميليشي", "الحشد الشعبي", "حشد الشعبي"),
    ),
    # "5,000 to 6,000 people trapped" where the source's 5,000-6,000 are militants
    "civilians": (
        re.compile(r"\b(?:civilians?|residents?|inhabitants|population|people|families)\b", re.I),
        ("مدني", "نسمه", "سكان", "الاهالي", "اهالي", "مواطن", "عائل", "اسر", "شخص", "اشخاص"),
    ),
}
# Each group is compared on its own: "70 soldiers killed" against "70 militants killed"
# agrees on what happened and not on who.
ROLE_GROUPS = (
    ("killed", "wounded", "arrested", "surrendered", "displaced"),
    ("troops", "militants", "militia", "civilians"),
)
# Clauses end at punctuation, but not at a separator inside a number (5,000 or 1.2).
_CLAUSE = re.compile(r"(?:\d[,.]\d|[^,;،؛.!?؟\n])+")
_AR_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_YEAR = re.compile(r"(?:19|20)\d\d")


def _roles_en(clause: str) -> set[str]:
    return {role for role, (pattern, _) in ROLES.items() if pattern.search(clause)}


def _roles_ar(clause: str) -> set[str]:
    found = _AR_WORD.findall(clause)
    words = [w[1:] if w[:1] in "وفبل" and len(w) > 3 else w for w in found]
    plain = " ".join(words)
    # A stem may itself start with a letter taken for a prefix: وفاة (death) is not و + فاة.
    whole = [w for w in found if w[:1] in "وفبل"]
    return {
        role
        for role, (_, stems) in ROLES.items()
        if any(w.startswith(s) for w in (*words, *whole) for s in stems if " " not in s)
        or any(f" {s} " in f" {plain} " for s in stems if " " in s)
    }


def roles(text: str) -> set[str]:
    """What the figures of ``text`` count (killed, wounded, militants...), in either
    script; Arabic words with the article too ("القتلى" as "قتلى")."""
    if arabic_share(text) <= 0.5:
        return _roles_en(text)
    plain = normalize(text)
    bare = " ".join(w[2:] if w.startswith("ال") and len(w) > 4 else w for w in plain.split())
    return _roles_ar(plain) | _roles_ar(bare)


def _clauses_by_value(text: str, roles: Callable[[str], set[str]]) -> dict[float, set[str]]:
    out: dict[float, set[str]] = {}
    for m in _CLAUSE.finditer(normalize(text)):
        clause = m.group(0)
        found = roles(clause)
        for f in figures(clause, source=True):
            out.setdefault(f.value, set()).update(found)
    return out


def clauses(text: str) -> list[str]:
    """``text`` cut at its clause punctuation (not at 5,000 or 1.2), Arabic normalised."""
    plain = normalize(text) if arabic_share(text) > 0.5 else text
    return [m.group(0) for m in _CLAUSE.finditer(plain)]


def figure_roles(text: str) -> dict[float, set[str]]:
    """Each figure of ``text`` (either script) with what its clause says it counts."""
    if arabic_share(text) > 0.5:
        return _clauses_by_value(text, roles)
    out: dict[float, set[str]] = {}
    for m in _CLAUSE.finditer(text):  # English keeps its case: "IS" is not "is"
        for f in figures(m.group(0), source=True):
            out.setdefault(f.value, set()).update(_roles_en(m.group(0)))
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
            if _YEAR.fullmatch(f.text):
                continue  # "filmed themselves in 2015": a year counts nothing
            src = held.get(f.value, set())
            for group in ROLE_GROUPS:
                a, b = said & set(group), src & set(group)
                if a and b and not a & b:
                    problems.append(
                        f"number {f.text} counts {'/'.join(sorted(b))} in the source, "
                        f"not {'/'.join(sorted(a))}"
                    )
    return problems
