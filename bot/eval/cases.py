"""Evaluation cases: the YAML schema and a loader that names file, line and field.

A case file holds ``cases:``, a list of cases::

    cases:
      - id: kirkuk-wounded-en
        task: ask
        input: {question: "How many people were wounded in Kirkuk?"}
        assert:
          - {type: contains, value: "133"}
          - {type: cites, files: [004_d1b1a39153906bcc.txt]}

The YAML is composed into nodes first, so a schema error is reported at the line of the
offending value (``regression/ask.yaml:14: case 'x': assert[1].value: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import EvalCaseError


class Task(StrEnum):
    ASK = "ask"
    TRANSLATE = "translate"
    SUMMARIZE = "summarize"
    BRIEF = "brief"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- assertions (the checks themselves live in bot/eval/assertions.py) -----------------------


class LanguageAssert(_Strict):
    type: Literal["language"]
    value: Literal["en", "ar"]
    # Share of letters that must be in the expected script (names may be transliterated).
    min_share: float = Field(0.8, gt=0, le=1)


class _TextMatch(_Strict):
    # Fold Arabic spelling variants and digits (bot.arabic.normalize) on both sides.
    normalize: bool = False
    case_sensitive: bool = False


class ContainsAssert(_TextMatch):
    type: Literal["contains"]
    value: str = Field(min_length=1)


class ContainsAnyAssert(_TextMatch):
    type: Literal["contains-any"]
    values: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class NotContainsAssert(_TextMatch):
    type: Literal["not-contains"]
    values: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class RegexAssert(_TextMatch):
    type: Literal["regex"]
    pattern: str = Field(min_length=1)

    @model_validator(mode="after")
    def _compiles(self) -> RegexAssert:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from exc
        return self


class CitesAssert(_Strict):
    type: Literal["cites"]
    files: list[str] = Field(min_length=1)
    mode: Literal["all", "any"] = "all"


class CitationsValidAssert(_Strict):
    type: Literal["citations-valid"]
    min: int = Field(1, ge=0)  # citations an answer (not a refusal) must have


class GroundedNumbersAssert(_Strict):
    type: Literal["grounded-numbers"]


class DeclinedAssert(_Strict):
    type: Literal["declined"]
    value: bool = True  # false: the system must answer, not decline


class SimilarAssert(_Strict):
    type: Literal["similar"]
    reference: str = Field(min_length=1)
    threshold: float = Field(0.85, gt=0, le=1)


class RubricAssert(_Strict):
    type: Literal["rubric"]
    rubric: str = Field(min_length=1)


class LatencyAssert(_Strict):
    type: Literal["latency"]
    max_s: float = Field(gt=0)


class NoFlagsAssert(_Strict):
    """Statements the output checks flagged or dropped (ask: numbers and names not in the
    cited passages)."""

    type: Literal["no-flags"]
    max: int = Field(0, ge=0)  # flagged or dropped statements allowed


Assertion = Annotated[
    LanguageAssert
    | ContainsAssert
    | ContainsAnyAssert
    | NotContainsAssert
    | RegexAssert
    | CitesAssert
    | CitationsValidAssert
    | GroundedNumbersAssert
    | DeclinedAssert
    | SimilarAssert
    | RubricAssert
    | LatencyAssert
    | NoFlagsAssert,
    Field(discriminator="type"),
]

ASSERTION_TYPES = [
    "language",
    "contains",
    "contains-any",
    "not-contains",
    "regex",
    "cites",
    "citations-valid",
    "grounded-numbers",
    "declined",
    "similar",
    "rubric",
    "latency",
    "no-flags",
]


# -- cases -------------------------------------------------------------------------------


class PriorTurn(_Strict):
    question: str = Field(min_length=1)
    answer: str


class CaseInput(_Strict):
    question: str | None = None
    language: Literal["auto", "en", "ar"] = "auto"
    # Earlier exchanges: the question is a follow-up, rewritten by bot/condense.py.
    history: list[PriorTurn] = []
    # Extra articles (paths relative to the case file) added to a throw-away corpus.
    files: list[str] = []
    # translate / summarize: the article (a path relative to the case file, or a source
    # name in the corpus folder). brief: ``files`` (default: the corpus folder) and a topic.
    file: str | None = None
    topic: str | None = None


class Case(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)
    task: Task = Task.ASK
    description: str = ""
    tags: list[str] = []
    input: CaseInput
    asserts: list[Assertion] = Field(alias="assert", min_length=1)

    @model_validator(mode="after")
    def _input_fits_task(self) -> Case:
        if self.task is Task.ASK and not (self.input.question or "").strip():
            raise ValueError("task 'ask' needs input.question")
        if self.task in (Task.TRANSLATE, Task.SUMMARIZE) and not self.input.file:
            raise ValueError(f"task {self.task.value!r} needs input.file")
        if self.task in (Task.TRANSLATE, Task.BRIEF) and self.input.language == "ar":
            raise ValueError(f"task {self.task.value!r} writes English: input.language: ar")
        return self


class CaseFile(_Strict):
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedCase:
    case: Case
    file: Path  # the YAML file it came from
    line: int  # 1-based line of the case in that file

    @property
    def id(self) -> str:
        return self.case.id

    def extra_files(self) -> tuple[Path, ...]:
        return tuple(sorted((self.file.parent / f).resolve() for f in self.case.input.files))


# -- loading -----------------------------------------------------------------------------


def _node_at(node: yaml.Node, loc: tuple[int | str, ...]) -> yaml.Node:
    """The deepest node along a pydantic error location (union tags are skipped)."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                None,
            )
            if nxt is None:
                continue  # a discriminator tag, or a missing field: stay on the parent
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
    return node


