"""English spellings of the sources' names: a misspelt transliteration is put right.

The bundled model spells Arabic names its own way: كركوك as "Kerkuk", جونز as "John Z.".
The reader cannot check the Arabic, and a name the glossary knows under another spelling
is one they cannot look up or match with the rest of the page. So a capitalised run of
words in an English answer that is not already a glossary spelling is compared, by its
consonant skeleton, with the glossary names the passages hold; an exact skeleton match
(three consonants at least) takes the glossary's English. Vowels, و/ي, alif, hamza, ʿayn
and h are left out on both sides: they are where transliterations differ most.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.glossary import Glossary, Term

# Arabic letter -> consonant class; letters not listed (vowels, glottals, h) are dropped.
_AR = str.maketrans(
    {
        "ب": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "j", "خ": "x", "د": "d", "ذ": "d",
        "ض": "d", "ظ": "z", "ز": "z", "ر": "r", "س": "s", "ص": "s", "ش": "c", "غ": "g",
        "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    }
)  # fmt: skip
_AR_CLASSES = set("btjxdzrscgfklmn")
# English letter groups -> the same classes, in one pass ("kh" is x, not k then h).
_EN = {
    "kh": "x", "sh": "c", "ch": "c", "th": "t", "dh": "d", "gh": "g", "ph": "f", "ck": "k",
    "q": "k", "c": "k", "v": "f", "p": "b", "x": "ks",
}  # fmt: skip
_EN_GROUP = re.compile("|".join(sorted(_EN, key=len, reverse=True)))
_ARTICLE_AR = re.compile(r"^[وفبلك]?ال(?=..)")
_ARTICLE_EN = re.compile(r"^(?:al|el|a[dnrstz]|e[dnrstz])-", re.IGNORECASE)
_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:al|el|bin|ibn|bint)-?\s*)?[A-Z][\w'’-]*)*\.?")
MIN_CONSONANTS = 3  # shorter skeletons collide by chance
_NORM = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})


def _dedupe(s: str) -> str:
    return re.sub(r"(.)\1+", r"\1", s)


def skeleton_ar(name: str) -> str:
    """The consonant classes of an Arabic name, its article and doubled letters left out."""
    words = [_ARTICLE_AR.sub("", w) for w in re.findall(r"[\u0621-\u064a]+", name)]
    return _dedupe("".join(c for c in "".join(words).translate(_AR) if c in _AR_CLASSES))


def skeleton_en(name: str) -> str:
    """The same for a Latin spelling ("Kerkuk" and كركوك are both "krk")."""
    words = [_ARTICLE_EN.sub("", w) for w in re.findall(r"[A-Za-z-]+", name)]
    s = "".join(words).lower().replace("-", "")
    s = _EN_GROUP.sub(lambda m: _EN[m.group(0)], s)
    return _dedupe(re.sub(r"[^btjxdzrscgfklmn]", "", s))


@dataclass(frozen=True)
class Respelt:
    text: str
    changed: list[tuple[str, str]]  # (as written, the glossary's English)


def respell(text: str, sources: Sequence[str], glossary: Glossary, keep: str = "") -> Respelt:
    """``text`` with names the passages hold (``sources``) in the glossary's spelling.

    A run already spelt as some glossary entry, or written in ``keep`` (the question: the
    user's own spelling), stays as it is."""
    terms: dict[str, Term] = {}
    for s in sources:
        for m in glossary.find(s):
            sk = skeleton_ar(m.term.ar)
            if len(sk) >= MIN_CONSONANTS:
                terms.setdefault(sk, m.term)
    if not terms:
        return Respelt(text, [])
    # every glossary spelling, and each word of one ("Baghdadi" of Abu Bakr al-Baghdadi,
    # which must not become the city Baghdad: the skeletons agree)
    forms = [f.lower() for t in glossary.terms for f in t.english_forms()]
    known = {*forms, *(_ARTICLE_EN.sub("", w) for f in forms for w in f.split())}
    changed: list[tuple[str, str]] = []

    def fix(m: re.Match[str]) -> str:
        run = m.group(0)
        words = run.rstrip(".").split()
        # the longest stretch of the run that is one of the passages' names; words of a
        # stretch already spelt right are not respelt inside it ("Bakr al-Baghdadi")
        right: set[int] = set()
        for n in range(len(words), 0, -1):
            for i in range(len(words) - n + 1):
                part = " ".join(words[i : i + n])
                if part.lower() in known or _written(part, keep):
                    right.update(range(i, i + n))
                    continue
                term = terms.get(skeleton_en(part))
                if term is None or right & set(range(i, i + n)):
                    continue
                if _derived(part, term, glossary):
                    continue
                changed.append((part, term.en))
                head, tail = " ".join(words[:i]), " ".join(words[i + n :])
                en = term.en
                if not head and _ARTICLE_EN.match(text[max(0, m.start() - 3) : m.start()]):
                    en = _ARTICLE_EN.sub("", en)  # "al-Nasar" -> "al-Nasr", not "al-al-Nasr"
                # "John Z." -> "Jones": the dot was the initial's, not the sentence's
                initial = not tail and len(words[-1]) == 1
                dot = "." if run.endswith(".") and not initial else ""
                return " ".join(x for x in (head, en, tail) if x) + dot
        return run

    out = _RUN.sub(fix, text)
    return Respelt(out, changed)


def _written(part: str, text: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE))


