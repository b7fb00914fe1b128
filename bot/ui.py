"""The web chat (``newsbot chat``): gradio Blocks mounted on FastAPI, served by uvicorn.

FastAPI around gradio gives one extra route, ``/article/{source}``: the whole article
as an escaped, right-to-left page with the cited span marked, served only for files
that are both in the index and inside the corpus folder. Citation markers in answers
are real links to that page; the page script added here intercepts a click and asks
the server (through a hidden button) for the source card shown beside the chat, so
no session state is needed to open any earlier answer's sources.

Gradio's API exposes the same functions by name (``ask``, ``search``, ``stats``,
``rescan``) for ``gradio_client``; the UI's own events stay private.
"""

from __future__ import annotations

import os

# Before gradio is imported: no analytics, version checks or hub telemetry.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.routing import Mount

from bot import render
from bot.answer import Answer, Done, Retrieved, Token
from bot.cite import as_text
from bot.condense import Turn
from bot.config import AnswerLanguage, Settings
from bot.errors import ConfigError, IngestError, ModelUnavailable, NewsbotError
from bot.ingest import SUFFIXES, IngestReport, indexed_files, read_article
from bot.llm import describe_model
from bot.service import Newsbot

log = logging.getLogger(__name__)

Message = dict[str, str]

EXAMPLES = [
    "How many people were killed and wounded in the attack on Kirkuk?",
    "Which town near Mosul did Iraqi forces storm?",
    "كم عدد القتلى والجرحى في هجوم كركوك؟",
    "ماذا قال اللواء علي كاظم اللامي عن المتحف؟",
]
LANGUAGES = [("Auto", "auto"), ("English", "en"), ("العربية", "ar")]
# A gr.Progress default is how gradio knows to pass a progress bar to a handler.
PROGRESS = gr.Progress()
PANEL_HINT = "Click a [n] marker in an answer to see the cited passage here."

# -- corpus files the chat may show --------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    source: str
    title: str
    text: str


def find_source(settings: Settings, source: str) -> SourceText | None:
    """An indexed article inside the corpus folder, by its source name; else None."""
    corpus = settings.corpus_dir.resolve()
    for key, entry in indexed_files(settings).items():
        if entry.get("source") != source:
            continue
        path = Path(key).resolve()  # resolve: a symlink must not lead out of the folder
        if not path.is_relative_to(corpus) or not path.is_file():
            continue
        try:
            article = read_article(path, source)
        except IngestError:
            return None
        return SourceText(source, str(entry.get("title") or article.title), article.text)
    return None


# -- model and index state -----------------------------------------------------------------


class ModelState:
    """What the status line says about the chat model, without starting it."""

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.warming = False
        self.warm_error: str | None = None

    def warm(self) -> None:
        """Start the bundled model in the background so the first answer is not slow."""

        def run() -> None:
            try:
                self.bot.gateway()
            except NewsbotError as exc:
                self.warm_error = str(exc)
            finally:
                self.warming = False

        self.warming = True
        threading.Thread(target=run, name="newsbot-warm", daemon=True).start()

    def describe(self) -> tuple[str, bool]:
        s = self.bot.settings
        if s.uses_bundled_model:
            from bot.llm import running_server

            if running_server(s) is not None:
                return "running", True
            if self.warming:
                return "starting…", True
            if self.warm_error:
                return self.warm_error, False
            return "starts with the first question", True
        try:
            httpx.get(str(s.base_url).rstrip("/") + "/models", timeout=2.0)
        except httpx.HTTPError:
            return "not reachable", False
        return "reachable", True


