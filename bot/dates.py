"""Dates in Arabic news text: the article's own date, and when a sentence says
something happened ("on Monday", "yesterday", "on 12 July"), resolved against it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.arabic import normalize

_MONTHS = {
    "يناير": 1,
    "كانون الثاني": 1,
    "فبراير": 2,
    "شباط": 2,
    "مارس": 3,
    "اذار": 3,
    "ابريل": 4,
    "نيسان": 4,
    "مايو": 5,
    "ايار": 5,
    "يونيو": 6,
    "حزيران": 6,
    "يوليو": 7,
    "تموز": 7,
    "اغسطس": 8,
    "سبتمبر": 9,
    "ايلول": 9,
    "اكتوبر": 10,
    "تشرين الاول": 10,
    "نوفمبر": 11,
    "تشرين الثاني": 11,
    "ديسمبر": 12,
    "كانون الاول": 12,
}
_EN_MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
_WEEKDAYS = {  # normalised Arabic -> Python weekday()
    "الاثنين": 0,
    "الثلاثاء": 1,
    "الاربعاء": 2,
    "الخميس": 3,
    "الجمعه": 4,
    "السبت": 5,
    "الاحد": 6,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class When:
    label: str
    key: tuple[int, int, int]  # (year, month, day); 0 = unknown


def article_date(text: str) -> dt.date | None:
    """The article's own date, if it states one (2017/03/08 or "May 29, 2017")."""
    m = re.search(r"(?<!\d)(20\d{2}|19\d{2})/(\d{1,2})/(\d{1,2})(?!\d)", normalize(text))
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.search(r"(" + "|".join(_EN_MONTHS) + r") (\d{1,2}), (\d{4})", text)
        if m:
            return dt.date(int(m[3]), _EN_MONTHS.index(m[1]) + 1, int(m[2]))
    except ValueError:
        return None
    return None


def when(sentence: str, dated: dt.date | None) -> When | None:
    """The time a sentence states, as precisely as it (and its article's date) allows."""
    t = normalize(sentence)
    m = re.search(r"(?<!\d)(\d{1,2})\s+(" + _MONTH_RE + r")(?:\s+(?:عام\s+)?((?:19|20)\d{2}))?", t)
    if m:
        year = int(m[3]) if m[3] else (dated.year if dated else 0)
        month = _MONTHS[m[2]]
        return When(_label(year, month, int(m[1]), inferred=not m[3]), (year, month, int(m[1])))
    m = re.search(r"(?<!\w)(?:في\s+|منذ\s+)?(?:شهر\s+)?(" + _MONTH_RE + r")(?!\w)", t)
    if m:
        month = _MONTHS[m[1]]
        y = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", t)
        year = int(y[1]) if y else (dated.year if dated else 0)
        return When(_label(year, month, 0, inferred=not y), (year, month, 0))
    y = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", t)
    if y:
        return When(y[1], (int(y[1]), 0, 0))
    words = set(re.findall(r"\w+", t))
    days_back: int | None = None
    if "امس" in words:
        days_back = 2 if re.search(r"اول\s+من\s+امس", t) else 1
    else:
        for name, wd in _WEEKDAYS.items():
            if name in words and dated is not None:
                days_back = (dated.weekday() - wd) % 7
                break
            if name in words:
                return When(name_of_weekday(wd), (0, 0, 0))
    if days_back is not None:
        if dated is None:
            return When("yesterday" if days_back == 1 else "a day before the report", (0, 0, 0))
        d = dated - dt.timedelta(days=days_back)
        return When(_label(d.year, d.month, d.day, inferred=True), (d.year, d.month, d.day))
    return None


def name_of_weekday(wd: int) -> str:
    return dt.date(2024, 1, 1 + wd).strftime("%A")  # 2024-01-01 was a Monday


def _label(year: int, month: int, day: int, inferred: bool) -> str:
    parts = [str(day)] if day else []
    parts.append(_EN_MONTHS[month - 1])
    if year:
        parts.append(f"{year}" + (" (from the article date)" if inferred else ""))
    return " ".join(parts)
