"""Briefings over several articles with the test model server and real e5 embeddings."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from bot.dates import article_date, when
from bot.service import Newsbot
from tests.conftest import make_settings
from tests.support.openai_server import FakeOpenAI

CLAIM = "وقال مصدر عسكري عراقي إن نحو ثلاثين جنديا قتلوا في قصف لطائرات التحالف الدولي بالخطأ قرب الموصل يوم السبت."  # noqa: E501
DENIAL = (
    "ونفى متحدث باسم التحالف الدولي مقتل نحو ثلاثين جنديا عراقيا في قصف لطائرات التحالف قرب الموصل."
)
ENGLISH = {
    CLAIM: "An Iraqi military source said about thirty soldiers were killed by mistaken coalition air strikes near Mosul on Saturday.",  # noqa: E501
    DENIAL: "An international coalition spokesman denied that about thirty Iraqi soldiers were killed in coalition air strikes near Mosul.",  # noqa: E501
    "وأعلنت قوات البيشمركة سيطرتها على ثلاث قرى في سهل نينوى شمال شرق الموصل.": (
        "Peshmerga forces said they took three villages in the Nineveh Plains northeast of Mosul."
    ),
    "واستعادت القوات العراقية مقر الحكومة المحلية في الموصل يوم 19 فبراير بعد معارك عنيفة.": (
        "Iraqi forces retook the local government headquarters in Mosul on 19 February after heavy fighting."  # noqa: E501
    ),
    "وقال السفير الأميركي ستيوارت جونز إن واشنطن قدمت للبيشمركة مساعدات بقيمة 415 مليون دولار.": (
        "US ambassador Stuart Jones said Washington gave the Peshmerga aid worth 415 million dollars."  # noqa: E501
    ),
}
ARTICLES = [
    ("a.txt", "تقرير من الموصل\n2017/03/08\n\n" + "\n\n".join(list(ENGLISH)[i] for i in (0, 2, 3))),
    ("b.txt", "بيان التحالف\n\n" + "\n\n".join(list(ENGLISH)[i] for i in (1, 4))),
]


def responder(messages: list[dict[str, Any]]) -> str:
    ar = re.search(r"Arabic: (.*)", messages[-1]["content"])
    return ENGLISH.get(ar.group(1).strip() if ar else "", "No idea.")


def bot_for(tmp_path: Path, fake: FakeOpenAI) -> Newsbot:
    return Newsbot(make_settings(tmp_path, base_url=fake.base_url, chat_model="fake-model"))


def test_briefing_sections_cite_their_files(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    fake_model.responder = responder
    b = bot_for(tmp_path, fake_model).brief(ARTICLES)
    texts = dict(ARTICLES)
    statements = [*b.headline, *b.developments, *b.figures, *(x for _, x in b.timeline)]
    assert statements and not b.dropped
    for s in statements:
        (c,) = s.cites
        assert texts[c.source][c.start : c.end] == c.text  # a real sentence of that file
        assert s.text == ENGLISH[c.text]
    # The denial and the claim it contradicts, side by side with their files.
    (d,) = b.disagreements
    assert (d.claim.cites[0].source, d.counter.cites[0].source) == ("a.txt", "b.txt")
    assert "denied" in d.counter.text
    # Actors from the glossary, figures with their numbers, dated timeline.
    names = {a.name: a for a in b.actors}
    assert names["Peshmerga"].sources == {"a.txt": 1, "b.txt": 1}
    assert "Stuart Jones" in names and "Mosul" not in names  # a place is not an actor
    assert any("415 million" in f.text for f in b.figures)
    labels = [w.label for w, _ in b.timeline]
    assert "19 February 2017 (from the article date)" in labels
    assert "4 March 2017 (from the article date)" in labels  # Saturday before 2017-03-08
    assert labels.index("19 February 2017 (from the article date)") < labels.index(
        "4 March 2017 (from the article date)"
    )
    assert b.checks.statements == b.checks.statements_ok


def test_markdown_and_html_exports_are_escaped(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    fake_model.responder = responder
    arts = [*ARTICLES, ("c<script>.txt", "عنوان\n\n" + list(ENGLISH)[4])]
    b = bot_for(tmp_path, fake_model).brief(arts, topic="<b>Mosul</b>")
    page = b.html()
    assert page.startswith("<!doctype html>") and "<script>" not in page
    assert "c&lt;script&gt;.txt" in page and "&lt;b&gt;Mosul&lt;/b&gt;" in page
    md = b.markdown()
    assert "## Where sources disagree" in md and "[b.txt s" in md
    assert "\\<b\\>Mosul\\</b\\>" in md


def test_statement_failing_checks_is_left_out(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    fake_model.responder = lambda m: responder(m).replace("415", "514")
    b = bot_for(tmp_path, fake_model).brief(ARTICLES)
    assert any("514" in x.text for x in b.dropped)
    everything = b.markdown()
    assert "514" not in everything and "1 left out (failed the checks)" in everything
    assert b.checks.numbers_ok < b.checks.numbers


def test_topic_with_no_matching_sentence_is_a_clear_error(tmp_path: Path, fake_model) -> None:
    import pytest

    from bot.errors import NewsbotError

    with pytest.raises(NewsbotError, match="no article sentence is about"):
        bot_for(tmp_path, fake_model).brief(ARTICLES, topic="recipes for chocolate cake")
    assert fake_model.chat_requests() == []


def test_dates_from_text_and_article_date() -> None:
    d = article_date("عنوان\nالأربعاء 2017/03/08\nنص")
    assert d == dt.date(2017, 3, 8)
    w = when("وشنت هجمات على الجانب الغربي يوم 19 فبراير .", d)
    assert w is not None and w.key == (2017, 2, 19)
    assert when("قال مسؤول عسكري الأربعاء إن القوات تقدمت", d).key == (2017, 3, 8)
    assert when("وصل الوزير إلى بغداد أمس", d).key == (2017, 3, 7)
    assert when("وصل الوزير إلى بغداد أمس", None).label == "yesterday"
    assert when("الخاضعة لسيطرة التنظيم منذ 2014", None).key == (2014, 0, 0)
    assert when("قال الوزير إن القوات تقدمت", d) is None


def test_publication_date_anchors_relative_dates(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    """An article whose text states no date: its "Saturday" resolves against the date
    its page, feed or front matter gave (not guessed, not left as a weekday)."""
    fake_model.responder = responder
    undated = [("a.txt", ARTICLES[0][1].replace("2017/03/08\n", "")), ARTICLES[1]]
    bot = bot_for(tmp_path, fake_model)
    without = [w.label for w, _ in bot.brief(undated).timeline]
    assert "Saturday" in without and "4 March 2017 (from the article date)" not in without
    from bot.brief import brief

    b = brief(
        undated,
        settings=bot.settings,
        embedder=bot.embedder,
        gateway=bot.gateway,
        published={"a.txt": "2017-03-15"},  # a Wednesday: Saturday before it is 11 March
    )
    labels = [w.label for w, _ in b.timeline]
    assert "11 March 2017 (from the article date)" in labels
    assert ("a.txt", "تقرير من الموصل", "2017-03-15") in b.sources