def _where(loc: tuple[int | str, ...]) -> str:
    """('cases', 2, 'assert', 1, 'contains', 'value') -> 'assert[1].value'."""
    out = ""
    parts = list(loc[2:]) if loc[:1] == ("cases",) else list(loc)
    for i, p in enumerate(parts):
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in ASSERTION_TYPES and i > 0 and isinstance(parts[i - 1], int):
            continue  # the union's tag, not a field
        else:
            out += ("." if out else "") + p
    return out or "(case)"


def load_case_file(path: Path) -> list[LoadedCase]:
    """Cases of one file, or ``EvalCaseError`` listing every problem with file:line."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalCaseError(f"{path}: cannot read: {exc}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise EvalCaseError(f"{path}{line}: not valid YAML: {exc}") from exc
    if root is None or not isinstance(data, dict):
        raise EvalCaseError(f"{path}:1: expected a mapping with a 'cases:' list")
    try:
        parsed = CaseFile.model_validate(data)
    except ValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            node = _node_at(root, loc)
            case_id = ""
            if len(loc) > 1 and loc[0] == "cases" and isinstance(loc[1], int):
                raw = data.get("cases") or []
                if loc[1] < len(raw) and isinstance(raw[loc[1]], dict):
                    case_id = f"case {raw[loc[1]].get('id', '#' + str(loc[1]))!r}: "
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}:{node.start_mark.line + 1}: {case_id}{_where(loc)}: {msg}")
        raise EvalCaseError("\n".join(problems), problems) from exc
    seq = _node_at(root, ("cases",))
    lines = [n.start_mark.line + 1 for n in getattr(seq, "value", [])]
    return [LoadedCase(c, path, lines[i]) for i, c in enumerate(parsed.cases)]


def discover_case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(
                f for f in p.rglob("*.y*ml") if f.is_file() and "fixtures" not in f.parts
            )
        elif p.is_file():
            files.append(p)
        else:
            raise EvalCaseError(f"{p}: no such case file or folder")
    return files


def load_cases(paths: list[Path], only: list[str] | None = None) -> list[LoadedCase]:
    """Every case under ``paths`` (files or folders), ids unique; ``only`` filters by id
    (exact, or a glob such as ``kirkuk-*``)."""
    from fnmatch import fnmatchcase

    cases: list[LoadedCase] = []
    problems: list[str] = []
    for f in discover_case_files(paths):
        try:
            cases += load_case_file(f)
        except EvalCaseError as exc:
            problems += exc.problems
    seen: dict[str, LoadedCase] = {}
    for c in cases:
        if c.id in seen:
            first = seen[c.id]
            problems.append(
                f"{c.file}:{c.line}: case {c.id!r}: id: duplicate "
                f"(first at {first.file}:{first.line})"
            )
        seen[c.id] = c
    if problems:
        raise EvalCaseError("\n".join(problems), problems)
    if only:
        cases = [c for c in cases if any(fnmatchcase(c.id, pat) for pat in only)]
    return cases


def as_plain(value: Any) -> Any:
    """A case as JSON-ready data (for results files)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return value
