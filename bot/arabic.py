"""Arabic text utilities: normalisation, search tokens, language detection.

Shared by retrieval (BM25 terms), citation checks and the evaluation assertions,
so that every stage compares Arabic text the same way.
"""

from __future__ import annotations

import re
import unicodedata

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_CHAR_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        # Arabic-Indic and Eastern Arabic-Indic digits -> ASCII
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "٫": ".",  # Arabic decimal separator
        "٬": ",",  # Arabic thousands separator
    }
)

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_TOKEN = re.compile(r"[\w]+", re.UNICODE)

# Particles too frequent to carry meaning for BM25 (after normalisation).
_STOPWORDS = frozenset(
    [
        "في",
        "من",
        "الي",
        "علي",
        "عن",
        "مع",
        "ان",
        "او",
        "ثم",
        "قد",
        "لا",
        "لم",
        "لن",
        "ما",
        "هو",
        "هي",
        "هم",
        "هن",
        "كان",
        "كانت",
        "يكون",
        "التي",
        "الذي",
        "الذين",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "كل",
        "بعد",
        "قبل",
        "عند",
        "حتي",
        "بين",
        "الا",
        "اذا",
        "لقد",
        "كما",
        "وقد",
        "وكان",
        "ايضا",
        "حيث",
        "منذ",
        "خلال",
        "ضد",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "with",
        "from",
        "as",
        "that",
        "this",
        "which",
        "who",
        "what",
        "when",
        "where",
        "how",
        "did",
        "does",
        "do",
        "it",
        "its",
        "than",
        "then",
        "into",
        "about",
    ]
)

_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يا", "ه", "ي")


def normalize(text: str) -> str:
    """Fold the spelling variants that Arabic writers use interchangeably.

    Alef forms, alef maksura, ta marbuta, hamza carriers, diacritics, tatweel and
    Arabic-Indic digits. Length-changing, so never use it where offsets matter.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    return text.translate(_CHAR_MAP).lower()


def light_stem(token: str) -> str:
    """Larkey-style light stemming: strip the article/conjunctions and common suffixes."""
    if not _ARABIC_LETTER.match(token):
        return token
    for p in _PREFIXES:
        if token.startswith(p) and len(token) - len(p) >= 2:
            token = token[len(p) :]
            break
    else:
        if token.startswith("و") and len(token) >= 4:
            token = token[1:]
    for s in _SUFFIXES:
        if token.endswith(s) and len(token) - len(s) >= 2:
            token = token[: -len(s)]
            break
    return token


def search_terms(text: str) -> list[str]:
    """Tokens for lexical search: normalised, stop words dropped, lightly stemmed."""
    return [light_stem(t) for t in _TOKEN.findall(normalize(text)) if t not in _STOPWORDS]


def arabic_share(text: str) -> float:
    """Share of letters that are Arabic script (0 when there are no letters)."""
    ar = len(_ARABIC_LETTER.findall(text))
    la = len(_LATIN_LETTER.findall(text))
    return ar / (ar + la) if ar + la else 0.0


def detect_language(text: str, default: str = "en") -> str:
    """'ar' or 'en', by script. Enough for routing: users write Arabic or English."""
    ar = len(_ARABIC_LETTER.findall(text))
    la = len(_LATIN_LETTER.findall(text))
    if ar == la == 0:
        return default
    return "ar" if ar >= la else "en"


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> set[str]:
    """Numbers written with digits (any script), as ASCII strings without separators."""
    return {n.replace(",", "") for n in _NUMBER.findall(normalize(text))}
