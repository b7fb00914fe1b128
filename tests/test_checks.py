"""Polarity check: denials and negations that a translation or statement loses or adds."""

from __future__ import annotations

import pytest

from bot.checks import polarity, ungrounded_numbers

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
