"""The bundled model's two server slots (answers; side prompts), without the model: the
state each slot records, and stopping one or all of them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bot.config import Settings
from bot.llm import Slot, running_server, stop_server


def _fake_server(settings: Settings, name: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["sleep", "60"])
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    state = settings.model_dir / name
    state.write_text(
        json.dumps({"base_url": "http://127.0.0.1:9/v1", "model": "m", "pid": proc.pid})
    )
    return proc


def test_each_slot_has_its_own_state_and_stop_takes_one_or_all(tmp_path: Path) -> None:
    s = Settings(model_dir=tmp_path / "models", index_dir=tmp_path / "index")
    assert running_server(s, Slot.ANSWER) is None and running_server(s, Slot.WRITER) is None
    answer = _fake_server(s, "server.json")
    writer = _fake_server(s, "server-writer.json")
    try:
        # not llama.cpp processes and not answering: neither counts as a running server
        assert running_server(s, Slot.WRITER) is None
        assert stop_server(s, Slot.WRITER)
        assert writer.wait(timeout=10) is not None and answer.poll() is None
        assert not (s.model_dir / "server-writer.json").exists()
        assert (s.model_dir / "server.json").exists()
        assert stop_server(s)  # every slot
        assert answer.wait(timeout=10) is not None
        assert not (s.model_dir / "server.json").exists()
        assert not stop_server(s)
    finally:
        for p in (answer, writer):
            p.kill()
            p.wait()


def test_side_prompts_share_the_configured_server_when_not_bundled(tmp_path: Path) -> None:
    from bot.service import Newsbot

    s = Settings(
        base_url="http://127.0.0.1:9/v1",
        chat_model="m",
        index_dir=tmp_path / "index",
        corpus_dir=tmp_path / "corpus",
    )
    bot = Newsbot(s)
    assert bot.side_gateway() is bot.gateway()  # a real server caches per slot itself
