"""``newsbot eval``: a prompt regression suite over the real pipeline.

Cases (YAML under ``regression/``, schema in ``bot/eval/cases.py``) name a task, its
input and assertions (``bot/eval/assertions.py``). ``Evaluator`` runs them in threads
against the configured model, live, recording (``--record``) or replaying a cassette
(``--replay``, no model at all; ``bot/llm/cassettes.py``); reports and baselines are in
``bot/eval/report.py``. Tasks are a registry (``bot/eval/tasks.py``): a task's runner
turns a case into an ``Output`` the assertions read.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

from bot.config import CassetteMode, Settings, shipped
from bot.errors import CassetteMissing, NewsbotError, PromptError
from bot.eval.assertions import Context, Judge, Outcome, check, parse_verdict
from bot.eval.cases import LoadedCase, Task
from bot.eval.results import CaseResult, RunResult, RunStatus, SuiteResult
from bot.eval.tasks import TASKS
from bot.llm import ChatGateway, load_prompt, model_name, open_judge
from bot.service import Newsbot

DEFAULT_CASES = shipped("regression")


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
        super().__init__(settings, cache_results=False)
        self._main = main

    def gateway(self) -> ChatGateway:
        return self._main.gateway()

    def side_gateway(self) -> ChatGateway:
        return self._main.side_gateway()


class Evaluator:
    """Runs cases against ``settings`` (its index must hold the corpus already).

    Cases that add articles get a throw-away copy of the index with those articles
    ingested on top, one per distinct set of files, removed by ``close()``.
    """

    def __init__(self, settings: Settings, judge: Judge | None = None) -> None:
        self.settings = settings
        self.bot = Newsbot(settings, cache_results=False)
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
            bot.close()
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
