"""The bundled model server process: llama-cpp-python's OpenAI-compatible server with an
idle watchdog that ends it once no newsbot process has held a lease for ``--idle-s``.

Run as ``python -m bot.llm._keeper --state F --lock F --models DIR --slot S --idle-s N
-- llama_cpp.server --model ...`` (any server module after ``--``). The watchdog shuts
down only while holding the slot's start lock, after removing the state file: a process
that takes a lease, then looks for the server under that lock, either finds it before
the watchdog's check (and its lease keeps it up) or finds none and starts a new one. It
is never stopped mid-request.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import runpy
import signal
import sys
import threading
import time
from pathlib import Path

from bot.llm._lease import holders


def _write_state(state: Path, **fields: object) -> None:
    """Add ``fields`` to the state file, if it still names this process."""
    try:
        st = json.loads(state.read_text())
    except (OSError, ValueError):
        return
    if st.get("pid") != os.getpid():
        return
    st.update(fields)
    tmp = state.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(st))
    os.replace(tmp, state)


def _shut_down(state: Path, lock_path: Path, model_dir: Path, slot: str) -> bool:
    """Under the start lock: if still no lease, unpublish this server and stop it."""
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if holders(model_dir, slot):
        os.close(fd)
        return False
    with contextlib.suppress(OSError, ValueError):
        if json.loads(state.read_text()).get("pid") == os.getpid():
            state.unlink()
    # The lock stays held until this process has exited (the kernel drops it then), so
    # nobody finds a server that is going away.
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
    time.sleep(20)
    os._exit(0)  # pragma: no cover - uvicorn did not stop


def watch(state: Path, lock_path: Path, model_dir: Path, slot: str, idle_s: float) -> None:
    poll = max(0.2, min(2.0, idle_s / 10))
    idle_since: float | None = None
    while True:
        time.sleep(poll)
        if holders(model_dir, slot):
            if idle_since is not None:
                idle_since = None
                _write_state(state, idle_since=None)
            continue
        now = time.monotonic()
        if idle_since is None:
            idle_since = now
            _write_state(state, idle_since=time.time(), idle_s=idle_s)
        elif now - idle_since >= idle_s and not _shut_down(state, lock_path, model_dir, slot):
            idle_since = None
            _write_state(state, idle_since=None)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if "--" not in args:
        raise SystemExit("usage: python -m bot.llm._keeper [options] -- llama_cpp.server ...")
    split = args.index("--")
    p = argparse.ArgumentParser(prog="bot.llm._keeper")
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--lock", type=Path, required=True)
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--slot", required=True)
    p.add_argument("--idle-s", type=float, required=True)
    opts = p.parse_args(args[:split])
    server_args = args[split + 1 :]
    if opts.idle_s > 0:
        threading.Thread(
            target=watch,
            args=(opts.state, opts.lock, opts.models, opts.slot, opts.idle_s),
            name="newsbot-idle",
            daemon=True,
        ).start()
    # The server module runs as ``python -m`` would run it; its name stays on this
    # process's command line, which is what `newsbot model stop` and the tests look for.
    sys.argv = server_args
    runpy.run_module(server_args[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
