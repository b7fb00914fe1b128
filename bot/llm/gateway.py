"""The one gateway for every model call (chat and remote embeddings).

Built on the ``openai`` client so that OpenAI, vLLM, Ollama, llama.cpp and any
other OpenAI-compatible server work the same. Retries live in ``_retrying``,
apart from the calls: 429 and 5xx back off and retry, everything else fails at
once with a one-line ``ModelUnavailable`` that never includes the key.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import openai

from bot.config import Settings, redact_url
from bot.errors import ModelReplyError, ModelTimeout, ModelUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

Message = dict[str, str]


@dataclass(frozen=True)
class ChatParams:
    temperature: float = 0.1
    max_tokens: int = 512
    top_p: float = 0.9
    frequency_penalty: float = 0.0
    # Fixed per sampled candidate so a run can be repeated (OpenAI and llama.cpp take it).
    seed: int | None = None
    # Non-standard sampling options, sent only to servers that take them (llama.cpp).
    extra: dict[str, Any] = field(default_factory=dict)


def _retrying(fn: Callable[[], T], *, retries: int, what: str, base_delay: float = 0.5) -> T:
    """Call ``fn``; on rate limits and server errors wait (exponential, jittered) and retry."""
    attempt = 0
    while True:
        try:
            return fn()
        except (openai.RateLimitError, openai.InternalServerError) as exc:
            if attempt >= retries:
                raise ModelUnavailable(
                    f"{what} kept failing after {retries + 1} attempts (HTTP {exc.status_code})"
                ) from exc
            delay = base_delay * 2**attempt * (0.75 + random.random() / 2)
            retry_after = _retry_after(exc)
            time.sleep(min(retry_after if retry_after is not None else delay, 30.0))
            attempt += 1
        except openai.APITimeoutError as exc:
            raise ModelTimeout(f"{what} did not answer in time") from exc
        except openai.APIConnectionError as exc:
            raise ModelUnavailable(f"{what} is not reachable (is the server running?)") from exc
        except openai.AuthenticationError as exc:
            raise ModelUnavailable(f"{what} rejected the API key (HTTP 401)") from exc
        except openai.APIStatusError as exc:
            raise ModelUnavailable(
                f"{what} refused the request (HTTP {exc.status_code}): {_brief(exc)}"
            ) from exc
        except ValueError as exc:  # a 200 whose body is not JSON (the client parses it)
            raise ModelReplyError(f"{what} sent a reply that is not valid JSON") from exc


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        return float(exc.response.headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None


def _brief(exc: BaseException | str) -> str:
    """A server's own error text, as one short line (it may hold markup or newlines)."""
    msg = exc if isinstance(exc, str) else getattr(exc, "message", None) or str(exc)
    return " ".join(str(msg).split())[:200]


def _client(base_url: str, api_key: str | None, timeout: float) -> openai.OpenAI:
    # max_retries=0: retrying is ours, so it is counted and bounded in one place.
    return openai.OpenAI(
        base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
    )


