"""The README's first command, on a runtime-only install, and `pip install .`.

CI installs the dev extra for everything else, so a module of ``bot/`` that imports a
dev-only package would pass every other test and crash ``./run.sh`` on a user's machine.
Here a copy of this checkout (what ``git clone`` gives: tracked and unignored files) gets
its own venv from ``scripts/setup.sh`` without ``--dev``; every module of ``bot/`` is
imported there, ``newsbot setup`` runs, and ``newsbot chat`` is started on a free
127.0.0.1 port against the local OpenAI-compatible test server and asked an English and
an Arabic question through ``gradio_client``. A second, empty venv gets a plain
(non-editable) ``pip install .`` and is used from outside the source tree.

Both installs come from the package cache the main setup filled, so they take seconds
to a minute, not the first run's compile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chat_server import free_port
from tests.support.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
KIRKUK_EN = "How many people were wounded in the attack on Kirkuk?"
KIRKUK_AR = "كم عدد الجرحى في هجوم كركوك؟"
SEED_NAMES = {p.name for p in (ROOT / "seeds").glob("*.txt")}
IMPORT_ALL = (
    "import importlib, pkgutil, bot\n"
    "names = [m.name for m in pkgutil.walk_packages(bot.__path__, 'bot.')]\n"
    "for n in names: importlib.import_module(n)\n"
    "print(len(names), 'modules')\n"
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _checkout_copy(dest: Path) -> Path:
    """What a clone of this working tree holds: tracked and unignored files."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "VIRTUAL_ENV"))}
    env.update(
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_DISABLE_TELEMETRY="1",
        HOME=str(tmp / "home"),  # no ~/.cache/newsbot or ~/.local/share/newsbot of ours
        XDG_DATA_HOME=str(tmp / "home" / "data"),
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
        PATH=os.environ.get("PATH", ""),
        **extra,
    )
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def runtime_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout with the runtime install only (scripts/setup.sh, no --dev)."""
    tmp = tmp_path_factory.mktemp("first-run")
    clone = _checkout_copy(tmp / "clone")
    _run(["scripts/setup.sh"], clone, _env(tmp), timeout=1800)
    return clone


def test_runtime_install_has_no_dev_tools(runtime_clone: Path) -> None:
    """The smoke test means something only if the dev extra really is absent."""
    python = runtime_clone / ".venv" / "bin" / "python"
    for dev_only in ("pytest", "ruff", "playwright", "rouge_score"):
        probe = subprocess.run([python, "-c", f"import {dev_only}"], capture_output=True)
        assert probe.returncode != 0, f"{dev_only} is installed in the runtime-only venv"


def test_every_module_of_bot_imports_on_the_runtime_install(runtime_clone: Path) -> None:
    python = runtime_clone / ".venv" / "bin" / "python"
    out = _run([str(python), "-c", IMPORT_ALL], runtime_clone, _env(runtime_clone.parent), 300)
    assert int(out.split()[0]) >= 30


def _wait_up(url: str, proc: subprocess.Popen[str], log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"newsbot chat exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"newsbot chat did not start serving:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()  # uvicorn shuts down gracefully; a client still connected may hold it
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def test_setup_then_chat_answers_in_both_languages(runtime_clone: Path, model: FakeOpenAI) -> None:
    from gradio_client import Client

    tmp = runtime_clone.parent
    newsbot = str(runtime_clone / ".venv" / "bin" / "newsbot")
    env = _env(
        tmp,
        NEWSBOT_BASE_URL=model.base_url,
        NEWSBOT_CHAT_MODEL="fake-model",
        NEWSBOT_MODEL_DIR=str(tmp / "models"),
    )
    out = _run([newsbot, "setup"], runtime_clone, env, timeout=900)
    assert f"{len(SEED_NAMES)} added" in out
    port = free_port()
    log = tmp / "chat.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [newsbot, "chat", "--port", str(port)],
            cwd=runtime_clone,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_up(url, proc, log)
        client = Client(url, verbose=False)
        for question, lang in ((KIRKUK_EN, "en"), (KIRKUK_AR, "ar")):
            got = client.predict(question, "auto", [], api_name="/ask")
            assert not got["declined"] and got["language"] == lang, got
            assert got["citations"], got
            for c in got["citations"]:
                assert c["source"] in SEED_NAMES and c["quote"] and c["end"] > c["start"]
            assert "[1]" in got["answer"]
        client.close()
    finally:
        _stop(proc)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_pip_install_dot_works_outside_the_source_tree(
    runtime_clone: Path, model: FakeOpenAI, tmp_path: Path
) -> None:
    """A plain (non-editable) install finds its prompts, glossary, seeds and regression
    cases inside the package, and keeps its index and corpus in the user's data folder."""
    venv = tmp_path / "venv"
    env = _env(tmp_path)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path, env, 300)
    install = [uv, "pip", "install", "--quiet", "-p", str(venv), str(runtime_clone)]
    try:  # from the package cache the main setup filled, as scripts/setup.sh does
        _run([*install, "--offline"], tmp_path, env, 900)
    except AssertionError:
        _run(install, tmp_path, env, 900)
    _run([str(venv / "bin" / "python"), "-c", IMPORT_ALL], tmp_path, env, 300)
    newsbot = str(venv / "bin" / "newsbot")
    work = tmp_path / "elsewhere"
    work.mkdir()
    site = _run(
        [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"], work, env, 60
    )
    assert str(runtime_clone) not in site and "site-packages" in site
    live = {**env, "NEWSBOT_BASE_URL": model.base_url, "NEWSBOT_CHAT_MODEL": "fake-model"}
    _run([newsbot, "setup"], work, live, timeout=900)
    data = tmp_path / "home" / "data" / "newsbot"
    assert {p.name for p in (data / "corpus").iterdir()} == SEED_NAMES
    assert (data / "index" / "manifest.json").is_file()
    answer = _run([newsbot, "ask", "--json", KIRKUK_EN], work, live, timeout=300)
    assert '"declined": false' in answer and '"citations": [' in answer
    # The shipped regression suite replays from the package's own cassettes, no model.
    replay = subprocess.run(
        [newsbot, "eval", "--replay", "--filter", "*kirkuk*", "--out", str(tmp_path / "r")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert "cases x 1" in replay.stderr, replay.stderr[-2000:]
    assert (tmp_path / "r" / "results.json").is_file(), replay.stdout[-2000:]
