"""What a suite run produced: per run, per case, per suite; JSON for reports and baselines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.eval.assertions import Outcome, Output
from bot.eval.cases import ASSERTION_TYPES, LoadedCase, as_plain

RunStatus = Literal["pass", "fail", "error", "missing"]


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
