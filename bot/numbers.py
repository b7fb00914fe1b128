"""Numbers as news writes them, in Arabic and English, and whether an output's are grounded.

``figures`` reads digits in any script, thousands separators, written-out Arabic and
English numbers (ثلاثين, خمسة وعشرون, twenty-five), and multipliers (35 ألف, 1.2
million). A number in an output must be one of the source's numbers; the source side
also keeps the parts of each compound (35 and 35000), so a correct output never fails
for being precise. Months, weekdays, times of day and directions live in
``bot/_when.py`` (re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot._when import (
    date_names,
    directions,
    times_of_day,
    ungrounded_dates,
    ungrounded_directions,
    ungrounded_times,
)
from bot.arabic import normalize

__all__ = [
    "Figure",
    "date_names",
    "directions",
    "dropped_numbers",
    "figures",
    "neighbours",
    "times_of_day",
    "ungrounded_dates",
    "ungrounded_directions",
    "ungrounded_numbers",
    "ungrounded_times",
    "values",
    "with_digits",
]

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
_AR_SINGULAR_MULT = frozenset({"الف", "مليون", "مليار"})
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
    return [f for f, _, _ in _scan(_TOKEN.findall(normalize(text)), source)]


def neighbours(text: str, value: float, width: int = 2) -> list[str]:
    """The words (normalised) within ``width`` tokens before and after each occurrence of
    ``value`` in ``text``, the figure's own tokens left out: "وفاة مدنيين اثنين" gives
    وفاة and مدنيين for 2 (Arabic puts one and two after their noun)."""
    toks = _TOKEN.findall(normalize(text))
    out: list[str] = []
    for f, i, n in _scan(toks, True):
        if f.value == value:
            out += toks[max(0, i - width) : i] + toks[i + n : i + n + width]
    return [t for t in out if not t[0].isdigit()]


def _scan(toks: list[str], source: bool) -> Iterator[tuple[Figure, int, int]]:
    """Each figure of ``toks`` with its first token and how many tokens it spans."""
    i = 0
    while i < len(toks):
        value, n, is_word = _number_at(toks, i)
        if value is None:
            mult, m = _multiplier_at(toks, i)
            # مليون دولار, "a million dollars": one million. An answer's bare مليون is a
            # claim too (415 مليون shortened to مليون); its plural (ملايين) is no figure.
            if mult and (source or _bare_one(toks, i)):
                yield Figure(float(mult), toks[i]), i, 1
            i += 1
            continue
        raw = " ".join(toks[i : i + n])
        mult, m = _multiplier_at(toks, i + n)
        if mult:
            if source:
                yield Figure(value, raw), i, n
            value *= mult
            raw = " ".join(toks[i : i + n + m])
            n += m
            is_word = False
        if not (is_word and value in _UNCHECKED_WORD_VALUES and not source):
            yield Figure(value, raw), i, n
        i += n


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


def _bare_one(toks: list[str], i: int) -> bool:
    """A singular multiplier standing for one: Arabic ألف/مليون/مليار, or "a/one million"."""
    tok = toks[i].lower()
    if _strip_wa(tok) in _AR_SINGULAR_MULT:
        return True
    return tok in _EN_MULT and i > 0 and toks[i - 1].lower() in ("a", "one")


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


_AR_WORD_AT = re.compile(r"[\u0621-\u064a]+")


def with_digits(text: str) -> str:
    """Arabic cardinals written out, as digits: "نحو ثلاثين جنديا" -> "نحو 30 جنديا",
    "خمسة وعشرون" -> "25". The bundled model reads ثلاثين as "three" or "three dozen";
    it copies digits. One and two are left as words (أحد is also Sunday, اثنين Monday),
    and so are ordinals (الثاني, the second) and multipliers (آلاف)."""
    out: list[str] = []
    at = 0
    words = list(_AR_WORD_AT.finditer(text))
    i = 0
    while i < len(words):
        m = words[i]
        prefix, value = _cardinal(m.group(0))
        if value is None or value <= 2:
            i += 1
            continue
        end = m.end()
        if value < 10 and i + 1 < len(words):  # خمسة وعشرون: 5 + 20; ثلاث عشرة: 3 + 10
            nxt = words[i + 1]
            plain = normalize(nxt.group(0))
            tens = _AR_TENS.get(plain[1:]) if plain[:1] == "و" else None
            tens = 10 if plain in ("عشر", "عشره") else tens
            if tens and tens < 100 and text[m.end() : nxt.start()].strip() == "":
                value, end = value + tens, nxt.end()
                i += 1
        out += [text[at : m.start()], prefix, f"{value:g}"]
        at = end
        i += 1
    out.append(text[at:])
    return "".join(out)


def _cardinal(word: str) -> tuple[str, float | None]:
    """(the prefix و or ب kept as written, the value) of a written-out cardinal."""
    plain = normalize(word)
    for prefix, rest in ((word[:0], plain), (word[:1], plain[1:])):
        if prefix and prefix not in "وب":
            continue
        value = _AR_UNITS.get(rest, _AR_TENS.get(rest))
        if value is not None:
            return prefix, float(value)
    return "", None
