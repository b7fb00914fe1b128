"""Output checks: denials and negations lost or added, numbers and what they count."""

from __future__ import annotations

import json

import pytest
import yaml

from bot.checks import (
    frames,
    frames_named,
    number_roles,
    polarity,
    roles,
    speakers,
    ungrounded_numbers,
)
from bot.chunk import sentence_units
from bot.config import Settings
from bot.glossary import load_glossary
from tests.conftest import ROOT

DENIAL = "ونفى متحدث باسم التحالف أن تكون طائراته قصفت القرية."
NEGATED = "ولم تؤكد الحكومة الخبر حتى الآن."
PLAIN = "وأكدت الحكومة الخبر أمس."
STILL = "ولا يزال القتال مستمرا في المدينة."


@pytest.mark.parametrize(
    ("arabic", "english", "full", "expected"),
    [
        (DENIAL, "A coalition spokesman denied that its aircraft bombed the village.", True, []),
        (
            DENIAL,
            "A coalition spokesman said its aircraft bombed the village.",
            True,
            ["denial left out"],
        ),
        (DENIAL, "The coalition's aircraft bombed the village.", False, ["denial left out"]),
        (DENIAL, "The coalition rejected reports that its aircraft hit the village.", False, []),
        # "not" is no denial: the official denied the reports, he did not fail to see them
        (
            DENIAL,
            "We have not seen reports that its aircraft bombed the village.",
            True,
            ["denial left out"],
        ),
        (NEGATED, "The government did not confirm the news yet.", True, []),
        (NEGATED, "The government has confirmed the news.", True, ["negation left out"]),
        (
            NEGATED,
            "The government has yet to confirm the news.",
            False,
            [],
        ),  # statements: denial only
        (PLAIN, "The government confirmed the news yesterday.", True, []),
        (
            PLAIN,
            "The government did not confirm the news yesterday.",
            True,
            ["negation not in the Arabic"],
        ),
        (STILL, "Fighting is still going on in the city.", True, []),  # لا يزال is "still"
        ("وتهدف الصين إلى أن تصبح الأولى بحلول 2030.", "China aims to be No. 1 by 2030.", True, []),
        ("بقيت الأسعار دون تغيير.", "Prices remained unchanged.", True, []),
    ],
)
def test_polarity(arabic: str, english: str, full: bool, expected: list[str]) -> None:
    assert polarity(arabic, english, full=full) == expected


def test_a_bare_million_in_the_source_grounds_one_million() -> None:
    source = "وكشفت واشنطن عن دعمها لقوات البيشمركة بـ مليون دولار."
    assert ungrounded_numbers("Washington pledged $1 million to the Peshmerga.", [source]) == []
    assert ungrounded_numbers("Washington pledged $2 million.", [source]) == ["2 million"]
    assert ungrounded_numbers("Ten soldiers died.", ["وقتل العشرات من الجنود."]) == ["ten"]


def test_a_bare_million_in_an_answer_is_one_million() -> None:
    # The bundled model's Arabic answer dropped the 415 of "415 مليون دولار".
    source = "قدمت مساعدات للبيشمركة بقيمة 415 مليون دولار"
    assert ungrounded_numbers("قدمت واشنطن للبيشمركة مليون دولار", [source]) == ["مليون"]
    fled = ["نزح مئات السكان"]
    assert ungrounded_numbers("More than a million people fled.", fled) == ["million"]
    assert ungrounded_numbers("قدمت واشنطن 415 مليون دولار", [source]) == []
    assert ungrounded_numbers("ملايين الدولارات", [source]) == []  # a plural is no figure


KIRKUK_CASUALTIES = (
    "قال عميد في وزارة الداخلية، إن 46 شخصاً قتلوا، وأصيب 133 بجروح، خلال الاشتباكات في كركوك."
)


def test_a_number_given_the_wrong_role_is_caught() -> None:
    """The probe's answer: right numbers, right place, killed and wounded swapped."""
    assert number_roles("46 people were wounded in Kirkuk.", [KIRKUK_CASUALTIES]) == [
        "number 46 counts killed in the source, not wounded"
    ]
    assert number_roles("133 were killed in Kirkuk.", [KIRKUK_CASUALTIES]) == [
        "number 133 counts wounded in the source, not killed"
    ]
    assert number_roles("وأصيب 46 شخصاً بجروح", [KIRKUK_CASUALTIES])  # Arabic answers too
    assert number_roles("46 people were killed and 133 wounded.", [KIRKUK_CASUALTIES]) == []
    assert number_roles("46 people died; 133 were injured.", [KIRKUK_CASUALTIES]) == []
    assert number_roles("There were 46 victims.", [KIRKUK_CASUALTIES]) == []  # no role said