def status_html(bot: Newsbot, model: ModelState) -> str:
    try:
        stats = bot.stats()
        index = f"<b>{stats['articles']}</b> articles, <b>{stats['chunks']}</b> chunks"
    except NewsbotError as exc:
        index = f'<span class="nb-bad">{render.esc(str(exc))}</span>'
    state, ok = model.describe()
    cls = "nb-ok" if ok else "nb-bad"
    return (
        '<div class="nb-status" dir="ltr">'
        f'<span>Model: <b class="nb-model">{render.esc(describe_model(bot.settings))}</b> '
        f'<span class="{cls}">● {render.esc(state)}</span></span>'
        f'<span class="nb-index">Index: {index}</span></div>'
    )


# -- answering ---------------------------------------------------------------------------------


def _language(value: str | None) -> AnswerLanguage:
    try:
        return AnswerLanguage(value or "auto")
    except ValueError:
        return AnswerLanguage.AUTO


def _cards(bot: Newsbot, answer: Answer) -> str:
    if answer.declined:
        return render.panel_note(
            "The sources do not cover this question: no passage was close enough, "
            "so no answer was made up."
        )
    if not answer.citations:
        return render.panel_note("This answer cites no passage.")
    texts: dict[str, SourceText | None] = {}
    cards: list[str] = []
    for c in sorted(answer.citations, key=lambda c: c.n):
        if c.source not in texts:
            texts[c.source] = find_source(bot.settings, c.source)
        found = texts[c.source]
        if found is None:
            continue
        ref = render.CiteRef(c.source, c.start, c.end, c.n)
        cards.append(render.source_card(c.source, found.title, found.text, ref))
    if not cards:
        return render.panel_note("The cited articles are not in the corpus folder.")
    return render.sources_panel(cards, "Sources of the last answer")


def _retrieved_note(event: Retrieved) -> str:
    if not event.covered or not event.hits:
        return "Nothing close enough in the articles."
    return f"{len(event.hits)} passages found; writing the answer…"


def _error_hint(exc: NewsbotError) -> str:
    if isinstance(exc, ModelUnavailable):
        return "The app is still running: ask again once the model server is back."
    return ""


