"""``Newsbot``: the pipeline stages wired together once, for the CLI and the web chat."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

from bot.answer import Answer, Done, Event, Glossed, glossed, stream_answer
from bot.condense import Turn, condense
from bot.config import AnswerLanguage, CassetteMode, Settings
from bot.conversations import Conversation, Conversations, Saved
from bot.corpus import prepare_corpus
from bot.embed import Embedder, get_embedder
from bot.errors import InputError, ModelReplyError, NewsbotError
from bot.filters import Filter
from bot.ingest import IngestReport, Progress, indexed_files, ingest, reset_index
from bot.library import Entry, SourceText, find_source, library, remove_file, save_uploads
from bot.llm import ChatGateway, Connection, open_chat, running_server
from bot.retrieve import Retriever, SearchResult
from bot.store import Store

if TYPE_CHECKING:  # translate / summarize / brief / feeds: imported when used
    from bot.brief import Briefing
    from bot.feeds import FeedReport
    from bot.summarize import Summary
    from bot.translate import Translation
    from bot.writer import SentenceWriter


class Newsbot:
    """The one door: every front end (CLI, web chat and its API, eval, bench, LangChain)
    asks, ingests and writes through here.

    ``cache_results=False`` (the evaluation) sends every written sentence to the model,
    so a recording records it and a replay must find it."""

    def __init__(self, settings: Settings, *, cache_results: bool = True) -> None:
        self.settings = settings
        self.cache_results = cache_results
        prepare_corpus(settings)
        self._gateway: ChatGateway | None = None
        self._side: ChatGateway | None = None
        self._connections: list[Connection] = []  # their leases end in close()
        self._gateway_lock = Lock()
        self._warming = False
        self._warm_error: str | None = None
        self._ingest_lock = Lock()

    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings, self.embedder.name)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.settings, self.store, self.embedder)

    def gateway(self) -> ChatGateway:
        """The chat model, connected (and for the bundled model, started) on first use."""
        with self._gateway_lock:
            if self._gateway is None:
                conn = open_chat(self.settings)
                self._connections.append(conn)
                self._gateway = conn.gateway
            return self._gateway

    def side_gateway(self) -> ChatGateway:
        """The model for side prompts (glosses, translations, summaries, condensing): the
        bundled model's writer server, so the answer server's KV cache keeps the answer
        prompt's prefix; otherwise the chat model itself."""
        s = self.settings
        if not (
            s.uses_bundled_model
            and s.bundled_writer_server
            and s.cassette_mode is not CassetteMode.REPLAY
        ):
            return self.gateway()
        with self._gateway_lock:
            if self._side is None:
                conn = open_chat(s, side=True)
                self._connections.append(conn)
                self._side = conn.gateway
            return self._side

    def warm_model(self) -> None:
        """Start the bundled model in the background so the first answer is not slow."""

        def run() -> None:
            try:
                self.gateway()
                if self.settings.answer_glosses:  # the first answer's glosses need it
                    self.side_gateway()
            except NewsbotError as exc:
                self._warm_error = str(exc)
            finally:
                self._warming = False

        self._warming = True
        threading.Thread(target=run, name="newsbot-warm", daemon=True).start()

    def model_status(self) -> tuple[str, bool]:
        """(what to say about the chat model, whether it is usable), never starting it."""
        s = self.settings
        if s.uses_bundled_model and s.cassette_mode is not CassetteMode.REPLAY:
            if running_server(s) is not None:
                return "running", True
            if self._warming:
                return "starting…", True
            if self._warm_error:
                return self._warm_error, False
            return "starts with the first question", True
        problem = self.gateway().health()
        return ("reachable", True) if problem is None else ("not reachable", False)

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        progress: Progress | None = None,
        prune: bool = True,
        verify: bool = False,
    ) -> IngestReport:
        """Index what changed under ``paths``; ``verify``: check the store and keyword
        index against the manifest file by file (slow at archive scale)."""
        with self._ingest_lock:  # one writer at a time per process
            report = ingest(
                list(paths or [self.settings.corpus_dir]),
                self.settings,
                self.embedder,
                self.store,
                progress=progress,
                prune=prune,
                verify=verify,
            )
        self.retriever.invalidate()
        return report

    def add_files(
        self,
        files: Sequence[Path],
        accept: Callable[[Path], bool] = lambda p: True,
        progress: Progress | None = None,
        replace: bool = False,
    ) -> tuple[IngestReport | None, list[tuple[str, str]]]:
        """Copy articles into the corpus folder and index them (the rest stays as it is);
        returns the ingest report (None if nothing was taken) and the files refused.
        ``replace``: a file named like an article there replaces it (else it is refused)."""
        saved, problems = save_uploads(files, self.settings.corpus_dir, accept, replace)
        report = self.ingest(saved, progress=progress, prune=False) if saved else None
        return report, problems

    def library(self) -> list[Entry]:
        """Every indexed article with its outlet, date, format and chunk count."""
        return library(self.settings)

    def remove(self, sources: Sequence[str], progress: Progress | None = None) -> IngestReport:
        """Delete these articles from the corpus folder and their chunks from the index."""
        for source in sources:
            remove_file(self.settings, source)
        return self.ingest(progress=progress)

    def add_feed(
        self, source: str, progress: Progress | None = None
    ) -> tuple[FeedReport, IngestReport | None]:
        """A feed's new items into the corpus folder, then into the index."""
        from bot.feeds import add_feed

        feed = add_feed(source, self.settings)
        report = self.ingest(feed.added, progress=progress, prune=False) if feed.added else None
        return feed, report

    def gloss_corpus(self, progress: Progress | None = None) -> tuple[int, int]:
        """English glosses for every sentence of the indexed articles, made now (and
        cached) so the chat's citations show them at once. Resumable: what is done is in
        the sentence cache. Returns (sentences glossed, of which flagged)."""
        from bot.chunk import sentence_units

        gloss = self.glosser()
        sentences: list[str] = []
        for entry in indexed_files(self.settings).values():
            found = self.source(str(entry.get("source")))
            if found is not None:
                sentences += [found.text[a:b] for a, b in sentence_units(found.text)]
        flagged = 0
        for i, s in enumerate(sentences, 1):
            flagged += bool(gloss(s)[1])
            if progress:
                progress(i, len(sentences), "glossing")
        return len(sentences), flagged

    def reset_index(self) -> None:
        """Forget every chunk: the next ingest embeds the corpus again."""
        with self._ingest_lock:
            reset_index(self.settings, self.store)
        self.retriever.invalidate()

    def source(self, name: str) -> SourceText | None:
        """An indexed article of the corpus folder by its source name (what citations
        name and the chat may show); None for anything else."""
        return find_source(self.settings, name)

    def search(self, query: str, k: int | None = None, where: Filter | None = None) -> SearchResult:
        return self.retriever.search(query, k, where)

    def _kwargs(self) -> dict[str, object]:
        return {
            "settings": self.settings,
            "retriever": self.retriever,
            "embedder": self.embedder,
            "gateway": self.gateway,
        }

    def chat(
        self,
        question: str,
        history: Sequence[Turn] = (),
        language: str | AnswerLanguage | None = None,
        where: Filter | None = None,
    ) -> Iterator[Event]:
        """One chat turn: the follow-up condensed into a standalone search query with the
        earlier (question, answer) turns, then the answer's events, ending with ``Done``.

        Every front end asks through here, so a follow-up means the same everywhere.
        """
        q = self.check_question(question)
        turns = [(str(t[0]), str(t[1])) for t in history]
        query = condense(q, turns, settings=self.settings, gateway=self.side_gateway)
        glosses = self.settings.answer_glosses
        for event in stream_answer(
            q,
            language=language,
            search_query=query,
            gloss=self.glosser() if glosses and self.settings.evidence_glossed else None,
            where=where,
            **self._kwargs(),  # type: ignore[arg-type]
        ):
            yield event
            # The answer is shown first; the English of its citations follows (from the
            # sentence cache when ingest --translate made it, else the writer server).
            if isinstance(event, Done) and glosses and event.answer.citations:
                yield Glossed(glossed(event.answer, self.glosser()))

    def glosser(self) -> Callable[[str], tuple[str, list[str]]]:
        """English for a cited Arabic sentence, by the translation pipeline (glossary
        names, number and meaning checks, the sentence cache that ingest --translate
        fills): (english, flags)."""
        from bot.writer import needs_translation

        writer = self.writer("translate")

        def gloss(arabic: str) -> tuple[str, list[str]]:
            if not needs_translation(arabic):
                return arabic, []
            w = writer.write(arabic)
            flags = list(w.flags)
            if w.uncertain(self.settings.confidence_floor):
                # Shown with the gloss (source card, JSON quote_en_flags): a reader who
                # cannot check the Arabic is told this English may be wrong.
                flags.insert(0, f"uncertain translation (confidence {w.confidence:.2f})")
            return w.text, flags

        return gloss

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        language: str | AnswerLanguage | None = None,
        where: Filter | None = None,
    ) -> Answer:
        """The whole checked answer of one chat turn (no streaming), glossed."""
        answer: Answer | None = None
        for event in self.chat(question, history, language, where):
            if isinstance(event, Done):
                answer = event.answer
        if answer is None:
            raise ModelReplyError("the answer ended without a result")
        return answer

    def check_question(self, question: str) -> str:
        """The question, stripped; an empty, over-long, wordless one, or one holding
        control characters (a terminal's escapes, NULs) is an input error."""
        q = (question or "").strip()
        if not q:
            raise InputError("ask a question")
        controls = sorted({c for c in q if unicodedata.category(c) == "Cc" and c not in "\t\n\r"})
        if controls:
            shown = ", ".join(f"U+{ord(c):04X}" for c in controls[:5])
            raise InputError(
                f"the question holds control characters ({shown}); type it again without them"
            )
        if not any(c.isalnum() for c in q):
            raise InputError("the question has no words: ask it in English or Arabic")
        limit = self.settings.max_question_chars
        if len(q) > limit:
            raise InputError(
                f"the question is {len(q):,} characters; the limit is {limit:,} "
                "(NEWSBOT_MAX_QUESTION_CHARS)"
            )
        return q

    # -- translate / summarize / brief ------------------------------------------------------
    def writer(self, prompt: str) -> SentenceWriter:
        """The sentence writer for ``prompt`` (translate or summarize), cached or not."""
        from bot.cache import NoCache
        from bot.writer import SentenceWriter

        w = SentenceWriter(self.settings, self.side_gateway, prompt)
        if not self.cache_results:
            w.cache = NoCache()
        return w

    def translate(self, text: str, source: str, progress: Progress | None = None) -> Translation:
        from bot.translate import translate_text

        return translate_text(
            text,
            source,
            settings=self.settings,
            gateway=self.side_gateway,
            progress=progress,
            writer=self.writer("translate"),
        )

    def summarize(
        self, text: str, source: str, language: str = "en", progress: Progress | None = None
    ) -> Summary:
        from bot.summarize import summarize_text

        return summarize_text(
            text,
            source,
            settings=self.settings,
            embedder=self.embedder,
            gateway=self.side_gateway,
            language=language,
            progress=progress,
            writer=self.writer("summarize"),
        )

    def brief(
        self,
        articles: Sequence[tuple[str, str]] | None = None,
        topic: str = "",
        progress: Progress | None = None,
    ) -> Briefing:
        """A briefing over ``articles`` ((file, text) pairs; default: the corpus folder).
        Relative dates resolve against each article's publication date where known."""
        from bot.brief import brief

        if articles is None:
            articles = self.corpus_articles()
        published = {
            str(e.get("source")): str(e["date"])
            for e in indexed_files(self.settings).values()
            if e.get("date")
        }
        return brief(
            articles,
            settings=self.settings,
            embedder=self.embedder,
            gateway=self.side_gateway,
            topic=topic,
            progress=progress,
            writer=self.writer("summarize"),
            published=published,
        )

    def corpus_articles(self) -> list[tuple[str, str]]:
        """(file, text) of each readable article in the corpus folder."""
        from bot.corpus import discover, read_article
        from bot.errors import IngestError

        found, _ = discover([self.settings.corpus_dir])
        out: list[tuple[str, str]] = []
        for path, source in found:
            try:
                out.append((source, read_article(path, source).text))
            except IngestError:
                continue  # unreadable files are reported by ingest; a briefing skips them
        return out

    # -- end translate / summarize / brief --------------------------------------------------

    # -- conversations (bot/conversations.py) ------------------------------------------------
    @cached_property
    def _conversations(self) -> Conversations:
        return Conversations(self.settings)

    def remember(self, answer: Answer, user: str, conversation: str | None = None) -> str:
        """Save ``answer`` as the next turn of ``user``'s ``conversation`` (a new one, titled
        by the question, when None); returns the conversation's id."""
        store = self._conversations
        cid = conversation or store.create(user, answer.question)
        store.append(user, cid, answer.as_json())
        return cid

    def named_conversation(self, user: str, title: str) -> str:
        """The id of ``user``'s conversation called ``title`` (created if new)."""
        return self._conversations.named(user, title)

    def conversations(self, user: str) -> list[Saved]:
        return self._conversations.list(user)

    def conversation(self, user: str, conversation: str) -> Conversation:
        return self._conversations.get(user, conversation)

    def forget(self, user: str, conversation: str) -> None:
        self._conversations.delete(user, conversation)

    def stats(self) -> dict[str, int]:
        files = indexed_files(self.settings)
        return {"articles": len(files), "chunks": self.store.count()}

    def close(self) -> None:
        """Let go of the model servers: a bundled one stays warm for the next command
        or another process (``model_idle_s``), and is never stopped under its answer."""
        with self._gateway_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            self._gateway = self._side = None
