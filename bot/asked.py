"""Does the answer answer what was asked? Its figures, names and sentences may all be in
the sources and still answer another question: the wounded for the killed, the militants
for the troops, a title for "who", the question's own place for "which town". Each such
gap is retried once with its own note (``retry_<kind>`` in prompts/answer.yaml), then
shown marked, never as if it answered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot._counts import (
    ASKS_MEASURE,
    DIGITS,
    Gap,
    counted_sides,
    counted_words,
    counts_things,
    other_count,
    other_event,
    other_people,
    other_thing_ar,
    people_for_civilians,
    people_for_things,
)
from bot.arabic import arabic_share, normalize
from bot.cite import MARKER, names_of
from bot.evidence import asks_how_many, asks_who
from bot.glossary import Glossary, Term
from bot.numbers import values

__all__ = [
    "Gap",
    "asks_when",
    "asks_which",
    "counted_sides",
    "counted_words",
    "counts_things",
    "missing",
    "other_place",
]

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


def missing(
    question: str,
    answer: str,
    quotes: Sequence[str] = (),
    glossary: Glossary | None = None,
    contexts: Sequence[str] = (),
) -> list[Gap]:
    """What the question asks for that the answer does not give: a figure for "how
    many" (the bundled model often restates the question's sentence without its number),
    a figure of what the question counts (the killed, not the wounded), a name for "who"
    when the cited sentences (``quotes``) give one, a place the cited sentences'
    paragraphs (``contexts``) are about, a name for "which town/unit". Such an answer is
    retried once, then shown marked, never as if it answered."""
    plain = said = MARKER.sub(" ", answer).translate(DIGITS)
    if not ASKS_MEASURE.search(question):
        plain = _MEASURED.sub(" ", plain)
    if asks_how_many(question) and not values(plain, source=True) and not _VAGUE.search(plain):
        return [Gap("missing", "no figure, though the question asks how many")]
    timed = normalize(plain) if arabic_share(plain) > 0.5 else plain
    gaps = []  # the when note first: more telling than "only restates the question"
    if asks_when(question) and not _TIME_SAID.search(timed):
        gaps.append(Gap("when", "no time or date, though the question asks when"))
    gaps += other_count(question, plain, quotes) + _only_asked(question, said)
    gaps += people_for_things(question, plain, quotes) + other_people(question, plain, quotes)
    gaps += other_thing_ar(question, plain, quotes)
    if not any(g.kind == "role" for g in gaps):  # one reason a figure is another count
        gaps += people_for_civilians(question, plain, quotes)
    if not any(g.kind == "role" for g in gaps):
        gaps += other_event(question, plain, quotes)
    if glossary is not None:
        gaps += _no_name(question, plain, quotes, glossary)
        gaps += other_place(question, contexts, glossary)
    return gaps


def other_place(question: str, contexts: Sequence[str], glossary: Glossary) -> list[Gap]:
    """The question names a place; the paragraphs of the cited sentences name another
    place and none that holds, or lies in, one the question names: "11 killed" read from
    the Anbar paragraph of an article about Qayyarah (the article names Qayyarah, the
    paragraph does not). Only places the glossary locates (``within``) are compared:
    "the governor of Nineveh" in a paragraph about a Mosul bridge is about Mosul."""

    def places(text: str) -> set[str]:
        return {
            t.en for t in names_of(text, glossary) if t.kind == "places" and glossary.located(t.en)
        }

    asked = places(question)
    found = set().union(*(places(c) for c in contexts)) if contexts else set()
    if not asked or not found or any(glossary.related(a, f) for a in asked for f in found):
        return []
    return [
        Gap(
            "place",
            f"the cited sentence is about {', '.join(sorted(found))}, "
            f"not {', '.join(sorted(asked))}",
        )
    ]


_WHICH = re.compile(
    r"^\s*(?:(?:in|from|to|towards?|into|at|by|near)\s+)?(?:which|what)\s+(?:[a-z]+\s+)?(?:town|city|village|unit|division"
    r"|brigade|battalion|force|group|country|area|district|province|neighbou?rhood|base"
    r"|agency|organi[sz]ation|militia|party|newspaper|channel|outlet)s?\b",
    re.IGNORECASE,
)
# Words that restate or report, never name: an answer made only of these and the
# question's own words names nothing new.
_FILLER_WORDS = (
    "the a an it its this that these those they them he she his her is are was were "
    "be been being has have had do does did not and or but of in on at to from by for "
    "with as which what who there here then so also said say says told stated "
    "reported announced according would could will can may"
)
_FILLER = frozenset(_FILLER_WORDS.split())


# "When...?" answered with no word of time at all: "Iraqi forces repelled the counter-attack
# near the main government building" for when they repelled it (held-out 9). Any digit,
# day, month, part of the day or word placing one event against another counts.
_ASKS_WHEN = re.compile(
    # "When X happens, what is it called?" asks no time: a time question inverts its verb
    r"^\W*when (?:did|does|do|was|were|is|are|will|would|could|can|had|has|have|should|might)\b"
    r"|\bwhat (?:time|date|day|month|year)\b|\bwhich (?:day|date|month|year)\b"
    r"|(?:^|\s)[وف]?متي|(?:في اي|باي) (?:يوم|عام|سنه|شهر|تاريخ|وقت)",
    re.IGNORECASE,
)
_TIME_SAID = re.compile(
    r"\d|\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|may"
    r"|june|july|august|september|october|november|december|yesterday|today|tonight"
    r"|tomorrow|night|morning|afternoon|evening|noon|midday|dawn|dusk|midnight|ago|last|next"
    r"|earlier|later|before|after|since|until|till|during|while|when|once|then|now|soon"
    r"|recently|currently|early|late|mid|end|beginning|start|days?|weeks?|months?|years?"
    r"|hours?|minutes?|centur(?:y|ies)|decades?|spring|summer|autumn|fall|winter|season"
    r"|first|second|third|\w+(?:teen|ty)(?:th)?|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve)\b"
    r"|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|الاحد|امس|غدا|اليوم|الليل|ليل|صباح|مساء"
    r"|ظهر|فجر|عصر|فبراير|يناير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر"
    r"|شباط|كانون|اذار|نيسان|ايار|حزيران|تموز|ايلول|تشرين|شهر|عام|سنه|سنوات|يوم|ايام|اسبوع"
    r"|ساعه|ساعات|قبل|بعد|منذ|خلال|حتي|عندما|الماضي|المقبل|القادم|الحالي|قرن",
    re.IGNORECASE,
)


def asks_when(question: str) -> bool:
    """A question for a time or date: when / what day / which year / متى / في أي يوم."""
    return bool(
        _ASKS_WHEN.search(normalize(question) if arabic_share(question) > 0.5 else question)
    )


def asks_which(question: str) -> bool:
    """A question for one named thing of a kind: which town, what unit, in which city."""
    return bool(_WHICH.search(question))


_CHOICE = re.compile(r"\b(?:or|between|either)\b", re.IGNORECASE)
_WH = re.compile(r"\b(?:what|which|where|who|whom|whose|when|why|how)\b", re.IGNORECASE)


def _stem(word: str) -> str:
    """A crude English stem, enough to see "fighting" restate "fights", "raised" "raise"."""
    w = word.lower()
    if len(w) > 4 and w.endswith(("ied", "ies")):
        return w[:-3] + "y"  # "verified" restates "verify"
    for suffix in ("ing", "ed", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:-1] if w.endswith("e") and len(w) > 3 else w


def _only_asked(question: str, answer: str) -> list[Gap]:
    """An English answer that says nothing the question does not: "Which town west of
    Ramadi was retaken?" answered "... retook Ramadi west of Ramadi", "what did the army
    raise over Kubaisa's buildings?" answered "the army raised the buildings of Kubaisa",
    "when will the museum reopen?" answered "the museum will reopen"."""
    if arabic_share(answer) > 0.5 or arabic_share(question) > 0.5:
        return []
    words = re.findall(r"[\w'’-]+", answer)
    if asks_which(question):
        asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)} | _FILLER
        new = [w for w in words if w.lower() not in asked]
        # A verb form ("took" for "taken", "captured") restates the question, names
        # nothing; a capitalised word may be a name (Ahmed).
        named = [w for w in new if w[:1].isupper() or not _VERB_FORM.fullmatch(w)]
        return [] if named else [Gap("which", "no name the question does not already give")]
    if not _WH.search(" ".join(question.split()[:8])) or _CHOICE.search(question):
        return []  # a yes/no question, a request ("Summarise..."), or a choice it names
    asked = {_stem(w) for w in re.findall(r"[\w'’-]+", question)} | _FILLER
    new = [w for w in words if w.lower() not in _FILLER and _stem(w) not in asked]
    return [] if new else [Gap("restated", "the answer only restates the question")]


_VERB_FORM = re.compile(
    r"\w+ed|took|taken|had|has|have|got|gotten|held|hold|won|fought|led|went|gone|came"
    r"|made|seized|retook|already|also|then|now"
)


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
        return {t.en for t in names_of(text, glossary) if t.kind == "people"}

    asked = people(question) | _surnamed(question, names_of(answer, glossary))
    named = set().union(*(people(q) for q in quotes)) - asked
    # A person the question itself names is no answer to who did something to or about
    # them: "who arrested the member who said al-Baghdadi planned it?" -> "al-Baghdadi".
    # "Who is/was X?" may restate X.
    if people(answer) - asked or (people(answer) and _WHO_IS.match(question)):
        return []
    if people(answer):
        return [Gap("who", "the answer names only someone the question already names")]
    if not named:  # "who is the spokesman of X?" -> "the commander of Y": a title for a title
        return [Gap("who", "a title, not a name")] if _other_title(question, answer) else []
    actors = [t for t in names_of(answer, glossary) if t.kind in _ACTORS]
    if actors and not _TITLE.search(answer):
        return []  # "Iraqi forces repelled it": a group can be the answer to "who"
    return [Gap("who", "no name, though the question asks who")]


def _surnamed(question: str, terms: Sequence[Term]) -> set[str]:
    """People of ``terms`` the question names by their last name alone ("البغدادي",
    "al-Baghdadi" for Abu Bakr al-Baghdadi), which the glossary does not match."""
    words = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    words |= set(normalize(question).split())
    out = set()
    for t in terms:
        last_en = t.en.split()[-1].lower() if t.en else ""
        last_ar = t.words[-1] if t.words else ""
        if t.kind == "people" and (last_en in words or (last_ar and last_ar in words)):
            out.add(t.en)
    return out


_WHO_IS = re.compile(r"\W*(?:who (?:is|was|are|were)\b|(?:من|ومن) (?:هو|هي|هم)\b)", re.I)


def _titles(text: str) -> set[str]:
    stems = (
        re.sub(r"^[وب]?(?:ال)?", "", m.group(0).strip().lower()) for m in _TITLE.finditer(text)
    )
    return {re.sub(r"s$", "", re.sub(r"men$", "man", t)) for t in stems}  # one per title


def _other_title(question: str, answer: str) -> bool:
    """The question asks for the holder of a title and the answer gives another title."""
    asked = _titles(question)
    return bool(asked) and bool(_titles(answer) - asked)
