"""A small on-disk result cache: one append-only JSON-lines file per kind of work.

Each result is written (and flushed) the moment it is made, so an interrupted run
keeps what it finished and the next run resumes from there; a half-written last
line from a killed process is skipped. Keys are content hashes that include the
prompt, the model and the glossary hits, so a change to any of them misses.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any


def key(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, ensure_ascii=False, sort_keys=True, default=str).encode())
        h.update(b"\x1f")
    return h.hexdigest()[:32]


class ResultCache:
    def __init__(self, folder: Path, kind: str) -> None:
        self.path = folder / f"{kind}.jsonl"
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {}
        self._mtime: int | None = None

    def _refresh(self) -> None:
        # Re-read when another process (CLI vs web chat) has appended since.
        try:
            st = self.path.stat()
        except OSError:
            return
        if st.st_mtime_ns == self._mtime:
            return
        data: dict[str, Any] = {}
        with self.path.open("r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                    data[row["k"]] = row["v"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut off by a kill: that item is simply redone
        self._data = data
        self._mtime = st.st_mtime_ns

    def get(self, k: str) -> Any | None:
        with self._lock:
            self._refresh()
            return self._data.get(k)

    def put(self, k: str, value: Any) -> None:
        line = json.dumps({"k": k, "v": value}, ensure_ascii=False) + "\n"
        with self._lock:
            self._refresh()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._data[k] = value
            self._mtime = self.path.stat().st_mtime_ns


class NoCache(ResultCache):
    """Remembers nothing: every sentence goes to the gateway (an evaluation records or
    replays each model call; the on-disk cache would hide both)."""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.gettempdir()), "unused")

    def get(self, k: str) -> Any | None:
        return None

    def put(self, k: str, value: Any) -> None:
        return None
