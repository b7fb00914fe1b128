"""The tasks a regression case can name: each runs through the service and turns its
result into the ``Output`` the assertions read (text, citations, flags, timings)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.cite import Citation
from bot.corpus import Article
from bot.errors import NewsbotError
from bot.eval.assertions import Output
from bot.eval.cases import LoadedCase, Task
from bot.service import Newsbot
from bot.summarize import Span

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
        flags=[f"not in the cited passages: {u}" for u in answer.unsupported]
        + [f"left out (unsupported): {d}" for d in answer.dropped],
    )


# translate / summarize / brief: each written statement cites the Arabic sentence(s) it
# rests on, as a Citation (file offsets and the file's own text), so cites,
# citations-valid and grounded-numbers read them like an answer's; what the output checks
# flagged or dropped goes to Output.flags (the no-flags assertion).


def _article(bot: Newsbot, lc: LoadedCase, name: str) -> Article:
    """``name``: a path relative to the case file, else a source in the corpus folder."""
    from bot.corpus import read_article

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
    art = _article(bot, lc, str(lc.case.input.file))
    t0 = time.perf_counter()
    tr = bot.translate(art.text, art.source)
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
    inp = lc.case.input
    art = _article(bot, lc, str(inp.file))
    language = "ar" if inp.language == "ar" else "en"
    t0 = time.perf_counter()
    summary = bot.summarize(art.text, art.source, language)
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
    from bot.corpus import discover, read_article

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
    b = bot.brief([(src, a.text) for src, a in articles.items()], inp.topic or "")
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
