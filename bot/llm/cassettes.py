"""Cassettes: chat responses recorded once and replayed, for deterministic evaluation.

A recording is keyed by the model's name and the sha256 of the exact request (messages
and sampling parameters), and holds the response text. ``RecordingGateway`` wraps the
real gateway and saves what the model said; ``ReplayGateway`` answers from the cassette
with no model server at all. Both are ``ChatGateway``s, chosen by
``Settings.cassette_mode`` where the service opens its gateway, so every model call still
goes through one gateway. A request the cassette does not hold (a prompt was edited)
raises ``CassetteMissing``: the evaluation reports it, never passes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from threading import Lock
from typing import Any

from bot.config import CassetteMode, Settings
from bot.errors import CassetteMissing
from bot.llm.gateway import ChatGateway, ChatParams, Message

FORMAT = 1


def request_key(model: str, messages: list[Message], params: ChatParams) -> str:
    """sha256 of the request as sent: any change to a prompt, passage or parameter changes it."""
    sent = {k: v for k, v in asdict(params).items() if v is not None}  # None: not sent
    body = {"model": model, "messages": messages, "params": sent}
    blob = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"


class Cassette:
    """One JSON file per model under ``folder``: ``{key: {"response": ..., "request": ...}}``.

    Thread-safe; written atomically after every new recording, so an interrupted
    recording keeps what it has.
    """

    def __init__(self, folder: Path, model: str) -> None:
        self.model = model
        self.path = folder / f"{_slug(model)}.json"
        self._lock = Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text("utf-8"))
                self._entries = dict(data.get("entries", {}))
            except (OSError, ValueError, AttributeError) as exc:
                raise CassetteMissing(f"cassette {self.path} cannot be read: {exc}") from exc

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> str | None:
        got = self.get_scored(key)
        return None if got is None else got[0]

    def get_scored(self, key: str) -> tuple[str, list[float] | None] | None:
        """The response and the token log-probabilities recorded with it (None for a
        recording made without them: a replay then scores confidence without them)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self.used.add(key)
            lps = entry.get("logprobs")
            return str(entry["response"]), [float(x) for x in lps] if lps else None

    def put(
        self, key: str, messages: list[Message], response: str, logprobs: list[float] | None = None
    ) -> None:
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        with self._lock:
            self.used.add(key)
            # The request's tail is kept only so a person can tell entries apart in a diff.
            entry: dict[str, Any] = {"request_tail": last_user[-300:], "response": response}
            if logprobs:
                entry["logprobs"] = [round(x, 3) for x in logprobs]
            self._entries[key] = entry
            self._save()

    def prune(self) -> int:
        """Drop entries no request used in this session (after a full recording)."""
        with self._lock:
            stale = [k for k in self._entries if k not in self.used]
            for k in stale:
                del self._entries[k]
            if stale:
                self._save()
            return len(stale)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "model": self.model, "entries": self._entries}
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
        os.replace(tmp, self.path)


_cassettes: dict[tuple[Path, str], Cassette] = {}
_cassettes_lock = Lock()


def open_cassette(folder: Path, model: str) -> Cassette:
    """One shared ``Cassette`` per file in a process, so parallel cases write one file."""
    key = (folder.resolve(), model)
    with _cassettes_lock:
        if key not in _cassettes:
            _cassettes[key] = Cassette(folder, model)
        return _cassettes[key]


def forget_cassettes() -> None:
    """Drop the shared cassettes (a new run reads the files again)."""
    with _cassettes_lock:
        _cassettes.clear()


class RecordingGateway(ChatGateway):
    """The real gateway, with every response saved to the cassette."""

    def __init__(  # no super(): it wraps a connected gateway
        self, inner: ChatGateway, cassette: Cassette, *, keep_recorded: bool = False
    ) -> None:
        self.inner = inner
        self.cassette = cassette
        self.keep_recorded = keep_recorded  # answer what is recorded; record only the rest
        self.base_url = inner.base_url
        self.model = inner.model
        self.retries = inner.retries

    def _recorded(self, messages: list[Message], params: ChatParams) -> str | None:
        if not self.keep_recorded:
            return None
        return self.cassette.get(request_key(self.model, messages, params))

    def complete(self, messages: list[Message], params: ChatParams) -> str:
        if (text := self._recorded(messages, params)) is not None:
            return text
        text = self.inner.complete(messages, params)
        self.cassette.put(request_key(self.model, messages, params), messages, text)
        return text

    def complete_scored(
        self, messages: list[Message], params: ChatParams, *, logprobs: bool = True
    ) -> tuple[str, list[float] | None]:
        key = request_key(self.model, messages, params)
        if self.keep_recorded and (got := self.cassette.get_scored(key)) is not None:
            return got
        text, lps = self.inner.complete_scored(messages, params, logprobs=logprobs)
        self.cassette.put(key, messages, text, lps)
        return text, lps

    def stream(self, messages: list[Message], params: ChatParams) -> Iterator[str]:
        if (text := self._recorded(messages, params)) is not None:
            yield text
            return
        parts: list[str] = []
        for delta in self.inner.stream(messages, params):
            parts.append(delta)
            yield delta
        # Saved only once the stream ended: a broken stream is not a response.
        self.cassette.put(request_key(self.model, messages, params), messages, "".join(parts))

    def health(self, timeout: float = 2.0) -> str | None:
        return self.inner.health(timeout)


class ReplayGateway(ChatGateway):
    """Answers from the cassette only; no server is started or contacted."""

    def __init__(self, model: str, cassette: Cassette) -> None:  # no super(): no client
        self.base_url = f"cassette:{cassette.path}"
        self.model = model
        self.retries = 0
        self.cassette = cassette

    def _lookup(self, messages: list[Message], params: ChatParams) -> str:
        key = request_key(self.model, messages, params)
        text = self.cassette.get(key)
        if text is None:
            raise CassetteMissing(
                f"cassette missing: {self.cassette.path.name} has no recording for this "
                f"request (key {key[:12]}); the prompt or retrieved passages changed, "
                "record again with `newsbot eval --record`"
            )
        return text

    def complete(self, messages: list[Message], params: ChatParams) -> str:
        return self._lookup(messages, params)

    def complete_scored(
        self, messages: list[Message], params: ChatParams, *, logprobs: bool = True
    ) -> tuple[str, list[float] | None]:
        text = self._lookup(messages, params)  # raises when missing, with the hint
        got = self.cassette.get_scored(request_key(self.model, messages, params))
        return text, got[1] if got else None

    def stream(self, messages: list[Message], params: ChatParams) -> Iterator[str]:
        text = self._lookup(messages, params)
        # Word-sized deltas, like a server: consumers see a real stream.
        yield from re.findall(r"\s*\S+|\s+$", text) or [text]

    def health(self, timeout: float = 2.0) -> str | None:
        return None if len(self.cassette) else f"cassette {self.cassette.path} is empty"


def replay_gateway(settings: Settings, model: str) -> ReplayGateway:
    return ReplayGateway(model, open_cassette(settings.cassette_dir, model))


def recording_gateway(settings: Settings, inner: ChatGateway) -> RecordingGateway:
    keep = settings.cassette_mode is CassetteMode.UPDATE
    cassette = open_cassette(settings.cassette_dir, inner.model)
    return RecordingGateway(inner, cassette, keep_recorded=keep)