def test_number_roles_stay_quiet_on_human_reference_translations() -> None:
    """NTREX's reference translations (bench/data): the rule must not object to them."""
    rows = [json.loads(ln) for ln in (ROOT / "bench/data/mt_ar_en.dev.jsonl").open()]
    flagged = [r["id"] for r in rows if number_roles(r["en"], [r["ar"]])]
    assert flagged == []


def test_a_number_given_to_the_wrong_side_is_caught() -> None:
    qayyarah = "بعد مواجهات أدت إلى مقتل مالايقل عن 70 من أفراد تنظيم داعش، وذلك ضمن عملية واسعة"
    assert number_roles("70 Iraqi soldiers were killed.", [qayyarah]) == [
        "number 70 counts militants in the source, not troops"
    ]
    assert number_roles("At least 70 Islamic State fighters were killed.", [qayyarah]) == []


# Seed sentences (003, 001) and the meaning errors the bundled model made of them.
REPELLED = (
    "قال مسؤول عسكري الأربعاء إن القوات العراقية صدت هجوما مضادا شنه تنظيم داعش الليلة"
    " الماضية قرب المبنى الحكومي الرئيسي في الموصل."
)
SURRENDERED = (
    "وأضافت المصادر أن مسلحين من تنظيم الدولة إما فروا إلى شرق الموصل، وإما سلّموا أنفسهم"
    " للقوات الحكومية."
)
WITHDREW = "انسحبت قوات الجيش العراقي من محيط قرية النصر بعد مواجهات عنيفة مع تنظيم الدولة."


def test_reversed_and_added_events_are_caught() -> None:
    wrong = "Iraqi forces said they attacked a militant group near the government building."
    assert frames(REPELLED, wrong, full=True) == ["leaves out 'repelled'"]
    assert frames(REPELLED, "Iraqi forces repelled a Daesh counter-attack.", full=True) == []
    suicide = "Fighters either fled to the north of Mosul or killed themselves."
    assert frames(SURRENDERED, suicide, full=False) == ["says 'suicide', the Arabic does not"]
    assert "leaves out 'surrendered'" in frames(SURRENDERED, suicide, full=True)
    assert frames(SURRENDERED, "They fled east or surrendered.", full=True) == []
    assert frames(WITHDREW, "The army stormed al-Nasr village.", full=True) == [
        "leaves out 'withdrew'"
    ]
    assert frames(WITHDREW, "The army pulled out of al-Nasr.", full=True) == []
    # A statement (full=False) may leave an event out, never add one.
    assert frames(WITHDREW, "Clashes took place near al-Nasr.", full=False) == []
    assert frames("اشتباكات قرب قرية النصر.", "The army withdrew.", full=False) == [
        "says 'withdrew', the Arabic does not"
    ]


def test_short_stems_match_whole_words_only() -> None:
    # صد "repel" inside صداع "headache", صدمة "shock", صدره "his chest"
    for ar in ("قد يشكل ذلك صداعا للحكومة.", "الفريق في صدمة.", "أصيب برصاصة في صدره."):
        assert frames(ar, "It is a headache; they were in shock; he was shot.", full=True) == []


def _references() -> list[tuple[str, str, str]]:
    """(id, Arabic, English) of NTREX's human references and the team's seed references
    (bench/data): what a meaning rule must stay quiet on."""
    rows = [json.loads(ln) for ln in (ROOT / "bench/data/mt_ar_en.dev.jsonl").open()]
    out = [(r["id"], r["ar"], r["en"]) for r in rows]
    refs = yaml.safe_load((ROOT / "bench/data/seed_references.yaml").read_text("utf-8"))
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        text = f.read_text("utf-8")
        for i, (a, b) in enumerate(sentence_units(text)):
            if ref := refs.get(f"{f.name[:3]}:{i}"):
                out.append((f"{f.name[:3]}:{i}", text[a:b], ref))
    return out


def test_event_frames_stay_quiet_on_reference_translations() -> None:
    refs = _references()
    assert len(refs) == 239 + 104
    assert [i for i, ar, en in refs if frames(ar, en, full=True)] == []


def test_a_number_given_to_civilians_that_counts_militants_is_caught() -> None:
    src = "حيث تشير تقديرات الجيش إلى تحصن نحو 5000 إلى 6000 متشدد."
    assert number_roles("About 5,000 to 6,000 people are trapped inside.", [src])
    assert number_roles("About 5,000 to 6,000 militants are entrenched there.", [src]) == []


KIRKUK_BRIGADIER = (
    "من جهة أخرى، قال عميد في وزارة الداخلية يوجد في كركوك، لـ«فرانس برس»، إن 46 شخصاً "
    "قتلوا، وأصيب 133 بجروح، خلال الاشتباكات في مدينة كركوك."
)


