"""The ingest manifest (``index_dir/manifest.json``): each file's content hash, chunk ids
and metadata. What is wrong with it on disk is kept as ``problem``, never read as an
empty index."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._saved = self._cost = 0.0
        self.data: dict[str, Any] = {"version": MANIFEST_VERSION, "files": {}}
        # What is wrong with the file on disk, if anything: readers report it (an empty
        # or broken manifest is not an empty index); an ingest starts over.
        self.problem = _manifest_problem(path) if path.exists() else None
        if self.problem is None and path.exists():
            self.data = json.loads(path.read_text("utf-8"))
        elif self.problem is not None:
            self.data = {"version": MANIFEST_VERSION, "files": {}, "corrupt": True}

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data.setdefault("files", {})

    def save(self) -> None:
        # With a Chroma server nothing else creates index_dir: the manifest lives there.
        t = time.perf_counter()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.path)  # atomic: a kill never leaves half a manifest
        self._saved = time.perf_counter()
        self._cost = self._saved - t

    def save_soon(self, every_s: float) -> None:
        """Save if ``every_s`` passed since the last save (and ten times what a save
        costs: a 100,000-article manifest is tens of MB). What is not saved yet stays
        pending on disk, so a killed ingest redoes those files, never skips them."""
        if time.perf_counter() - self._saved >= max(every_s, 10 * self._cost):
            self.save()


def _manifest_problem(path: Path) -> str | None:
    try:
        raw = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable: {getattr(exc, 'strerror', None) or exc}"
    if not raw.strip():
        return "the file is empty"
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        return "not a newsbot manifest"
    for key, entry in data.get("files", {}).items():
        if not isinstance(entry, dict):
            return f"the entry for {key[-60:]} is a {type(entry).__name__}, not an object"
    return None
