"""Does the answer answer what was asked? Its figures, names and sentences may all be in
the sources and still answer another question: the wounded for the killed, the militants
for the troops, a title for "who", the question's own place for "which town". Each such
gap is retried once with its own note (``retry_<kind>`` in prompts/answer.yaml), then
shown marked, never as if it answered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.arabic import arabic_share, normalize
from bot.checks import ROLE_GROUPS, clauses, figure_roles, roles
from bot.cite import MARKER, names_of
from bot.evidence import asks_how_many, asks_who
from bot.glossary import Glossary
from bot.numbers import values

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


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

    # "missing" (no figure), "role" (a figure of something else), "who", "place" (the
    # cited sentence is about another place), "which" (no name beyond the question's)
    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


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
    plain = said = MARKER.sub(" ", answer).translate(_DIGITS)
    if not _ASKS_MEASURE.search(question):
        plain = _MEASURED.sub(" ", plain)
    if asks_how_many(question) and not values(plain, source=True) and not _VAGUE.search(plain):
        return [Gap("missing", "no figure, though the question asks how many")]
    gaps = _other_count(question, plain, quotes) + _only_asked(question, said)
    gaps += _people_for_things(question, plain, quotes) + _other_people(question, plain, quotes)
    gaps += _other_thing_ar(question, plain, quotes)
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


def _counted(question: str) -> str:
    """What a how-many question counts: the words after "how many" (to the verb) or
    after كم / عدد; the rest of the question may name another side ("the attack of the
    organisation")."""
    m = _COUNTED.search(question)
    return (m.group(1) or m.group(2) or "") if m else ""


def counted_sides(question: str) -> set[str]:
    """The sides a how-many question counts (militants, troops, militia, civilians), from
    its counted words only: "how many civilians ... the organisation's attack?" counts
    civilians."""
    counted = _counted(question)
    return (roles(counted) & _SIDES) | ({"civilians"} if _CIVILIANS.search(counted) else set())


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
    plain = normalize(quote.translate(_DIGITS))
    for m in re.finditer(rf"(?<![\d.,]){re.escape(f'{value:g}')}(?![\d.,]*\d)", plain):
        after = re.split(r"\d", plain[m.end() : m.end() + 40])[0]
        near = roles(after) & _SIDE_ROLES
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
    counted = _counted(question)
    people = _PERSONS.search(counted) or roles(counted) & _SIDES or _CIVILIANS.search(counted)
    return bool(counted) and arabic_share(question) <= 0.5 and not people


def _people_for_things(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many car bombs…?" answered "70 car bombs", where the cited sentence's 70 are
    "70 من أفراد التنظيم" (70 of its members, killed): the question counts things, the
    source's figure counts people."""
    if not counts_things(question):
        return []
    counted = _counted(question)
    for value in values(answer):
        digits = f"{value:g}"
        for q in quotes:
            for m in re.finditer(
                rf"(?<![\d.,]){re.escape(digits)}(?![\d.,])", q.translate(_DIGITS)
            ):
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


def _other_people(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "How many workers were killed at the factory?" answered "Two workers", where the
    cited sentence's two are civilians: the question counts people of a kind, and no
    clause of the cited sentences that holds the answer's figure names that kind."""
    asked = [k for k in _KINDS if _has_kind(_counted(question), k)]
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


def _other_thing_ar(question: str, answer: str, quotes: Sequence[str]) -> list[Gap]:
    """ "كم قناصا يتحصن في كركوك؟" (how many snipers) answered "46 شخصا" from the clause
    of 46 people killed: an Arabic question counts a noun, and no clause of the cited
    sentences holding the answer's figure writes that noun. Sides and people are the
    other rules' (their plurals are irregular: جندي / جنود); measures are not counted."""
    m = _AR_COUNTED.search(question)
    if not m or arabic_share(question) <= 0.5 or _ASKS_MEASURE.search(question):
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

    named = set().union(*(people(q) for q in quotes)) - people(question)
    if people(answer):
        return []
    if not named:  # "who is the spokesman of X?" -> "the commander of Y": a title for a title
        return [Gap("who", "a title, not a name")] if _other_title(question, answer) else []
    actors = [t for t in names_of(answer, glossary) if t.kind in _ACTORS]
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
