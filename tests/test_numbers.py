"""Months and weekdays are claims: what an English sentence names must be in its Arabic."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cite import unsupported
from bot.glossary import load_glossary
from bot.numbers import (
    date_names,
    directions,
    neighbours,
    times_of_day,
    ungrounded_dates,
    ungrounded_directions,
    ungrounded_times,
    with_digits,
)

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "وتقاتل القوات العراقية مدعومة بقوة جوية منذ أكتوبر في إطار حملة مكثفة."
WEST = "واستعادت القوات النصف الشرقي من المدينة في يناير وشنت هجمات يوم 19 فبراير ."


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (CAMPAIGN, {"October"}),
        (WEST, {"January", "February"}),
        ("قد زار الموصل الاثنين الماضي", {"Monday"}),
        ("في فبراير/شباط الماضي", {"February"}),  # two calendars, one month
        ("It began on 19 February and may end in May 2017.", {"February", "May"}),
        ("The entry into Mosul may happen within a month.", set()),  # the verb "may"
        ("وقال إن الهجوم على أحد المباني", set()),  # أحد: one of, not Sunday
    ],
)
def test_months_and_weekdays_are_read_in_both_scripts(text: str, names: set[str]) -> None:
    assert date_names(text) == names


def test_a_month_the_source_does_not_give_is_ungrounded() -> None:
    assert ungrounded_dates("since January 2014", [CAMPAIGN]) == ["January"]
    assert ungrounded_dates("since October", [CAMPAIGN]) == []
    assert ungrounded_dates("on Tuesday", ["قد زار الموصل الاثنين الماضي"]) == ["Tuesday"]


def test_an_answer_with_a_month_from_nowhere_is_unsupported() -> None:
    """ "since January 2014 [4]": the year is in the cited sentence about the caliphate,
    the month in no cited sentence."""
    glossary = load_glossary(ROOT / "prompts" / "glossary.yaml")
    caliphate = (
        "حيث أعلن أبو بكر البغدادي زعيم التنظيم من مسجد في الموصل عام 2014 إقامة دولة الخلافة"
    )
    question = "Since which month have Iraqi forces been fighting in Mosul?"
    assert unsupported(
        "They have fought since January 2014 [1].", [caliphate], glossary, question
    ) == ["date January"]
    assert unsupported("They have fought since October [1].", [CAMPAIGN], glossary, question) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("in the north-eastern part of Mosul", {"north", "east"}),
        ("جنوب شرقي الموصل", {"south", "east"}),
        ("ستتجه شمالا لتحكم سيطرتها", {"north"}),
        ("sanctions on North Korea", set()),  # a name, not a bearing
        ("the West Bank", set()),
    ],
)
def test_compass_directions_are_read_in_both_scripts(text: str, names: set[str]) -> None:
    assert directions(text) == names


def test_a_direction_the_source_does_not_give_is_ungrounded() -> None:
    """ "now positioned in the northern part of Qayyarah": the Arabic says the outskirts."""
    outskirts = "وأشارت المصادر إلى أن تنظيم داعش انسحب من عدة أحياء ويتمركز حاليا في الأطراف."
    assert ungrounded_directions("It is in the northern part [1].", [outskirts]) == ["north"]
    assert ungrounded_directions("It is on the outskirts [1].", [outskirts]) == []


STRIKE = "إن حادثة عرضية حصلت بعد ظهر السبت تمثلت في قصف قوات التحالف لقوات الجيش العراقي"


def test_a_time_of_day_the_source_does_not_give_is_ungrounded() -> None:
    # The bundled model's answer (held-out 7): "at night" for بعد ظهر السبت.
    assert ungrounded_times("The strike happened at night [3].", [STRIKE]) == ["evening or night"]
    assert ungrounded_times("It happened on Saturday afternoon.", [STRIKE]) == []
    assert ungrounded_times("It happened on Saturday.", [STRIKE]) == []
    # مساء is as often "night" as "evening" in English news.
    assert ungrounded_times("He was arrested on Monday night.", ["اعتقل مساء الاثنين"]) == []
    assert times_of_day("صدت القوات هجوما شنه التنظيم الليلة الماضية") == {"evening or night"}
    assert times_of_day("وفجر خمسة انتحاريين أنفسهم") == set()  # فجر: detonated, not dawn


def test_the_words_next_to_a_figure() -> None:
    # Arabic puts one and two after their noun: the words before the figure count too.
    assert neighbours("أدى إلى وفاة مدنيين اثنين.", 2) == ["وفاه", "مدنيين"]
    assert neighbours("قتل 46 شخصاً وأصيب 133 بجروح", 133) == ["شخصا", "واصيب", "بجروح"]
    assert neighbours("لا أرقام هنا", 5) == []


def test_written_out_arabic_numbers_become_digits() -> None:
    said = "نفى متحدث مقتل نحو ثلاثين جنديا، وقتل 11 من التنظيم وستة من الحشد وخمسة وعشرون آخرون"
    assert (
        with_digits(said) == "نفى متحدث مقتل نحو 30 جنديا، وقتل 11 من التنظيم و6 من الحشد و25 آخرون"
    )
    assert with_digits("ثلاث عشرة سيارة، ثلاثة آلاف") == "13 سيارة، 3 آلاف"
    # one and two (also Sunday and Monday), ordinals and "dozens" stay words
    kept = "أحد عناصر التنظيم، الاثنين الماضي، مدنيين اثنين، اليوم الثاني، العشرات"
    assert with_digits(kept) == kept
