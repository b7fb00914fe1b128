"""Prompt files (``prompts/*.yaml``), validated by a schema.

A prompt file declares its variables; every ``{placeholder}`` in the templates must
be declared and every declared variable used, so a typo fails at load time with the
file and field named, not at answer time with a KeyError. Values are substituted
once and never re-parsed, so braces inside article text stay text.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import PromptError
from bot.llm.gateway import ChatParams, Message


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.1, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, le=8192)
    top_p: float = Field(0.9, gt=0, le=1)
    frequency_penalty: float = Field(0.0, ge=-2, le=2)


class Example(BaseModel):
    """A worked exchange shown to the model as earlier chat turns (few-shot)."""

    model_config = ConfigDict(extra="forbid")
    lang: str = "any"
    user: str
    assistant: str
    # The example's own names and things, English -> Arabic. A small model copies a shown
    # pattern's content too ("the refinery in Basra"): an answer naming one of these that
    # neither the question nor its cited sentences hold came from the example.
    terms: dict[str, str] = {}

    @model_validator(mode="after")
    def _terms_are_the_examples(self) -> Example:
        absent = [ar for ar in self.terms.values() if ar not in self.user]
        if absent:
            raise ValueError(f"terms not in the example's text: {absent}")
        return self


class Prompt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    system: str
    user: str
    variables: list[str]
    params: Params = Params()
    strings: dict[str, str] = {}  # fixed texts the stage shows (e.g. per-language messages)
    examples: list[Example] = []

    @model_validator(mode="after")
    def _placeholders_match(self) -> Prompt:
        used = _fields(self.system) | _fields(self.user)
        declared = set(self.variables)
        if used - declared:
            raise ValueError(f"undeclared placeholders: {sorted(used - declared)}")
        if declared - used:
            raise ValueError(f"declared but unused variables: {sorted(declared - used)}")
        return self

    def render(self, lang: str | None = None, **values: str) -> list[Message]:
        """System, the examples for ``lang`` as earlier turns, then the user message."""
        missing = set(self.variables) - set(values)
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {sorted(missing)}")
        messages: list[Message] = [{"role": "system", "content": _fill(self.system, values)}]
        for ex in self.examples:
            if ex.lang in ("any", lang):
                messages.append({"role": "user", "content": ex.user})
                messages.append({"role": "assistant", "content": ex.assistant})
        messages.append({"role": "user", "content": _fill(self.user, values)})
        return messages

    def example_terms(self, lang: str | None = None) -> dict[str, str]:
        """The ``terms`` of the examples shown for ``lang``."""
        out: dict[str, str] = {}
        for ex in self.examples:
            if ex.lang in ("any", lang):
                out.update(ex.terms)
        return out

    def chat_params(self, extra: dict[str, object] | None = None) -> ChatParams:
        return ChatParams(**self.params.model_dump(), extra=dict(extra or {}))


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _fill(template: str, values: dict[str, str]) -> str:
    out: list[str] = []
    for literal, field_name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field_name:
            out.append(values[field_name])
    return "".join(out)


def load_prompt(prompts_dir: Path, name: str) -> Prompt:
    path = prompts_dir.resolve() / f"{name}.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    # Keyed by mtime: an edited prompt takes effect at the next call, no restart.
    return _load(path, mtime)


@lru_cache(maxsize=64)
def _load(path: Path, mtime: int) -> Prompt:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise PromptError(f"prompt file {path} cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PromptError(f"prompt file {path} is not valid YAML: {exc}") from exc
    try:
        return Prompt.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise PromptError(f"prompt file {path}: {where}: {first['msg']}") from exc