class ChatGateway:
    """Chat completions, streamed or whole."""

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        model: str,
        *,
        extra_ok: bool,
        serial: Path | None = None,
    ) -> None:
        """``serial``: a lock file every call holds while it runs (the bundled model's two
        servers share 2 cores: run side by side, 4 llama.cpp threads on 2 cores slow both
        down; one at a time, as one server queued them)."""
        key = settings.api_key.get_secret_value() if settings.api_key else None
        self.serial = serial
        self.wait_s = settings.request_timeout
        self.base_url = base_url
        self.model = model
        self.retries = settings.max_retries
        self._extra_ok = extra_ok
        self._client = _client(base_url, key, settings.request_timeout)
        self._what = f"the model server at {redact_url(base_url)}"

    def _kwargs(self, messages: list[Message], params: ChatParams, stream: bool) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "top_p": params.top_p,
            "stream": stream,
        }
        if params.frequency_penalty:
            kw["frequency_penalty"] = params.frequency_penalty
        if params.seed is not None:
            kw["seed"] = params.seed
        if params.extra and self._extra_ok:
            kw["extra_body"] = dict(params.extra)
        return kw

    def complete(self, messages: list[Message], params: ChatParams) -> str:
        """The whole reply; one that is not a finished chat completion is a ModelReplyError."""
        return self.complete_scored(messages, params, logprobs=False)[0]

    def complete_scored(
        self, messages: list[Message], params: ChatParams, *, logprobs: bool = True
    ) -> tuple[str, list[float] | None]:
        """The reply and, when the server gives them (llama.cpp and OpenAI do), the
        log-probability of each of its tokens: the model's own confidence in what it
        wrote, a signal ``bot/confidence.py`` scores sentences with."""
        kw = self._kwargs(messages, params, False)
        if logprobs:
            # llama-cpp-python sends none unless top_logprobs is also given (measured).
            kw["logprobs"] = True
            kw["top_logprobs"] = 1
        with self._turn():
            resp = _retrying(
                lambda: self._client.chat.completions.create(**kw),
                retries=self.retries,
                what=self._what,
            )
        choices = getattr(resp, "choices", None)  # an HTML page or garbage parses to a str
        if not choices or getattr(choices[0], "message", None) is None:
            raise ModelReplyError(f"{self._what} sent a reply that is not a chat completion")
        _check_finish(choices[0].finish_reason, self._what)
        return choices[0].message.content or "", _token_logprobs(choices[0])

    def stream(self, messages: list[Message], params: ChatParams) -> Iterator[str]:
        """Yield text deltas. Retries cover opening the stream; a stream that breaks
        mid-way, or ends without its finish marker, raises (re-sending would duplicate
        text, and a cut-off answer must never pass as a finished one)."""
        with self._turn():
            yield from self._stream(messages, params)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        if self.serial is None:
            yield
            return
        with self.serial.open("a") as lock:  # released when the file closes
            # A holder that never lets go (a stream nobody reads to its end) must not hang
            # every later call: past the request timeout, go ahead unserialised.
            deadline = time.monotonic() + self.wait_s
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        log.warning("model lock %s still held; calling anyway", self.serial)
                        break
                    time.sleep(0.05)
            yield

    def _stream(self, messages: list[Message], params: ChatParams) -> Iterator[str]:
        stream = _retrying(
            lambda: self._client.chat.completions.create(**self._kwargs(messages, params, True)),
            retries=self.retries,
            what=self._what,
        )
        finish: str | None = None
        try:
            for event in stream:
                choices = getattr(event, "choices", None)
                if choices is None:  # not a chat-completion chunk (garbage, an error body)
                    raise ModelReplyError(f"{self._what} sent a reply that is not a chat stream")
                if choices and choices[0].delta and choices[0].delta.content:
                    yield choices[0].delta.content
                if choices and choices[0].finish_reason:
                    finish = choices[0].finish_reason
        except openai.APITimeoutError as exc:
            raise ModelTimeout(f"{self._what} stopped answering mid-way") from exc
        except (openai.APIError, ValueError, AttributeError) as exc:
            raise ModelReplyError(f"{self._what} broke off the answer: {_brief(exc)}") from exc
        _check_finish(finish, self._what)

    def health(self, timeout: float = 2.0) -> str | None:
        """None when the server answers (within ``timeout``), else the reason."""
        client = self._client.with_options(timeout=timeout)
        try:
            _retrying(lambda: client.models.list(), retries=0, what=self._what)
            return None
        except ModelUnavailable as exc:
            return str(exc)


def _token_logprobs(choice: Any) -> list[float] | None:
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None
    try:
        return [float(t.logprob) for t in content]
    except (AttributeError, TypeError, ValueError):
        return None  # a server's own shape: no signal rather than a failed call


def _check_finish(reason: str | None, what: str) -> None:
    if reason is None:
        raise ModelReplyError(f"{what} ended the answer before it was finished")
    if reason == "length":
        raise ModelReplyError(f"{what} cut the answer off at its length limit")


class EmbeddingGateway:
    """``/v1/embeddings`` in batches of ``embedding_batch`` texts, at most
    ``embedding_concurrency`` requests in flight (one pool for every caller of this
    gateway), so a bigger server gives a faster ingest and a slow one is not flooded."""

    def __init__(self, settings: Settings) -> None:
        if not settings.embedding_base_url:
            from bot.errors import ConfigError

            raise ConfigError("embedding_backend=openai needs NEWSBOT_EMBEDDING_BASE_URL")
        key = settings.embedding_api_key or settings.api_key
        self._client = _client(
            settings.embedding_base_url,
            key.get_secret_value() if key else None,
            settings.request_timeout,
        )
        self.model = settings.embedding_model
        self.retries = settings.max_retries
        self.batch = settings.embedding_batch
        self.concurrency = settings.embedding_concurrency
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="newsbot-embed")
        self._what = f"the embeddings server at {redact_url(settings.embedding_base_url)}"

    def _request(self, part: list[str], input_type: str) -> list[list[float]]:
        resp = _retrying(
            lambda: self._client.embeddings.create(
                model=self.model,
                input=part,
                encoding_format="float",
                extra_body={"input_type": input_type},
            ),
            retries=self.retries,
            what=self._what,
        )
        if len(resp.data) != len(part):
            raise ModelUnavailable(
                f"{self._what} returned {len(resp.data)} vectors for {len(part)} texts"
            )
        return [d.embedding for d in sorted(resp.data, key=lambda d: d.index)]

    def embed(self, texts: list[str], input_type: str) -> np.ndarray:
        parts = [texts[i : i + self.batch] for i in range(0, len(texts), self.batch)]
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        # The pool bounds requests in flight; results are read in batch order, and the
        # first failure is raised with the batches not yet sent cancelled.
        futures = [self._pool.submit(self._request, p, input_type) for p in parts]
        try:
            out = [v for f in futures for v in f.result()]
        except BaseException:
            for f in futures:
                f.cancel()  # batches not started yet are not sent
            raise
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.where(norms == 0, 1, norms)
