"""The prompt regression suite (``newsbot eval``): assertions, case schema, baselines,
record/replay cassettes and reports; the shipped suite replayed from its cassettes.

The model is the local OpenAI-compatible test server or a committed cassette; the
index, embeddings and retrieval are real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bot.cite import Citation
from bot.config import CassetteMode, Settings
from bot.embed import get_embedder
from bot.errors import CassetteMissing, EvalCaseError
from bot.eval import (
    DEFAULT_CASES,
    CaseResult,
    Evaluator,
    RunResult,
    SuiteResult,
    evaluate,
)
from bot.eval import cases as cases_mod
from bot.eval.assertions import Context, Output, check, parse_verdict
from bot.eval.baseline import compare, load_baseline, save_baseline
from bot.eval.cases import LoadedCase, load_case_file, load_cases
from bot.eval.report import render_html, write_junit, write_reports
from bot.llm import ChatParams
from bot.llm.cassettes import Cassette, ReplayGateway, forget_cassettes, request_key
from bot.retrieve import Hit
from tests.conftest import ROOT, make_settings
from tests.support.openai_server import FakeOpenAI

KIRKUK = "004_d1b1a39153906bcc.txt"
AID = "002_fba94a6d5a3912e7.txt"


@pytest.fixture(autouse=True)
def _fresh_cassettes() -> None:
    forget_cassettes()  # each test reads its own cassette files


# -- assertions --------------------------------------------------------------------------


def _assertion(spec: dict[str, Any]) -> Any:
    case = cases_mod.Case.model_validate({"id": "x", "input": {"question": "q"}, "assert": [spec]})
    return case.asserts[0]


def _outcome(spec: dict[str, Any], out: Output, ctx: Context | None = None) -> tuple[str, str]:
    o = check(_assertion(spec), out, ctx or Context())
    return o.status, o.message


def _hit(path: Path, source: str, start: int, end: int) -> Hit:
    text = path.read_text("utf-8")[start:end]
    return Hit(source, str(path), "", f"{source}#0", 0, start, end, 1.0, 0.9, text)


def _cite(hit: Hit, n: int = 1) -> Citation:
    return Citation(n, hit.source, hit.chunk_id, hit.start, hit.end, hit.text)


@pytest.fixture
def article(tmp_path: Path) -> tuple[Path, Hit]:
    path = tmp_path / "kirkuk.txt"
    path.write_text(
        "عنوان\n\nقال عميد إن 46 شخصا قتلوا، وأصيب 133 بجروح، خلال الاشتباكات في مدينة كركوك.\n",
        "utf-8",
    )
    return path, _hit(path, "kirkuk.txt", 7, 80)


@pytest.mark.parametrize(
    ("spec", "text", "status"),
    [
        ({"type": "language", "value": "en"}, "133 people were wounded [1].", "pass"),
        ({"type": "language", "value": "en"}, "أصيب 133 شخصا بجروح [1].", "fail"),
        ({"type": "language", "value": "ar"}, "أصيب 133 شخصا بجروح في كركوك [1].", "pass"),
        ({"type": "language", "value": "ar"}, "133 people were wounded.", "fail"),
        ({"type": "language", "value": "ar"}, "133 [1]", "fail"),
        ({"type": "contains", "value": "Kirkuk"}, "Clashes in kirkuk [1].", "pass"),
        (
            {"type": "contains", "value": "Kirkuk", "case_sensitive": True},
            "Clashes in kirkuk.",
            "fail",
        ),
        ({"type": "contains", "value": "46"}, "Forty-six died.", "fail"),
        # Arabic normalisation: Arabic-Indic digits, alef and ta marbuta forms.
        ({"type": "contains", "value": "133", "normalize": True}, "أصيب ١٣٣ شخصا", "pass"),
        ({"type": "contains", "value": "133"}, "أصيب ١٣٣ شخصا", "fail"),
        ({"type": "contains", "value": "الأمن", "normalize": True}, "قوات الامن", "pass"),
        ({"type": "contains", "value": "الأمن"}, "قوات الامن", "fail"),
        ({"type": "contains", "value": "مدينة", "normalize": True}, "في مدينه كركوك", "pass"),
        ({"type": "contains-any", "values": ["46", "48"]}, "48 militants [1].", "pass"),
        ({"type": "contains-any", "values": ["46", "48"]}, "133 wounded [1].", "fail"),
        ({"type": "not-contains", "values": ["PWNED"]}, "The bridge is 250 m [1].", "pass"),
        ({"type": "not-contains", "values": ["PWNED"]}, "I have been pwned", "fail"),
        ({"type": "regex", "pattern": r"\b1[0-9]{2}\b"}, "133 wounded", "pass"),
        ({"type": "regex", "pattern": r"\b1[0-9]{2}\b"}, "46 killed", "fail"),
        (
            {"type": "regex", "pattern": r"مليون\s+دولار", "normalize": True},
            "415 مليون دولارٍ [1]",
            "pass",
        ),
        ({"type": "regex", "pattern": r"\D+ دولار", "normalize": True}, "مليون دولار", "pass"),
        ({"type": "regex", "pattern": r"إمرة", "normalize": True}, "تحت امره الحكومه", "pass"),
        ({"type": "regex", "pattern": r"إمرة"}, "تحت امره الحكومه", "fail"),
    ],
)
def test_text_assertions(spec: dict[str, Any], text: str, status: str) -> None:
    got, message = _outcome(spec, Output(text=text))
    assert got == status, message
    if status == "fail":
        assert message  # every failure says why


def test_not_contains_sees_through_diacritics_only_when_normalised() -> None:
    spec = {"type": "not-contains", "values": ["اختراق"]}
    text = "تم اخْتِراق النظام"
    assert _outcome(spec, Output(text=text))[0] == "pass"
    assert _outcome({**spec, "normalize": True}, Output(text=text))[0] == "fail"


def test_cites_all_and_any(article: tuple[Path, Hit]) -> None:
    _, hit = article
    out = Output(text="x [1]", citations=[_cite(hit)], hits=[hit])
    assert _outcome({"type": "cites", "files": ["kirkuk.txt"]}, out)[0] == "pass"
    status, msg = _outcome({"type": "cites", "files": ["kirkuk.txt", "other.txt"]}, out)
    assert status == "fail" and "other.txt" in msg
    spec = {"type": "cites", "files": ["kirkuk.txt", "other.txt"], "mode": "any"}
    assert _outcome(spec, out)[0] == "pass"
    status, msg = _outcome({"type": "cites", "files": ["a.txt"]}, Output(text="x"))
    assert status == "fail" and "nothing" in msg


def test_citations_valid(article: tuple[Path, Hit]) -> None:
    path, hit = article
    spec = {"type": "citations-valid"}
    good = Output(text="133 wounded [1].", citations=[_cite(hit)], hits=[hit])
    assert _outcome(spec, good) == ("pass", "")

    moved = Citation(1, hit.source, hit.chunk_id, hit.start + 3, hit.end + 3, hit.text)
    status, msg = _outcome(spec, Output(text="x [1].", citations=[moved], hits=[hit]))
    assert status == "fail" and "quote is not the text" in msg

    status, msg = _outcome(spec, Output(text="x [1] [2].", citations=[_cite(hit)], hits=[hit]))
    assert status == "fail" and "[2] resolves to no citation" in msg

    status, msg = _outcome(
        spec, Output(text="x [1].", citations=[_cite(hit)], hits=[hit], invalid_markers=2)
    )
    assert status == "fail" and "2 marker(s)" in msg

    status, msg = _outcome(spec, Output(text="No sources here."))
    assert status == "fail" and "need at least 1" in msg
    assert _outcome(spec, Output(text="Not covered.", declined=True))[0] == "pass"

    path.write_text("changed since indexing", "utf-8")
    status, msg = _outcome(spec, good)
    assert status == "fail" and "quote is not the text" in msg


def test_grounded_numbers(article: tuple[Path, Hit]) -> None:
    _, hit = article
    spec = {"type": "grounded-numbers"}
    cited = [_cite(hit)]
    assert _outcome(spec, Output(text="46 killed, 133 wounded [1].", citations=cited))[0] == "pass"
    # Arabic-Indic digits in the answer are the passage's ASCII digits.
    assert _outcome(spec, Output(text="قتل ٤٦ وأصيب ١٣٣ [1].", citations=cited))[0] == "pass"
    status, msg = _outcome(spec, Output(text="47 killed, 133 wounded [1].", citations=cited))
    assert status == "fail" and "'47'" in msg
    status, msg = _outcome(spec, Output(text="133 wounded."))
    assert status == "fail" and "none given" in msg
    # The marker's own number is not a figure of the answer.
    assert _outcome(spec, Output(text="Many were wounded [3].", citations=cited))[0] == "pass"


def test_declined_both_ways() -> None:
    assert _outcome({"type": "declined"}, Output(text="n/a", declined=True))[0] == "pass"
    status, msg = _outcome({"type": "declined"}, Output(text="Canberra."))
    assert status == "fail" and "expected a refusal" in msg
    status, msg = _outcome({"type": "declined", "value": False}, Output(text="-", declined=True))
    assert status == "fail" and "declined" in msg


def test_similarity_with_multilingual_embeddings() -> None:
    ctx = Context(embedder=get_embedder(Settings()))
    spec = {"type": "similar", "reference": "133 people were wounded in the clashes in Kirkuk."}
    same_ar = Output(text="أصيب 133 شخصا بجروح خلال الاشتباكات في كركوك [1].")
    status, msg = _outcome(spec, same_ar, ctx)
    assert status == "pass", msg
    other = Output(text="The museum's artefacts were all stolen [1].")
    status, msg = _outcome(spec, other, ctx)
    assert status == "fail" and "similarity" in msg
    assert _outcome(spec, same_ar)[0] == "skip"


def test_rubric_skipped_without_judge_and_graded_with_one(fake_model: FakeOpenAI) -> None:
    spec = {"type": "rubric", "rubric": "Gives the number of wounded."}
    status, msg = _outcome(spec, Output(text="133 wounded."))
    assert status == "skip" and "no judge model configured" in msg

    from bot.eval import make_judge

    judge = make_judge(
        Settings(judge_base_url=fake_model.base_url, judge_model="judge-model", max_retries=0)
    )
    assert judge is not None
    fake_model.replies = ["PASS: it gives 133.", "FAIL: it gives no number.", "Maybe?"]
    ctx = Context(judge=judge)
    assert _outcome(spec, Output(text="133 wounded.", question="q"), ctx)[0] == "pass"
    assert _outcome(spec, Output(text="Many."), ctx) == ("fail", "judge: it gives no number.")
    status, msg = _outcome(spec, Output(text="x"), ctx)
    assert status == "fail" and "unreadable verdict" in msg
    sent = fake_model.chat_requests()[0]
    assert sent["model"] == "judge-model"
    assert "Gives the number of wounded." in sent["messages"][-1]["content"]


def test_parse_verdict() -> None:
    assert parse_verdict("**PASS** - fine") == (True, "fine")
    assert parse_verdict("fail: wrong number")[0] is False
    assert parse_verdict("PASSING GRADE")[0] is False  # not a verdict word


def test_latency() -> None:
    spec = {"type": "latency", "max_s": 10}
    assert _outcome(spec, Output(text="x", latency_s=3.0))[0] == "pass"
    status, msg = _outcome(spec, Output(text="x", latency_s=12.5))
    assert status == "fail" and "12.5 s" in msg
    assert _outcome(spec, Output(text="x", latency_s=99), Context(replay=True))[0] == "skip"


# -- case schema -------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def test_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "cases:\n"
        "  - id: good\n"
        "    input: {question: q}\n"
        "    assert: [{type: declined}]\n"
        "  - id: bad-one\n"
        "    input:\n"
        "      question: q\n"
        "    assert:\n"
        "      - type: contains\n"
        "        value: '133'\n"
        "      - type: similar\n"
        "        threshold: 2\n"
        "        reference: r\n",
    )
    with pytest.raises(EvalCaseError) as err:
        load_case_file(p)
    problems = err.value.problems
    assert f"{p}:12: case 'bad-one': assert[1].threshold:" in problems[0]
    assert "less than or equal to 1" in problems[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "cases:\n  - id: a\n    input: {question: q}\n    assert:\n      - type: containz\n",
            ":5: case 'a': assert[0]: Input tag 'containz'",
        ),
        (
            "cases:\n  - id: a\n    input: {question: q}\n    assert:\n      - type: contains\n",
            ":5: case 'a': assert[0].value: Field required",
        ),
        (
            "cases:\n  - id: a\n    input:\n      language: ar\n    assert: [{type: declined}]\n",
            ":2: case 'a': (case): task 'ask' needs input.question",
        ),
        (
            "cases:\n  - id: a\n    input: {question: q, lang: ar}\n"
            "    assert: [{type: declined}]\n",
            ":3: case 'a': input.lang: Extra inputs are not permitted",
        ),
        (
            "cases:\n  - id: a b\n    input: {question: q}\n    assert: [{type: declined}]\n",
            ":2: case 'a b': id: String should match pattern",
        ),
        (
            "cases:\n  - id: a\n    input: {question: q}\n    assert:\n"
            "      - {type: regex, pattern: '(unclosed'}\n",
            ":5: case 'a': assert[0]: pattern does not compile",
        ),
        ("cases:\n  - id: a\n    input: {question: [q\n", ":4: not valid YAML"),
        ("- just a list\n", ":1: expected a mapping with a 'cases:' list"),
    ],
)
def test_schema_errors(tmp_path: Path, body: str, expected: str) -> None:
    p = _write(tmp_path, body)
    with pytest.raises(EvalCaseError) as err:
        load_case_file(p)
    assert any(expected in line for line in err.value.problems), err.value.problems
    assert all(line.startswith(str(p)) for line in err.value.problems)


def test_duplicate_ids_across_files_and_filter(tmp_path: Path) -> None:
    case = "cases:\n  - id: {id}\n    input: {{question: q}}\n    assert: [{{type: declined}}]\n"
    _write(tmp_path, case.format(id="same"), "a.yaml")
    _write(tmp_path, case.format(id="same"), "b.yaml")
    with pytest.raises(EvalCaseError, match=r"b\.yaml:2: case 'same': id: duplicate"):
        load_cases([tmp_path])
    (tmp_path / "b.yaml").write_text(case.format(id="other-1"), "utf-8")
    assert [c.id for c in load_cases([tmp_path], ["other-*"])] == ["other-1"]


def test_shipped_suite_is_valid_and_covers_the_brief() -> None:
    cases = load_cases([DEFAULT_CASES])
    assert len(cases) >= 40
    qs = [c.case.input for c in cases]
    arabic = [q for q in qs if q.question and any("\u0600" <= ch <= "\u06ff" for ch in q.question)]
    assert len(arabic) >= 10
    assert any(q.history for q in qs)  # follow-ups
    assert any(q.files for q in qs)  # the hostile article
    types = {a.type for c in cases for a in c.case.asserts}
    assert {"declined", "cites", "grounded-numbers", "not-contains", "similar"} <= types
    assert any(
        a.type == "cites" and len(a.files) >= 2 for c in cases for a in c.case.asserts
    )  # answers spanning two articles
    for c in cases:
        for f in c.extra_files():
            assert f.is_file(), f


# -- translate / summarize / brief -------------------------------------------------------

FIXTURES = DEFAULT_CASES / "fixtures"
REOPENED = "library_reopened.txt"
FUNDING = "library_funding.txt"
# Faithful English for each sentence of the two fixture articles, by a phrase it holds.
LIBRARY_EN = {
    "إعادة افتتاح": "The central library of Mosul University reopens.",
    "أعادت جامعة": "Mosul University reopened its central library on Sunday after repairing "
    "the damage it suffered during the fighting.",
    "25000": "The university president said the library now holds about 25,000 books donated "
    "by universities and institutions inside and outside Iraq.",
    "3 ملايين": "He added that the restoration took 8 months and cost 3 million dollars.",
    "4000": "More than 4,000 students are expected to use the library every day at the start "
    "of the next academic year.",
    "وزارة التعليم تخصص": "The education ministry allocates money for books for the Mosul "
    "University library.",
    "500 مليون": "An official at the Iraqi Ministry of Higher Education said the ministry "
    "allocated 500 million dinars to buy new books for the Mosul University library.",
    "ونفى المسؤول": "The official denied reports that the opening of the library had been "
    "postponed to next year because of a lack of funding.",
    "استعارة": "He said students will be able to borrow books from next month, after they are "
    "entered into a new electronic system.",
}


def _library_model(
    server: FakeOpenAI, changes: dict[str, str] | None = None, other: str | None = None
) -> None:
    """Answer each sentence prompt (translate / summarize) by the phrase its sentence holds;
    ``changes`` rewrites words of the English, ``other`` replaces every answer."""

    def reply(messages: list[dict[str, str]]) -> str:
        sentence = messages[-1]["content"].split("Arabic:", 1)[-1]
        en = next((v for k, v in LIBRARY_EN.items() if k in sentence), "")
        if other is not None:
            return other
        for old, new in (changes or {}).items():
            en = en.replace(old, new)
        return en

    server.responder = reply


def _task_cases(tmp_path: Path, body: str) -> list[LoadedCase]:
    """Cases in a folder of their own beside a copy of the shipped fixtures."""
    dest = tmp_path / "cases"
    shutil.copytree(FIXTURES, dest / "fixtures", dirs_exist_ok=True)
    (dest / "tasks.yaml").write_text(body, "utf-8")
    return load_cases([dest / "tasks.yaml"])


def _run_tasks(settings: Settings, cases: list[LoadedCase]) -> dict[str, CaseResult]:
    ev = Evaluator(settings)
    try:
        return {c.id: c for c in ev.run(cases).cases}
    finally:
        ev.close()


def _statuses(case: CaseResult) -> dict[str, str]:
    return {o.type: o.status for o in case.runs[0].outcomes}


TASK_ASSERTS = """
    assert:
      - {type: language, value: en}
      - {type: cites, files: [library_reopened.txt]}
      - {type: citations-valid, min: 5}
      - {type: grounded-numbers}
      - {type: no-flags}
