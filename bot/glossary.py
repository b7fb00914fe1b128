"""The names glossary (``prompts/glossary.yaml``): Arabic names -> the English ones to use.

Matching works on normalised Arabic words, so spelling variants (alef forms, ta
marbuta, diacritics) and the attached prefixes و ب ل ف ك (with ال folded, as in
للتحالف or بالموصل) all find the entry. Longer names win over the names inside them
(تنظيم الدولة الإسلامية before تنظيم الدولة). Names that are not in the glossary but
follow a place or title word (قرية X, اللواء X) get one deterministic transliteration,
so the same Arabic name comes out the same everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.arabic import normalize
from bot.errors import PromptError

KINDS = ("places", "forces", "people", "organisations")
ACTOR_KINDS = ("forces", "people", "organisations")
_WORD = re.compile(r"[\u0621-\u064a\u0660-\u0669\u0670-\u06d3\w]+")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ar: str
    en: str
    also: list[str] = []
    after: list[str] = []
    within: list[str] = []  # places: the English names of the places that hold it


@dataclass(frozen=True)
class Term:
    ar: str
    en: str
    kind: str
    also: tuple[str, ...] = ()
    after: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()  # normalised Arabic words
    within: tuple[str, ...] = ()  # places: the places holding it (Mosul: Nineveh)

    def english_forms(self) -> tuple[str, ...]:
        return (self.en, *self.also)


@dataclass(frozen=True)
class Match:
    term: Term
    start: int  # character offsets in the matched text
    end: int


@dataclass
class Glossary:
    terms: list[Term] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Longest first, so a full name claims its words before the short form does.
        self.terms.sort(key=lambda t: -len(t.words))
        self._within: dict[str, set[str]] = {}
        for t in self.terms:
            self._within.setdefault(t.en, set()).update(t.within)

    def located(self, place: str) -> bool:
        """Whether the glossary says where ``place`` (English) lies, or that it holds
        another place: only such places can be told apart."""
        return bool(self._within.get(place)) or any(place in w for w in self._within.values())

    def related(self, a: str, b: str) -> bool:
        """One of two places (English names) holds the other: Nineveh and Mosul."""
        return a == b or a in self.around(b) or b in self.around(a)

    def around(self, place: str) -> set[str]:
        """Every place that holds ``place``, by the glossary's ``within``."""
        seen: set[str] = set()
        todo = list(self._within.get(place, ()))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(self._within.get(p, ()))
        return seen

    def find(self, text: str) -> list[Match]:
        """Glossary names in ``text``, in text order, overlapping matches resolved."""
        words = [
            (m.start(), m.end(), _variants(normalize(m.group()))) for m in _WORD.finditer(text)
        ]
        plain = [normalize(text[a:b]) for a, b, _ in words]
        taken = [False] * len(words)
        found: list[Match] = []
        for term in self.terms:
            n = len(term.words)
            for i in range(len(words) - n + 1):
                if any(taken[i : i + n]):
                    continue
                if term.words[0] not in words[i][2]:
                    continue
                if any(term.words[j] not in {plain[i + j], *words[i + j][2]} for j in range(1, n)):
                    continue
                if term.after and (i == 0 or not (words[i - 1][2] & term.after)):
                    continue
                for j in range(i, i + n):
                    taken[j] = True
                found.append(Match(term, words[i][0], words[i + n - 1][1]))
        return sorted(found, key=lambda m: m.start)

    def unknown_names(self, text: str) -> list[tuple[str, str]]:
        """(Arabic, transliteration) for names after a place/title word, not in the glossary."""
        known = self.find(text)
        out: list[tuple[str, str]] = []
        words = list(_WORD.finditer(text))
        for i, w in enumerate(words[:-1]):
            if not (_variants(normalize(w.group())) & _CUE_WORDS):
                continue
            nxt = words[i + 1]
            if any(m.start <= nxt.start() < m.end for m in known):
                continue
            name = nxt.group()
            norm = normalize(name)
            if len(norm) < 3 or norm in _NOT_NAMES or not re.search("[\u0621-\u064a]", norm):
                continue
            if (name, transliterate(name)) not in out:
                out.append((name, transliterate(name)))
        return out

    def named_in_english(self, text: str) -> list[Term]:
        """Entries whose English name (or a variant, with or without "al-") is in ``text``:
        a bilingual dictionary for cross-lingual search. Short forms ("IS", "Hit") must
        match case and all: lower-cased they are everyday English words."""
        low = text.lower()
        found: list[Term] = []
        for t in self.terms:
            forms = set(t.english_forms())
            forms |= {f[3:] for f in forms if f.lower().startswith("al-") and len(f) > 6}
            for f in forms:
                hit = _contains_word(text, f) if len(f) <= 4 else _contains_word(low, f.lower())
                if hit and t not in found:
                    found.append(t)
        return found

    def by_kind(self, kinds: tuple[str, ...]) -> list[Term]:
        return [t for t in self.terms if t.kind in kinds]


