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
        assert set(h.as_json()) == {
            *("source", "chunk_id", "start", "end", "score", "text"),
            *("outlet", "date", "url"),  # "" for a plain seed file; "page" only for PDFs
        }


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


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("Which forces withdrew from the village of al-Nasr?", "000_16ebf7a5f9e97184.txt"),
        ("Who stormed the town of Qaraqosh?", KIRKUK),
        ("من هو اللواء علي كاظم اللامي؟", "003_a47adb4170558f8e.txt"),
    ],
)
def test_on_topic_questions_clear_both_floors(seeded_bot: Newsbot, query: str, source: str) -> None:
    r = seeded_bot.search(query)
    assert r.covered and r.best_latent is not None
    assert r.hits[0].source == source


def test_without_latent_terms_the_cosine_floor_decides(seeded_bot: Newsbot) -> None:
    # A remote embeddings server has no latent terms: only the per-language cosine floor.
    s = seeded_bot.settings
    retr = seeded_bot.retriever
    assert retr._covered("en", s.relevance_floor_en, None)
    assert not retr._covered("en", s.relevance_floor_en - 0.01, None)
    assert not retr._covered("ar", s.relevance_floor_ar, s.latent_floor_ar - 1)
    assert retr._covered("ar", s.relevance_floor_ar, s.latent_floor_ar)
