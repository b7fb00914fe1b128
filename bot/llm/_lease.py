"""Leases on a bundled model server slot, the way Ollama keeps a model loaded.

Every newsbot process that uses a slot's server holds a lease on the slot while it does;
the server (``bot.llm._keeper``) exits by itself once no lease has been held for its idle
timeout, and nothing else stops it except ``newsbot model stop``. Before, the process that
started a server stopped it at exit, breaking off another process's answer mid-stream.

A lease is a file ``leases/<slot>-<pid>-<n>.lease`` its owner holds an flock on. The
kernel drops the lock when the owner exits, however it exits, so a killed process holds
no lease: a lease file whose lock can be taken is stale and is removed. Stdlib only: the
keeper imports this inside the model server process.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

_serial = itertools.count()


def lease_dir(model_dir: Path) -> Path:
    return model_dir / "leases"


@dataclass(frozen=True)
class Holder:
    pid: int
    since: float  # wall-clock time the lease was taken
    command: str


class Lease:
    """One process's hold on a slot; ``release()`` (or the process's exit) ends it."""

    def __init__(self, model_dir: Path, slot: str) -> None:
        folder = lease_dir(model_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{slot}-{os.getpid()}-{next(_serial)}"
        tmp = folder / f"{name}.taking"
        self.path = folder / f"{name}.lease"
        self._fd: int | None = os.open(tmp, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        info = {"pid": os.getpid(), "since": time.time(), "command": _command()}
        os.write(self._fd, json.dumps(info).encode())
        # Locked before it has its scanned name: a scan never finds it unlocked and
        # takes a new lease for a stale one.
        os.replace(tmp, self.path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def _command() -> str:
    try:
        argv = Path("/proc/self/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    words = [Path(a.decode(errors="replace")).name for a in argv[:3] if a]
    return " ".join(words)


def holders(model_dir: Path, slot: str) -> list[Holder]:
    """The live leases on ``slot``; stale lease files (their owner gone) are removed."""
    folder = lease_dir(model_dir)
    live: list[Holder] = []
    for path in sorted(folder.glob(f"{slot}-*.lease")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # released meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                live.append(_read(fd, path))
                continue
            with contextlib.suppress(OSError):
                path.unlink()  # nobody holds it: its owner exited without releasing
        finally:
            os.close(fd)
    return live


def _read(fd: int, path: Path) -> Holder:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        info = {}
    pid = int(info.get("pid") or path.stem.split("-")[1])
    return Holder(pid, float(info.get("since") or 0.0), str(info.get("command") or ""))
