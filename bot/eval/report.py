"""Evaluation reports: JSON, JUnit XML, one self-contained HTML page, and the console
tables (baselines and comparisons are in ``bot/eval/baseline.py``)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.eval.baseline import Comparison
from bot.eval.results import CaseResult, SuiteResult

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: object) -> str:
    """Text XML 1.0 can carry (a model may emit control characters)."""
    return _XML_BAD.sub("", str(text))


def write_json(result: SuiteResult, path: Path) -> None:
    path.write_text(json.dumps(result.as_json(), ensure_ascii=False, indent=1), "utf-8")


def write_junit(result: SuiteResult, path: Path) -> None:
    """One ``testsuite`` per case file, one ``testcase`` per case (CI systems read this)."""
    counts = result.counts()
    root = ET.Element(
        "testsuites",
        name="newsbot eval",
        tests=str(len(result.cases)),
        failures=str(counts.get("fail", 0)),
        errors=str(counts.get("error", 0) + counts.get("missing", 0)),
        time=f"{result.seconds:.3f}",
    )
    by_file: dict[str, list[CaseResult]] = {}
    for c in result.cases:
        by_file.setdefault(str(c.case.file), []).append(c)
    for fname, cases in by_file.items():
        st = _status_counts(cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_x(Path(fname).name),
            file=_x(fname),
            tests=str(len(cases)),
            failures=str(st.get("fail", 0)),
            errors=str(st.get("error", 0) + st.get("missing", 0)),
            skipped="0",
            time=f"{sum(r.seconds for c in cases for r in c.runs):.3f}",
        )
        for c in cases:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=_x(f"{c.case.case.task.value}.{Path(fname).stem}"),
                name=_x(c.id),
                file=_x(fname),
                line=str(c.case.line),
                time=f"{sum(r.seconds for r in c.runs):.3f}",
            )
            details = "\n".join(
                f"run {i + 1}: {r.status}: {r.failing}"
                for i, r in enumerate(c.runs)
                if r.status != "pass"
            )
            if c.status == "fail":
                el = ET.SubElement(tc, "failure", message=_x(c.failing), type="assertion")
                el.text = _x(details)
            elif c.status in ("error", "missing"):
                kind = "cassette-missing" if c.status == "missing" else "error"
                el = ET.SubElement(tc, "error", message=_x(c.failing), type=kind)
                el.text = _x(details)
            out = next((r.output for r in c.runs if r.output), None)
            if out is not None:
                ET.SubElement(tc, "system-out").text = _x(out.text)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _status_counts(cases: list[CaseResult]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in cases:
        out[c.status] = out.get(c.status, 0) + 1
    return out


# -- HTML --------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top} .pass{color:#17702a} .fail,.error,.missing{color:#b00020}
.skip{color:#777} details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;
padding:.3rem .6rem}
summary{cursor:pointer} .answer{white-space:pre-wrap;background:#f6f6f6;padding:.5rem;
border-radius:4px} .quote{color:#555;font-size:.9em;white-space:pre-wrap} .meta{color:#666;
font-size:.85em}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rate_cell(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def _case_html(c: CaseResult) -> str:
    lc = c.case
    inp = lc.case.input
    parts = [
        f"<details{' open' if c.status != 'pass' else ''}><summary>"
        f'<span class="{_e(c.status)}">{_e(c.status.upper())}</span> <b>{_e(c.id)}</b> '
        f'<span class="meta">{_e(lc.case.task.value)} · {_e(lc.file.name)}:{lc.line} · '
        f"{c.passed_runs}/{len(c.runs)} runs passed</span></summary>"
    ]
    if lc.case.description:
        parts.append(f'<p class="meta">{_e(lc.case.description)}</p>')
    for t in inp.history:
        parts.append(
            f'<p class="meta">earlier: <bdi>{_e(t.question)}</bdi> → <bdi>{_e(t.answer)}</bdi></p>'
        )
    if inp.question:
        parts.append(f'<p>Question: <bdi dir="auto">{_e(inp.question)}</bdi></p>')
    if inp.files:
        parts.append(f'<p class="meta">extra articles: {_e(", ".join(inp.files))}</p>')
    if inp.file or inp.topic:
        what = ", ".join(
            x for x in (inp.file and f"article {inp.file}", inp.topic and f"topic {inp.topic}") if x
        )
        parts.append(f'<p class="meta"><bdi dir="auto">{_e(what)}</bdi></p>')
    for i, r in enumerate(c.runs, 1):
        if len(c.runs) > 1:
            parts.append(f'<h4>Run {i}: <span class="{_e(r.status)}">{_e(r.status)}</span></h4>')
        if r.error:
            parts.append(f'<p class="{_e(r.status)}">{_e(r.error)}</p>')
        if r.output is not None:
            o = r.output
            parts.append(f'<div class="answer" dir="auto">{_e(o.text)}</div>')
            parts.append(
                f'<p class="meta">model {_e(o.model)} · {o.latency_s:.1f} s · '
                f"search query: <bdi>{_e(o.search_query)}</bdi></p>"
            )
            if o.citations:
                parts.append("<ol>")
                for cit in o.citations:
                    parts.append(
                        f'<li value="{cit.n}">{_e(cit.source)} ({cit.start}–{cit.end})'
                        f'<div class="quote" dir="rtl">{_e(cit.quote)}</div></li>'
                    )
                parts.append("</ol>")
            if o.flags:  # what the output checks caught
                parts.append('<p class="meta">flagged or dropped by the checks:</p><ul>')
                parts += [f'<li dir="auto">{_e(f)}</li>' for f in o.flags]
                parts.append("</ul>")
        if r.outcomes:
            parts.append("<table><tr><th>assertion</th><th>result</th><th>message</th></tr>")
            for oc in r.outcomes:
                parts.append(
                    f'<tr><td>{_e(oc.type)}</td><td class="{_e(oc.status)}">{_e(oc.status)}</td>'
                    f'<td dir="auto">{_e(oc.message)}</td></tr>'
                )
            parts.append("</table>")
    parts.append("</details>")
    return "\n".join(parts)


def render_html(result: SuiteResult, comparison: Comparison | None = None) -> str:
    data = result.as_json()
    s = data["summary"]
    rows = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>newsbot eval: {s['pass']}/{s['cases']} passed</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>newsbot eval: {s['pass']}/{s['cases']} cases passed</h1>",
        f'<p class="meta">model {_e(result.model)} · mode {_e(result.mode)} · started '
        f"{_e(result.started)} · {result.seconds:.0f} s · fail {s['fail']} · error "
        f"{s['error']} · cassette missing {s['missing']}</p>",
    ]
    rows += [f'<p class="skip">{_e(n)}</p>' for n in result.notices]
    rows.append(
        "<h2>Pass rate per task</h2><table><tr><th>task</th><th>cases</th>"
        "<th>passed</th><th>rate</th></tr>"
    )
    for t, v in data["tasks"].items():
        rows.append(
            f"<tr><td>{_e(t)}</td><td>{v['cases']}</td><td>{v['passed']}</td>"
            f"<td>{_rate_cell(v['rate'])}</td></tr>"
        )
    rows.append(
        "</table><h2>Pass rate per assertion type</h2><table><tr><th>assertion</th>"
        "<th>passed</th><th>failed</th><th>skipped</th><th>rate</th></tr>"
    )
    for t, v in data["assertions"].items():
        rows.append(
            f"<tr><td>{_e(t)}</td><td>{v['passed']}</td><td>{v['failed']}</td>"
            f"<td>{v['skipped']}</td><td>{_rate_cell(v['rate'])}</td></tr>"
        )
    rows.append("</table>")
    if comparison is not None:
        rows.append(f"<h2>Compared with baseline {_e(comparison.name)}</h2>")
        rows.append("<table><tr><th>case</th><th>before</th><th>after</th><th>change</th></tr>")
        for ch in comparison.changes:
            rows.append(
                f"<tr><td>{_e(ch.id)}</td><td class='{_e(ch.before)}'>{_e(ch.before)}</td>"
                f"<td class='{_e(ch.after)}'>{_e(ch.after)}</td><td>{_e(ch.kind)}</td></tr>"
            )
        rows.append("</table>")
    rows.append("<h2>Cases</h2>")
    order = {"fail": 0, "error": 1, "missing": 2, "pass": 3}
    for c in sorted(result.cases, key=lambda c: order[c.status]):
        rows.append(_case_html(c))
    rows.append("</body></html>")
    return "\n".join(rows)


def write_reports(
    result: SuiteResult, out_dir: Path, comparison: Comparison | None = None
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "results.json",
        "junit": out_dir / "junit.xml",
        "html": out_dir / "report.html",
    }
    write_json(result, paths["json"])
    write_junit(result, paths["junit"])
    paths["html"].write_text(render_html(result, comparison), "utf-8")
    return paths


# -- baselines ---------------------------------------------------------------------------


_STYLE = {"pass": "green", "fail": "red", "error": "red", "missing": "yellow"}


def print_table(result: SuiteResult, console: Console) -> None:
    table = Table(title=f"newsbot eval · {result.model} · {result.mode}", show_lines=False)
    table.add_column("case")
    table.add_column("task")
    table.add_column("result")
    table.add_column("failing assertion", overflow="fold", max_width=70)
    table.add_column("latency", justify="right")
    for c in result.cases:
        runs = f" {c.passed_runs}/{len(c.runs)}" if len(c.runs) > 1 else ""
        table.add_row(
            escape(c.id),
            c.case.case.task.value,
            f"[{_STYLE[c.status]}]{c.status}{runs}[/]",
            escape(c.failing[:140]),
            f"{c.latency_s:.1f} s" if c.latency_s else "–",
        )
    console.print(table)
    data = result.as_json()
    s = data["summary"]
    rates = "  ".join(f"{t} {_rate_cell(v['rate'])}" for t, v in data["tasks"].items())
    console.print(
        f"{s['pass']}/{s['cases']} passed ({_rate_cell(s['rate'])}); fail {s['fail']}, "
        f"error {s['error']}, cassette missing {s['missing']}; per task: {rates}"
    )
    per_type = "  ".join(f"{t} {_rate_cell(v['rate'])}" for t, v in data["assertions"].items())
    console.print(f"per assertion type: {per_type}")
    for n in result.notices:
        console.print(f"[yellow]notice:[/yellow] {escape(n)}")


def print_comparison(cmp: Comparison, console: Console) -> None:
    if not cmp.changes:
        console.print(f"No case changed state since baseline {escape(cmp.name)}.")
    else:
        table = Table(title=f"changed since baseline {cmp.name}")
        for col in ("case", "before", "after", "change"):
            table.add_column(col)
        for ch in cmp.changes:
            style = "red" if ch.kind == "regressed" else "green" if ch.kind == "fixed" else ""
            table.add_row(
                escape(ch.id), ch.before, ch.after, f"[{style}]{ch.kind}[/]" if style else ch.kind
            )
        console.print(table)
    rates = Table(title="pass rate per assertion type")
    for col in ("assertion", "before", "after"):
        rates.add_column(col)
    for t, (b, a) in cmp.rates.items():
        rates.add_row(t, _rate_cell(b), _rate_cell(a))
    console.print(rates)
