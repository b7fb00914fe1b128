"""The model wing: every chat model call goes through here.

``open_chat`` picks and connects the model a configuration means (bundled llama.cpp,
any OpenAI-compatible server, recorded or replayed cassettes); ``ChatGateway`` makes
the calls (timeouts, retries, one-line errors); prompts are validated template files.
"""

from bot.llm.bundled import (
    Slot,
    assemble_model,
    idle_since,
    leases,
    running_server,
    stop_server,
)
from bot.llm.cassettes import open_cassette
from bot.llm.gateway import ChatGateway, ChatParams, EmbeddingGateway, Message
from bot.llm.models import (
    Connection,
    describe_model,
    model_id,
    model_name,
    open_chat,
    open_judge,
    sampling_extra,
)
from bot.llm.prompts import Prompt, load_prompt

__all__ = [
    "ChatGateway",
    "ChatParams",
    "Connection",
    "EmbeddingGateway",
    "Message",
    "Prompt",
    "Slot",
    "assemble_model",
    "describe_model",
    "idle_since",
    "leases",
    "load_prompt",
    "model_id",
    "model_name",
    "open_cassette",
    "open_chat",
    "open_judge",
    "running_server",
    "sampling_extra",
    "stop_server",
]
