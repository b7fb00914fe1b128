"""``newsbot eval``: a prompt regression suite over the real pipeline.

Cases (YAML under ``regression/``, schema in ``bot/_eval_cases.py``) name a task,
its input and assertions (``bot/_eval_assert.py``). ``Evaluator`` runs them in threads
against the configured model, live, recording (``--record``) or replaying a cassette
(``--replay``, no model at all; ``bot/llm/cassettes.py``); reports and baselines are in
``bot/_eval_report.py``. Tasks are a registry: a task's runner turns a case into an
``Output`` the assertions read, so translate / summarize / brief plug in beside ``ask``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot._eval_assert import Context, Judge, Outcome, Output, check, parse_verdict
from bot._eval_cases import ASSERTION_TYPES, LoadedCase, Task, as_plain, load_cases
from bot.cache import ResultCache
from bot.cite import Citation
from bot.config import CassetteMode, Settings, shipped
from bot.errors import CassetteMissing, NewsbotError, PromptError
from bot.ingest import Article
from bot.llm import ChatGateway, load_prompt, model_name, open_judge
from bot.service import Newsbot
from bot.summarize import Span
from bot.translate import SentenceWriter

__all__ = [
    "TASKS",
    "CaseResult",
    "Evaluator",
    "Output",
    "RunResult",
    "SuiteResult",
    "Task",
    "load_cases",
]

RunStatus = Literal["pass", "fail", "error", "missing"]
DEFAULT_CASES = shipped("regression")


# -- tasks -------------------------------------------------------------------------------

TaskRunner = Callable[[Newsbot, LoadedCase], Output]


def run_ask(bot: Newsbot, lc: LoadedCase) -> Output:
    """A question, with earlier turns rewritten into a standalone query like the chat does."""
    inp = lc.case.input
    question = str(inp.question)
    turns = [(t.question, t.answer) for t in inp.history]
    answer = bot.answer(question, turns, language=inp.language)
    return Output(
        text=answer.answer,
        language=answer.language,
        citations=answer.citations,
        declined=answer.declined,
        invalid_markers=answer.invalid_markers,
        hits=answer.hits,
        latency_s=answer.timings.get("total_s", 0.0),
        first_token_s=answer.timings.get("first_token_s", 0.0),
        model=answer.model,
        search_query=answer.search_query,
        question=question,
        flags=[f"not in the cited passages: {u}" for u in answer.unsupported],
    )


# translate / summarize / brief: each written statement cites the Arabic sentence(s) it
# rests on, as a Citation (file offsets and the file's own text), so cites,
# citations-valid and grounded-numbers read them like an answer's; what the output checks
# flagged or dropped goes to Output.flags (the no-flags assertion).


class _NoCache(ResultCache):
    """Every sentence goes to the gateway: a recording must record it, a replay must find
    it in the cassette; the on-disk result cache would hide both."""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.gettempdir()), "unused")

    def get(self, k: str) -> Any | None:
        return None

    def put(self, k: str, value: Any) -> None:
        return None


def _writer(bot: Newsbot, prompt: str) -> SentenceWriter:
    writer = SentenceWriter(bot.settings, bot.gateway, prompt)
    writer.cache = _NoCache()
    return writer


def _article(bot: Newsbot, lc: LoadedCase, name: str) -> Article:
    """``name``: a path relative to the case file, else a source in the corpus folder."""
    from bot.ingest import read_article

    for path in (lc.file.parent / name, bot.settings.corpus_dir / name):
        if path.is_file():
            return read_article(path.resolve(), Path(name).name)
    raise NewsbotError(f"{lc.file}:{lc.line}: input.file: no such file {name}")


def _spans_output(
    statements: list[tuple[str, list[Span]]],
    articles: dict[str, Article],
    *,
    language: str,
    flags: list[str],
    model: str,
    question: str,
    seconds: float,
) -> Output:
    """One line per statement with its [n] markers, and a Citation per cited sentence."""
    citations: list[Citation] = []
    numbered: dict[tuple[str, int, int], int] = {}
    lines: list[str] = []
    for statement, spans in statements:
        marks: list[int] = []
        for sp in spans:
            k = (sp.source, sp.start, sp.end)
            if k not in numbered:
                numbered[k] = len(citations) + 1
                art = articles[sp.source]
                citations.append(
                    Citation(
                        numbered[k],
                        sp.source,
                        f"{sp.source}#s{sp.index}",
                        sp.start,
                        sp.end,
                        art.text[sp.start : sp.end],
                        art.title,
                    )
                )
            marks.append(numbered[k])
        lines.append(f"{statement} [{', '.join(map(str, marks))}]" if marks else statement)
    return Output(
        text="\n".join(lines),
        language=language,
        citations=citations,
        latency_s=seconds,
        model=model,
        question=question,
        flags=flags,
        sources={src: str(a.path) for src, a in articles.items()},
    )


def run_translate(bot: Newsbot, lc: LoadedCase) -> Output:
    """The article in English, one sentence after another, each citing its Arabic one."""
    from bot.translate import translate_text

    art = _article(bot, lc, str(lc.case.input.file))
    t0 = time.perf_counter()
    tr = translate_text(
        art.text,
        art.source,
        settings=bot.settings,
        gateway=bot.gateway,
        writer=_writer(bot, "translate"),
    )
    statements = [
        (s.english, [Span(s.index, s.start, s.end, s.arabic, art.source)])
        for s in tr.sentences
        if s.english.strip()
    ]
    return _spans_output(
        statements,
        {art.source: art},
        language="en",
        flags=list(tr.checks.flagged),
        model=tr.model,
        question=f"Translate the article {art.source} into English.",
        seconds=time.perf_counter() - t0,
    )


def run_summarize(bot: Newsbot, lc: LoadedCase) -> Output:
    """The summary's bullets, one a line, each citing its sentence; dropped ones in flags."""
    from bot.summarize import summarize_text

    inp = lc.case.input
    art = _article(bot, lc, str(inp.file))
    language = "ar" if inp.language == "ar" else "en"
    t0 = time.perf_counter()
    summary = summarize_text(
        art.text,
        art.source,
        settings=bot.settings,
        embedder=bot.embedder,
        gateway=bot.gateway,
        language=language,
        writer=_writer(bot, "summarize"),
    )
    statements = [
        (b.text, [replace(c, source=c.source or art.source) for c in b.cites])
        for b in summary.bullets
    ]
    return _spans_output(
        statements,
        {art.source: art},
        language=summary.language,
        flags=list(summary.checks.flagged),
        model=summary.model,
        question=f"Summarize the article {art.source} in {language}.",
        seconds=time.perf_counter() - t0,
    )


