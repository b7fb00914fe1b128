"""A real ``chroma run`` server on a free 127.0.0.1 port with a temporary data folder.

Used by the test fixtures (the integration suite runs once against it) and by the
benchmarks. ``stop()`` / ``start()`` take the server down and bring it back on the
same port and folder, so tests can check what newsbot does while it is gone.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import httpx

from tests.support.process import LocalServer, free_port

# The CLI that comes with the chromadb package, next to this interpreter.
CHROMA = Path(sys.executable).with_name("chroma")
__all__ = ["CHROMA", "ChromaServer", "free_port"]


class ChromaServer(LocalServer):
    name = "chroma run"

    def __init__(self, path: Path | None = None, port: int = 0) -> None:
        self._own_path = path is None
        self.path = path or Path(tempfile.mkdtemp(prefix="chroma-server-"))
        super().__init__(port, log=self.path.parent / f"{self.path.name}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if not CHROMA.exists():
            raise RuntimeError(f"{CHROMA} not found: is chromadb installed in this venv?")
        return [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1",
                "--port", str(self.port)]  # fmt: skip

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        """Stop the server and remove the data folder if this object made it."""
        self.stop()
        if self._own_path:
            shutil.rmtree(self.path, ignore_errors=True)
            if self.log:
                self.log.unlink(missing_ok=True)
