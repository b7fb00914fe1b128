"""Meaning checks on events and speakers (re-exported by ``bot.checks``): an English
sentence that adds, reverses or drops what happened ("repelled" written as "attacked"), or
puts a statement in the mouth of someone the Arabic does not have saying it.
"""

from __future__ import annotations

import re

from bot.arabic import normalize
from bot.glossary import Glossary

_AR_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


# -- who did what: events the English must not reverse, add or lose ----------------------
# Each frame: the Arabic stems (normalised, و/ف/ب/ل taken off) that say it happened, and
# the English that says it. A frame in the English with no Arabic word for it is an
# added (often reversed) event: "repelled an attack" written as "attacked", "fled or
# surrendered" as "fled or killed themselves". A full translation must also keep it.
FRAMES: dict[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    # Stems of 4+ letters match as prefixes; shorter ones, and phrases, as whole words
    # (صد "repel" must not match صداع "headache", صدمة "shock", صدره "his chest").
    "repelled": (
        (*("صد", "صدت", "صدوا", "يصد", "تصد", "يصدون", "تصدت", "تصدي", "يتصدي", "تتصدي"),
         *("احبط", "افشل", "دحر", "دحرت", "يدحر")),
        re.compile(
            r"\b(?:repel\w*|repuls\w*|fend\w* off|fought off|thwart\w*|foil\w*|beat back"
            r"|beaten back|push\w* back|drove back|driven back|rebuff\w*)\b",
            re.I,
        ),
    ),
    "withdrew": (
        ("انسحب", "انسحاب", "ينسحب", "تنسحب", "تراجع", "يتراجع", "تقهقر", "اخلاء", "اخلاو", "اخلي"),
        re.compile(r"\b(?:withdr\w*|pull\w* (?:out|back)|retreat\w*|evacuat\w*)\b", re.I),
    ),
    "surrendered": (
        ("سلموا", "سلمو", "استسلم", "يستسلم", "استسلام", "سلم نفس", "سلمت نفس"),
        re.compile(r"\b(?:surrender\w*|gave themselves up|handed themselves)\b", re.I),
    ),
    # "destroying cars" for يلغمون السيارات (rigging them with explosives)
    "destroyed": (
        (*("دمر", "دمرت", "دمرها", "دمره", "دمرتها", "دمرته", "دمروا", "يدمر", "تدمير", "دمار"),
         *("هدم", "هدمت", "هدموا", "حطم", "حطمت", "حطموا", "يحطم", "يحطمون", "تحطيم", "خراب"),
         *("نسف", "ينسف", "نسفت", "اتلف", "اتلاف", "مدمر")),
        re.compile(
            r"\b(?:destr\w*|demolish\w*|razed?|razing|flatten\w*|wreck\w*|smash\w*"
            r"|levell?ed)\b",
            re.I,
        ),
    ),
    # "stolen" for a passage about a sweep: the museum's loss moved onto the wrong source
    "stolen": (
        (*("سرق", "سرقت", "سرقوا", "سرقها", "سرقه", "يسرق", "تسرق", "يسرقون", "مسروق"),
         *("نهب", "نهبت", "نهبوا", "نهبها", "ينهب", "تنهب", "ينهبون", "سلب", "سلبت", "سلبوا"),
         *("لصوص", "اللصوص", "سارق")),
        re.compile(
            r"\b(?:stole|stolen|steal\w*|loot\w*|thefts?|thie(?:f|ves)|plunder\w*|pillag\w*"
            r"|robbed|robber\w*|robbing|ransack\w*)\b",
            re.I,
        ),
    ),
    "suicide": (
        ("انتحار", "انتحاري", "فجروا انفس", "فجر نفس"),
        re.compile(
            r"\b(?:suicide|killed themselves|blew themselves|blew himself|killing themselves)\b",
            re.I,
        ),
    ),
}  # fmt: skip
# Destruction and theft are rendered loosely ("devastated by war", "in ruins" for المدمرة):
# only an added one is an error, a full translation need not keep the word.
_ADDED_ONLY = frozenset({"destroyed", "stolen"})


def _ar_words(text: str) -> tuple[list[str], str]:
    words = []
    for w in _AR_WORD.findall(normalize(text)):
        if w[:1] in "وفبل" and len(w) > 3:
            w = w[1:]
        if w.startswith("ال") and len(w) > 4:
            w = w[2:]
        words.append(w)
    return words, " " + " ".join(words) + " "


def _has_frame(stems: tuple[str, ...], words: list[str], plain: str) -> bool:
    for s in stems:
        if " " in s:
            if f" {s}" in plain:
                return True
        elif any(w == s or (len(s) >= 4 and w.startswith(s)) for w in words):
            return True
    return False


def frames_named(text: str) -> set[str]:
    """The event frames ``text`` names, in English or in Arabic (a question's own words)."""
    words, plain = _ar_words(text)
    return {
        name
        for name, (stems, english) in FRAMES.items()
        if english.search(text) or _has_frame(stems, words, plain)
    }


def frames(source: str, output: str, *, full: bool) -> list[str]:
    """Events (repelled, withdrew, surrendered, destroyed, suicide attacks) that ``output`` says and
    the Arabic ``source`` has no word for; with ``full``, also those it leaves out."""
    words, plain = _ar_words(source)
    problems: list[str] = []
    for name, (stems, english) in FRAMES.items():
        in_source = _has_frame(stems, words, plain)
        in_output = bool(english.search(output))
        if in_output and not in_source:
            problems.append(f"says '{name}', the Arabic does not")
        elif full and in_source and not in_output and name not in _ADDED_ONLY:
            problems.append(f"leaves out '{name}'")
    return problems


