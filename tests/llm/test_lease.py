"""Leases on a bundled server slot and the idle keeper, without the model: the keeper
wraps Python's own http.server here (any module after ``--``), the way it wraps
llama_cpp.server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.llm._lease import Lease, holders


def _wait(cond: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_a_lease_is_seen_until_released(tmp_path: Path) -> None:
    lease = Lease(tmp_path, "answer")
    other = Lease(tmp_path, "writer")
    try:
        seen = holders(tmp_path, "answer")
        assert [h.pid for h in seen] == [os.getpid()]
        assert seen[0].since <= time.time()
        lease.release()
        assert holders(tmp_path, "answer") == []
        assert [h.pid for h in holders(tmp_path, "writer")] == [os.getpid()]  # its own slot
    finally:
        lease.release()
        other.release()


def test_a_killed_holder_leaves_no_lease(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; from bot.llm._lease import Lease; "
        "Lease(Path(sys.argv[1]), 'answer'); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert [h.pid for h in holders(tmp_path, "answer")] == [proc.pid]
        proc.kill()  # no release, no atexit: the kernel drops the lock
        proc.wait(timeout=10)
        assert holders(tmp_path, "answer") == []
        assert not list((tmp_path / "leases").glob("*.lease"))  # the stale file is gone
    finally:
        proc.kill()
        proc.wait()


def _keeper(tmp_path: Path, idle_s: float) -> tuple[subprocess.Popen[bytes], Path]:
    state = tmp_path / "server.json"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "bot.llm._keeper",
            "--state", str(state), "--lock", str(tmp_path / "server.lock"),
            "--models", str(tmp_path), "--slot", "answer", "--idle-s", str(idle_s),
            "--", "http.server", "--bind", "127.0.0.1", "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    state.write_text(json.dumps({"base_url": "http://127.0.0.1:9/v1", "pid": proc.pid}))
    return proc, state


def test_the_keeper_stays_while_leased_and_exits_once_idle(tmp_path: Path) -> None:
    lease = Lease(tmp_path, "answer")
    proc, state = _keeper(tmp_path, idle_s=1.0)
    try:
        time.sleep(3.0)  # three idle timeouts: a lease is held, so it stays
        assert proc.poll() is None
        assert json.loads(state.read_text()).get("idle_since") is None
        lease.release()
        assert _wait(lambda: "idle_since" in json.loads(state.read_text() or "{}"), 5)
        assert json.loads(state.read_text())["idle_s"] == 1.0
        proc.wait(timeout=15)
        assert not state.exists()  # unpublished before it went
    finally:
        lease.release()
        proc.kill()
        proc.wait()


def test_the_keeper_does_not_shut_down_under_the_start_lock(tmp_path: Path) -> None:
    """A process that holds the slot's start lock (it is looking for the server, its
    lease about to be taken) keeps an idle server from going until it lets go."""
    import fcntl

    proc, state = _keeper(tmp_path, idle_s=0.5)
    with (tmp_path / "server.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        time.sleep(2.5)
        assert proc.poll() is None and state.exists()
        lease = Lease(tmp_path, "answer")  # taken while the lock was held
    try:
        time.sleep(2.0)
        assert proc.poll() is None, "it went down with a lease held"
    finally:
        lease.release()
    try:
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