def _derived(part: str, term: Term, glossary: Glossary) -> bool:
    """``part`` is not a misspelling of ``term`` but a word made from it, or another
    spelling the glossary already gives it."""
    if any(
        term.en.lower() == f.lower()
        for t in glossary.named_in_english(part)
        for f in t.english_forms()
    ):
        return True
    low, want = part.lower(), term.en.lower()
    if low.startswith(want) or want.startswith(low):  # "Iraqi" of Iraq
        return True
    return low.endswith("i") and not want.endswith(("i", "y"))  # a nisba: "Bagdadi"


# Capitalised words that are English, not a transliterated name: days, months, titles,
# institutions and sides. A word of the question or of a glossary name is not checked.
_COMMON_WORDS = """monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december the a an according
    he she it they his her its their this that these those in on at of by for from with
    prime minister ministry security forces force army police service division brigade
    battalion unit units government general major brigadier colonel lieutenant captain
    president commander spokesman spokesperson spokeswoman interior defence defense
    council coalition international national united states nations province governorate
    city old new west east north south western eastern northern southern central bank
    museum agency news popular mobilisation mobilization special federal rapid response
    operations command kurdish shiite shia sunni christian muslim arab arabic english
    mr mrs ms dr sheikh imam militia militias islamic state iraqi iraq organization
    organisation group office media counter terrorism intelligence headquarters"""
_COMMON = frozenset(_COMMON_WORDS.split())


def unheld(text: str, sources: Sequence[str], glossary: Glossary, keep: str = "") -> list[str]:
    """Words of capitalised runs in ``text`` that look like a transliterated name (three
    consonants or more, not common English, not a glossary spelling, not in ``keep``)
    and match no Arabic word of ``sources`` by skeleton: "Omar Al-Qaradawi" for a passage
    naming خطاب عمر عارف gives ["Al-Qaradawi"]. The glossary checks only names it knows;
    this catches a person the model made up."""
    forms = [f.lower() for t in glossary.terms for f in t.english_forms()]
    known = {*(_ARTICLE_EN.sub("", w) for f in forms for w in f.split()), *_COMMON}
    words_ar = [w for s in sources for w in re.findall(r"[\u0621-\u064a]+", s)]
    # A title or rank read out as a name ("Omar Foj" for آمر فوج, regiment commander):
    # its skeleton matches a title word and no other word of the sources.
    titles = {skeleton_ar(w) for w in words_ar if _title(w)}
    skeletons = {skeleton_ar(w) for w in words_ar if not _title(w)}
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", keep)}
    out: list[str] = []
    for m in _RUN.finditer(text):
        words = m.group(0).rstrip(".").split()
        start = not text[: m.start()].strip() or text[: m.start()].rstrip()[-1:] in '.!?:;"('
        if start and len(words) == 1:
            continue  # "Meanwhile": capitalised for the sentence, not a name
        for word in words:
            bare = re.sub(r"['’]s?$", "", _ARTICLE_EN.sub("", word)).lower()
            if _english(bare, known) or bare in asked or word.lower() in asked:
                continue
            sk = _loose(skeleton_en(bare))
            if sk in skeletons or word in out:
                continue
            if len(sk) >= MIN_CONSONANTS or (len(sk) > 1 and sk in titles):
                out.append(word)
    return out


