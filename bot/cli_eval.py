"""``newsbot eval``: the prompt regression suite's command (a thin layer over bot.eval)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bot.cli import _fail, _settings, app, err, out
from bot.config import CassetteMode, Settings
from bot.errors import EvalCaseError, NewsbotError
from bot.llm import describe_model

Paths = Annotated[
    list[Path] | None, typer.Argument(help="Case files or folders (default: regression/).")
]
Model = Annotated[str | None, typer.Option(help="Chat model name at NEWSBOT_BASE_URL.")]
Prompts = Annotated[
    Path | None, typer.Option(help="Prompt folder to evaluate (default: prompts/).")
]
Only = Annotated[list[str] | None, typer.Option("--filter", help="Case id or glob (repeatable).")]
Jobs = Annotated[int, typer.Option("-j", "--jobs", min=1, help="Cases at once.")]
Repeat = Annotated[int, typer.Option(min=1, help="Runs per case.")]
OutDir = Annotated[
    Path | None, typer.Option("--out", help="Results folder (default: eval-results/<time>/).")
]
SaveAs = Annotated[str | None, typer.Option("--save-baseline", help="Save as baseline NAME.")]
CompareTo = Annotated[str | None, typer.Option("--compare", help="Compare with baseline NAME.")]
Baselines = Annotated[
    Path | None, typer.Option(help="Baselines folder (default: regression/baselines/).")
]
Record = Annotated[bool, typer.Option(help="Record model responses into cassettes.")]
MissingOnly = Annotated[
    bool, typer.Option(help="With --record: record only what the cassettes lack.")
]
Replay = Annotated[bool, typer.Option(help="Answer from recorded cassettes; no model is used.")]
Cassettes = Annotated[
    Path | None, typer.Option(help="Cassette folder (default: regression/cassettes/).")
]
Index = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help="Answer from this index as it is (default: eval-results/.index, "
        "kept in line with the corpus folder).",
    ),
]


def _mode(record: bool, replay: bool, missing_only: bool) -> CassetteMode | None:
    if record and replay:
        raise NewsbotError("--record and --replay exclude each other")
    if missing_only and not record:
        raise NewsbotError("--missing-only goes with --record")
    if record:
        return CassetteMode.UPDATE if missing_only else CassetteMode.RECORD
    return CassetteMode.REPLAY if replay else None


def _run(cases: list[Any], s: Settings, jobs: int, repeat: int, **kw: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from bot.eval import evaluate

    err.print(
        f"{len(cases)} cases x {repeat}; model: {escape(describe_model(s))}; "
        f"mode: {s.cassette_mode.value}"
    )
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("evaluating", total=len(cases) * repeat)
        return evaluate(
            cases, s, jobs=jobs, repeat=repeat, on_done=lambda c, r: bar.advance(task), **kw
        )


def _report(result: Any, baseline: Any, out_dir: Path | None) -> Any:
    from bot import eval as ev

    ev.print_table(result, out)
    cmp = ev.compare(result, baseline) if baseline is not None else None
    if cmp is not None:
        ev.print_comparison(cmp, out)
    target = out_dir or Path("eval-results") / datetime.now().strftime("%Y%m%d-%H%M%S")
    written = ev.write_reports(result, target, cmp)
    folder = escape(str(written["json"].parent))
    out.print(f"results: {folder}/ (results.json, junit.xml, report.html)")
    return cmp


@app.command("eval")
def eval_cmd(
    paths: Paths = None,
    model: Model = None,
    prompts: Prompts = None,
    only: Only = None,
    jobs: Jobs = 1,
    repeat: Repeat = 1,
    out_dir: OutDir = None,
    save_baseline: SaveAs = None,
    compare_to: CompareTo = None,
    baseline_dir: Baselines = None,
    record: Record = False,
    missing_only: MissingOnly = False,
    replay: Replay = False,
    cassettes: Cassettes = None,
    index: Index = None,
) -> None:
    """Run the prompt regression suite; exit 1 on a failure, or a regression with --compare."""
    from bot import eval as ev

    try:
        mode = _mode(record, replay, missing_only)
        where = index or Path("eval-results") / ".index"
        s = _settings(
            where, chat_model=model, prompts_dir=prompts, cassette_mode=mode, cassette_dir=cassettes
        )
        if model and s.uses_bundled_model and not replay:
            raise NewsbotError("--model names a model at NEWSBOT_BASE_URL; none is set")
        cases = ev.load_cases(list(paths or [ev.DEFAULT_CASES]), only)
        if not cases:
            raise NewsbotError("no case matches" + (f" --filter {' '.join(only)}" if only else ""))
        folder = baseline_dir or ev.DEFAULT_CASES / "baselines"
        baseline = ev.load_baseline(folder, compare_to) if compare_to else None
        prune = record and not only and not paths
        result = _run(cases, s, jobs, repeat, ingest_corpus=index is None, prune_cassettes=prune)
        cmp = _report(result, baseline, out_dir)
        if save_baseline:
            out.print(
                f"baseline saved: {escape(str(ev.save_baseline(result, folder, save_baseline)))}"
            )
    except EvalCaseError as exc:  # every problem of the case files, one line each
        for line in exc.problems[1:]:
            err.print(f"[red]error:[/red] {escape(line)}")
        raise _fail(NewsbotError(exc.problems[0])) from exc
    except NewsbotError as exc:
        raise _fail(exc) from exc
    if not (cmp.ok if cmp is not None else result.ok):
        raise typer.Exit(1)