def run_brief(bot: Newsbot, lc: LoadedCase) -> Output:
    """A briefing's checked statements (headline, developments, timeline, figures,
    disagreements; each once, in that order), each citing its sentence(s)."""
    from bot.brief import brief
    from bot.ingest import discover, read_article

    inp = lc.case.input
    paths = list(lc.extra_files())
    if paths:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise NewsbotError(f"{lc.file}:{lc.line}: input.files: no such file {missing[0]}")
        found = [(p, p.name) for p in paths]
    else:
        found, _ = discover([bot.settings.corpus_dir])
    articles = {src: read_article(path, src) for path, src in found}
    t0 = time.perf_counter()
    b = brief(
        [(src, a.text) for src, a in articles.items()],
        settings=bot.settings,
        embedder=bot.embedder,
        gateway=bot.gateway,
        topic=inp.topic or "",
        writer=_writer(bot, "summarize"),
    )
    bullets = [
        *b.headline,
        *b.developments,
        *(x for _, x in b.timeline),
        *b.figures,
        *(x for d in b.disagreements for x in (d.claim, d.counter)),
    ]
    unique = list({id(x): x for x in bullets}.values())  # sections share statements
    return _spans_output(
        [(x.text, list(x.cites)) for x in unique],
        articles,
        language="en",
        flags=list(b.checks.flagged),
        model=b.model,
        question=f"Brief on {inp.topic or 'the articles'}.",
        seconds=time.perf_counter() - t0,
    )


TASKS: dict[Task, TaskRunner] = {
    Task.ASK: run_ask,
    Task.TRANSLATE: run_translate,
    Task.SUMMARIZE: run_summarize,
    Task.BRIEF: run_brief,
}


# -- results -----------------------------------------------------------------------------


@dataclass
class RunResult:
    status: RunStatus
    outcomes: list[Outcome] = field(default_factory=list)
    output: Output | None = None
    error: str = ""
    seconds: float = 0.0

    @property
    def failing(self) -> str:
        """The first failing assertion, or the error, in one line."""
        if self.error:
            return self.error
        bad = next((o for o in self.outcomes if o.status == "fail"), None)
        return f"{bad.type}: {bad.message}" if bad else ""

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "assertions": [o.as_json() for o in self.outcomes],
            "output": self.output.as_json() if self.output else None,
        }