def test_a_statement_given_to_the_wrong_speaker_is_caught() -> None:
    g = load_glossary(Settings().glossary_path)
    # The bundled model's gloss (regression cassette): a brigadier made the minister.
    wrong = "On the other hand, Interior Minister said that 46 people were killed in Kirkuk."
    assert speakers(KIRKUK_BRIGADIER, wrong, g) == [
        "the speaker (minister) is not who says it in the Arabic"
    ]
    right = "A brigadier in the Interior Ministry told AFP that 46 people were killed in Kirkuk."
    assert speakers(KIRKUK_BRIGADIER, right, g) == []
    spokesman = "وصرح الناطق باسم جهاز مكافحة الإرهاب صباح النعمان بأن معركة القيارة بدأت."
    assert speakers(spokesman, "The reporter of the Counter-Terrorism Service said it began.", g)
    assert speakers(spokesman, "Sabah al-Numan, the CTS spokesman, said it began.", g) == []
    abadi = "وأعلن رئيس الوزراء العراقي حيدر العبادي النصر على تنظيم الدولة في الموصل."
    assert speakers(abadi, "Abu Bakr al-Baghdadi announced victory in Mosul.", g)
    assert speakers(abadi, "Iraqi Prime Minister Haider al-Abadi announced victory.", g) == []
    # No speech act: nobody's words are reported, nothing to compare.
    visit = "ووصل وزير الدفاع الأميركي إلى بغداد في زيارة لم يعلن عنها مسبقا."
    assert (
        speakers(visit, "The US defence secretary arrived on a visit that was not announced.", g)
        == []
    )


def test_speakers_stay_quiet_on_reference_translations() -> None:
    """The speaker rule's false alarms, measured as for the event frames."""
    g = load_glossary(Settings().glossary_path)
    assert [i for i, ar, en in _references() if speakers(ar, en, g)] == []


def test_the_frames_a_question_names_are_read_in_either_language() -> None:
    assert frames_named("Where did IS go after withdrawing from Qayyarah?") == {"withdrew"}
    assert frames_named("كم عنصرا من التنظيم سلموا أنفسهم في ديالى؟") == {"surrendered"}
    assert frames_named("How many were killed in Kirkuk?") == set()


def test_an_added_destruction_is_caught_a_loose_one_is_not_required() -> None:
    # The bundled model's answer: "destroying cars" for rigging them with explosives.
    rig = "مقاتلي داعش يواصلون التراجع ويختفون وسط المدنيين ويلغمون السيارات."
    assert frames(rig, "They are destroying cars as they retreat.", full=False) == [
        "says 'destroyed', the Arabic does not"
    ]
    assert frames(rig, "They rig cars with explosives as they retreat.", full=True) == []
    ruin = "صور جوية أظهرت دمارا واسعا في المدينة القديمة"
    assert frames(ruin, "Aerial images showed wide destruction in the old city.", full=True) == []
    assert frames(ruin, "Aerial images showed the old city in ruins.", full=True) == []


def test_an_added_theft_is_caught() -> None:
    # The bundled model's answer put the museum's loss on a passage about a sweep.
    sweep = "قال قائد إن قواته تقوم بتمشيط وتطهير مناطق توجد فيها خلايا نائمة"
    assert frames(sweep, "The artefacts were stolen from the museum.", full=False) == [
        "says 'stolen', the Arabic does not"
    ]
    loss = "وقال اللامي إن المتحف خال تماما من أي قطع أثرية مشيرا إلى أنها سُرقت كلها"
    assert frames(loss, "He said the artefacts had all been stolen.", full=False) == []
    assert frames(loss, "He said the museum was empty of artefacts.", full=True) == []
    assert frames(sweep, "Robbie Williams swept the area.", full=False) == []


def test_a_death_written_with_a_stem_like_a_prefix_is_read() -> None:
    # وفاة (death) starts with و, which is also "and": it is still a death.
    assert "killed" in roles("أدى إلى وفاة مدنيين اثنين")
    assert "displaced" in roles("وأضافت المصادر أن مسلحين فروا إلى شرق الموصل")


def test_a_year_counts_nothing() -> None:
    source = "استعادت القوات المتحف الذي صور المتشددون أنفسهم بداخله في عام 2015."
    english = "Forces retook the museum in which the militants filmed themselves in 2015."
    assert number_roles(english, [source]) == []
    # written as a count, it is one: 2,015 soldiers for 2015 militants
    assert number_roles("2,015 soldiers were killed.", ["قتل 2015 مسلحا"]) != []
