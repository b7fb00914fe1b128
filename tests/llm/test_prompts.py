from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.errors import PromptError
from bot.llm import load_prompt

PROMPTS = PROJECT_ROOT / "prompts"


def test_every_shipped_prompt_validates() -> None:
    files = sorted(PROMPTS.glob("*.yaml"))
    assert files
    for f in files:
        if f.name == "glossary.yaml":
            continue
        p = load_prompt(PROMPTS, f.stem)
        assert p.name == f.stem


def test_render_substitutes_once_and_keeps_braces_in_values() -> None:
    p = load_prompt(PROMPTS, "answer")
    msgs = p.render(
        passages="[1] (a.txt)\n{question} {evil}", question="Q?", language="English", note=""
    )
    assert msgs[0]["role"] == "system" and "English" in msgs[0]["content"]
    assert "{question} {evil}" in msgs[1]["content"]
    assert msgs[1]["content"].count("Q?") == 1


def write(tmp: Path, body: str) -> Path:
    (tmp / "p.yaml").write_text(body, "utf-8")
    return tmp


def test_undeclared_placeholder_is_reported_with_file(tmp_path: Path) -> None:
    write(tmp_path, "name: p\ndescription: d\nvariables: [a]\nsystem: '{a}'\nuser: '{b}'\n")
    with pytest.raises(PromptError, match=r"p\.yaml.*undeclared placeholders: \['b'\]"):
        load_prompt(tmp_path, "p")


def test_unknown_field_and_bad_param_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "name: p\ndescription: d\nvariables: []\nsystem: s\nuser: u\ncolour: red\n")
    with pytest.raises(PromptError, match="colour"):
        load_prompt(tmp_path, "p")
    (tmp_path / "q.yaml").write_text(
        "name: q\ndescription: d\nvariables: []\nsystem: s\nuser: u\nparams: {temperature: 9}\n"
    )
    with pytest.raises(PromptError, match=r"params\.temperature"):
        load_prompt(tmp_path, "q")


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    write(tmp_path, "name: [unclosed\n")
    with pytest.raises(PromptError, match="not valid YAML"):
        load_prompt(tmp_path, "p")
    with pytest.raises(PromptError, match="cannot be read"):
        load_prompt(tmp_path, "absent")


def test_examples_render_as_earlier_turns_for_their_language() -> None:
    p = load_prompt(PROMPTS, "answer")
    en = p.render(lang="en", passages="P", question="Q", language="English", note="")
    ar = p.render(lang="ar", passages="P", question="Q", language="Arabic", note="")
    assert [m["role"] for m in en] == ["system", "user", "assistant", "user"]
    assert "beds" in en[2]["content"] and "سرير" in ar[2]["content"]
    assert en[-1]["content"].endswith("Question: Q\n")


def test_example_terms_are_the_shown_examples_and_must_be_in_their_text(tmp_path: Path) -> None:
    p = load_prompt(PROMPTS, "answer")
    terms = p.example_terms("en")
    assert terms["Basra"] == "بصرة" and all(ar in p.examples[0].user for ar in terms.values())
    write(
        tmp_path,
        "name: p\ndescription: d\nvariables: []\nsystem: s\nuser: u\n"
        "examples:\n  - {user: 'افتتح مستشفى', assistant: a, terms: {Basra: بصرة}}\n",
    )
    with pytest.raises(PromptError, match="terms not in the example"):
        load_prompt(tmp_path, "p")
