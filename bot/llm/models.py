"""The one factory for chat models: which model a configuration means, its identity, its
sampling extras, and the gateway that reaches it (bundled, remote, recorded, replayed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import CassetteMode, Settings, redact_url
from bot.llm.gateway import ChatGateway

if TYPE_CHECKING:
    from bot.llm._lease import Lease


def model_name(settings: Settings) -> str:
    """The model name a gateway for ``settings`` sends, known without starting anything."""
    if settings.uses_bundled_model:
        from bot.llm.bundled import MODEL_ALIAS

        return MODEL_ALIAS
    return settings.chat_model or "default"


def model_id(settings: Settings) -> str:
    """What caches key on for the model: the weights' digest, or name and server."""
    if settings.uses_bundled_model:
        from bot.llm.bundled import MODEL_SHA256

        return f"bundled:{MODEL_SHA256[:16]}"
    return f"{settings.chat_model or 'default'}@{redact_url(settings.base_url)}"


def describe_model(settings: Settings) -> str:
    """The model as a person reads it (status line, reports); never holds a secret."""
    if settings.uses_bundled_model:
        return "bundled Qwen2.5-Coder-1.5B-Instruct (llama.cpp, local)"
    return f"{settings.chat_model or 'default'} at {redact_url(settings.base_url)}"


def sampling_extra(settings: Settings) -> dict[str, object] | None:
    """Non-standard sampling options for the model (the bundled 1.5B model loops without
    a repeat penalty); None for servers that may not take them."""
    if not settings.uses_bundled_model:
        return None
    from bot.llm.bundled import SAMPLING_EXTRA

    return SAMPLING_EXTRA


@dataclass(frozen=True)
class Connection:
    gateway: ChatGateway
    started_here: bool  # a bundled server this process started
    lease: Lease | None = None  # held on a bundled server while this process uses it

    def close(self) -> None:
        """Done with the model: a bundled server stays warm for other processes."""
        if self.lease is not None:
            self.lease.release()


def open_chat(settings: Settings, side: bool = False) -> Connection:
    """The chat model for ``settings``: replayed from cassettes, or the bundled server
    (started if needed), or the configured server; recorded when the mode says so.

    ``side``: the connection for side prompts (glosses, translations, summaries,
    condensing). For the bundled model that is its own server process when
    ``bundled_writer_server`` is on (see ``bot.llm.bundled``); a configured server is
    the same server either way (a real one caches prefixes per slot itself)."""
    from bot.llm.cassettes import recording_gateway, replay_gateway

    started = False
    lease = None
    gw: ChatGateway
    if settings.cassette_mode is CassetteMode.REPLAY:  # recorded answers, no server
        gw = replay_gateway(settings, model_name(settings))
    elif settings.uses_bundled_model:
        from bot.llm.bundled import Slot, ensure_server

        slot = Slot.WRITER if side and settings.bundled_writer_server else Slot.ANSWER
        server, lease = ensure_server(settings, slot=slot)
        started = server.started_here
        serial = settings.model_dir / "compute.lock" if settings.bundled_writer_server else None
        gw = ChatGateway(settings, server.base_url, server.model, extra_ok=True, serial=serial)
    else:
        gw = ChatGateway(settings, str(settings.base_url), model_name(settings), extra_ok=False)
    if settings.cassette_mode in (CassetteMode.RECORD, CassetteMode.UPDATE):
        gw = recording_gateway(settings, gw)
    return Connection(gw, started, lease)


def open_judge(settings: Settings) -> ChatGateway | None:
    """The rubric judge (``judge_*`` settings), through the same gateway and cassettes."""
    if not (settings.judge_base_url and settings.judge_model):
        return None
    from bot.llm.cassettes import recording_gateway, replay_gateway

    if settings.cassette_mode is CassetteMode.REPLAY:
        return replay_gateway(settings, settings.judge_model)
    judge = settings.model_copy(update={"api_key": settings.judge_api_key})
    gw = ChatGateway(judge, settings.judge_base_url, settings.judge_model, extra_ok=False)
    if settings.cassette_mode in (CassetteMode.RECORD, CassetteMode.UPDATE):
        return recording_gateway(settings, gw)
    return gw
