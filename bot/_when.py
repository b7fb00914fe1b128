"""Claims an English sentence makes besides its figures: months and weekdays, times of
day, compass directions (re-exported by ``bot.numbers``). Each must be in the Arabic it
comes from."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.arabic import normalize

# -- dates: month and weekday names, which are claims as much as figures -----------------
# "since January 2014 [4]" where the cited sentence says since October: the year may be in
# another sentence, the month in none. Arabic forms are normalised (alef, ta marbuta).
_DATE_NAMES: dict[str, tuple[str, ...]] = {
    "January": ("يناير", "كانون الثاني"),
    "February": ("فبراير", "شباط"),
    "March": ("مارس", "اذار"),
    "April": ("ابريل", "نيسان"),
    "May": ("مايو", "ايار"),
    "June": ("يونيو", "يونيه", "حزيران"),
    "July": ("يوليو", "يوليه", "تموز"),
    "August": ("اغسطس", "اب"),
    "September": ("سبتمبر", "ايلول"),
    "October": ("اكتوبر", "تشرين الاول"),
    "November": ("نوفمبر", "تشرين الثاني"),
    "December": ("ديسمبر", "كانون الاول"),
    "Monday": ("الاثنين",),
    "Tuesday": ("الثلاثاء",),
    "Wednesday": ("الاربعاء",),
    "Thursday": ("الخميس",),
    "Friday": ("الجمعه",),
    "Saturday": ("السبت",),
    "Sunday": ("الاحد",),
}
# "May" is a month only next to a day or year, or after "in/since/on/until/of"; "may
# happen" is not. "آب" (August) is too short to find safely in Arabic prose: English only.
_EN_DATE = re.compile(
    r"\b(?:January|February|March|April|June|July|August|September|October|November"
    r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\bMay(?=\s*\d)|(?<=\d )May\b|(?<=\b(?:in|on|of) )May\b|(?<=\b(?:since|until) )May\b"
)


def date_names(text: str) -> set[str]:
    """The months and weekdays ``text`` names (English names), in either script."""
    out = {m.group(0) for m in _EN_DATE.finditer(text)}
    plain = f" {normalize(text)} "
    for name, forms in _DATE_NAMES.items():
        for form in forms:
            if len(form) > 2 and re.search(rf"[\s(«\"/]+[وبفل]?(?:ال)?{form}[\s.,،؛)»\"/]", plain):
                out.add(name)
    return out


def ungrounded_dates(output: str, sources: Sequence[str]) -> list[str]:
    """Months and weekdays named in ``output`` that none of ``sources`` names."""
    held = set().union(*(date_names(s) for s in sources)) if sources else set()
    return sorted(date_names(output) - held)


# -- times of day: "at night" for بعد ظهر السبت (Saturday afternoon) ----------------------
# Arabic stems at a word's start (after و ب ف ل and ال). فجر is left out: it is also
# "detonated". Words that are also names or verbs (صباح, ظهر) can only make the source
# hold a time, so they hide an error at worst; they never raise a false one.
_EN_TIMES = {
    "morning": re.compile(r"\b(?:mornings?|dawn|daybreak|sunrise)\b", re.I),
    "afternoon": re.compile(r"\b(?:afternoons?|midday|noon)\b", re.I),
    # مساء الاثنين is "Monday night" as often as "Monday evening": one time, not two.
    "evening or night": re.compile(
        r"\b(?:evenings?|dusk|sunset|nights?|overnight|tonight|nightfall)\b", re.I
    ),
}
_AR_TIMES = {
    "morning": ("صباح", "صبيحه"),
    "afternoon": ("ظهر", "الظهيره", "عصر"),
    "evening or night": ("مساء", "امسيه", "ليل", "ليله", "ليلا"),
}


def times_of_day(text: str) -> set[str]:
    """The times of day ``text`` names (morning, afternoon, evening or night), in either
    script."""
    out = {name for name, en in _EN_TIMES.items() if en.search(text)}
    plain = normalize(text)
    for name, stems in _AR_TIMES.items():
        if any(re.search(rf"(?<!\w)[وبفل]?(?:ال)?{stem}", plain) for stem in stems):
            out.add(name)
    return out


def ungrounded_times(output: str, sources: Sequence[str]) -> list[str]:
    """Times of day named in ``output`` that none of ``sources`` names."""
    held = set().union(*(times_of_day(s) for s in sources)) if sources else set()
    return sorted(times_of_day(output) - held)


# -- compass directions: "the northern part of Qayyarah" for its outskirts ---------------
# A capitalised direction before another capitalised word is part of a name (North Korea,
# East Baton Rouge, West Bank), not a bearing.
_EN_DIRECTION = re.compile(
    r"\b(north|south|east|west)(?:ward|erly|ern|s)?\b(?=(\s+\w)?)", re.IGNORECASE
)
_AR_DIRECTIONS = {"north": "شمال", "south": "جنوب", "east": "شرق", "west": "غرب"}


def directions(text: str) -> set[str]:
    """The compass directions ``text`` names (north, south, east, west), in either
    script; "south-east" and جنوب شرقي are both south and east."""
    out: set[str] = set()
    for m in _EN_DIRECTION.finditer(text.replace("-", " ")):
        after = (m.group(2) or "").strip()
        if m.group(0)[0].isupper() and after[:1].isupper():
            continue
        out.add(m.group(1).lower())
    plain = normalize(text)
    for name, stem in _AR_DIRECTIONS.items():
        if re.search(rf"(?<!\w)[وبفل]?(?:ال)?{stem}", plain):
            out.add(name)
    return out


def ungrounded_directions(output: str, sources: Sequence[str]) -> list[str]:
    """Directions named in ``output`` that none of ``sources`` names."""
    held = set().union(*(directions(s) for s in sources)) if sources else set()
    return sorted(directions(output) - held)