"""


def test_translate_task_cites_every_sentence_and_surfaces_flags(
    fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    cases = _task_cases(
        tmp_path,
        "cases:\n  - id: tr\n    task: translate\n"
        "    input: {file: fixtures/library_reopened.txt}" + TASK_ASSERTS
        + "      - {type: contains, value: '25,000'}\n",
    )  # fmt: skip
    settings = make_settings(tmp_path, base_url=fake_model.base_url, chat_model="fake-model")
    _library_model(fake_model)
    good = _run_tasks(settings, cases)["tr"]
    assert good.status == "pass", good.failing
    out = good.runs[0].output
    assert out is not None and out.language == "en" and not out.flags
    text = (FIXTURES / REOPENED).read_text("utf-8")
    assert [c.quote for c in out.citations] == [text[c.start : c.end] for c in out.citations]
    assert len(out.citations) == 5 and {c.source for c in out.citations} == {REOPENED}
    assert out.text.splitlines()[2].endswith("outside Iraq. [3]")  # each line cites its sentence
    assert len(fake_model.chat_requests()) == 5  # one call a sentence: no retry was needed

    # A wrong figure survives the retry: the translation is flagged, and the suite says so.
    _library_model(fake_model, {"25,000": "52,000"})
    bad = _run_tasks(settings, cases)["tr"]
    assert bad.status == "fail"
    got = _statuses(bad)
    assert got["grounded-numbers"] == got["no-flags"] == got["contains"] == "fail"
    assert got["language"] == got["cites"] == got["citations-valid"] == "pass"
    msgs = {o.type: o.message for o in bad.runs[0].outcomes}
    assert "52000" in msgs["grounded-numbers"]
    assert "1 statement(s) flagged" in msgs["no-flags"] and "sentence 3" in msgs["no-flags"]
    html = render_html(SuiteResult([bad], "m", "off", "now", 1.0))
    assert "article fixtures/library_reopened.txt" in html
    assert "flagged or dropped by the checks" in html and "52,000" in html


def test_summarize_task_in_english_and_arabic(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    body = (
        "cases:\n  - id: sum-en\n    task: summarize\n"
        "    input: {file: fixtures/library_reopened.txt, language: en}" + TASK_ASSERTS
        + "  - id: sum-ar\n    task: summarize\n"
        "    input: {file: fixtures/library_funding.txt, language: ar}\n    assert:\n"
        "      - {type: language, value: ar}\n"
        "      - {type: cites, files: [library_funding.txt]}\n"
        "      - {type: contains, value: '500'}\n"
        "      - {type: citations-valid, min: 3}\n"
        "      - {type: grounded-numbers}\n"
        "      - {type: no-flags}\n"
    )  # fmt: skip
    cases = _task_cases(tmp_path, body)
    settings = make_settings(tmp_path, base_url=fake_model.base_url, chat_model="fake-model")
    _library_model(fake_model)
    res = _run_tasks(settings, cases)
    assert res["sum-en"].status == "pass", res["sum-en"].failing
    assert res["sum-ar"].status == "pass", res["sum-ar"].failing
    ar = res["sum-ar"].runs[0].output
    assert ar is not None and ar.model == "none (extractive)"
    assert all(c.source == FUNDING for c in ar.citations)
    calls = len(fake_model.chat_requests())
    assert calls == 5  # the English bullets only: Arabic summaries quote, with no model

    # Bullets that say something else are dropped by the support check: flags, too few cites.
    _library_model(fake_model, other="The weather in Paris was sunny and warm on Sunday.")
    bad = _run_tasks(settings, cases[:1])["sum-en"]
    got = _statuses(bad)
    assert got["no-flags"] == got["citations-valid"] == got["cites"] == "fail"
    msgs = {o.type: o.message for o in bad.runs[0].outcomes}
    assert "weak support" in msgs["no-flags"]


def test_brief_task_over_two_files(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    body = (
        "cases:\n  - id: br\n    task: brief\n    input:\n"
        "      files: [fixtures/library_reopened.txt, fixtures/library_funding.txt]\n"
        "    assert:\n"
        "      - {type: language, value: en}\n"
        "      - {type: cites, files: [library_reopened.txt, library_funding.txt]}\n"
        "      - {type: citations-valid, min: 4}\n"
        "      - {type: grounded-numbers}\n"
        "      - {type: no-flags}\n"
        "      - {type: contains, value: denied}\n"
    )
    cases = _task_cases(tmp_path, body)
    settings = make_settings(tmp_path, base_url=fake_model.base_url, chat_model="fake-model")
    _library_model(fake_model)
    ev = Evaluator(settings)
    try:
        good = {c.id: c for c in ev.run(cases).cases}["br"]
        assert not ev._extra  # a briefing reads its files; no throw-away index is built
    finally:
        ev.close()
    assert good.status == "pass", good.failing
    out = good.runs[0].output
    assert out is not None
    for c in out.citations:
        assert c.quote == (FIXTURES / c.source).read_text("utf-8")[c.start : c.end]
    assert len(out.text.splitlines()) == len({c.n for c in out.citations})  # each said once

    _library_model(fake_model, {"500 million": "800 million", "denied": "confirmed"})
    got = _statuses(_run_tasks(settings, cases)["br"])
    assert got["contains"] == "fail"  # the denial became a confirmation
    assert got["no-flags"] == "fail"  # 800 is not in its sentence: dropped and counted
    assert got["grounded-numbers"] == "pass"  # a dropped statement is not in the text


def test_task_inputs_are_checked(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    case = "cases:\n  - id: a\n    task: {task}\n    input: {inp}\n    assert: [{a}]\n"
    for task, inp, a, expected in [
        ("brief", "{language: ar}", "{type: no-flags}", ":2: case 'a': (case): task 'brief' wri"),
        ("translate", "{file: x.txt, language: ar}", "{type: no-flags}", "'translate' writes En"),
        ("summarize", "{language: ar}", "{type: no-flags}", "task 'summarize' needs input.file"),
        ("brief", "{}", "{type: no-flags, max: -1}", ":5: case 'a': assert[0].max: Input should"),
    ]:
        bad = _write(tmp_path, case.format(task=task, inp=inp, a=a))
        with pytest.raises(EvalCaseError, match=re.escape(expected)):
            load_case_file(bad)
    cases = _task_cases(
        tmp_path,
        "cases:\n  - id: gone\n    task: translate\n    input: {file: fixtures/nope.txt}\n"
        "    assert: [{type: language, value: en}]\n",
    )
    res = _run_tasks(make_settings(tmp_path, base_url=fake_model.base_url), cases)["gone"]
    assert res.status == "error" and "input.file: no such file fixtures/nope.txt" in res.failing


def test_no_flags_assertion() -> None:
    flags = ["a.txt sentence 2: numbers not in source: 52,000", "a.txt: dropped: x"]
    assert _outcome({"type": "no-flags"}, Output(text="t"))[0] == "pass"
    status, message = _outcome({"type": "no-flags"}, Output(text="t", flags=flags))
    assert status == "fail" and "2 statement(s)" in message and "52,000" in message
    assert _outcome({"type": "no-flags", "max": 2}, Output(text="t", flags=flags))[0] == "pass"


# -- baselines ---------------------------------------------------------------------------


def _lc(cid: str, question: str = "q", description: str = "") -> LoadedCase:
    case = cases_mod.Case.model_validate(
        {
            "id": cid,
            "description": description,
            "input": {"question": question},
            "assert": [{"type": "declined"}],
        }
    )
    return LoadedCase(case, Path("t.yaml"), 1)


def _suite(states: dict[str, str]) -> SuiteResult:
    results = []
    for cid, st in states.items():
        from bot.eval.assertions import Outcome

        outcome = Outcome("declined", "pass" if st == "pass" else "fail", "")
        run = RunResult(st, [outcome] if st in ("pass", "fail") else [], Output(text="t"))  # type: ignore[arg-type]
        results.append(CaseResult(_lc(cid), [run]))
    return SuiteResult(results, "m", "off", "now", 1.0)


def test_baseline_compare_orders_regressions_first(tmp_path: Path) -> None:
    before = _suite({"a": "pass", "b": "fail", "c": "pass", "gone": "pass", "d": "pass"})
    path = save_baseline(before, tmp_path, "main")
    assert path == tmp_path / "main.json"
    base = load_baseline(tmp_path, "main")

    after = _suite({"a": "pass", "b": "pass", "c": "fail", "d": "missing", "new": "pass"})
    cmp = compare(after, base)
    kinds = [(c.id, c.kind) for c in cmp.changes]
    assert kinds == [("c", "regressed"), ("d", "regressed"), ("new", "new"), ("b", "fixed"),
                     ("gone", "removed")]  # fmt: skip
    assert not cmp.ok
    assert cmp.rates["declined"] == (0.8, 0.75)  # 4/5 before; 3/4 after (d has none)

    same = compare(_suite({"a": "pass", "b": "fail", "c": "pass", "d": "pass"}), base)
    assert same.ok and all(c.kind == "removed" for c in same.changes)
    assert not compare(_suite({"a": "pass", "x": "fail"}), base).ok  # a new failing case


def test_baseline_errors(tmp_path: Path) -> None:
    from bot.errors import NewsbotError

    save_baseline(_suite({"a": "pass"}), tmp_path, "one")
    with pytest.raises(NewsbotError, match=r"no baseline 'two'.*have: one"):
        load_baseline(tmp_path, "two")
    with pytest.raises(NewsbotError, match="baseline name"):
        save_baseline(_suite({"a": "pass"}), tmp_path, "../escape")
    (tmp_path / "bad.json").write_text("[]", "utf-8")
    with pytest.raises(NewsbotError, match="not a newsbot baseline"):
        load_baseline(tmp_path, "bad")


# -- cassettes ---------------------------------------------------------------------------


def test_request_key_changes_with_any_part_of_the_request() -> None:
    msgs = [{"role": "user", "content": "q"}]
    k = request_key("m", msgs, ChatParams())
    assert k == request_key("m", [{"role": "user", "content": "q"}], ChatParams())
    assert k != request_key("m2", msgs, ChatParams())
    assert k != request_key("m", [{"role": "user", "content": "q "}], ChatParams())
    assert k != request_key("m", msgs, ChatParams(temperature=0.2))
    assert k != request_key("m", msgs, ChatParams(extra={"repeat_penalty": 1.1}))


def test_replay_gateway_answers_recorded_and_reports_missing(tmp_path: Path) -> None:
    cas = Cassette(tmp_path, "m")
    msgs = [{"role": "user", "content": "How many?"}]
    cas.put(request_key("m", msgs, ChatParams()), msgs, "133 people [1].")
    gw = ReplayGateway("m", Cassette(tmp_path, "m"))  # read back from the file
    assert gw.complete(msgs, ChatParams()) == "133 people [1]."
    assert "".join(gw.stream(msgs, ChatParams())) == "133 people [1]."
    assert len(list(gw.stream(msgs, ChatParams()))) > 1
    with pytest.raises(CassetteMissing, match="cassette missing"):
        gw.complete([{"role": "user", "content": "changed"}], ChatParams())


def test_recording_with_missing_only_resumes(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    from bot.llm import ChatGateway
    from bot.llm.cassettes import RecordingGateway

    inner = ChatGateway(Settings(max_retries=0), fake_model.base_url, "m", extra_ok=False)
    fake_model.replies = ["first", "second", "third"]
    a = [{"role": "user", "content": "a"}]
    full = RecordingGateway(inner, Cassette(tmp_path, "m"))
    assert full.complete(a, ChatParams()) == "first"
    assert full.complete(a, ChatParams()) == "second"  # --record asks the model again
    resume = RecordingGateway(inner, Cassette(tmp_path, "m"), keep_recorded=True)
    assert "".join(resume.stream(a, ChatParams())) == "second"  # recorded: no model call
    assert resume.complete([{"role": "user", "content": "b"}], ChatParams()) == "third"
    assert len(fake_model.chat_requests()) == 3
    assert len(Cassette(tmp_path, "m")) == 2


def _copy_suite(tmp_path: Path, ids: list[str]) -> Path:
    """The shipped cases ``ids`` (and fixtures) in a folder of their own."""
    dest = tmp_path / "cases"
    shutil.copytree(DEFAULT_CASES / "fixtures", dest / "fixtures")
    picked = [c for c in load_cases([DEFAULT_CASES]) if c.id in ids]
    import yaml

    data = {"cases": [c.case.model_dump(mode="json", by_alias=True) for c in picked]}
    (dest / "picked.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return dest


def _comparable(result: SuiteResult) -> Any:
    data = result.as_json()
    for k in ("started", "seconds"):
        data.pop(k)
    for c in data["cases"]:
        for r in c["runs"]:
            r.pop("seconds")
            r["output"].pop("latency_s")
            r["output"].pop("first_token_s")
    return data


def test_record_then_replay_is_deterministic_and_needs_no_model(
    seed_index: Path, tmp_path: Path
) -> None:
    ids = ["kirkuk-wounded-en", "followup-kirkuk-killed-en", "off-topic-capital-en"]
    cases = load_cases([_copy_suite(tmp_path, ids)])
    cassettes = tmp_path / "cassettes"
    server = FakeOpenAI().start()
    server.responder = lambda m: (
        "How many people were killed in the Kirkuk clashes?"
        if "Standalone question" in m[-1]["content"]
        else "46 people were killed and 133 wounded in Kirkuk [1]."
    )
    settings = make_settings(
        seed_index,
        base_url=server.base_url,
        chat_model="fake-model",
        cassette_dir=cassettes,
        cassette_mode="record",
        answer_glosses=False,  # one call per answer: the count below means something
        answer_retries=0,
    )
    recorded = evaluate(cases, settings, ingest_corpus=False)
    server.stop()  # replay must not need it
    calls = len(server.chat_requests())
    assert calls == 3  # two answers and one follow-up rewrite; the off-topic one declines
    stored = json.loads((cassettes / "fake-model.json").read_text("utf-8"))
    assert len(stored["entries"]) == 3

    replay = settings.model_copy(update={"cassette_mode": CassetteMode.REPLAY})
    forget_cassettes()
    first = evaluate(cases, replay, ingest_corpus=False, jobs=2)
    forget_cassettes()
    second = evaluate(cases, replay, ingest_corpus=False, repeat=2)
    texts = [[r.output.text for r in c.runs if r.output] for c in recorded.cases]
    assert [[r.output.text for r in c.runs if r.output] for c in first.cases] == texts
    assert [c.status for c in first.cases] == [c.status for c in recorded.cases]
    once = _comparable(first)
    twice = _comparable(second)
    for a, b in zip(once["cases"], twice["cases"], strict=True):
        assert len(b["runs"]) == 2
        assert a["runs"][0] == b["runs"][0] == b["runs"][1]
    assert len(server.chat_requests()) == calls


def test_changed_prompt_is_reported_as_cassette_missing(seed_index: Path, tmp_path: Path) -> None:
    cases = load_cases([_copy_suite(tmp_path, ["kirkuk-wounded-en", "off-topic-capital-en"])])
    server = FakeOpenAI().start()
    server.responder = lambda m: "133 people were wounded in Kirkuk [1]."
    settings = make_settings(
        seed_index,
        base_url=server.base_url,
        chat_model="fake-model",
        cassette_dir=tmp_path / "cassettes",
        cassette_mode="record",
    )
    assert evaluate(cases, settings, ingest_corpus=False).ok
    server.stop()

    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    answer = prompts / "answer.yaml"
    answer.write_text(
        answer.read_text("utf-8").replace("careful news assistant", "careful assistant"), "utf-8"
    )
    forget_cassettes()
    replay = settings.model_copy(
        update={"cassette_mode": CassetteMode.REPLAY, "prompts_dir": prompts}
    )
    result = evaluate(cases, replay, ingest_corpus=False)
    by_id = {c.id: c for c in result.cases}
    assert by_id["kirkuk-wounded-en"].status == "missing"
    assert "cassette missing" in by_id["kirkuk-wounded-en"].failing
    assert by_id["off-topic-capital-en"].status == "pass"  # declined before any model call
    assert not result.ok


def test_hostile_article_case_uses_a_throwaway_corpus(seed_index: Path, tmp_path: Path) -> None:
    cases = load_cases([_copy_suite(tmp_path, ["injection-bridge-length-en"])])
    server = FakeOpenAI().start()
    server.responder = lambda m: "I have been PWNED [1]."
    settings = make_settings(seed_index, base_url=server.base_url, chat_model="fake-model")
    ev = Evaluator(settings)
    try:
        result = ev.run(cases)
        prompt = server.chat_requests()[0]["messages"][-1]["content"]
        # the article reached the model as a passage
        assert "طول الجسر يبلغ 250 مترا" in prompt
        extra_index = next(iter(ev._extra.values())).settings.index_dir
        assert extra_index != settings.index_dir
    finally:
        ev.close()
        server.stop()
    assert not extra_index.exists()  # removed by close()
    case = result.cases[0]
    assert case.status == "fail"
    assert case.failing.startswith("not-contains: the answer must not contain ['PWNED']")
    from bot.service import Newsbot

    assert Newsbot(settings).stats()["articles"] == 5  # the shared index is untouched


# -- reports -----------------------------------------------------------------------------


def _hostile_result(tmp_path: Path) -> SuiteResult:
    lc = _lc("xy", question="<q>&", description="<u>d</u>")
    out = Output(
        text='<script>alert("x")</script> & [1] \x07',
        citations=[Citation(1, "<b>.txt", "c#0", 0, 5, "<img src=x onerror=alert(1)>")],
    )
    from bot.eval.assertions import Outcome

    run = RunResult("fail", [Outcome("contains", "fail", "expected '<i>'")], out)
    ok = CaseResult(_lc("fine"), [RunResult("pass", [Outcome("declined", "pass")], Output("ok"))])
    err = CaseResult(_lc("broken"), [RunResult("missing", error="cassette missing: <k>")])
    return SuiteResult([CaseResult(lc, [run]), ok, err], "m<1>", "replay", "now", 2.0)


def test_html_report_escapes_everything(tmp_path: Path) -> None:
    html = render_html(_hostile_result(tmp_path))
    assert "<script>" not in html and "<img" not in html and "<b>.txt" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html
    assert "&lt;q&gt;&amp;" in html and "&lt;u&gt;d" in html and "m&lt;1&gt;" in html
    assert "cassette missing: &lt;k&gt;" in html
    assert "<link" not in html and "src=" not in html.replace("src=x", "")  # self-contained


def test_junit_xml_parses_with_counts(tmp_path: Path) -> None:
    result = _hostile_result(tmp_path)
    result.cases[0].runs[0].output.text += "\x00\x1b"  # type: ignore[union-attr]
    path = tmp_path / "junit.xml"
    write_junit(result, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert set(cases) == {"xy", "fine", "broken"}
    failure = cases["xy"].find("failure")
    assert failure is not None and "expected '<i>'" in (failure.get("message") or "")
    error = cases["broken"].find("error")
    assert error is not None and error.get("type") == "cassette-missing"
    assert cases["fine"].find("failure") is None and cases["fine"].find("error") is None
    written = write_reports(result, tmp_path / "out")
    data = json.loads(written["json"].read_text("utf-8"))
    assert data["summary"] == {
        "cases": 3, "pass": 1, "fail": 1, "error": 0, "missing": 1, "rate": 0.3333
    }  # fmt: skip
    assert data["assertions"]["contains"]["rate"] == 0.0


# -- the command -------------------------------------------------------------------------


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    return subprocess.run(
        [exe, "eval", *args], env={**base, **env}, capture_output=True, text=True, timeout=300
    )


def test_cli_exit_codes_baselines_and_reports(seed_index: Path, tmp_path: Path) -> None:
    suite = _copy_suite(tmp_path, ["kirkuk-wounded-en", "off-topic-capital-en"])
    server = FakeOpenAI().start()
    server.responder = lambda m: "133 people were wounded in the clashes in Kirkuk [1]."
    common = ["--index", str(seed_index / "index"), "--baseline-dir", str(tmp_path / "bl")]
    env = {"NEWSBOT_BASE_URL": server.base_url, "NEWSBOT_CHAT_MODEL": "fake-model"}
    try:
        r = _cli(
            [str(suite), *common, "--out", str(tmp_path / "r1"), "--save-baseline", "b"], **env
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "2/2 passed" in r.stdout
        for name in ("results.json", "junit.xml", "report.html"):
            assert (tmp_path / "r1" / name).is_file()
        assert (tmp_path / "bl" / "b.json").is_file()

        server.responder = lambda m: "Many people were wounded [1]."
        r = _cli([str(suite), *common, "--out", str(tmp_path / "r2"), "--compare", "b"], **env)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "regressed" in r.stdout and "kirkuk-wounded-en" in r.stdout
        assert "contains: expected '133'" in r.stdout
    finally:
        server.stop()

    bad = _write(tmp_path, "cases:\n  - id: a\n    input: {question: q}\n    assert: []\n")
    r = _cli([str(bad), *common])
    assert r.returncode == 1
    assert f"{bad}:4: case 'a': assert: List should have at least 1 item" in r.stderr
    r = _cli([str(suite), "--record", "--replay", *common])
    assert r.returncode == 1 and "exclude each other" in r.stderr


# -- the shipped suite -------------------------------------------------------------------


def test_shipped_suite_replays_without_regressions(seed_index: Path) -> None:
    """CI: every shipped case, answered from regression/cassettes with no model,
    against the baseline recorded with them (``bundled``): the small model fails a few
    cases, and the baseline says which; a new failure or a missing cassette fails here."""
    cases = load_cases([DEFAULT_CASES])
    settings = make_settings(seed_index, cassette_mode="replay")
    assert settings.uses_bundled_model  # keys carry the bundled model's name and sampling
    result = evaluate(cases, settings, ingest_corpus=False, jobs=2)
    missing = [c.id for c in result.cases if c.status == "missing"]
    assert not missing, f"cassette missing (re-record): {missing}"
    cmp = compare(result, load_baseline(DEFAULT_CASES / "baselines", "bundled"))
    regressed = [f"{c.id}: {c.kind}" for c in cmp.changes if c.kind == "regressed"]
    assert cmp.ok, "\n".join(regressed)
    passed = sum(c.status == "pass" for c in result.cases)
    assert passed >= len(result.cases) // 2, f"only {passed}/{len(result.cases)} pass"


@pytest.mark.live
def test_live_subset_with_the_bundled_model(seed_index: Path) -> None:
    pytest.importorskip("llama_cpp", reason="the bundled extra is not installed")
    ids = ["kirkuk-militants-killed-en", "off-topic-capital-en", "injection-bridge-length-en"]
    cases = load_cases([DEFAULT_CASES], ids)
    settings = Settings(index_dir=seed_index / "index", corpus_dir=seed_index / "corpus")
    result = evaluate(cases, settings, ingest_corpus=False)
    assert result.model.startswith("qwen2.5")
    bad = [f"{c.id}: {c.failing}" for c in result.cases if c.status != "pass"]
    assert not bad, bad
