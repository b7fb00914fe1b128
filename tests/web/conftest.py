"""The web tests' running chat: each module's own ``bot`` served on a free 127.0.0.1 port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.service import Newsbot
from tests.support.chat_server import RunningChat, start_chat
from tests.support.openai_server import FakeOpenAI


def web_settings(fake: FakeOpenAI, root: Path, **overrides: object) -> Settings:
    """A web module's settings: the seeds copied into ``root/corpus``, its own index, the
    fake model, and confidence from the log-probabilities the tests script."""
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "seeds", corpus)
    values: dict[str, object] = {
        "base_url": fake.base_url,
        "chat_model": "fake-model",
        "index_dir": root / "index",
        "corpus_dir": corpus,
        "max_retries": 1,
        "confidence_weights": {"lp_mean": 3.0, "mean_lp_mean": -0.5, "scale_lp_mean": 0.5},
        "confidence_floor": 0.5,
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chat(bot: Newsbot) -> Iterator[RunningChat]:
    running = start_chat(bot)
    yield running
    running.stop()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, chat: RunningChat) -> Iterator[Any]:
    """A fresh session on the chat; fails if the page reached beyond 127.0.0.1 or ran
    a dialog (alert) from content."""
    context = browser.new_context(
        viewport={"width": 1360, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    pg = context.new_page()
    hosts: set[str] = set()
    dialogs: list[str] = []
    pg.on("request", lambda r: hosts.add(r.url.split("/")[2]) if "://" in r.url else None)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.goto(chat.url, wait_until="load")
    pg.wait_for_selector("#nb-question textarea")
    pg.wait_for_selector("#nb-status .nb-status")
    yield pg
    context.close()
    assert hosts <= {chat.url.split("/")[2]}, f"requests left the machine: {hosts}"
    assert not dialogs, f"content opened dialogs: {dialogs}"


FINAL = "#nb-chat .nb-answer, #nb-chat .nb-declined, #nb-chat .nb-error"


def ask(pg: Any, question: str) -> Any:
    """Type and send a question; return the finished assistant message."""
    before = pg.locator(FINAL).count()
    pg.fill("#nb-question textarea", question)
    pg.click("#nb-ask")
    return wait_final(pg, before)


def wait_final(pg: Any, before: int) -> Any:
    pg.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > {before}", timeout=30_000)
    return pg.locator(FINAL).last
