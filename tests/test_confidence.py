"""Per-sentence confidence: the score, its fit, and what every output does with a low one.

The test model server scripts the token log-probabilities (``logprob_of``); the weights
are set here so that the tests say which signal moves the score, whatever the shipped
weights (bench/confidence.py) are.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from bot.confidence import FEATURES, Signals, auroc, fit, score
from bot.config import CONFIDENCE_WEIGHTS, Settings
from bot.service import Newsbot
from tests.conftest import make_settings
from tests.support.openai_server import FakeOpenAI
from tests.test_brief import ARTICLES, CLAIM, DENIAL, ENGLISH


def responder(messages: list[dict[str, Any]]) -> str:
    """The English of the Arabic in a translate or a summarize prompt."""
    m = re.search(r"(?:Arabic: |to English:\n)(.*)", messages[-1]["content"])
    return ENGLISH.get(m.group(1).strip() if m else "", "No idea.")


# Mean token log-probability is what these weights look at: -0.05 -> ~0.94, -3 -> ~0.
WEIGHTS = {"bias": 0.0, "lp_mean": 3.0, "mean_lp_mean": -0.5, "scale_lp_mean": 0.5}
UNSURE = "ثلاثين"  # the word whose sentences the model is unsure of (the claim and denial)


def bot_for(tmp_path: Path, fake: FakeOpenAI, **kw: object) -> Newsbot:
    kw.setdefault("confidence_weights", WEIGHTS)
    kw.setdefault("confidence_floor", 0.5)
    kw.setdefault("translate_candidates", 1)
    settings = make_settings(tmp_path, base_url=fake.base_url, chat_model="fake-model", **kw)
    return Newsbot(settings)


def unsure_about(fake: FakeOpenAI, english_words: set[str]) -> None:
    """Low log-probabilities for replies containing any of these English words."""

    def logprob(word: str, reply: str) -> float:
        said = {w.strip(".,").lower() for w in reply.split()}
        return -3.0 if said & english_words else -0.05

    fake.logprob_of = logprob


def test_score_follows_each_signal_and_fills_a_missing_one_with_its_mean() -> None:
    w = {"bias": 0.5, "cosine": 2.0, "mean_cosine": 0.8, "scale_cosine": 0.1, "flags": -1.0}
    assert (
        score(Signals(cosine=0.9), w)
        > score(Signals(cosine=0.8), w)
        > score(Signals(cosine=0.7), w)
    )
    assert score(Signals(cosine=0.8, flags=2), w) < score(Signals(cosine=0.8), w)
    assert score(Signals(), w) == score(Signals(cosine=0.8), w)  # missing -> dev mean
    assert 0.0 < score(Signals(cosine=-50.0), w) < 1e-6  # clipped, no overflow


def test_fit_learns_which_signal_separates_and_auroc_measures_it() -> None:
    rng = random.Random(3)
    rows = []
    for _ in range(300):
        right = rng.random() < 0.6
        lp = rng.gauss(-0.3 if right else -1.2, 0.3)  # informative
        cos = rng.gauss(0.85, 0.05)  # noise
        rows.append((Signals(lp_mean=lp, lp_min=lp * 3, cosine=cos, flags=0), right))
    w = fit(rows)
    assert set(FEATURES) <= set(w) and w["lp_mean"] > 5 * abs(w["cosine"])
    scores = [score(s, w) for s, _ in rows]
    assert auroc(scores, [r for _, r in rows]) > 0.9
    assert auroc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auroc([1, 1], [False, True]) == 0.5


def test_shipped_weights_are_a_valid_model() -> None:
    s = Settings()
    assert s.confidence_weights == CONFIDENCE_WEIGHTS
    assert 0.0 < score(Signals(lp_mean=-0.1, lp_min=-1.0, cosine=0.9), s.confidence_weights) <= 1


def test_translation_marks_a_low_confidence_sentence_in_markdown_and_json(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = responder
    unsure_about(fake_model, {"thirty"})
    bot = bot_for(tmp_path, fake_model)
    text = "\n\n".join([CLAIM, list(ENGLISH)[2]])
    tr = bot.translate(text, "a.txt")
    claim, other = tr.sentences
    assert claim.uncertain and not other.uncertain
    assert claim.confidence is not None and claim.confidence < 0.1 < 0.9 < other.confidence
    # Requests asked for log-probabilities.
    assert all(r.get("logprobs") for r in fake_model.chat_requests())
    md = tr.markdown()
    row = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    assert "⚠ uncertain (confidence 0.0" in row and "ثلاثين" in row  # Arabic beside it
    assert "Uncertain (low confidence, check the Arabic): 1 of 2" in md
    data = json.loads(json.dumps(tr.as_json()))
    assert [s["uncertain"] for s in data["sentences"]] == [True, False]


def test_summary_keeps_a_low_confidence_bullet_apart_with_its_arabic(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = responder
    unsure_about(fake_model, {"thirty"})
    bot = bot_for(tmp_path, fake_model, summary_bullets=3)
    text = "عنوان\n\n" + "\n\n".join([CLAIM, *list(ENGLISH)[2:5]])
    summary = bot.summarize(text, "a.txt")
    assert all("thirty" not in b.text for b in summary.bullets)
    assert [b.marked for b in summary.uncertain] == ["uncertain"]
    md = summary.markdown()
    section = md.split("## Uncertain (may be wrong: check the Arabic)", 1)[1]
    assert "⚠" in section and "thirty" in section and UNSURE in section
    assert "1 statement(s) marked uncertain" in md
    assert summary.as_json()["uncertain"][0]["confidence"] < 0.5


def test_briefing_lists_uncertain_statements_and_still_surfaces_a_disagreement(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = responder
    unsure_about(fake_model, {"denied"})  # only the denial's English is doubtful
    b = bot_for(tmp_path, fake_model).brief(ARTICLES)
    assert [x.cites[0].text for x in b.uncertain] == [DENIAL]
    statements = [*b.headline, *b.developments, *b.figures, *(x for _, x in b.timeline)]
    assert all(x.cites[0].text != DENIAL for x in statements), "never stated as fact"
    # The disagreement is not lost: the counter-report is shown, marked, with its Arabic.
    (d,) = b.disagreements
    assert d.counter.marked == "uncertain" and d.claim.marked == ""
    md = b.markdown()
    line = next(x for x in md.splitlines() if "**Counter-report:**" in x)
    assert "⚠ (uncertain)" in line and "Arabic:" in line and "ونفى" in line
    assert "1 statement(s) marked uncertain" in md.split("## Headline")[0]
    page = b.html()
    assert "Uncertain (may be wrong: check the Arabic)" in page and "<details open>" in page


def test_gloss_of_a_cited_sentence_carries_the_uncertain_flag(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    fake_model.responder = responder
    unsure_about(fake_model, {"thirty"})
    gloss = bot_for(tmp_path, fake_model).glosser()
    english, flags = gloss(CLAIM)
    assert "thirty" in english and re.match(
        r"uncertain translation \(confidence 0\.\d\d\)", flags[0]
    )
    english, flags = gloss(list(ENGLISH)[2])
    assert flags == []


def test_a_server_without_logprobs_still_gets_scored(tmp_path: Path, fake_model: FakeOpenAI):
    fake_model.responder = responder
    fake_model.logprob_of = lambda w, reply: float("nan")  # garbage: ignored, not a crash
    weights: dict[str, Any] = {**WEIGHTS, "cosine": 1.0, "mean_cosine": 0.8, "scale_cosine": 0.1}
    tr = bot_for(tmp_path, fake_model, confidence_weights=weights).translate(CLAIM, "a.txt")
    (s,) = tr.sentences
    assert s.confidence is not None and 0.0 <= s.confidence <= 1.0