# -- who said it: the speaker of a reported statement -------------------------------------
# Reporting verbs, Arabic (normalised, و/ف taken off) and English; the speaker is the
# noun phrase after the Arabic verb (verb-subject order: قال مسؤول عسكري) or before it,
# and before the English verb ("a military official said"). Speakers are compared by
# kind (official, source, spokesman, ...) and by glossary name: "Iraqi forces said" for
# قال مسؤول عسكري, or "al-Baghdadi announced" for what al-Abadi announced.
_AR_SAYS = frozenset(
    [*("قال", "قالت", "يقول", "تقول", "قالوا", "اعلن", "اعلنت", "يعلن", "اكد", "اكدت"),
     *("يؤكد", "ذكر", "ذكرت", "افاد", "افادت", "صرح", "صرحت", "نفي", "نفت", "ينفي"),
     *("اوضح", "اوضحت", "اضاف", "اضافت", "اشار", "اشارت"),
     # The nouns: "بعد إعلان العراق سيطرته" is rightly "after Iraq announced control".
     *("اعلان", "تصريح", "تصريحات", "بيان", "قول")]
)  # fmt: skip
_EN_SAYS = re.compile(
    r"\b(?:said|says|say|announced|announces|stated|reported|denied|denies|told|confirmed|"
    r"added|explained|declared|pointed out|noted)\b",
    re.I,
)
SPEAKERS: dict[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    # Arabic stems as _ar_words leaves them (normalised, ال taken off).
    "official": (("مسوول", "مسوولون", "مسوولين", "مسوولو"), re.compile(r"\bofficials?\b", re.I)),
    "source": (("مصدر", "مصادر"), re.compile(r"\bsources?\b", re.I)),
    "spokesman": (("متحدث", "ناطق", "متحدثه", "ناطقه"),
                  re.compile(r"\bspokes(?:man|woman|person|men)\b", re.I)),
    "commander": (("قائد", "قاده", "لواء", "عميد", "عقيد"),
                  re.compile(r"\b(?:commanders?|general|brigadier|colonel|major general)\b",
                             re.I)),
    "correspondent": (("مراسل", "مراسله"), re.compile(r"\b(?:correspondent|reporter)s?\b", re.I)),
    # _ar_words takes a leading و for "and": وزارة and وزير come out as زاره and زير too.
    "ministry": (("وزاره", "زاره"), re.compile(r"\bministry\b", re.I)),
    "minister": (("وزير", "زير"), re.compile(r"\bminister\b", re.I)),
    "forces": (("قوات", "جيش"), re.compile(r"\b(?:forces|army|troops|soldiers)\b", re.I)),
    "coalition": (("تحالف",), re.compile(r"\bcoalition\b", re.I)),
}  # fmt: skip
# Words after the Arabic verb that name the speaker ("قال المتحدث باسم متطوعي محافظة
# نينوى محمود سورجي": the name is the seventh); 4 raised false alarms on the references.
_WINDOW = 8


def _ar_speakers(text: str, glossary: Glossary | None) -> set[str]:
    words = _ar_words(text)[0]  # و/ف/ب/ل and ال taken off, as the event frames do
    plain = _AR_WORD.findall(normalize(text))  # the same words as written (for names)
    kinds: set[str] = set()
    names = {normalize(m.term.ar) for m in glossary.find(text)} if glossary else set()
    for i, w in enumerate(words):
        if w not in _AR_SAYS:
            continue
        span = (max(0, i - 6), i + 1 + _WINDOW)  # subject-first: "مصادر ... قد قالت"
        near = [*words[span[0] : i], *words[i + 1 : span[1]]]
        window = " ".join(plain[span[0] : span[1]])
        for kind, (stems, _) in SPEAKERS.items():
            if any(s in near for s in stems):
                kinds.add(kind)
        kinds |= {f"name:{n}" for n in names if n and n in window}
    return kinds


def _en_speakers(clause: str, glossary: Glossary | None) -> set[str]:
    m = _EN_SAYS.search(clause)
    if not m:
        return set()
    # The clause's subject: what comes before the verb, after any "that"/"which" (in "a
    # visit that was not announced" nobody is speaking).
    before = re.split(r"\b(?:that|which|who|whom)\b", clause[: m.start()])[-1]
    kinds = {k for k, (_, en) in SPEAKERS.items() if en.search(before)}
    if glossary:
        kinds |= {f"name:{normalize(t.ar)}" for t in glossary.named_in_english(before)}
    return kinds


def speakers(source: str, output: str, glossary: Glossary | None = None) -> list[str]:
    """A reported statement in ``output`` put in the mouth of someone the Arabic does not
    have saying it: its speaker (by kind or glossary name) is not among the Arabic's."""
    said = _ar_speakers(source, glossary)
    if not said:
        return []  # no reporting verb with a known speaker in the Arabic: nothing to compare
    problems: list[str] = []
    said_kinds = {k for k in said if not k.startswith("name:")}
    for clause in re.split(r"[;.!?]\s+|,\s+(?=and\b|while\b|but\b)", output):
        who = _en_speakers(clause, glossary)
        kinds = {k for k in who if not k.startswith("name:")}
        # Kinds on both sides must meet ("the reporter" for الناطق, even with the right
        # organisation named); else anything that names the speaker must.
        if (kinds and said_kinds and not kinds & said_kinds) or (who and not who & said):
            shown = ", ".join(sorted(k.removeprefix("name:") for k in who))
            problems.append(f"the speaker ({shown}) is not who says it in the Arabic")
    return problems
