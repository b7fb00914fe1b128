"""The web tests' running chat: each module's own ``bot`` served on a free 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.service import Newsbot
from tests.support.chat_server import RunningChat, start_chat


@pytest.fixture(scope="module")
def chat(bot: Newsbot) -> Iterator[RunningChat]:
    running = start_chat(bot)
    yield running
    running.stop()
