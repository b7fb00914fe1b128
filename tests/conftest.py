"""Shared fixtures: throw-away indexes over the seed articles and a fake model server.

Every test works on its own ``index_dir``; nothing here touches the repo's ``index/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service import Newsbot
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
    return Settings(**values)  # type: ignore[arg-type]


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


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``corpus/`` (the seeds) and ``index/`` (ingested once per run)."""
    tmp = tmp_path_factory.mktemp("seed-index")
    copy_seeds(tmp / "corpus")
    bot = Newsbot(make_settings(tmp))
    report = bot.ingest()
    assert len(report.added) == 5
    return tmp


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
