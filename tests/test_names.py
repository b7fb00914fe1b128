"""English spellings of the passages' names (bot/names.py), on the shipped glossary and
on real data: the seed references and NTREX's human English."""

from __future__ import annotations

import json

import pytest
import yaml

from bot.glossary import load_glossary
from bot.names import respell, skeleton_ar, skeleton_en, transliterated, unheld
from tests.conftest import ROOT

GLOSSARY = load_glossary(ROOT / "prompts" / "glossary.yaml")
SOURCES = [
    "وقال جونز في بغداد إن هناك تعاونا بين الطرفين",
    "قتل 46 شخصا خلال الاشتباكات في مدينة كركوك.",
    "حيث أعلن أبو بكر البغدادي زعيم التنظيم من مسجد في الموصل",
    "انسحبت القوات من محيط قرية النصر",
]


@pytest.mark.parametrize(
    ("arabic", "english"),
    [("كركوك", "Kerkuk"), ("كركوك", "Kirkuk"), ("جونز", "John Z"), ("خطاب", "Khattab"),
     ("أبو بكر البغدادي", "Abu Bakr al-Bagdadi"), ("الرمادي", "Ramadi")],
)  # fmt: skip
def test_a_transliteration_has_the_arabic_consonants(arabic: str, english: str) -> None:
    assert skeleton_ar(arabic) == skeleton_en(english)


def test_different_names_have_different_skeletons() -> None:
    assert skeleton_ar("كركوك") != skeleton_en("Kirkuk Mosul")
    assert skeleton_ar("الموصل") != skeleton_en("Mosque")


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Militants attacked Kerkuk [2].", "Militants attacked Kirkuk [2]."),
        ("The American ambassador is John Z. [1].", "The American ambassador is Jones [1]."),
        ("They left al-Nasar.", "They left al-Nasr."),  # no "al-al-"
        ("Abu Bakr al-Bagdadi spoke.", "Abu Bakr al-Baghdadi spoke."),
        ("Abu Bakr al-Baghdadi spoke.", "Abu Bakr al-Baghdadi spoke."),  # right already
        ("Baghdadi went to Bagdad.", "Baghdadi went to Baghdad."),  # not the city
        ("The Bagdadi plan.", "The Bagdadi plan."),  # a nisba, not the city
        ("Iraqi forces took Mosul.", "Iraqi forces took Mosul."),
    ],
)
def test_names_the_passages_hold_take_the_glossary_spelling(written: str, shown: str) -> None:
    assert respell(written, SOURCES, GLOSSARY).text == shown


def test_a_name_the_passages_lack_or_the_question_spells_is_kept() -> None:
    assert respell("Kerkuk was hit.", ["قتل 46 شخصا"], GLOSSARY).text == "Kerkuk was hit."
    kept = respell("Kerkuk was hit.", SOURCES, GLOSSARY, keep="What happened in Kerkuk?")
    assert kept.text == "Kerkuk was hit." and kept.changed == []


def test_human_english_is_left_as_written() -> None:
    """NTREX's reference English over its own Arabic: no name of the seed glossary is
    there to respell, and nothing else may change. The seed references may only move to
    the glossary's spelling of a name their Arabic holds."""
    rows = [json.loads(line) for line in (ROOT / "bench/data/mt_ar_en.dev.jsonl").open()]
    assert len(rows) > 200
    assert all(respell(r["en"], [r["ar"]], GLOSSARY).text == r["en"] for r in rows)
    refs = yaml.safe_load((ROOT / "bench/data/seed_references.yaml").read_text("utf-8"))
    pool = {
        r["id"]: r["ar"]
        for r in map(json.loads, (ROOT / "bench/data/confidence_pool.jsonl").open())
    }
    changed = [
        c for k, en in refs.items() if k in pool for c in respell(en, [pool[k]], GLOSSARY).changed
    ]
    assert len(refs) > 100
    names = {en for t in GLOSSARY.terms for en in [t.en]}
    assert all(to in names for _, to in changed) and len(changed) <= 3


