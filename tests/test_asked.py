"""bot/asked.py: answers that hold only what the sources say and still answer another
question (another place's figure, the question's own words for "which")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.asked import asks_which, missing
from bot.evidence import paragraph
from bot.glossary import load_glossary
from bot.retrieve import Hit
from tests.conftest import ROOT

GLOSSARY = load_glossary(ROOT / "prompts" / "glossary.yaml")
QAYYARAH = ROOT / "seeds" / "002_fba94a6d5a3912e7.txt"
# The seed paragraph with "11 of the organisation killed": Anbar's Khalidiya island, in an
# article whose headline and first paragraphs are about Qayyarah.
ELEVEN = "وأشارت مصادر أمنية إلى أن 11 من تنظيم داعش"


def _hit(path: Path, needle: str) -> Hit:
    text = path.read_text("utf-8")
    start = text.index(needle)
    return Hit(path.name, str(path), "", "c", 0, start, start + len(needle), 1.0, 1.0, needle)


def test_a_sentence_is_read_with_its_paragraph() -> None:
    para = paragraph(_hit(QAYYARAH, ELEVEN))
    assert ELEVEN in para and "الأنبار" in para and "\n\n" not in para
    assert "القيارة" not in para
    # a file that no longer holds the sentence: the sentence alone
    gone = replace(_hit(QAYYARAH, ELEVEN), start=0, end=len(ELEVEN))
    assert paragraph(gone) == ELEVEN


KHALIDIYA = "في محافظة الأنبار، قالت مصادر عسكرية بمدينة الرمادي إن 11 من تنظيم داعش قتلوا."
QAYYARAH_PARA = "اقتحمت القوات العراقية مركز مدينة القيارة وقتل 70 من الإرهابيين."
NINEVEH = "وقال محافظ نينوى إن طول الجسر يبلغ 250 مترا."
NO_PLACE = "وأضاف أن 25 من عناصر الأمن قتلوا خلال الاشتباكات."


@pytest.mark.parametrize(
    ("question", "contexts", "flagged"),
    [
        ("How many Islamic State fighters were killed in Qayyarah?", [KHALIDIYA], True),
        ("كم عنصرا من التنظيم قتل في القيارة؟", [KHALIDIYA], True),
        ("How many Islamic State fighters were killed in Qayyarah?", [QAYYARAH_PARA], False),
        # a paragraph naming no place may be about the question's: not flagged
        ("How many were killed in Kirkuk?", [NO_PLACE], False),
        # no place in the question: nothing to hold the answer to
        ("How many Islamic State fighters were killed?", [KHALIDIYA], False),
        # a paragraph about the province that holds the asked city (the regression
        # suite's bridge article: "the governor of Nineveh said the bridge is 250 m")
        ("How long is the new bridge over the Tigris in Mosul?", [NINEVEH], False),
        # two places asked, each cited paragraph about one of them
        ("How many were killed in Qayyarah and in Ramadi?", [KHALIDIYA, QAYYARAH_PARA], False),
    ],
)
def test_a_figure_from_another_places_paragraph_is_a_gap(
    question: str, contexts: list[str], flagged: bool
) -> None:
    gaps = [g for g in missing(question, "11 [1].", [], GLOSSARY, contexts) if g.kind == "place"]
    assert bool(gaps) is flagged
    if flagged:
        assert "Anbar, Ramadi" in str(gaps[0]) and "not Qayyarah" in str(gaps[0])


RAMADI = "Which town west of Ramadi did the Iraqi army say it had recaptured?"


@pytest.mark.parametrize(
    ("question", "answer", "flagged"),
    [
        (RAMADI, "The Iraqi army said it had recaptured Ramadi west of Ramadi [1].", True),
        (RAMADI, "It was recaptured by the Iraqi army [1].", True),
        (RAMADI, "The Iraqi army said it had recaptured Kubaisa [1].", False),
        ("Which division entered the centre of Qaraqosh?", "The ninth division [1].", False),
        ("In which city did Baghdadi declare the caliphate?", "In the city [1].", True),
        # not a "which" question, or an Arabic answer: not this rule's to judge
        ("Who recaptured Ramadi?", "Ramadi was recaptured [1].", False),
        (RAMADI, "استعاد الجيش العراقي الرمادي [1].", False),
    ],
)
def test_which_answered_with_the_questions_own_words_is_a_gap(
    question: str, answer: str, flagged: bool
) -> None:
    gaps = [g for g in missing(question, answer) if g.kind == "which"]
    assert bool(gaps) is flagged


def test_which_questions_are_told_apart() -> None:
    assert asks_which(RAMADI) and asks_which("In what country is the Amazon?")
    assert not asks_which("What happened to the museum?")
    assert not asks_which("How many towns were retaken?")


def test_the_glossary_knows_which_places_hold_which() -> None:
    assert GLOSSARY.related("Mosul", "Nineveh") and GLOSSARY.related("Nineveh", "Dawasa")
    assert GLOSSARY.related("Kubaisa", "Anbar")  # through Hit
    assert not GLOSSARY.related("Qayyarah", "Ramadi")
    assert GLOSSARY.located("Iraq") and not GLOSSARY.located("Washington")


SEVENTY = "بعد مواجهات أدت إلى مقتل مالايقل عن 70 من أفراد تنظيم داعش."
FIFTY = "إن قوات الجيش انتزعت السيطرة على نحو 50 قرية من المتشددين منذ يوم الاثنين."


@pytest.mark.parametrize(
    ("question", "answer", "quote", "flagged"),
    [
        # the question counts things, the cited figure counts people
        ("How many car bombs were detonated in Qayyarah?", "70 car bombs [1].", SEVENTY, True),
        # things counted as things; people counted as people
        ("How many villages did the army take?", "50 villages [1].", FIFTY, False),
        ("How many Islamic State members were killed?", "70 members [1].", SEVENTY, False),
        ("How many were killed in Qayyarah?", "70 were killed [1].", SEVENTY, False),
        # an Arabic question is not read by this English rule
        ("كم عربة ملغمة فجرها التنظيم؟", "70 [1].", SEVENTY, False),
    ],
)
def test_a_count_of_things_answered_with_a_count_of_people_is_a_gap(
    question: str, answer: str, quote: str, flagged: bool
) -> None:
    gaps = [g for g in missing(question, answer, [quote]) if "counts people" in str(g)]
    assert bool(gaps) is flagged


CLASH_AR = "قال عميد في وزارة الداخلية إن 46 شخصاً قتلوا، وأصيب 133 بجروح، خلال الاشتباكات."
GAS = "وقال ضابط عراقي إن انبعاث غازات سامة ناجمة عن تفجير مصنع الكبريت أدى إلى وفاة مدنيين اثنين."
TAL_AFAR = (
    "أفاد مصدر أمني بمصرع أربعة من عناصر مليشيات الحشد الشعبي في انفجار عبوة ناسفة قرب تلعفر."
)
DIED = "How many civilians died from the toxic gases?"


def test_a_militia_figure_does_not_answer_how_many_civilians() -> None:
    """Held-out 3: "Four civilians died from the toxic gases [4]", citing four Popular
    Mobilisation members killed by a bomb near Tal Afar. The four is in the sentence;
    it counts another side."""
    gaps = missing(DIED, "Four civilians died from the toxic gases [4].", [TAL_AFAR])
    assert [g.kind for g in gaps] == ["role"] and "militia" in gaps[0].text
    asked = "How many Popular Mobilisation members were killed near Tal Afar?"
    assert missing(asked, "Four Popular Mobilisation members were killed [1].", [TAL_AFAR]) == []


def test_a_written_two_answers_how_many() -> None:
    """Arabic says two with the dual ("مدنيين اثنين"); "Two civilians died" gives it."""
    assert missing(DIED, "Two civilians died from the toxic gases [1].", [GAS]) == []
    assert [g.kind for g in missing(DIED, "Civilians died from the gases [1].", [GAS])] == [
        "missing"
    ]


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        ("The Iraqi forces already took the small town near Qaraqosh [3].", True),
        ("The Iraqi forces had already seized the small town near Qaraqosh [3].", True),
        ("They had already taken the small town of Bartella near Qaraqosh [3].", False),
        ("Ahmed [3].", False),  # a name ending like a verb form
    ],
)
def test_which_with_an_adjective_and_a_new_verb_still_needs_a_name(
    answer: str, flagged: bool
) -> None:
    q = "Which small town near Qaraqosh had the Iraqi forces already taken?"
    assert any(g.kind == "which" for g in missing(q, answer)) is flagged


@pytest.mark.parametrize(
    ("question", "answer", "flagged"),
    [
        # the source's two are civilians: it does not answer "how many workers"
        ("How many workers were killed at the sulphur factory?", "Two workers died [1].", True),
        ("كم عاملا قتل في انفجار مصنع الكبريت؟", "توفي اثنان [1].", True),
        # the sides are the other rules' business: civilians for civilians is no gap here
        ("How many civilians died from the toxic gases?", "Two civilians died [1].", False),
    ],
)
def test_a_count_of_people_of_a_kind_needs_that_kind_in_the_cited_clause(
    question: str, answer: str, flagged: bool
) -> None:
    gaps = missing(question, answer, [GAS])
    assert any("does not count workers" in str(g) for g in gaps) is flagged


def test_a_kind_the_cited_clause_names_is_answered() -> None:
    """ "3 journalists" where the clause says ثلاثة صحفيين (and the sentence also counts
    soldiers): the kind is there, so the figure counts it."""
    quote = "وقال مصدر إن ثلاثة صحفيين قتلوا، وأصيب خمسة جنود."
    question = "How many journalists were killed?"
    assert missing(question, "Three journalists were killed [1].", [quote]) == []
    gaps = missing(question, "Five journalists were killed [1].", [quote])
    assert any("does not count journalists" in str(g) for g in gaps)


@pytest.mark.parametrize(
    ("question", "answer", "flagged"),
    [
        # the bundled model's answers on held-out 5: the question said back, nothing more
        (
            "What did the Iraqi army raise over the buildings of Kubaisa?",
            "The Iraqi army raised the buildings of Kubaisa [1].",
            True,
        ),
        ("When will the Mosul museum reopen?", "The Mosul museum will reopen [4].", True),
        (
            "Who fights the Islamic State in Syria with Russian backing?",
            "The Islamic State in Syria is fighting with Russian backing [3].",
            True,
        ),
        (
            "Why had Reuters not verified that the museum was empty?",
            "Reuters did not verify that the museum was empty [4].",
            True,
        ),
        ("What did the Iraqi army raise over Kubaisa?", "It raised the Iraqi flag [1].", False),
        ("Where did the militants flee to?", "They fled to east Mosul [1].", False),
        ("What share of the carbon is stored there?", "10% [1].", False),  # a figure is news
        ("Which team won, the Broncos or the Steelers?", "The Broncos [1].", False),  # a choice
        ("Did the army raise a flag over Kubaisa?", "The army raised a flag [1].", False),
    ],
)
def test_an_answer_that_only_restates_the_question_is_a_gap(
    question: str, answer: str, flagged: bool
) -> None:
    assert any(g.kind == "restated" for g in missing(question, answer)) is flagged


def test_kurdish_fighters_are_not_the_organisations_fighters() -> None:
    """ "12 Kurdish fighters were killed" cited "12 عنصراً من التنظيم" (members of the
    organisation): Kurdish fighters are Peshmerga, the other side."""
    quote = "وقتل إثرها خمسة من الشرطة و12 عنصراً من التنظيم في الاشتباكات."
    question = "How many Kurdish fighters were killed in the attack on north-eastern Mosul?"
    gaps = missing(question, "12 Kurdish fighters were killed [1].", [quote])
    assert [g.kind for g in gaps] == ["role"] and "militants" in gaps[0].text
    assert missing("How many fighters were killed?", "12 fighters were killed [1].", [quote]) == []


@pytest.mark.parametrize(
    ("question", "answer", "quote", "flagged"),
    [
        # how many snipers, answered with the 46 people killed
        ("كم قناصا يتحصن في كركوك؟", "يتحصن 46 شخصاً [1].", CLASH_AR, True),
        # a broken plural is the same noun: نقاط / نقطة, قرى / قرية
        (
            "كم عدد النقاط التي سجلها الفريق؟",
            "11 [1].",
            "بتسجيله 11 نقطة في الدقائق الأخيرة",
            False,
        ),
        ("كم قرية سيطر عليها الجيش؟", "50 [1].", "انتزعت السيطرة على نحو 50 قرية", False),
        ("كم كان عمر مانينغ؟", "39 [1].", "في مباراة سوبر بول في سن 39.", False),  # not a noun
        ("كم عنصرا قتل؟", "46 [1].", CLASH_AR, False),  # people: the side rules' business
    ],
)
def test_an_arabic_count_of_a_thing_needs_that_noun_in_the_cited_clause(
    question: str, answer: str, quote: str, flagged: bool
) -> None:
    gaps = missing(question, answer, [quote])
    assert any("does not count" in str(g) for g in gaps) is flagged


def test_a_cost_answered_with_a_count_of_militants_is_a_gap() -> None:
    """ "كم تبلغ تكلفة إعادة إعمار الموصل؟" (what does rebuilding Mosul cost?) answered "48",
    the 48 militants killed: the noun after the verb is what is asked."""
    killed = "وتمكنت قوات مكافحة الإرهاب ووحدة الاستخبارات من قتل 48 مسلحاً."
    gaps = missing("كم تبلغ تكلفة إعادة إعمار الموصل؟", "48 [1].", [killed])
    assert any("does not count تكلفة" in str(g) for g in gaps)
    bridge = "وقال إن تكلفة إنشاء الجسر بلغت 12 مليون دولار."
    assert missing("كم بلغت تكلفة إنشاء الجسر؟", "12 مليون دولار [1].", [bridge]) == []


def test_a_count_of_people_does_not_answer_how_many_civilians() -> None:
    # The bundled model's answer, held-out 8: the 46 are people, most of them security forces.
    kirkuk = "قال عميد في وزارة الداخلية إن 46 شخصاً قتلوا، وأصيب 133 بجروح، خلال الاشتباكات."
    q = "How many civilians were killed in the Kirkuk clashes?"
    assert [g.text for g in missing(q, "46 civilians were killed [1].", [kirkuk])] == [
        "the cited figure 46 counts people, not civilians"
    ]
    gases = "أدى انبعاث الغازات السامة إلى وفاة مدنيين اثنين، ومقتل 46 شخصا."
    assert missing("How many civilians died of gases?", "Two civilians died [1].", [gases]) == []
    # "people" asks for anyone: 46 people answers it.
    assert missing("How many people were killed?", "46 people were killed [1].", [kirkuk]) == []


CAR_BOMBS = "بينما قتل عشرون من القوات العراقية وأصيب العشرات بتفجير أربع عربات ملغمة لتنظيم داعش."
HOLED_UP = "حيث تشير تقديرات الجيش إلى تحصن نحو 5000 إلى 6000 متشدد."


@pytest.mark.parametrize(
    ("question", "answer", "quote", "flagged"),
    [
        # held-out 7, the bundled model: the two died; the 133 were wounded
        ("How many fires at the factory have been put out?", "Two fires [1].", GAS, True),
        ("كم عدد المسلحين الذين عثر عليهم في السراديب؟", "عثر 133 مسلحين [1].", CLASH_AR, True),
        # the four are the car bombs; the killed and wounded are further off
        (
            "How many car bombs did the organisation detonate?",
            "Four car bombs [1].",
            CAR_BOMBS,
            False,
        ),
        ("How many militants are holed up in Mosul?", "5,000 to 6,000 [1].", HOLED_UP, False),
        # the question asks about a death or the answer says which event it counts
        ("How many casualties were there in Kirkuk?", "46 [1].", CLASH_AR, False),
        (
            "How many people were there in the clashes?",
            "46 people were killed [1].",
            CLASH_AR,
            False,
        ),
    ],
)
def test_a_figure_of_an_event_the_question_is_not_about_is_a_gap(
    question: str, answer: str, quote: str, flagged: bool
) -> None:
    gaps = missing(question, answer, [quote])
    found = [g for g in gaps if "which the question does not ask about" in g.text]
    assert bool(found) is flagged
    assert all(g.kind == "role" for g in found)


def test_a_figure_keeps_its_own_side_when_the_next_figure_is_written_out() -> None:
    """Held-out 9, the bundled model: "11 Popular Mobilisation and police members were
    killed" where the 11 are the organisation's and the militia and police are the ستة
    (six) after them."""
    khalidiya = (
        "وأشارت مصادر أمنية إلى أن 11 من تنظيم داعش وستة من ميليشيا الحشد والشرطة قتلوا، "
        "وأصيب ثمانية آخرون من الشرطة والميليشيات في اشتباكات بين الطرفين."
    )
    q = "How many Popular Mobilisation and police members were killed in the Khalidiya clashes?"
    wrong = missing(q, "11 Popular Mobilisation and police members were killed [1].", [khalidiya])
    assert [g.kind for g in wrong] == ["role"] and "militants" in wrong[0].text
    assert (
        missing(q, "Six Popular Mobilisation and police members were killed [1].", [khalidiya])
        == []
    )
    own = "How many Islamic State members were killed in the Khalidiya clashes?"
    assert missing(own, "11 Islamic State members were killed [1].", [khalidiya]) == []


@pytest.mark.parametrize(
    ("question", "answer", "flagged"),
    [
        # held-out 9 and 7, the bundled model: no time at all
        (
            "When did Iraqi forces repel the counter-attack near the government building?",
            "Iraqi forces repelled the counter-attack near the main government building [3].",
            True,
        ),
        (
            "When will the reconstruction of Mosul begin?",
            "It will begin in the time described [3].",
            True,
        ),
        ("متى زار العبادي الموصل؟", "زار العبادي الموصل [4].", True),
        # a time, a day, a date, a year, a time relative to another event
        ("When did the operation begin?", "The operation began yesterday morning [3].", False),
        ("متى زار العبادي الموصل؟", "زار العبادي الموصل الاثنين الماضي [4].", False),
        ("On which day did al-Abadi visit Mosul?", "On Monday [1].", False),
        ("When did the forces attack the western side?", "On 19 February [1].", False),
        ("When will the museum reopen?", "After the city is cleared [1].", False),
        # "when X happens, what is it called?" asks no time
        (
            "When imperialism shapes a state's norms, what is it called?",
            "Cultural imperialism [1].",
            False,
        ),
    ],
)
def test_when_answered_with_no_time_is_a_gap(question: str, answer: str, flagged: bool) -> None:
    assert any(g.kind == "when" for g in missing(question, answer)) is flagged


ARRESTED = (
    "وقال أحد عناصر التنظيم ممن اعتقلتهم أجهزة الأمن الكردية، ان الهجوم على كركوك خطط له "
    "زعيم التنظيم أبوبكر البغدادي، للفت الانتباه عن هجوم الموصل."
)


@pytest.mark.parametrize(
    ("question", "answer", "flagged"),
    [
        # held-out 9, the bundled model: the planner the question names, for who arrested
        (
            "من اعتقل عنصر التنظيم الذي قال إن البغدادي خطط للهجوم على كركوك؟",
            "من اعتقل عنصر التنظيم هو أبوبكر البغدادي [1].",
            True,
        ),
        (
            "Who arrested the member who said al-Baghdadi planned it?",
            "Abu Bakr al-Baghdadi [1].",
            True,
        ),
        # someone the question does not name; "who is X?" restating X
        ("Who planned the attack on Kirkuk?", "Abu Bakr al-Baghdadi planned it [1].", False),
        (
            "Who is Abu Bakr al-Baghdadi?",
            "Abu Bakr al-Baghdadi is the organisation's leader [1].",
            False,
        ),
    ],
)
def test_who_answered_with_the_questions_own_person_is_a_gap(
    question: str, answer: str, flagged: bool
) -> None:
    gaps = missing(question, answer, [ARRESTED], GLOSSARY)
    assert any("already names" in g.text for g in gaps) is flagged
