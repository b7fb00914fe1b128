"""Evaluation assertions: each checks one property of a task's output.

Every check returns an ``Outcome``: pass, fail (with a message that says what was
expected and what was found) or skip (with the reason, e.g. no judge model configured).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bot.arabic import arabic_share, normalize, numbers
from bot.cite import MARKER, Citation
from bot.embed import Embedder
from bot.eval import cases as c
from bot.retrieve import Hit

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Outcome:
    type: str
    status: Status
    message: str = ""

    def as_json(self) -> dict[str, str]:
        return {"type": self.type, "status": self.status, "message": self.message}


@dataclass
class Output:
    """What a task produced, in the form the assertions read."""

    text: str
    language: str = ""
    citations: list[Citation] = field(default_factory=list)
    declined: bool = False
    invalid_markers: int = 0
    hits: list[Hit] = field(default_factory=list)
    latency_s: float = 0.0
    first_token_s: float = 0.0
    model: str = ""
    search_query: str = ""
    question: str = ""
    # translate / summarize / brief: what the output checks flagged or dropped, and the
    # file each cited source was read from (for citations-valid; ask finds it in ``hits``).
    flags: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "declined": self.declined,
            "invalid_markers": self.invalid_markers,
            "citations": [cit.as_json() for cit in self.citations],
            "latency_s": round(self.latency_s, 3),
            "first_token_s": round(self.first_token_s, 3),
            "model": self.model,
            "search_query": self.search_query,
            "flags": self.flags,
        }


# (question, answer, rubric) -> (passed, reason); None when no judge is configured.
Judge = Callable[[str, str, str], tuple[bool, str]]


@dataclass
class Context:
    embedder: Embedder | None = None
    judge: Judge | None = None
    replay: bool = False  # latency means nothing for replayed responses
    _files: dict[str, str] = field(default_factory=dict)

    def file_text(self, path: str) -> str | None:
        """The article text that citation offsets refer to (as ingest read it)."""
        if path not in self._files:
            from bot.corpus import read_article
            from bot.errors import IngestError

            try:
                self._files[path] = read_article(Path(path)).text
            except IngestError:
                return None
        return self._files[path]


def plain(text: str) -> str:
    """The answer without its [n] markers."""
    return re.sub(r"[ \t]{2,}", " ", re.sub(r"[ \t]*" + MARKER.pattern, "", text)).strip()


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _fold(text: str, a: c._TextMatch) -> str:
    if a.normalize:
        text = normalize(text)
    return text if a.case_sensitive else text.lower()


_ARABIC_RUN = re.compile("[\u0600-\u06ff]+")


def _fold_pattern(pattern: str, a: c.RegexAssert) -> str:
    # Only the Arabic runs are normalised: lower-casing "\D" would change the regex.
    return _ARABIC_RUN.sub(lambda m: normalize(m.group(0)), pattern) if a.normalize else pattern


def check(a: Any, out: Output, ctx: Context) -> Outcome:
    fn = _CHECKS[type(a)]
    status, message = fn(a, out, ctx)
    return Outcome(a.type, status, message)


R = tuple[Status, str]


def _language(a: c.LanguageAssert, out: Output, ctx: Context) -> R:
    text = plain(out.text)
    share = arabic_share(text)
    got = share if a.value == "ar" else 1 - share
    if not any(ch.isalpha() for ch in text):
        return "fail", f"expected an answer in {a.value}, got no letters: {_short(text)!r}"
    if got >= a.min_share:
        return "pass", ""
    return "fail", (
        f"expected {a.value}: {got:.0%} of letters are in its script (need {a.min_share:.0%}); "
        f"answer: {_short(text)!r}"
    )


def _contains(a: c.ContainsAssert, out: Output, ctx: Context) -> R:
    if _fold(a.value, a) in _fold(plain(out.text), a):
        return "pass", ""
    return "fail", f"expected {a.value!r} in the answer: {_short(plain(out.text))!r}"


def _contains_any(a: c.ContainsAnyAssert, out: Output, ctx: Context) -> R:
    text = _fold(plain(out.text), a)
    if any(_fold(v, a) in text for v in a.values):
        return "pass", ""
    return "fail", f"expected one of {a.values!r} in the answer: {_short(plain(out.text))!r}"


def _not_contains(a: c.NotContainsAssert, out: Output, ctx: Context) -> R:
    text = _fold(plain(out.text), a)
    found = [v for v in a.values if _fold(v, a) in text]
    if not found:
        return "pass", ""
    return "fail", f"the answer must not contain {found!r}: {_short(plain(out.text))!r}"


def _regex(a: c.RegexAssert, out: Output, ctx: Context) -> R:
    flags = 0 if a.case_sensitive else re.IGNORECASE
    text = plain(out.text)
    if re.search(_fold_pattern(a.pattern, a), normalize(text) if a.normalize else text, flags):
        return "pass", ""
    return "fail", f"no match for /{a.pattern}/ in the answer: {_short(text)!r}"


def _cites(a: c.CitesAssert, out: Output, ctx: Context) -> R:
    cited = {cit.source for cit in out.citations}
    missing = [f for f in a.files if f not in cited]
    ok = not missing if a.mode == "all" else len(missing) < len(a.files)
    if ok:
        return "pass", ""
    want = "all of" if a.mode == "all" else "any of"
    return "fail", f"expected citations of {want} {a.files}; cited: {sorted(cited) or 'nothing'}"


def _citations_valid(a: c.CitationsValidAssert, out: Output, ctx: Context) -> R:
    problems: list[str] = []
    if out.invalid_markers:
        problems.append(f"{out.invalid_markers} marker(s) pointed at no passage")
    numbers_cited = {cit.n for cit in out.citations}
    for m in MARKER.finditer(out.text):
        for part in re.split(r"[,،;]", m.group(1)):
            n = int(normalize(part.strip()))
            if n not in numbers_cited:
                problems.append(f"[{n}] resolves to no citation")
    for cit in out.citations:
        path = out.sources.get(cit.source) or next(
            (h.path for h in out.hits if h.source == cit.source and h.path), None
        )
        text = ctx.file_text(path) if path else None
        if text is None:
            problems.append(f"[{cit.n}] {cit.source}: file not found")
        elif text[cit.start : cit.end] != cit.quote:
            problems.append(
                f"[{cit.n}] quote is not the text of {cit.source} at {cit.start}:{cit.end}"
            )
    if not out.declined and len(out.citations) < a.min:
        problems.append(f"{len(out.citations)} citation(s), need at least {a.min}")
    if problems:
        return "fail", "; ".join(problems)
    return "pass", ""


def _grounded_numbers(a: c.GroundedNumbersAssert, out: Output, ctx: Context) -> R:
    wanted = numbers(plain(out.text))
    if not wanted:
        return "pass", ""
    have: set[str] = set()
    for cit in out.citations:
        have |= numbers(cit.quote)
    loose = sorted(wanted - have, key=lambda s: (len(s), s))
    if not loose:
        return "pass", ""
    where = "the cited passages" if out.citations else "any citation (none given)"
    return "fail", f"number(s) {loose} not found in {where}"


def _declined(a: c.DeclinedAssert, out: Output, ctx: Context) -> R:
    if out.declined == a.value:
        return "pass", ""
    if a.value:
        return "fail", f"expected a refusal (not in the sources); answered: {_short(out.text)!r}"
    return "fail", f"expected an answer; the system declined: {_short(out.text)!r}"


def _similar(a: c.SimilarAssert, out: Output, ctx: Context) -> R:
    if ctx.embedder is None:
        return "skip", "no embedder available"
    vecs = np.asarray(ctx.embedder.embed_queries([plain(out.text) or " ", a.reference]))
    norms = np.linalg.norm(vecs, axis=1)
    sim = float(vecs[0] @ vecs[1] / max(float(norms[0] * norms[1]), 1e-9))
    if sim >= a.threshold:
        return "pass", f"similarity {sim:.3f}"
    return "fail", (
        f"similarity to the reference {sim:.3f} < {a.threshold:.2f}; "
        f"answer: {_short(plain(out.text))!r}"
    )


def _rubric(a: c.RubricAssert, out: Output, ctx: Context) -> R:
    if ctx.judge is None:
        return "skip", "no judge model configured (NEWSBOT_JUDGE_BASE_URL / NEWSBOT_JUDGE_MODEL)"
    ok, reason = ctx.judge(out.question, plain(out.text), a.rubric)
    return ("pass" if ok else "fail"), (reason if ok else f"judge: {reason}")


def _latency(a: c.LatencyAssert, out: Output, ctx: Context) -> R:
    if ctx.replay:
        return "skip", "replayed response: latency not measured"
    if out.latency_s <= a.max_s:
        return "pass", f"{out.latency_s:.1f} s"
    return "fail", f"took {out.latency_s:.1f} s, bound {a.max_s:g} s"


def _no_flags(a: c.NoFlagsAssert, out: Output, ctx: Context) -> R:
    if len(out.flags) <= a.max:
        return "pass", ""
    return "fail", (
        f"{len(out.flags)} statement(s) flagged or dropped by the checks (allowed {a.max}): "
        + "; ".join(_short(f, 100) for f in out.flags[:3])
    )


_CHECKS: dict[type, Callable[[Any, Output, Context], R]] = {
    c.LanguageAssert: _language,
    c.ContainsAssert: _contains,
    c.ContainsAnyAssert: _contains_any,
    c.NotContainsAssert: _not_contains,
    c.RegexAssert: _regex,
    c.CitesAssert: _cites,
    c.CitationsValidAssert: _citations_valid,
    c.GroundedNumbersAssert: _grounded_numbers,
    c.DeclinedAssert: _declined,
    c.SimilarAssert: _similar,
    c.RubricAssert: _rubric,
    c.LatencyAssert: _latency,
    c.NoFlagsAssert: _no_flags,
}


JUDGE_VERDICT = re.compile(r"^\W*(PASS|FAIL)\b\W*(.*)", re.IGNORECASE | re.DOTALL)


def parse_verdict(reply: str) -> tuple[bool, str]:
    """``PASS: reason`` / ``FAIL: reason`` from the judge; anything else is a failure."""
    m = JUDGE_VERDICT.match(reply.strip())
    if not m:
        return False, f"unreadable verdict: {_short(reply)!r}"
    return m.group(1).upper() == "PASS", _short(m.group(2).strip() or m.group(1).upper(), 300)
