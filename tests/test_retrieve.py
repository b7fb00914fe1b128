"""Search over the real seed index: cross-lingual, language-aware, with a floor."""

import pytest

from bot.service import Newsbot

KIRKUK = "004_d1b1a39153906bcc.txt"


@pytest.mark.parametrize(
    "query",
    [
        "How many people were wounded in the clashes in Kirkuk?",
        "كم عدد الجرحى في اشتباكات كركوك؟",
    ],
)
def test_finds_the_kirkuk_casualty_passage(seeded_bot: Newsbot, query: str) -> None:
    r = seeded_bot.search(query, 4)
    assert r.covered
    assert r.hits[0].source == KIRKUK
    assert any("133" in h.text for h in r.hits[:2])


def test_query_language_is_detected(seeded_bot: Newsbot) -> None:
    assert seeded_bot.search("Mosul offensive").language == "en"
    assert seeded_bot.search("معركة الموصل").language == "ar"


def test_hits_carry_exact_offsets(seeded_bot: Newsbot, seed_index) -> None:
    for h in seeded_bot.search("الحشد الشعبي", 5).hits:
        text = (seed_index / "corpus" / h.source).read_text("utf-8")
        assert text[h.start : h.end] == h.text
        assert set(h.as_json()) == {"source", "chunk_id", "start", "end", "score", "text"}


def test_scores_descend_and_k_is_respected(seeded_bot: Newsbot) -> None:
    hits = seeded_bot.search("Iraqi army", 6).hits
    assert len(hits) == 6
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "What is the capital of Australia?",
        "Who won the 2018 football World Cup?",
        "ما هي عاصمة أستراليا؟",
        "وصفة لتحضير الكعك بالشوكولاتة",
    ],
)
def test_off_topic_questions_fall_below_the_floor(seeded_bot: Newsbot, query: str) -> None:
    assert not seeded_bot.search(query).covered
