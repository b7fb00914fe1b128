"""The web chat (``newsbot chat``): gradio Blocks mounted on FastAPI, served by uvicorn.

FastAPI around gradio gives one extra route, ``/article/{source}``: the whole article
as an escaped, right-to-left page with the cited span marked, served only for files
that are both in the index and inside the corpus folder. Citation markers in answers
are real links to that page; the page script (``static/chat.js``) intercepts a click and
asks the server (through a hidden button) for the source card shown beside the chat, so
no session state is needed to open any earlier answer's sources.

Gradio's API exposes the same service calls by name (``ask``, ``search``, ``stats``,
``rescan``) for ``gradio_client``; the page's own events stay private.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.routing import Mount

from bot.config import Settings
from bot.errors import ConfigError
from bot.service import Newsbot
from bot.web import render
from bot.web.page import build_app

STATIC = Path(__file__).resolve().parent / "static"
CSS = (STATIC / "chat.css").read_text("utf-8")
HEAD = "<script>\n" + (STATIC / "chat.js").read_text("utf-8") + "</script>\n"


def _auth(settings: Settings) -> tuple[str, str] | None:
    user, password = settings.ui_username, settings.ui_password
    if bool(user) != bool(password and password.get_secret_value()):
        raise ConfigError("set both NEWSBOT_UI_USERNAME and NEWSBOT_UI_PASSWORD, or neither")
    if user and password:
        return (user, password.get_secret_value())
    return None


def _gradio_app(app: FastAPI) -> Any:
    """The mounted gradio App (it holds the login tokens)."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path in ("", "/"):
            return route.app
    return None


def _logged_in(app: FastAPI, request: Request) -> bool:
    """Gradio's own session check, so /article needs the same login as the chat."""
    gapp = _gradio_app(app)
    if gapp is None or not getattr(gapp, "auth", None):
        return True
    cid = gapp.cookie_id
    token = request.cookies.get(f"access-token-{cid}") or request.cookies.get(
        f"access-token-unsecure-{cid}"
    )
    return token is not None and token in gapp.tokens


# No script may run on the article page; the cited span is reached by #nb-quote.
ARTICLE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(bot: Newsbot, host: str = "127.0.0.1", port: int = 7860) -> FastAPI:
    """The chat and /article/{source} on one FastAPI app (serve it with uvicorn)."""
    settings = bot.settings
    auth = _auth(settings)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/article/{source:path}", response_class=HTMLResponse)
    def article(request: Request, source: str, s: int | None = None, e: int | None = None):
        if not _logged_in(app, request):
            return HTMLResponse("Log in to the chat first.", 401, headers=ARTICLE_HEADERS)
        found = bot.source(source)
        if found is None:
            return HTMLResponse(
                "No such article in the corpus folder.", 404, headers=ARTICLE_HEADERS
            )
        page = render.article_page(found.source, found.title, found.text, s, e, found.meta)
        return HTMLResponse(page, headers=ARTICLE_HEADERS)

    demo = build_app(bot)
    # A bounded queue: past ui_queue_size waiting requests a user is told at once.
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Newsbot: log in with the username and password from the configuration.",
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        max_file_size=f"{settings.ui_max_upload_mb}mb",
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
    )
    # mount_gradio_app leaves has_launched False, and gradio then skips its own check that
    # a FileData path sent by a client was really uploaded (processing_utils._check_allowed):
    # any server path could be named. gradio sets it the same way when it swaps blocks.
    demo.has_launched = True
    return app


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_bind(settings: Settings, host: str, allow_no_auth: bool = False) -> None:
    """Refuse to serve other machines with no login, unless asked to in so many words."""
    if host not in LOOPBACK and _auth(settings) is None and not allow_no_auth:
        raise ConfigError(
            f"--host {host} lets other machines reach the chat, and no login is set: set "
            "NEWSBOT_UI_USERNAME and NEWSBOT_UI_PASSWORD, or pass --allow-no-auth"
        )


def launch(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, allow_no_auth: bool = False
) -> None:
    """Serve the chat until Ctrl-C; ingest the corpus folder first if the index is empty."""
    import uvicorn

    check_bind(settings, host, allow_no_auth)
    bot = Newsbot(settings)
    try:
        if bot.stats()["chunks"] == 0:
            print(f"The index is empty: ingesting {settings.corpus_dir} first…", flush=True)
            print(bot.ingest([settings.corpus_dir]).summary(), flush=True)
        app = create_app(bot, host, port)
        if settings.uses_bundled_model:
            bot.warm_model()
        if host not in LOOPBACK and _auth(settings) is None:
            print(f"warning: {host} is reachable from other machines and no login is set")
        print(f"Newsbot chat on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        bot.close()
