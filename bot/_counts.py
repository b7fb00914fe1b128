"""How-many answers that count something else (re-exported by ``bot.asked``): the wounded
for the killed, the militants for the troops, people for car bombs, civilians for workers,
the noun an Arabic question counts. Each finding is a ``Gap`` of kind "role".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.arabic import arabic_share, normalize
from bot.checks import ROLE_GROUPS, clauses, figure_roles, roles
from bot.evidence import asks_how_many
from bot.numbers import neighbours, values

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

ASKS_MEASURE = re.compile(
    r"\bhow (?:far|long|high|tall|wide|deep)\b|\bdistance\b|\bpercent|\bwhat (?:percentage|"
    r"share|year)\b|\bwhen\b|\byear\b|تبعد|مسافة|ارتفاع|طول|عرض|نسبة|متى|عام|سنة|كيلومتر",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Gap:
    """What the question asks that the answer does not give; ``kind`` picks the retry's
    note (``retry_<kind>`` in prompts/answer.yaml)."""

    # "missing" (no figure), "role" (a figure of something else), "who", "place" (the
    # cited sentence is about another place), "which" (no name beyond the question's)
    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


_EVENTS = frozenset(ROLE_GROUPS[0])  # killed, wounded, arrested, surrendered, displaced
# Whose figure: only a specific side in the question is held to ("militants", "soldiers",
# "civilians"); "people" may count anyone.
_SIDES = frozenset({"militants", "troops", "militia"})
_CIVILIANS = re.compile(r"\bcivilians?\b|مدني", re.IGNORECASE)


_COUNTED = re.compile(
    r"\bhow many\s+((?:(?!(?:were|was|did|do|does|are|is|have|has|had|died)\b)[\w'’-]+\s*){1,6})"
    r"|(?<!\w)[وف]?(?:كم|عدد)\s+((?:\S+\s*){1,3})",
    re.IGNORECASE,
)


def counted_words(question: str) -> str:
    """What a how-many question counts: the words after "how many" (to the verb) or
    after كم / عدد; the rest of the question may name another side ("the attack of the
    organisation")."""
    m = _COUNTED.search(question)
    return (m.group(1) or m.group(2) or "") if m else ""


def counted_sides(question: str) -> set[str]:
    """The sides a how-many question counts (militants, troops, militia, civilians), from
    its counted words only: "how many civilians ... the organisation's attack?" counts
    civilians."""
    counted = counted_words(question)
    return (roles(counted) & _SIDES) | ({"civilians"} if _CIVILIANS.search(counted) else set())


def other_count(question: str, answer: str, quotes: Sequence[str] = ()) -> list[Gap]:
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
    sides = counted_sides(question)
    source: dict[float, set[str]] = {}
    for q in quotes:
        for value, found in figure_roles(q).items():
            source.setdefault(value, set()).update(_own_side(q, value, found))
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


_SIDE_ROLES = frozenset(ROLE_GROUPS[1])


def _own_side(quote: str, value: float, found: set[str]) -> set[str]:
    """``found`` (the roles of the figure's clause) with its sides narrowed to those the
    words right after the figure name, where the clause names more than one: in "five
    police and 12 members of the organisation were killed" the 12 are militants."""
    if len(found & _SIDE_ROLES) < 2:
        return found
    plain = normalize(quote.translate(DIGITS))
    for m in re.finditer(rf"(?<![\d.,]){re.escape(f'{value:g}')}(?![\d.,]*\d)", plain):
        after = re.split(r"\d", plain[m.end() : m.end() + 40])[0]
        # up to the next figure, written out too: "11 من تنظيم داعش وستة من ميليشيا الحشد"
        words = after.split()
        cut = next((i for i, w in enumerate(words) if values(w, source=True)), len(words))
        near = roles(" ".join(words[:cut])) & _SIDE_ROLES
        if near:
            return (found - _SIDE_ROLES) | near
    return found


# Nouns for people: a question counting none of these counts things (car bombs, villages).
_PERSONS = re.compile(
    r"\b(?:people|persons?|individuals?|members?|fighters?|militants?|militiam[ae]n|soldiers?"
    r"|troops?|police\w*|officers?|civilians?|residents?|victims?|casualties|m[ae]n|wom[ae]n"
    r"|child(?:ren)?|famil(?:y|ies)|refugees?|iraqis?|americans?|kurds?|prisoners?|attackers?"
    r"|bombers?|gunm[ae]n|insurgents?|jihadists?|volunteers?|servicem[ae]n|personnel|recruits?"
    r"|trainees?|staff|workers?|journalists?|leaders?|commanders?|snipers?|students?"
    r"|detainees?|peshmerga|forces|units?|fatalities|dead|wounded|injured|killed|displaced|elements?)\b",
    re.IGNORECASE,
)
# Arabic words for people, as the word after a figure ("70 من أفراد", "48 مسلحاً").
_PERSON_STEMS = (
    *("عنصر", "عناصر", "افراد", "فرد", "شخص", "اشخاص", "مسلح", "جندي", "جنود", "مقاتل"),
    *("قتيل", "قتلى", "قتلي", "مدني", "عراقي", "متشدد", "انتحاري", "شرطي", "تنظيم", "داعش"),
    *("ميليشي", "مليشي", "حشد", "قوات", "ارهابي", "جريح", "جرحى", "جرحي", "مصاب", "طفل"),
    *("اطفال", "امراه", "نساء", "رجل", "سجين", "معتقل", "عسكري", "ضابط", "مواطن", "نازح"),
)


def counts_things(question: str) -> bool:
    """An English how-many question whose counted words name no people ("how many car
    bombs…", "how many villages…")."""
    counted = counted_words(question)
    people = _PERSONS.search(counted) or roles(counted) & _SIDES or _CIVILIANS.search(counted)
    return bool(counted) and arabic_share(question) <= 0.5 and not people


def people_for_things(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many car bombs…?" answered "70 car bombs", where the cited sentence's 70 are
    "70 من أفراد التنظيم" (70 of its members, killed): the question counts things, the
    source's figure counts people."""
    if not counts_things(question):
        return []
    counted = counted_words(question)
    for value in values(answer):
        digits = f"{value:g}"
        for q in quotes:
            for m in re.finditer(rf"(?<![\d.,]){re.escape(digits)}(?![\d.,])", q.translate(DIGITS)):
                after = [normalize(w) for w in re.findall(r"[^\W\d_]+", q[m.end() : m.end() + 40])]
                after = [w[2:] if w.startswith("ال") else w for w in after if w != "من"][:1]
                if after and after[0].startswith(_PERSON_STEMS):
                    return [
                        Gap(
                            "role",
                            f"the cited figure {digits} counts people, not {counted.strip()}",
                        )
                    ]
    return []


# Words that say people were civilians. "46 شخصاً" (46 people) counts as civilians for the
# side rules (a count of people is no other side's); it does not answer how many civilians.
CIVILIAN_WORDS = re.compile(r"مدني|سكان|اهالي|نسمه|مواطن|civilian|resident|inhabitant", re.I)


def people_for_civilians(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many civilians were killed in the Kirkuk clashes?" answered "46 civilians" from
    "46 شخصاً قتلوا" (46 people, most of them security forces, says the next sentence): the
    question counts civilians, and no clause of the cited sentences that holds the answer's
    figure says they were."""
    if counted_sides(question) != {"civilians"} or not asks_how_many(question):
        return []
    held = [(c, values(c, source=True)) for q in quotes for c in clauses(q)]
    for value in values(answer, source=True):
        found = [c for c, vs in held if value in vs]
        if found and not any(CIVILIAN_WORDS.search(normalize(c)) for c in found):
            return [Gap("role", f"the cited figure {value:g} counts people, not civilians")]
    return []


# People of a kind the sides (troops, militants, militia, civilians) do not tell apart:
# "how many workers were killed?" is not answered by "two civilians died".
_KINDS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "workers": (
        re.compile(r"\b(?:workers?|employees?|labou?rers?|staff)\b", re.I),
        ("عامل", "عمال", "موظف", "شغيل"),
    ),
    "journalists": (
        re.compile(
            r"\b(?:journalists?|reporters?|correspondents?|camera(?:man|men)|photographers?"
            r"|media workers?)\b",
            re.I,
        ),
        ("صحفي", "صحافي", "مراسل", "مصور", "اعلامي"),
    ),
    "children": (
        re.compile(r"\b(?:child(?:ren)?|kids?|boys?|girls?|minors?)\b", re.I),
        ("طفل", "اطفال", "صبي", "قاصر"),
    ),
    "women": (re.compile(r"\bwom[ae]n\b", re.I), ("امراه", "نساء", "سيدات")),
    "students": (re.compile(r"\b(?:students?|pupils?)\b", re.I), ("طالب", "طلاب", "تلاميذ")),
    "medics": (
        re.compile(r"\b(?:doctors?|medics?|nurses?|paramedics?)\b", re.I),
        ("طبيب", "اطباء", "ممرض", "مسعف"),
    ),
}


def _has_kind(text: str, kind: str) -> bool:
    pattern, stems = _KINDS[kind]
    if arabic_share(text) <= 0.5:
        return bool(pattern.search(text))
    words = [w[2:] if w.startswith("ال") else w for w in normalize(text).split()]
    return any(w.lstrip("وفبل").startswith(stems) or w.startswith(stems) for w in words)


def other_people(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many workers were killed at the factory?" answered "Two workers", where the
    cited sentence's two are civilians: the question counts people of a kind, and no
    clause of the cited sentences that holds the answer's figure names that kind."""
    asked = [k for k in _KINDS if _has_kind(counted_words(question), k)]
    if not asked or not asks_how_many(question):
        return []
    held = [(c, values(c, source=True)) for q in quotes for c in clauses(q)]
    for value in values(answer, source=True):
        found = [c for c, vs in held if value in vs]
        if found and not any(_has_kind(c, k) for c in found for k in asked):
            return [
                Gap(
                    "role",
                    f"the cited figure {value:g} does not count {'/'.join(asked)}",
                )
            ]
    return []


# The noun after كم, past a verb of being ("كم تبلغ تكلفة…": how much does the cost come to)
_AR_COUNTED = re.compile(
    r"(?<!\w)[وف]?كم\s+(?:(?:عدد|كان|كانت|يبلغ|تبلغ|بلغ|بلغت|يكون|تكون)\s+)*(\S+)"
)


def other_thing_ar(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "كم قناصا يتحصن في كركوك؟" (how many snipers) answered "46 شخصا" from the clause
    of 46 people killed: an Arabic question counts a noun, and no clause of the cited
    sentences holding the answer's figure writes that noun. Sides and people are the
    other rules' (their plurals are irregular: جندي / جنود); measures are not counted."""
    m = _AR_COUNTED.search(question)
    if not m or arabic_share(question) <= 0.5 or ASKS_MEASURE.search(question):
        return []
    word = normalize(m.group(1))
    if word in _AR_NOT_NOUNS or word.startswith(_PERSON_STEMS) or roles(m.group(1)):
        return []
    asked = _root(word)
    if len(asked) < 2:
        return []
    held = [(c, values(c, source=True)) for q in quotes for c in clauses(q)]
    for value in values(answer, source=True):
        found = [c for c, vs in held if value in vs]
        if found and not any(_root(w) == asked for c in found for w in c.split()):
            return [Gap("role", f"the cited figure {value:g} does not count {m.group(1)}")]
    return []


# Words that follow كم and are not a noun it counts.
_AR_NOT_NOUNS = frozenset(
    ["هو", "هي", "من", "مره", "عمر", "سن", "متوسط", "معدل", "مجموع", "اجمالي"]
)


def _root(word: str) -> str:
    """An Arabic noun without its article, case ending, feminine ending and long vowels:
    singular and broken plural agree (نقطة / نقاط, رجل / رجال, قرية / قرى, مبنى / مبان)."""
    w = normalize(word)
    w = re.sub(r"^[وفبل]?ال(?=..)", "", w)
    w = re.sub(r"(?:ات|ين|ون|ان|ه|ا)$", "", w) if len(w) > 4 else re.sub(r"[ها]$", "", w)
    return re.sub("[اويىءئؤ]", "", w)


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


# Words that put a count of the dead or hurt in the question without the events' own
# words: "how many casualties / victims", "the death toll", "خسائر", "ضحايا".
_ANY_EVENT = re.compile(
    r"\b(?:casualt\w*|victims?|toll|perish\w*|lost|loss\w*|bodies|dead)\b"
    r"|ضحايا|ضحيه|خسائر|خساير|حصيله|جثث|جثه",
    re.IGNORECASE,
)


def other_event(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many fires have been put out?" answered "Two fires" from "وفاة مدنيين اثنين"
    (two civilians died): the words next to the cited figure say it counts the dead (or
    the wounded, the arrested...), and neither the question nor the answer is about such
    an event. Only the two words either side of the figure in its own clause count, so
    "أصيب العشرات بتفجير أربع عربات" (dozens wounded by four car bombs) leaves the four
    to the car bombs."""
    if not asks_how_many(question) or roles(question) & _EVENTS:
        return []
    if _ANY_EVENT.search(normalize(question)) or roles(answer) & _EVENTS:
        return []
    for value in values(answer, source=True):
        for quote in quotes:
            for clause in clauses(quote):
                near = roles(" ".join(neighbours(clause, value))) & _EVENTS
                if near:
                    return [
                        Gap(
                            "role",
                            f"the cited figure {value:g} counts the {'/'.join(sorted(near))}, "
                            "which the question does not ask about",
                        )
                    ]
    return []
