"""Baselines: a suite's per-case states and per-assertion-type pass rates, saved under a
name; comparing a run with one lists the cases that changed state, newly failing first."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import NewsbotError
from bot.eval.results import SuiteResult


def baseline_data(result: SuiteResult, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": result.model,
        "mode": result.mode,
        "cases": {
            c.id: {
                "task": c.case.case.task.value,
                "status": c.status,
                "failing": c.failing,
                "assertions": [o.as_json() for r in c.runs for o in r.outcomes],
            }
            for c in result.cases
        },
        "assertion_rates": {t: v["rate"] for t, v in result.assertion_rates().items()},
    }


def _baseline_path(folder: Path, name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise NewsbotError(f"baseline name {name!r}: use letters, digits, '.', '_' or '-'")
    return folder / f"{name}.json"


def save_baseline(result: SuiteResult, folder: Path, name: str) -> Path:
    path = _baseline_path(folder, name)
    folder.mkdir(parents=True, exist_ok=True)
    data = baseline_data(result, name)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
    return path


def load_baseline(folder: Path, name: str) -> dict[str, Any]:
    path = _baseline_path(folder, name)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        have = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
        raise NewsbotError(
            f"no baseline {name!r} in {folder} (have: {', '.join(have) or 'none'})"
        ) from exc
    except (OSError, ValueError) as exc:
        raise NewsbotError(f"baseline {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), dict):
        raise NewsbotError(f"baseline {path} is not a newsbot baseline")
    return data


@dataclass(frozen=True)
class Change:
    id: str
    before: str  # a status, or "absent"
    after: str
    kind: str  # regressed | fixed | changed | new | removed


@dataclass
class Comparison:
    name: str
    changes: list[Change] = field(default_factory=list)
    # assertion type -> (rate before, rate after)
    rates: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    new_failing: list[str] = field(default_factory=list)  # cases absent before, failing now

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "regressed"]

    @property
    def ok(self) -> bool:
        """Nothing that passed before fails now, and no new case fails."""
        return not self.regressions and not self.new_failing


_KIND_ORDER = {"regressed": 0, "new": 1, "changed": 2, "fixed": 3, "removed": 4}


def compare(result: SuiteResult, baseline: dict[str, Any]) -> Comparison:
    before: dict[str, dict[str, Any]] = baseline["cases"]
    after = {c.id: c for c in result.cases}
    cmp = Comparison(str(baseline.get("name", "?")))
    for cid, c in after.items():
        old = before.get(cid)
        if old is None:
            cmp.changes.append(Change(cid, "absent", c.status, "new"))
            if c.status != "pass":
                cmp.new_failing.append(cid)
            continue
        was = str(old.get("status"))
        if was == c.status:
            continue
        if was == "pass":
            kind = "regressed"
        elif c.status == "pass":
            kind = "fixed"
        else:
            kind = "changed"
        cmp.changes.append(Change(cid, was, c.status, kind))
    for cid, old in before.items():
        if cid not in after:
            cmp.changes.append(Change(cid, str(old.get("status")), "absent", "removed"))
    cmp.changes.sort(key=lambda ch: (_KIND_ORDER[ch.kind], ch.id))
    now = {t: v["rate"] for t, v in result.assertion_rates().items()}
    then: dict[str, float | None] = dict(baseline.get("assertion_rates") or {})
    for t in sorted(set(now) | set(then)):
        cmp.rates[t] = (then.get(t), now.get(t))
    return cmp


# -- console -----------------------------------------------------------------------------
