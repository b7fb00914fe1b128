"""One door: every way of asking goes through ``Newsbot.chat``/``answer``, so a follow-up
is condensed the same way in each front end (the interactive CLI, the gradio API, the
evaluation, the chat benchmark, the LangChain runnable; the page is driven in chromium
by tests/web/test_chat.py), and the service refuses bad questions for all of them."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InputError
from bot.eval import Evaluator, load_cases
from bot.integrations.langchain import answer_runnable
from bot.service import Newsbot
from tests.conftest import ROOT, make_settings
from tests.support.chat_server import start_chat
from tests.support.openai_server import FakeOpenAI

FIRST = "How many people were wounded in the clashes in Kirkuk?"
FIRST_ANSWER = "133 people were wounded in the clashes in Kirkuk [1]."
FOLLOW = "and how many were killed?"
STANDALONE = "How many people were killed in the clashes in Kirkuk?"


def _rewriter(messages: list[dict[str, Any]]) -> str:
    """A model that rewrites follow-ups (prompts/condense.yaml) and answers otherwise."""
    if "Follow-up question:" in messages[-1]["content"]:
        return STANDALONE
    return FIRST_ANSWER


@pytest.fixture
def bot(seed_index: Path, fake_model: FakeOpenAI) -> Newsbot:
    fake_model.responder = _rewriter
    return Newsbot(make_settings(seed_index, base_url=fake_model.base_url, chat_model="fake"))


def _condense_calls(fake: FakeOpenAI) -> list[str]:
    return [
        r["messages"][-1]["content"]
        for r in fake.chat_requests()
        if "Follow-up question:" in r["messages"][-1]["content"]
    ]


def test_service_condenses_with_history_only(bot: Newsbot, fake_model: FakeOpenAI) -> None:
    assert bot.answer(FIRST).search_query == FIRST  # no history: no rewrite, no model call
    assert _condense_calls(fake_model) == []
    got = bot.answer(FOLLOW, [(FIRST, FIRST_ANSWER)])
    assert got.search_query == STANDALONE
    (call,) = _condense_calls(fake_model)
    assert FIRST in call and f"Follow-up question: {FOLLOW}" in call


def test_interactive_cli_condenses_follow_ups(seed_index: Path, fake_model: FakeOpenAI) -> None:
    """It did not before: a follow-up meant something else in the terminal."""
    fake_model.responder = _rewriter
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        NEWSBOT_INDEX_DIR=str(seed_index / "index"),
        NEWSBOT_CORPUS_DIR=str(seed_index / "corpus"),
        NEWSBOT_BASE_URL=fake_model.base_url,
    )
    exe = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    r = subprocess.run(
        [exe, "ask", "--json"],
        input=f"{FIRST}\n{FOLLOW}\n\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    decoder, text, answers = json.JSONDecoder(), r.stdout, []
    while (start := text.find("{")) >= 0:
        obj, end = decoder.raw_decode(text[start:])
        answers.append(obj)
        text = text[start + end :]
    assert [a["search_query"] for a in answers] == [FIRST, STANDALONE]


def test_gradio_api_condenses_follow_ups(bot: Newsbot) -> None:
    from gradio_client import Client

    running = start_chat(bot)
    try:
        client = Client(running.url, verbose=False)
        got = client.predict(FOLLOW, "auto", [[FIRST, FIRST_ANSWER]], api_name="/ask")
        client.close()
    finally:
        running.stop()
    assert got["search_query"] == STANDALONE


def test_eval_condenses_follow_ups(bot: Newsbot, tmp_path: Path) -> None:
    case = tmp_path / "f.yaml"
    case.write_text(
        "cases:\n  - id: f\n    input:\n      history:\n"
        f"        - {{question: '{FIRST}', answer: '{FIRST_ANSWER}'}}\n"
        f"      question: '{FOLLOW}'\n    assert:\n      - {{type: language, value: en}}\n",
        "utf-8",
    )
    (lc,) = load_cases([case])
    ev = Evaluator(bot.settings)
    try:
        run = ev.run_once(lc)
    finally:
        ev.close()
    assert run.output is not None and run.output.search_query == STANDALONE


def test_chat_bench_condenses_follow_ups(bot: Newsbot) -> None:
    spec = importlib.util.spec_from_file_location("bench_chat", ROOT / "bench" / "chat.py")
    assert spec is not None and spec.loader is not None
    bench_chat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_chat)
    row = bench_chat.time_follow_up(bot, FIRST, FOLLOW)
    assert row["search_query"] == STANDALONE


def test_langchain_runnable_condenses_follow_ups(bot: Newsbot) -> None:
    got = answer_runnable(bot).invoke({"question": FOLLOW, "history": [(FIRST, FIRST_ANSWER)]})
    assert got["search_query"] == STANDALONE


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_empty_or_over_long_questions_are_input_errors(
    bot: Newsbot, fake_model: FakeOpenAI, question: str
) -> None:
    with pytest.raises(InputError):
        bot.answer(question)
    assert fake_model.chat_requests() == []


def test_questions_of_control_characters_or_no_words_are_refused(tmp_path: Path) -> None:
    bot = Newsbot(make_settings(tmp_path))
    for q, said in [
        ("\x1b[2J\x1b[31m", "control characters (U+001B)"),
        ("How many\x00 wounded?", "U+0000"),
        ("\x7f", "U+007F"),
        ("?!… ؟", "no words"),
    ]:
        with pytest.raises(InputError, match=re.escape(said)):
            bot.check_question(q)
    assert bot.check_question(" How many\twounded?\n") == "How many\twounded?"
    assert bot.check_question("كم عدد الجرحى؟") == "كم عدد الجرحى؟"