# Titles and ranks (normalised, without ال): words a name stands next to, never a name.
_TITLE_WORDS = frozenset(
    [
        "امر",
        "فوج",
        "لواء",
        "عميد",
        "عقيد",
        "مقدم",
        "رائد",
        "نقيب",
        "ملازم",
        "قائد",
        "ضابط",
        "رتبه",
        "وزير",
        "سفير",
        "ناطق",
        "متحدث",
        "مدير",
        "محافظ",
        "رئيس",
        "زعيم",
        "مراسل",
        "مصور",
    ]
)


def _title(word: str) -> bool:
    plain = _ARTICLE_AR.sub("", word).translate(_NORM)
    return plain in _TITLE_WORDS or (plain[1:] in _TITLE_WORDS and plain[0] in "وفبل")


def _loose(skeleton: str) -> str:
    """ج is j, g or ch ("Surchi" for سورجي), ز is z or s ("Sims" for سيمز): one class
    each, for matching only."""
    return _dedupe(re.sub("[jgc]", "j", skeleton).replace("z", "s"))


def _english(word: str, known: set[str]) -> bool:
    """A common or glossary word, its plural ("Iraqis"), or a compound ("US-backed")."""
    return word in known or word.rstrip("s") in known or bool(re.search(r"-[a-z]", word))


_ARABIC_RUN = re.compile(r"[\u0600-\u06ff][\u0600-\u06ff\s«»\"]*[\u0600-\u06ff]|[\u0600-\u06ff]")


def english_script(text: str, glossary: Glossary) -> tuple[str, list[str]]:
    """An English answer with the Arabic names it copied ("the villages of خربردان and
    وكديلة") in the glossary's English; and the Arabic left that no entry renders (the
    reader cannot read it, so the answer's check marks it)."""
    out, at = [], 0
    for m in glossary.find(text):
        out += [text[at : m.start], m.term.en]
        at = m.end
    out.append(text[at:])
    english = "".join(out)
    return english, [r.group(0).strip() for r in _ARABIC_RUN.finditer(english)]


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]{3,}(?![\w'’-])")


def transliterated(text: str, sources: Sequence[str], glossary: Glossary) -> list[str]:
    """Lowercase words of an English ``text`` that are an Arabic word of ``sources`` written
    out in Latin letters, not translated: "aerial images showed a damara" for دمارا
    (destruction). Such a word has the consonant skeleton of a source word and is no
    English word: not common, not a glossary spelling, and not one token of cl100k (whose
    vocabulary holds English words whole, loanwords too: strategy, television, million).
    On NTREX's 239 human references and the 104 seed references it flags none."""
    from bot.chunk import encoding  # tiktoken's tables, loaded on first use

    skeletons = {
        _loose(skeleton_ar(w)) for s in sources for w in re.findall(r"[\u0621-\u064a]+", s)
    }
    known = {w.lower() for t in glossary.terms for f in t.english_forms() for w in f.split()}
    enc = encoding()
    out: list[str] = []
    for m in _LOWER_WORD.finditer(text):
        word = m.group(0)
        if word in _COMMON or word.rstrip("s") in _COMMON or word in known or word in out:
            continue
        sk = _loose(skeleton_en(word))
        if len(sk) >= MIN_CONSONANTS and sk in skeletons and len(enc.encode(f" {word}")) > 1:
            out.append(word)
    return out
