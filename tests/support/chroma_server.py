"""A real ``chroma run`` server on a free 127.0.0.1 port with a temporary data folder.

Used by the test fixtures (the integration suite runs once against it) and by the
benchmarks. ``stop()`` / ``start()`` take the server down and bring it back on the
same port and folder, so tests can check what newsbot does while it is gone.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

# The CLI that comes with the chromadb package, next to this interpreter.
CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    def __init__(self, path: Path | None = None, port: int = 0) -> None:
        self._own_path = path is None
        self.path = path or Path(tempfile.mkdtemp(prefix="chroma-server-"))
        self.port = port or free_port()
        self.log = self.path.parent / f"{self.path.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60.0) -> ChromaServer:
        if not CHROMA.exists():
            raise RuntimeError(f"{CHROMA} not found: is chromadb installed in this venv?")
        with self.log.open("ab") as log:
            args = ["run", "--path", str(self.path), "--host", "127.0.0.1"]
            self._proc = subprocess.Popen(
                [str(CHROMA), *args, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text("utf-8", "replace")[-2000:]
                raise RuntimeError(f"chroma run did not come up on {self.url}:\n{tail}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        """Stop the server; its data stays in ``path`` for a later ``start()``."""
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        # Wait until the port is really closed: a test of "server down" must see it down.
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> ChromaServer:
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the server and remove the data folder if this object made it."""
        self.stop()
        if self._own_path:
            shutil.rmtree(self.path, ignore_errors=True)
            self.log.unlink(missing_ok=True)

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
