"""Run the web chat in a background thread on a free 127.0.0.1 port, for tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from bot.service import Newsbot
from bot.web import create_app


@dataclass
class RunningChat:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chat(bot: Newsbot, timeout: float = 30.0) -> RunningChat:
    port = free_port()
    app = create_app(bot, "127.0.0.1", port)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="chat-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the chat server did not start")
        time.sleep(0.05)
    return RunningChat(f"http://127.0.0.1:{port}/", server, thread)
