"""Shared fixtures: throw-away indexes over the seed articles and a fake model server.

Every test works on its own ``index_dir``; nothing here touches the repo's ``index/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.keyword import keyword_index
from bot.service import Newsbot
from tests.support.chroma_server import ChromaServer
from tests.support.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "index_dir": tmp / "index",
        "corpus_dir": tmp / "corpus",
        "model_dir": tmp / "models",
    }
    values.update(overrides)
    if values.get("chroma_url", os.environ.get("NEWSBOT_CHROMA_URL")):
        # One Chroma server serves every test: each index gets its own collection.
        values.setdefault("collection", collection_for(Path(str(values["index_dir"]))))
    return Settings(**values)  # type: ignore[arg-type]


def collection_for(index_dir: Path) -> str:
    return "t-" + hashlib.sha1(str(index_dir.resolve()).encode()).hexdigest()[:16]


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


# -- store backends (docs/scale-out.md) ---------------------------------------------------
# The store-touching integration suites run twice, with the same assertions: on the
# embedded store and on a `chroma run` server started here. Settings read
# NEWSBOT_CHROMA_URL from the environment, so the CLI run in a subprocess follows too.
STORE_SUITES = {"test_ingest", "test_retrieve", "test_answer"}
BACKENDS = ["embedded", "chroma-server"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module not in STORE_SUITES or "store_backend" not in metafunc.fixturenames:
        return
    # Both from one parameter: the seed index must live in the backend under test.
    names = [n for n in ("store_backend", "seed_index") if n in metafunc.fixturenames]
    values = [b if len(names) == 1 else (b, b) for b in BACKENDS]
    metafunc.parametrize(",".join(names), values, indirect=True, ids=BACKENDS)


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[ChromaServer]:
    """One `chroma run` server on a free 127.0.0.1 port for the whole run."""
    server = ChromaServer().start()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``embedded`` unless the test is in STORE_SUITES' second run."""
    backend = getattr(request, "param", "embedded")
    if backend == "chroma-server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        tmp: Path = request.getfixturevalue("tmp_path")
        monkeypatch.setenv("NEWSBOT_CHROMA_URL", server.url)
        # For a CLI subprocess ingesting into tmp_path/"index", as make_settings names it.
        monkeypatch.setenv("NEWSBOT_COLLECTION", collection_for(tmp / "index"))
    else:
        monkeypatch.delenv("NEWSBOT_CHROMA_URL", raising=False)
    return backend


def _build_seed_index(tmp: Path, chroma_url: str | None) -> Path:
    copy_seeds(tmp / "corpus")
    bot = Newsbot(make_settings(tmp, chroma_url=chroma_url))
    report = bot.ingest()
    assert len(report.added) == 5
    return tmp


@pytest.fixture(scope="session")
def _seed_index_embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_seed_index(tmp_path_factory.mktemp("seed-index"), None)


@pytest.fixture(scope="session")
def _seed_index_server(
    _seed_index_embedded: Path,
    tmp_path_factory: pytest.TempPathFactory,
    chroma_server: ChromaServer,
) -> Path:
    """The embedded seed index's chunks and manifest, copied into the Chroma server.

    Embedding the seeds costs about a minute here, so it is done once; the copy goes
    through newsbot's own Store (HttpClient). Ingests into the server are exercised by
    the suites' other tests (changed files, a killed ingest) and tests/test_store_server.py.
    """
    tmp = tmp_path_factory.mktemp("seed-index-server")
    # Same real corpus path: manifest keys and chunk ids are derived from it.
    (tmp / "corpus").symlink_to(_seed_index_embedded / "corpus", target_is_directory=True)
    src = Newsbot(make_settings(_seed_index_embedded, chroma_url=None))
    dst = Newsbot(make_settings(tmp, chroma_url=chroma_server.url))
    chunks = src.store.all_chunks()
    vectors = src.store.embeddings([c.id for c in chunks])
    dst.store.upsert(
        ids=[c.id for c in chunks],
        embeddings=np.stack([vectors[c.id] for c in chunks]),
        documents=[c.text for c in chunks],
        metadatas=[c.meta for c in chunks],
    )
    (tmp / "index").mkdir()
    manifest = json.loads((_seed_index_embedded / "index" / "manifest.json").read_text("utf-8"))
    manifest["store"] = dst.store.location
    (tmp / "index" / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    # Its keyword index, as the ingest's refill from the store would write it.
    rows = [(c.id, str(c.meta["path"]), c.text) for c in chunks]
    keyword_index(dst.settings).replace(sorted({r[1] for r in rows}), rows)
    return tmp


@pytest.fixture(scope="session")
def seed_index(request: pytest.FixtureRequest) -> Path:
    """A folder holding ``corpus/`` (the seeds) and ``index/`` (ingested once per run
    and backend); with the server backend its chunks live in the test Chroma server."""
    if getattr(request, "param", "embedded") == "chroma-server":
        return request.getfixturevalue("_seed_index_server")
    return request.getfixturevalue("_seed_index_embedded")


# -- end store backends --------------------------------------------------------------------


@pytest.fixture
def seeded_bot(seed_index: Path, fake_model: FakeOpenAI) -> Newsbot:
    """A bot on the shared seed index whose chat model is the fake server.

    Read-only use: tests that change the corpus build their own index.
    """
    return Newsbot(
        make_settings(
            seed_index, base_url=fake_model.base_url, chat_model="fake-model", max_retries=2
        )
    )
