"""The web chat's Translate / Summarize / Brief tabs, in a real browser (chromium)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import web  # noqa: F401  (first: it sets the telemetry switches before gradio loads)
from bot.chunk import sentence_units
from bot.config import PROJECT_ROOT, Settings
from bot.service import Newsbot
from bot.web.tools import summary_html, translation_html
from tests.support.chat_server import RunningChat
from tests.support.openai_server import FakeOpenAI

CHROMIUM = Path("/usr/bin/chromium")
ARTICLE = "003_a47adb4170558f8e.txt"

pytestmark = pytest.mark.filterwarnings(
    "ignore:'future.no_silent_downcasting':Warning", "ignore:The copy keyword:Warning"
)


def hostile_translator(messages: list[dict[str, Any]]) -> str:
    ar = re.search(r"(?:Arabic: |to English:\n)(.*)", messages[-1]["content"])
    n = len(ar.group(1)) if ar else 0
    return f'Sentence of {n} chars <img src=x onerror="window.__pwned=1"> about Mosul.'


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    server.responder = hostile_translator
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsbot]:
    root = tmp_path_factory.mktemp("tools")
    shutil.copytree(PROJECT_ROOT / "seeds", root / "corpus")
    b = Newsbot(
        Settings(
            base_url=fake.base_url,
            chat_model="fake-model",
            index_dir=root / "index",
            corpus_dir=root / "corpus",
        )
    )
    b.ingest([b.settings.corpus_dir])
    yield b
    b.close()


def test_translate_tab_shows_arabic_and_english_side_by_side(chat: RunningChat, bot: Newsbot):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    text = (bot.settings.corpus_dir / ARTICLE).read_text("utf-8")
    units = sentence_units(text)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pg = browser.new_page(viewport={"width": 1360, "height": 900})
        pg.goto(chat.url, wait_until="load")
        pg.get_by_role("tab", name="Translate").click()
        pg.locator("#nb-tr-article input").click()
        pg.get_by_role("option", name=ARTICLE).click()
        pg.click("#nb-tr-go")
        pg.wait_for_selector("#nb-tr-out table.nb-tr tr", timeout=60_000)
        rows = pg.locator("#nb-tr-out table.nb-tr tr")
        assert rows.count() == len(units)
        first = rows.first
        a, b = units[0]
        assert first.locator("td.nb-ar").inner_text().strip() == text[a:b]
        assert first.locator("td.nb-ar").get_attribute("dir") == "rtl"
        english = first.locator("td.nb-en").inner_text()
        assert "<img src=x" in english  # shown as text, never run
        assert pg.evaluate("window.__pwned") is None
        assert pg.locator("#nb-tr-out img").count() == 0
        browser.close()


def test_rendered_tool_output_is_escaped(bot: Newsbot, fake: FakeOpenAI) -> None:
    evil = "<script>alert(1)</script> قال المتحدث إن 12 جنديا قتلوا في الهجوم على البلدة أمس."
    tr = bot.translate(evil, "<b>x</b>.txt")
    page = translation_html(tr)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;x" in page
    s = bot.summarize(evil, "e.txt", "ar")
    assert "<script>" not in summary_html(s)
