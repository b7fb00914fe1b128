"""The evaluation wing: the prompt regression suite behind ``newsbot eval``.

Cases (``cases``) name a task and assertions (``assertions``); ``tasks`` run them through
the service; ``runner`` runs a suite (live, recording or replaying cassettes); ``results``
and ``report`` hold and write what happened, and compare it with a baseline.
"""

from bot.eval.assertions import Output
from bot.eval.baseline import compare, load_baseline, save_baseline
from bot.eval.cases import LoadedCase, Task, load_cases
from bot.eval.report import print_comparison, print_table, write_reports
from bot.eval.results import CaseResult, RunResult, SuiteResult
from bot.eval.runner import DEFAULT_CASES, Evaluator, evaluate, make_judge, prepare_index
from bot.eval.tasks import TASKS

__all__ = [
    "DEFAULT_CASES",
    "TASKS",
    "CaseResult",
    "Evaluator",
    "LoadedCase",
    "Output",
    "RunResult",
    "SuiteResult",
    "Task",
    "compare",
    "evaluate",
    "load_baseline",
    "load_cases",
    "make_judge",
    "prepare_index",
    "print_comparison",
    "print_table",
    "save_baseline",
    "write_reports",
]