def _variants(word: str) -> frozenset[str]:
    """A normalised word and its forms without an attached conjunction/preposition."""
    out = {word}
    for p in ("وال", "بال", "فال", "كال"):
        if word.startswith(p) and len(word) > len(p) + 1:
            out.add("ال" + word[len(p) :])
    if word.startswith("لل") and len(word) > 3:
        out.add("ال" + word[2:])
    if word[:1] in "وبلفك" and len(word) > 3:
        out.add(word[1:])
        if word[1:3] in ("لل",):
            out.add("ال" + word[3:])
    return frozenset(out)


# Words after which the next word is a proper name (places, ranks, titles).
_CUE_WORDS = frozenset(
    normalize(w)
    for w in (
        "قرية",
        "قريتي",
        "بلدة",
        "مدينة",
        "قضاء",
        "ناحية",
        "محافظة",
        "منطقة",
        "حي",
        "جزيرة",
        "اللواء",
        "العميد",
        "العقيد",
        "الفريق",
        "النقيب",
        "الشيخ",
    )
)
_NOT_NAMES = frozenset(
    normalize(w)
    for w in (
        "الواقعة",
        "التابعة",
        "المحيطة",
        "القديمة",
        "الجديدة",
        "الرئيس",
        "الصغيرة",
        "الكبيرة",
        "المسيحية",
        "الشمالية",
        "الجنوبية",
        "الشرقية",
        "الغربية",
        "نفسها",
        "برتبة",
    )
)


def load_glossary(path: Path) -> Glossary:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return Glossary([])  # no glossary file: names are transliterated, nothing enforced
    return _load(path.resolve(), mtime)


@lru_cache(maxsize=8)
def _load(path: Path, mtime: int) -> Glossary:
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PromptError(f"glossary {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or set(data) - set(KINDS):
        raise PromptError(f"glossary {path}: top-level keys must be among {', '.join(KINDS)}")
    terms: list[Term] = []
    for kind in KINDS:
        for i, raw in enumerate(data.get(kind) or []):
            try:
                e = _Entry.model_validate(raw)
            except ValidationError as exc:
                msg = exc.errors()[0]["msg"]
                raise PromptError(f"glossary {path}: {kind}[{i}]: {msg}") from exc
            words = tuple(normalize(w) for w in _WORD.findall(e.ar))
            if not words:
                raise PromptError(f"glossary {path}: {kind}[{i}]: no Arabic name")
            after = frozenset(normalize(w) for w in e.after)
            terms.append(Term(e.ar, e.en, kind, tuple(e.also), after, words, tuple(e.within)))
    return Glossary(terms)


def names_line(matches: list[Match], unknown: list[tuple[str, str]] | None = None) -> str:
    """The "Names:" hint for a prompt: each distinct glossary entry once."""
    pairs: list[str] = []
    for m in matches:
        p = f"{m.term.ar} = {m.term.en}"
        if p not in pairs:
            pairs.append(p)
    pairs.extend(f"{ar} = {en}" for ar, en in unknown or [])
    return "; ".join(pairs) if pairs else "(none)"


def missing_names(matches: list[Match], english: str) -> list[Term]:
    """Glossary entries whose English form (or an accepted variant) is absent from ``english``."""
    low = english.lower()
    out: list[Term] = []
    for m in matches:
        if m.term in out:
            continue
        if not any(_contains_word(low, f.lower()) for f in m.term.english_forms()):
            out.append(m.term)
    return out


def _contains_word(text: str, phrase: str) -> bool:
    return re.search(r"(?<![A-Za-z])" + re.escape(phrase) + r"(?![A-Za-z])", text) is not None


# Deterministic Arabic -> Latin transliteration for names not in the glossary.
_LETTERS = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ء": "",
    "ؤ": "u",
    "ئ": "i",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "ى": "a",
}
_VOWELISH = set("اأإآىة")


def transliterate(name: str) -> str:
    """One fixed Latin spelling per Arabic name (e.g. خربردان -> Kharbardan-like forms)."""
    out: list[str] = []
    for word in _WORD.findall(normalize_keep_letters(name)):
        prefix = ""
        if word.startswith("ال") and len(word) > 3:
            prefix, word = "al-", word[2:]
        latin: list[str] = []
        for i, ch in enumerate(word):
            prev_cons = i > 0 and word[i - 1] not in _VOWELISH and word[i - 1] not in "وي"
            nxt_cons = i + 1 >= len(word) or word[i + 1] not in _VOWELISH
            if ch == "و":
                latin.append("u" if prev_cons and nxt_cons else "w")
            elif ch == "ي":
                latin.append("i" if prev_cons and nxt_cons else "y")
            else:
                latin.append(_LETTERS.get(ch, ch))
        core = "".join(latin)
        out.append(prefix + core[:1].upper() + core[1:])
    return " ".join(out)


def normalize_keep_letters(text: str) -> str:
    """Drop diacritics and tatweel only: transliteration needs the hamza and ta marbuta."""
    return re.sub("[\u0610-\u061a\u064b-\u065f\u0670\u0640]", "", text)