POLICE = "حسبما أفاد قائد شرطة كركوك، العميد خطاب عمر عارف"


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        ("The police chief of Kirkuk is Omar Al-Qaradawi [3].", ["Al-Qaradawi"]),  # made up
        ("The police chief is Brigadier Khattab Omar Aref [3].", []),
        ("Brigadier General Khatab Omar Arif said it [3].", []),  # another spelling
        ("Meanwhile, the chief said it [3].", []),  # capitalised for the sentence
        ("The chief of the Kirkuk Police spoke [3].", []),  # a glossary and a common word
        ("Kirkuk's police chief, Jamal al-Jahdani, said it [3].", ["Jamal", "al-Jahdani"]),
    ],
)
def test_a_name_no_word_of_the_passage_spells_is_found(answer: str, flagged: list[str]) -> None:
    assert unheld(answer, [POLICE], GLOSSARY, "Who is the police chief of Kirkuk?") == flagged


STRIKE = (
    "وكان مصدر عسكري عراقي قد أكد مقتل نحو ثلاثين جنديا عراقيا -بينهم آمر فوج وضابط برتبة لواء-"
)


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        # آمر فوج is "regiment commander": a title, read out as a name
        ("The regiment commander killed was Omar Foj [1].", ["Foj"]),
        ("A regiment commander and a major general were killed [1].", []),
    ],
)
def test_a_title_read_out_as_a_name_is_unheld(answer: str, flagged: list[str]) -> None:
    question = "What was the name of the regiment commander killed in the strike?"
    assert unheld(answer, [STRIKE], GLOSSARY, question) == flagged


def test_few_human_seed_references_look_like_unheld_names() -> None:
    """The seed references (human English of each Arabic sentence): a sentence with a
    word the check would take for a made-up name is a false alarm (4 of 104 measured:
    "University", "Losing", "Secretary", "French")."""
    refs = yaml.safe_load((ROOT / "bench/data/seed_references.yaml").read_text("utf-8"))
    pool = {
        r["id"]: r["ar"]
        for r in map(json.loads, (ROOT / "bench/data/confidence_pool.jsonl").open())
    }
    pairs = [(en, pool[k]) for k, en in refs.items() if k in pool]
    assert len(pairs) > 80
    alarms = sum(bool(unheld(en, [ar], GLOSSARY)) for en, ar in pairs)
    assert alarms <= 0.06 * len(pairs)


@pytest.mark.parametrize(
    ("answer", "english", "left"),
    [
        (
            "The army took the villages of خربردان and وكديلة at the start [1].",
            "The army took the villages of Kharbardan and Kudaila at the start [1].",
            [],
        ),
        # an Arabic word no entry renders stays, and is reported for the mark
        (
            "They fled to طريق الموت near الموصل [2].",
            "They fled to طريق الموت near Mosul [2].",
            ["طريق الموت"],
        ),
        (
            "Security forces killed 48 militants [1].",
            "Security forces killed 48 militants [1].",
            [],
        ),
    ],
)
def test_arabic_names_in_an_english_answer_take_the_glossary_english(
    answer: str, english: str, left: list[str]
) -> None:
    from bot.names import english_script

    assert english_script(answer, GLOSSARY) == (english, left)


def test_an_arabic_word_in_latin_letters_is_untranslated() -> None:
    glossary = load_glossary(ROOT / "prompts" / "glossary.yaml")
    source = ["أظهرت صور جوية دمارا واسعا في المدينة القديمة، وفق استراتيجية تلفزيونية"]
    said = "Aerial images showed a damara in the old city, a television strategy"
    assert transliterated(said, source, glossary) == ["damara"]
    # English words, loanwords among them, and the glossary's own spellings are not
    assert transliterated("The Peshmerga and peshmerga units", ["البيشمركة"], glossary) == []
    assert transliterated("Aerial images showed wide destruction", source, glossary) == []