@dataclass
class CaseResult:
    case: LoadedCase
    runs: list[RunResult] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def status(self) -> RunStatus:
        states = {r.status for r in self.runs}
        for s in ("missing", "error", "fail"):
            if s in states:
                return s
        return "pass"

    @property
    def passed_runs(self) -> int:
        return sum(r.status == "pass" for r in self.runs)

    @property
    def failing(self) -> str:
        return next((r.failing for r in self.runs if r.status != "pass"), "")

    @property
    def latency_s(self) -> float:
        lat = [r.output.latency_s for r in self.runs if r.output]
        return sum(lat) / len(lat) if lat else 0.0

    def as_json(self) -> dict[str, Any]:
        c = self.case
        return {
            "id": c.id,
            "task": c.case.task.value,
            "file": str(c.file),
            "line": c.line,
            "tags": c.case.tags,
            "description": c.case.description,
            "input": as_plain(c.case.input),
            "status": self.status,
            "passed_runs": self.passed_runs,
            "runs": [r.as_json() for r in self.runs],
        }


def _rate(passed: int, total: int) -> float | None:
    return round(passed / total, 4) if total else None


@dataclass
class SuiteResult:
    cases: list[CaseResult]
    model: str
    mode: str
    started: str
    seconds: float
    notices: list[str] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(c.status for c in self.cases)

    @property
    def ok(self) -> bool:
        return all(c.status == "pass" for c in self.cases)

    def task_rates(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for c in self.cases:
            t = out.setdefault(c.case.case.task.value, {"cases": 0, "passed": 0})
            t["cases"] += 1
            t["passed"] += c.status == "pass"
        for t in out.values():
            t["rate"] = _rate(t["passed"], t["cases"])
        return out

    def assertion_rates(self) -> dict[str, dict[str, Any]]:
        """Per assertion type over every run: passed / (passed + failed); skips apart."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.cases:
            for r in c.runs:
                for o in r.outcomes:
                    t = out.setdefault(o.type, {"passed": 0, "failed": 0, "skipped": 0})
                    t[{"pass": "passed", "fail": "failed", "skip": "skipped"}[o.status]] += 1
        for t in out.values():
            t["rate"] = _rate(t["passed"], t["passed"] + t["failed"])
        return dict(sorted(out.items(), key=lambda kv: ASSERTION_TYPES.index(kv[0])))

    def as_json(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "model": self.model,
            "mode": self.mode,
            "started": self.started,
            "seconds": round(self.seconds, 2),
            "summary": {
                "cases": len(self.cases),
                **{s: counts.get(s, 0) for s in ("pass", "fail", "error", "missing")},
                "rate": _rate(counts.get("pass", 0), len(self.cases)),
            },
            "tasks": self.task_rates(),
            "assertions": self.assertion_rates(),
            "notices": self.notices,
            "cases": [c.as_json() for c in self.cases],
        }


# -- the runner --------------------------------------------------------------------------


def make_judge(settings: Settings) -> Judge | None:
    """The rubric judge through the model gateway, or None when none is configured."""
    gw = open_judge(settings)
    if gw is None:
        return None
    try:
        prompt = load_prompt(settings.prompts_dir, "judge")
    except PromptError:  # a --prompts folder under test need not carry the judge
        prompt = load_prompt(shipped("prompts"), "judge")

    def judge(question: str, answer: str, rubric: str) -> tuple[bool, str]:
        messages = prompt.render(question=question, answer=answer, rubric=rubric)
        return parse_verdict(gw.complete(messages, prompt.chat_params()))

    return judge


class _SharedModelBot(Newsbot):
    """A bot on another index that asks the main bot's model: one gateway, one server."""

    def __init__(self, settings: Settings, main: Newsbot) -> None:
        super().__init__(settings)
        self._main = main

    def gateway(self) -> ChatGateway:
        return self._main.gateway()


class Evaluator:
    """Runs cases against ``settings`` (its index must hold the corpus already).

    Cases that add articles get a throw-away copy of the index with those articles
    ingested on top, one per distinct set of files, removed by ``close()``.
    """

    def __init__(self, settings: Settings, judge: Judge | None = None) -> None:
        self.settings = settings
        self.bot = Newsbot(settings)
        self.judge = judge if judge is not None else make_judge(settings)
        self._extra: dict[tuple[Path, ...], Newsbot] = {}
        self._extra_lock = threading.Lock()
        self._tmp: list[Path] = []

    @property
    def model(self) -> str:
        return model_name(self.settings)

    def bot_for(self, lc: LoadedCase) -> Newsbot:
        # Only questions search an index; the other tasks read their files directly.
        files = lc.extra_files() if lc.case.task is Task.ASK else ()
        if not files:
            return self.bot
        with self._extra_lock:
            if files not in self._extra:
                for f in files:
                    if not f.is_file():
                        raise NewsbotError(f"{lc.file}:{lc.line}: input.files: no such file {f}")
                tmp = Path(tempfile.mkdtemp(prefix="newsbot-eval-"))
                self._tmp.append(tmp)
                # A copy of the corpus index plus the case's articles: only those are embedded.
                self.bot.store.count()  # opens (and so creates) the index before copying
                shutil.copytree(self.settings.index_dir, tmp / "index")
                bot = _SharedModelBot(
                    self.settings.model_copy(update={"index_dir": tmp / "index"}), self.bot
                )
                report = bot.ingest(list(files), prune=False)
                if report.skipped:
                    name, why = report.skipped[0]
                    raise NewsbotError(f"{lc.file}:{lc.line}: input.files: {name}: {why}")
                self._extra[files] = bot
            return self._extra[files]

    def run_once(self, lc: LoadedCase) -> RunResult:
        t0 = time.perf_counter()
        try:
            out = TASKS[lc.case.task](self.bot_for(lc), lc)
        except CassetteMissing as exc:
            return RunResult("missing", error=str(exc), seconds=time.perf_counter() - t0)
        except NewsbotError as exc:
            return RunResult("error", error=str(exc), seconds=time.perf_counter() - t0)
        except Exception as exc:  # a bug in one case must not stop the suite
            return RunResult(
                "error", error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0
            )
        ctx = Context(
            embedder=self.bot.embedder,
            judge=self.judge,
            replay=self.settings.cassette_mode is CassetteMode.REPLAY,
        )
        outcomes: list[Outcome] = []
        for a in lc.case.asserts:
            try:
                outcomes.append(check(a, out, ctx))
            except CassetteMissing as exc:
                return RunResult("missing", outcomes, out, str(exc), time.perf_counter() - t0)
            except NewsbotError as exc:
                outcomes.append(Outcome(a.type, "fail", f"could not be checked: {exc}"))
        status: RunStatus = "fail" if any(o.status == "fail" for o in outcomes) else "pass"
        return RunResult(status, outcomes, out, seconds=time.perf_counter() - t0)

    def run(
        self,
        cases: list[LoadedCase],
        *,
        jobs: int = 1,
        repeat: int = 1,
        on_done: Callable[[LoadedCase, RunResult], None] | None = None,
    ) -> SuiteResult:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        results = {c.id: CaseResult(c) for c in cases}
        notices: list[str] = []
        if self.judge is None and any(a.type == "rubric" for c in cases for a in c.case.asserts):
            notices.append("rubric assertions skipped: no judge model configured")
        work = [c for c in cases for _ in range(max(1, repeat))]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(self.run_once, c): c for c in work}
            for fut in as_completed(futures):
                c = futures[fut]
                run = fut.result()
                results[c.id].runs.append(run)
                if on_done:
                    on_done(c, run)
        return SuiteResult(
            cases=[results[c.id] for c in cases],
            model=self.model,
            mode=self.settings.cassette_mode.value,
            started=started,
            seconds=time.perf_counter() - t0,
            notices=notices,
        )

    def close(self) -> None:
        for bot in self._extra.values():
            bot.close(stop_model=False)
        self.bot.close()
        for tmp in self._tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def prepare_index(settings: Settings) -> Settings:
    """Settings whose index holds the corpus folder, ingested incrementally (only what
    changed is embedded), in ``eval-results/.index`` beside the results by default."""
    bot = Newsbot(settings)
    report = bot.ingest([settings.corpus_dir])
    if report.skipped:
        name, why = report.skipped[0]
        raise NewsbotError(f"corpus file {name} cannot be ingested: {why}")
    return settings


def evaluate(
    cases: list[LoadedCase],
    settings: Settings,
    *,
    jobs: int = 1,
    repeat: int = 1,
    ingest_corpus: bool = True,
    prune_cassettes: bool = False,
    on_done: Callable[[LoadedCase, RunResult], None] | None = None,
) -> SuiteResult:
    """Run ``cases``; with ``ingest_corpus`` the index is first brought up to date with the
    corpus folder. ``prune_cassettes`` (a full recording) drops recordings nothing used."""
    if ingest_corpus:
        prepare_index(settings)
    ev = Evaluator(settings)
    try:
        result = ev.run(cases, jobs=jobs, repeat=repeat, on_done=on_done)
    finally:
        ev.close()
    if prune_cassettes and settings.cassette_mode in (CassetteMode.RECORD, CassetteMode.UPDATE):
        from bot.llm import open_cassette

        dropped = open_cassette(settings.cassette_dir, result.model).prune()
        if dropped:
            result.notices.append(f"{dropped} stale cassette recording(s) dropped")
    return result
