"""The retry's pointer: the one figure of the evidence that counts what was asked."""

from __future__ import annotations

from pathlib import Path

from bot.glossary import load_glossary
from bot.hint import figure_hint

GLOSSARY = load_glossary(Path(__file__).resolve().parent.parent / "prompts" / "glossary.yaml")
CLASHES = (
    "قال عميد في وزارة الداخلية إن 46 شخصاً قتلوا، وأصيب 133 بجروح، خلال الاشتباكات في مدينة كركوك."
)
MILITANTS = "وتمكنت قوات مكافحة الإرهاب ووحدة الاستخبارات من قتل 48 مسلحاً في كركوك."
STRIKE = "وكان مصدر عسكري عراقي قد أكد مقتل نحو ثلاثين جنديا عراقيا جراء قصف لقوات التحالف."
ANBAR = "في محافظة الأنبار، أشارت مصادر أمنية إلى أن 11 من تنظيم داعش قتلوا في الخالدية."


def hint(question: str, *passages: str) -> tuple[int, str] | None:
    return figure_hint(question, passages, passages, GLOSSARY)


def test_the_one_figure_that_counts_the_asked_event_is_pointed_at() -> None:
    assert hint("How many people were wounded in the clashes in Kirkuk?", MILITANTS, CLASHES) == (
        2,
        "133",
    )
    assert hint("How many militants did the forces kill in Kirkuk?", MILITANTS, CLASHES) == (
        1,
        "48",
    )


def test_a_written_figure_of_the_asked_side_is_pointed_at() -> None:
    assert hint("How many Iraqi soldiers were killed in the coalition strike?", STRIKE) == (1, "30")


def test_no_pointer_when_two_figures_count_it_or_nothing_does() -> None:
    # 46 people and 48 militants were both killed: which one is asked is not for a rule
    assert hint("How many people were killed in Kirkuk?", MILITANTS, CLASHES) is None
    assert hint("How many were arrested in Kirkuk?", MILITANTS, CLASHES) is None
    assert hint("Who is the police chief of Kirkuk?", MILITANTS) is None  # not how many
    assert hint("How many villages were taken?", CLASHES) is None  # no event asked


def test_a_figure_of_another_places_paragraph_is_not_pointed_at() -> None:
    assert hint("How many Islamic State fighters were killed in Qayyarah?", ANBAR) is None


def test_people_are_not_pointed_at_for_civilians() -> None:
    """ "46 شخصاً قتلوا" (46 people) is no pointer for "how many civilians died": the side
    rule lets "people" count civilians, a pointer needs the word."""
    assert hint("How many civilians were killed in Kirkuk?", CLASHES) is None
    gas = "أدى انبعاث الغازات إلى مقتل 2 من المدنيين."
    assert hint("How many civilians were killed by the gases?", gas) == (1, "2")
