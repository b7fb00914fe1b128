"""The web chat (gradio). Being built: see issue 3."""

from __future__ import annotations

from bot.config import Settings
from bot.errors import NewsbotError


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    raise NewsbotError("the web chat is not built yet; use `newsbot ask`")