class ChatHandlers:
    """The functions behind the page's events, bound to one ``Newsbot``."""

    def __init__(self, bot: Newsbot, model: ModelState) -> None:
        self.bot = bot
        self.model = model

    def status(self) -> str:
        return status_html(self.bot, self.model)

    def respond(
        self, question: str, language: str, messages: list[Message], turns: list[Turn]
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: (textbox, chat, messages state, turns, sources, status)."""
        skip = gr.skip()
        q = (question or "").strip()
        if not q:
            yield skip, skip, skip, skip, skip, skip
            return
        messages = [*messages, {"role": "user", "content": render.user_message(q)}]
        placeholder = "Understanding the follow-up…" if turns else "Searching the articles…"
        messages.append({"role": "assistant", "content": render.pending_message(placeholder)})
        yield "", messages, messages, skip, skip, skip

        def show(html: str) -> None:
            nonlocal messages  # a new list per update: each yield is its own snapshot
            messages = [*messages[:-1], {"role": "assistant", "content": html}]

        partial = ""
        try:
            answer: Answer | None = None
            for event in self.bot.chat(q, turns, language=_language(language)):
                if isinstance(event, Retrieved):
                    show(render.pending_message(_retrieved_note(event)))
                elif isinstance(event, Token):
                    partial += event.text
                    show(render.streaming_message(partial))
                elif isinstance(event, Done):
                    answer = event.answer
                    break
                yield skip, messages, skip, skip, skip, skip
            if answer is None:  # stream_answer always ends with Done
                raise NewsbotError("the answer ended unexpectedly")
            show(render.answer_message(answer))
            turns = [*turns, (q, answer.answer)]
            yield "", messages, messages, turns, _cards(self.bot, answer), self.status()
        except NewsbotError as exc:
            show(render.error_message(str(exc), _error_hint(exc), partial))
            yield "", messages, messages, turns, skip, self.status()
        except Exception:  # a bug must not take the chat down or show a traceback
            log.exception("answering %r failed", q)
            show(render.error_message("Something went wrong while answering", "", partial))
            yield "", messages, messages, turns, skip, self.status()

    def show_source(self, href: str) -> str:
        """The source card for a clicked citation link."""
        ref = render.parse_cite_href(href)
        if ref is None:
            return render.panel_note(PANEL_HINT)
        found = find_source(self.bot.settings, ref.source)
        if found is None:
            return render.panel_note(f"{ref.source} is not an indexed file in the corpus folder.")
        card = render.source_card(ref.source, found.title, found.text, ref, active=True)
        return render.sources_panel([card], f"Source [{ref.n}]")

    def clear(self) -> tuple[Any, ...]:
        return [], [], [], render.panel_note(PANEL_HINT), ""

    # -- ingest ----------------------------------------------------------------------------

    def upload(
        self, files: list[str] | None, progress: gr.Progress = PROGRESS
    ) -> tuple[str, str, Any]:
        if not files:
            return _notice("Choose one or more .txt or .md files first."), self.status(), gr.skip()
        try:
            saved, problems = save_uploads([Path(f) for f in files], self.bot.settings.corpus_dir)
            report: IngestReport | None = None
            if saved:
                report = self.bot.ingest(saved, progress=_progress(progress), prune=False)
        except (NewsbotError, OSError) as exc:
            return _failed(exc), self.status(), gr.skip()
        return _ingest_html(report, problems), self.status(), None

    def rescan_folder(self, progress: gr.Progress = PROGRESS) -> tuple[str, str]:
        try:
            report = self.bot.ingest([self.bot.settings.corpus_dir], progress=_progress(progress))
        except (NewsbotError, OSError) as exc:
            return _failed(exc), self.status()
        return _ingest_html(report, []), self.status()


def _progress(progress: gr.Progress | None) -> Callable[[int, int, str], None] | None:
    if progress is None:
        return None

    def update(done: int, total: int, label: str) -> None:
        progress((done, total), desc=f"Embedding {label}", unit="chunks")

    return update


def _failed(exc: Exception) -> str:
    message = str(exc) if isinstance(exc, NewsbotError) else f"cannot write the file: {exc}"
    return f'<p class="nb-bad" dir="auto">⚠ {render.esc(render.sentence(message))}</p>'


def _notice(text: str) -> str:
    return f'<p class="nb-note" dir="auto">{render.esc(text)}</p>'


def _ingest_html(report: IngestReport | None, problems: list[tuple[str, str]]) -> str:
    lines: list[str] = []
    if report is not None:
        lines.append(f"<p>{render.esc(report.summary())}</p>")
        for label, names in (("Added", report.added), ("Updated", report.updated)):
            if names:
                lines.append(f"<p>{label}: {render.esc(', '.join(names))}</p>")
        problems = [*problems, *report.skipped]
    for name, reason in problems:
        lines.append(f'<p class="nb-bad">Skipped {render.esc(name)}: {render.esc(reason)}</p>')
    return '<div class="nb-ingest" dir="auto">' + "".join(lines) + "</div>"


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no hidden files, no odd characters."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .")
    return base or "article.txt"


def uploaded_by_gradio(path: Path) -> bool:
    """Is ``path`` a plain file that gradio received as an upload (in its upload folder)?"""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    return real.is_relative_to(folder) and real.is_file() and not path.is_symlink()


def save_uploads(files: list[Path], corpus: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Copy valid uploads into the corpus folder (where they are served from).

    Only files gradio itself received are taken: a client names the path of its upload,
    and a path elsewhere on this server is refused, never read."""
    corpus.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    problems: list[tuple[str, str]] = []
    for f in files:
        name = safe_name(f.name)
        if not uploaded_by_gradio(f):
            problems.append((name, "not a file uploaded through this page"))
            continue
        if Path(name).suffix.lower() not in SUFFIXES:
            problems.append((name, "not a .txt or .md file"))
            continue
        try:
            read_article(f, name)  # refuse binary, non-UTF-8 and empty files before copying
        except IngestError as exc:
            problems.append((name, str(exc).split(": ", 1)[-1]))
            continue
        dest = corpus / name
        shutil.copyfile(f, dest)  # same name: a new version of that article
        saved.append(dest)
    return saved, problems


# -- the API (gradio_client) ------------------------------------------------------------------


def api_functions(bot: Newsbot) -> list[tuple[Callable[..., Any], str]]:
    def ask(question: str, language: str = "auto", history: list[list[str]] | None = None) -> dict:
        """Answer a question from the articles, with checked citations.

        Args:
            question: the question, in English or Arabic
            language: answer language: auto, en or ar
            history: earlier [question, answer] pairs, for follow-up questions
        """
        turns: list[Turn] = [(str(p[0]), str(p[1])) for p in (history or []) if len(p) >= 2]
        try:
            answer = bot.answer(question, turns, language=_language(language))
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc
        return {
            **answer.as_json(),
            "text": as_text(answer.answer, answer.citations),
        }

    def search(query: str, k: int = 4) -> list[dict]:
        """Hybrid search over the index: the passages a question would be answered from.

        Args:
            query: the search text, in English or Arabic
            k: number of passages
        """
        try:
            result = bot.search(query, max(1, min(int(k), 20)))
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc
        return [{**h.as_json(), "title": h.title} for h in result.hits]

    def stats() -> dict:
        """The chat model and the index size."""
        return {**bot.stats(), "model": describe_model(bot.settings)}

    def rescan() -> str:
        """Ingest the corpus folder again; only changed files are embedded."""
        try:
            return bot.ingest([bot.settings.corpus_dir]).summary()
        except NewsbotError as exc:
            raise gr.Error(str(exc)) from exc

    return [(ask, "ask"), (search, "search"), (stats, "stats"), (rescan, "rescan")]


# -- the page ------------------------------------------------------------------------------

CSS = """
.nb-status{display:flex;gap:1.2rem;flex-wrap:wrap;font-size:.9rem;align-items:center}
.nb-ok{color:#15803d}.nb-bad{color:#b91c1c}
.nb-brand{font-size:1.1rem}
#nb-clear{align-self:center}
.nb-msg p{margin:0 0 .35em;text-align:start}
.nb-msg p:dir(rtl){font-size:1.08em;line-height:1.9}
.nb-note{color:var(--body-text-color-subdued);font-style:italic}
a.nb-cite{display:inline-block;font-size:.78em;line-height:1.2;padding:0 .2em;margin:0 .05em;
  border-radius:.35em;background:var(--color-accent-soft);color:var(--color-accent);
  text-decoration:none;cursor:pointer;vertical-align:super}
a.nb-cite:hover,a.nb-cite:focus{background:var(--color-accent);color:#fff}
ol.nb-refs{list-style:none;margin:.5em 0 0;padding:.4em 0 0;border-top:1px solid
  var(--border-color-primary);font-size:.85em}
ol.nb-refs li{margin:.1em 0;text-align:start}
.nb-file{font-family:var(--font-mono);font-size:.95em}
.nb-meta{font-size:.75em;color:var(--body-text-color-subdued);margin-top:.4em;text-align:left}
.nb-unsupported{color:#b45309}
.nb-copytext{display:none}
button.nb-copy{border:1px solid var(--border-color-primary);border-radius:.3em;
  padding:0 .5em;margin-left:.4em;cursor:pointer;background:var(--background-fill-primary)}
.nb-declined{border-inline-start:3px solid #d97706;padding-inline-start:.6em}
.nb-error{border-inline-start:3px solid #dc2626;padding-inline-start:.6em}
.nb-error > p{color:#b91c1c}
.nb-sources-head{font-weight:600;margin-bottom:.5em}
.nb-card{border:1px solid var(--border-color-primary);border-radius:.5em;padding:.6em .8em;
  margin-bottom:.7em;background:var(--background-fill-primary)}
.nb-card.nb-active{border-color:var(--color-accent);box-shadow:0 0 0 1px var(--color-accent)}
.nb-card-title{font-weight:600;margin:.2em 0 .4em}
.nb-badge{color:var(--color-accent);font-weight:600}
.nb-passage{font-size:1.05em;line-height:1.9;color:var(--body-text-color-subdued)}
.nb-passage p{margin:0 0 .4em;text-align:start}
.nb-passage mark{background:#fde68a;color:#1c1917;padding:.05em 0}
.nb-open{font-size:.85em}
#nb-question textarea{unicode-bidi:plaintext;text-align:start}
"""

# Delegated handlers: the chat's messages are re-rendered by gradio, so listen on the
# document. A marker click goes to the server through the hidden bridge button.
HEAD = """
<script>
(() => {
  const copy = async (btn) => {
    const msg = btn.closest('.nb-msg');
    const src = msg && msg.querySelector('.nb-copytext');
    const text = src ? src.textContent : '';
    try { await navigator.clipboard.writeText(text); }
    catch (e) {
      const ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      document.execCommand('copy'); ta.remove();
    }
    btn.textContent = 'Copied';
    setTimeout(() => { btn.textContent = 'Copy'; }, 1500);
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    if (!(t instanceof Element)) return;
    const cite = t.closest('a.nb-cite');
    if (cite && !cite.closest('#nb-sources')) {
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault(); ev.stopPropagation();
      window.nbCiteHref = cite.getAttribute('href') || '';
      const bridge = document.getElementById('nb-cite-btn');
      if (bridge) bridge.click();
      const panel = document.getElementById('nb-sources');
      if (panel) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
      return;
    }
    const btn = t.closest('button.nb-copy');
    if (btn) { ev.preventDefault(); ev.stopPropagation(); copy(btn); }
  }, true);
  // Typed text takes its direction from its first letter (Arabic right-to-left).
  document.addEventListener('focusin', (ev) => {
    const t = ev.target;
    if ((t instanceof HTMLTextAreaElement || t instanceof HTMLInputElement)
        && !t.hasAttribute('dir')) t.setAttribute('dir', 'auto');
  });
})();
</script>
"""


def build_app(bot: Newsbot, model: ModelState | None = None) -> gr.Blocks:
    h = ChatHandlers(bot, model or ModelState(bot))
    private: dict[str, Any] = {"api_visibility": "private"}
    # Concurrency, set deliberately (gradio otherwise limits each event on its own):
    # every way of asking shares one group of ui_concurrency answers in flight (what the
    # model server sees); ingests run one at a time; quick page updates never queue.
    answering: dict[str, Any] = {
        "concurrency_id": "answer",
        "concurrency_limit": bot.settings.ui_concurrency,
    }
    ingesting: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1}
    quick: dict[str, Any] = {"concurrency_limit": None, **private}
    with gr.Blocks(title="Newsbot", analytics_enabled=False) as demo:
        messages = gr.State([])
        turns = gr.State([])
        gr.HTML(
            '<div class="nb-brand"><b>Newsbot</b> · sourced answers from Arabic news '
            "reporting on the Mosul offensive</div>"
        )
        status = gr.HTML(elem_id="nb-status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    elem_id="nb-chat",
                    height=560,
                    show_label=False,
                    buttons=[],
                    latex_delimiters=[],
                    feedback_options=None,
                    allow_file_downloads=False,
                    placeholder="Ask about the articles, in English or Arabic. Every answer "
                    "cites its passages; click a [n] to read the source.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="nb-question",
                        show_label=False,
                        placeholder="Ask in English or Arabic… / اسأل بالعربية أو بالإنجليزية",
                        max_lines=4,
                        scale=5,
                        autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, elem_id="nb-ask")
                with gr.Row(equal_height=False):
                    language = gr.Radio(
                        LANGUAGES,
                        value=bot.settings.answer_language.value,
                        label="Answer language",
                        elem_id="nb-language",
                        scale=3,
                    )
                    clear_btn = gr.Button(
                        "Clear chat", elem_id="nb-clear", scale=1, size="sm", min_width=100
                    )
                with gr.Row(elem_id="nb-examples"):
                    examples = [
                        gr.Button(q, size="sm", elem_classes=["nb-example"]) for q in EXAMPLES
                    ]
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(render.panel_note(PANEL_HINT), elem_id="nb-sources")
        with gr.Accordion("Add articles", open=False, elem_id="nb-ingest"):
            upload = gr.File(
                label="Articles (.txt or .md, UTF-8)",
                file_count="multiple",
                file_types=[".txt", ".md"],
                type="filepath",
                height=150,
                elem_id="nb-upload",
            )
            with gr.Row():
                add_btn = gr.Button("Add to the index", variant="primary", elem_id="nb-add")
                rescan_btn = gr.Button("Re-scan the corpus folder", elem_id="nb-rescan")
            ingest_report = gr.HTML(elem_id="nb-ingest-report")
        # Translate / Summarize / Brief tabs (bot/ui_tools.py); model work shares the
        # answer slots, so the model server sees at most ui_concurrency requests.
        from bot.ui_tools import add_tool_tabs

        refresh_tools = add_tool_tabs(bot, {**answering, **private})
        # The bridge for citation clicks: present in the page, never shown.
        cite_href = gr.Textbox(visible="hidden", elem_id="nb-cite-href")
        cite_btn = gr.Button("source", visible="hidden", elem_id="nb-cite-btn")

        chat_io: dict[str, Any] = {
            "fn": h.respond,
            "inputs": [question, language, messages, turns],
            "outputs": [question, chatbot, messages, turns, sources, status],
            "show_progress": "hidden",
            **answering,
            **private,
        }
        question.submit(**chat_io)
        ask_btn.click(**chat_io)
        for btn in examples:  # an example is asked at once: its label is the question
            btn.click(**{**chat_io, "inputs": [btn, language, messages, turns]})
        reset = [chatbot, messages, turns, sources, question]
        clear_btn.click(h.clear, None, reset, **quick)
        chatbot.clear(h.clear, None, reset, **quick)
        cite_btn.click(
            h.show_source,
            cite_href,
            sources,
            js="() => [window.nbCiteHref || '']",
            show_progress="hidden",
            **quick,
        )
        tool_lists = refresh_tools.outputs  # type: ignore[attr-defined]
        add_btn.click(
            h.upload, upload, [ingest_report, status, upload], **ingesting, **private
        ).then(refresh_tools, None, tool_lists, **quick)
        rescan_btn.click(
            h.rescan_folder, None, [ingest_report, status], **ingesting, **private
        ).then(refresh_tools, None, tool_lists, **quick)
        demo.load(h.status, None, status, **quick)
        demo.load(refresh_tools, None, tool_lists, **quick)
        gr.Timer(30).tick(h.status, None, status, show_progress="hidden", **quick)
        groups = {"ask": answering, "rescan": ingesting, "stats": {"concurrency_limit": None}}
        for fn, name in api_functions(bot):
            gr.api(fn, api_name=name, **groups.get(name, {}))
    return demo


# -- the server ----------------------------------------------------------------------------


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
        found = find_source(settings, source)
        if found is None:
            return HTMLResponse(
                "No such article in the corpus folder.", 404, headers=ARTICLE_HEADERS
            )
        page = render.article_page(found.source, found.title, found.text, s, e)
        return HTMLResponse(page, headers=ARTICLE_HEADERS)

    model = ModelState(bot)
    demo = build_app(bot, model)
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
    app.state.newsbot_model = model  # launch() warms the bundled model through it
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
            app.state.newsbot_model.warm()
        if host not in LOOPBACK and _auth(settings) is None:
            print(f"warning: {host} is reachable from other machines and no login is set")
        print(f"Newsbot chat on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        bot.close()
