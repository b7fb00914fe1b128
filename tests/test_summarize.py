"""Summaries with the test model server and the real e5 embeddings: sentences picked
first, one bullet per picked sentence, citations exact, bad bullets dropped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.service import Newsbot
from bot.summarize import candidate_spans
from tests.conftest import make_settings
from tests.support.openai_server import FakeOpenAI

ENGLISH = {
    "اقتحمت القوات العراقية بلدة قره قوش المسيحية شرق الموصل أمس في إطار العمليات لاستعادة المدينة.": (  # noqa: E501
        "Iraqi forces stormed the Christian town of Qaraqosh east of Mosul yesterday."
    ),
    "وقال قائد شرطة كركوك إن قوات الأمن قتلت 48 مسلحا تسللوا إلى المدينة.": (
        "The Kirkuk police chief said security forces killed 48 militants who entered the city."
    ),
    "وأعلنت قوات البيشمركة سيطرتها على ثلاث قرى في سهل نينوى شمال شرق الموصل.": (
        "Peshmerga forces said they took three villages in the Nineveh Plains northeast of Mosul."
    ),
    "وارتفعت أسعار الخضار في أسواق بغداد بسبب إغلاق الطرق المؤدية إلى الشمال.": (
        "Vegetable prices rose in Baghdad markets because roads to the north were closed."
    ),
}
ARTICLE = "خبر قصير\n\n" + "\n\n".join(ENGLISH)


def responder(messages: list[dict[str, Any]]) -> str:
    ar = re.search(r"Arabic: (.*)", messages[-1]["content"])
    return ENGLISH.get(ar.group(1).strip() if ar else "", "No idea.")


def bot_for(tmp_path: Path, fake: FakeOpenAI, **kw: object) -> Newsbot:
    return Newsbot(make_settings(tmp_path, base_url=fake.base_url, chat_model="fake-model", **kw))


def test_bullets_cite_real_sentences_of_the_article(tmp_path: Path, fake_model: FakeOpenAI):
    fake_model.responder = responder
    s = bot_for(tmp_path, fake_model, summary_bullets=3).summarize(ARTICLE, "a.txt")
    assert len(s.bullets) == 3 and not s.dropped
    for b in s.bullets:
        (c,) = b.cites
        assert ARTICLE[c.start : c.end] == c.text
        assert ENGLISH[c.text] == b.text
        assert b.support is not None and b.support >= 0.8
    # One model call per picked sentence, never the whole article at once.
    assert len(fake_model.chat_requests()) == 3
    assert s.checks.statements == s.checks.statements_ok == 3


def test_headings_are_not_candidates() -> None:
    assert all(len(c.text.split()) >= 6 for c in candidate_spans(ARTICLE))
    assert "خبر قصير" not in {c.text for c in candidate_spans(ARTICLE)}


def test_page_furniture_is_not_a_candidate() -> None:
    fact = "وقال قائد الشرطة إن القوات استعادت السيطرة على الحي بعد معارك عنيفة."
    page = f"ت + ت - الحجم الطبيعي\n\nلمشاهدة الجرافيك بالحجم الطبيعي اضغط هنا\n\n{fact}"
    assert [c.text for c in candidate_spans(page)] == [fact]


def test_bullet_with_a_wrong_number_is_dropped_and_counted(tmp_path: Path, fake_model):
    def wrong(messages: list[dict[str, Any]]) -> str:
        return responder(messages).replace("48", "480")

    fake_model.responder = wrong
    s = bot_for(tmp_path, fake_model, summary_bullets=4).summarize(ARTICLE, "a.txt")
    assert all("480" not in b.text for b in s.bullets)
    (bad,) = s.dropped
    assert "480" in bad.text and "numbers not in source: 480" in bad.flags
    assert s.checks.numbers_ok == s.checks.numbers - 1
    assert "1 left out (failed the checks)" in s.markdown()


def test_bullet_unrelated_to_its_sentence_is_dropped(tmp_path: Path, fake_model: FakeOpenAI):
    def off(messages: list[dict[str, Any]]) -> str:
        text = responder(messages)
        return (
            "The football season ended with a cup final in Madrid." if "Vegetable" in text else text
        )

    fake_model.responder = off
    s = bot_for(tmp_path, fake_model, summary_bullets=4).summarize(ARTICLE, "a.txt")
    (bad,) = s.dropped
    assert "football" in bad.text and any(f.startswith("weak support") for f in bad.flags)
    assert s.checks.statements_ok == 3


def test_arabic_summary_is_extractive_with_no_model_call(tmp_path: Path, fake_model):
    s = bot_for(tmp_path, fake_model, summary_bullets=3).summarize(ARTICLE, "a.txt", "ar")
    assert len(s.bullets) == 3 and fake_model.chat_requests() == []
    assert all(b.text == ARTICLE[b.cites[0].start : b.cites[0].end] for b in s.bullets)


def test_repeat_summary_is_all_cache_hits(tmp_path: Path, fake_model: FakeOpenAI):
    fake_model.responder = responder
    first = bot_for(tmp_path, fake_model, summary_bullets=3).summarize(ARTICLE, "a.txt")
    n = len(fake_model.chat_requests())
    again = bot_for(tmp_path, fake_model, summary_bullets=3).summarize(ARTICLE, "a.txt")
    assert len(fake_model.chat_requests()) == n
    assert [b.text for b in again.bullets] == [b.text for b in first.bullets]
