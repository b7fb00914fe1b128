"""The ``newsbot`` console script, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.openai_server import FakeOpenAI


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    return subprocess.run(
        [exe, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def cli_env(seed_index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        {
            "NEWSBOT_INDEX_DIR": str(seed_index / "index"),
            "NEWSBOT_CORPUS_DIR": str(seed_index / "corpus"),
            "NEWSBOT_MODEL_DIR": str(seed_index / "models"),
            **extra,
        }
    )
    return env


def test_ingest_reports_nothing_changed(seed_index: Path) -> None:
    r = run(["ingest"], cli_env(seed_index))
    assert r.returncode == 0, r.stderr
    assert "Nothing changed: 5 files up to date" in r.stdout


def test_index_option_never_touches_other_indexes(tmp_path: Path, seed_index: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(next((seed_index / "corpus").glob("003_*.txt")), corpus)
    r = run(["ingest", str(corpus), "--index", str(tmp_path / "idx")], cli_env(seed_index))
    assert r.returncode == 0, r.stderr
    assert "1 added" in r.stdout
    assert (tmp_path / "idx" / "manifest.json").exists()


def test_search_json_and_batch(seed_index: Path, tmp_path: Path) -> None:
    env = cli_env(seed_index)
    r = run(["search", "كم", "عدد", "الجرحى", "في", "كركوك", "-k", "3", "--json"], env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert len(data["results"]) == 3 and data["language"] == "ar"
    assert data["results"][0]["source"] == "004_d1b1a39153906bcc.txt"

    batch = tmp_path / "q.txt"
    batch.write_text("How many were wounded in Kirkuk?\n\nمن انسحب من قرية النصر؟\n", "utf-8")
    r = run(["search", "--batch", str(batch), "-k", "2"], env)
    lines = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert [ln["query"] for ln in lines] == [
        "How many were wounded in Kirkuk?",
        "من انسحب من قرية النصر؟",
    ]
    for ln in lines:
        assert len(ln["results"]) == 2
        assert set(ln["results"][0]) == {
            *("source", "chunk_id", "start", "end", "score", "text"),
            *("outlet", "date", "url"),
        }


def test_ask_json_with_a_configured_server(seed_index: Path, fake_model: FakeOpenAI) -> None:
    fake_model.replies = ["133 people were wounded [1]."]
    env = cli_env(seed_index, NEWSBOT_BASE_URL=fake_model.base_url, NEWSBOT_CHAT_MODEL="m1")
    r = run(["ask", "--json", "How many people were wounded in Kirkuk?"], env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) >= {
        "question",
        "language",
        "answer",
        "citations",
        "declined",
        "model",
        "timings",
        "unsupported",
        "verified",
        "dropped",
        "attempts",
    }
    assert data["unsupported"] == [], "133 is in the cited passage"
    assert data["model"] == "m1" and data["declined"] is False and data["verified"] is True
    cited = data["citations"][0]
    assert cited["source"] == "004_d1b1a39153906bcc.txt"
    assert set(cited) == {
        "n",
        "source",
        "chunk_id",
        "start",
        "end",
        "quote",
        "quote_en",
        "quote_en_flags",
        "outlet",
        "date",
        "url",
    }
    text = (seed_index / "corpus" / cited["source"]).read_text("utf-8")
    assert text[cited["start"] : cited["end"]] == cited["quote"]  # one exact sentence
    assert cited["quote_en"] and isinstance(cited["quote_en_flags"], list)


def test_ask_streams_then_lists_sources(seed_index: Path, fake_model: FakeOpenAI) -> None:
    fake_model.replies = ["133 people were wounded [1]."]
    env = cli_env(seed_index, NEWSBOT_BASE_URL=fake_model.base_url)
    r = run(["ask", "How many people were wounded in Kirkuk?"], env)
    assert r.returncode == 0, r.stderr
    assert "Sources" in r.stdout
    assert re.search(r"\[\d\] 004_d1b1a39153906bcc\.txt \(chars \d+-\d+\)", r.stdout)
    assert "English: " in r.stdout  # the cited sentence's gloss


def test_dead_server_gives_one_line_and_exit_1(seed_index: Path) -> None:
    env = cli_env(
        seed_index,
        NEWSBOT_BASE_URL="http://127.0.0.1:9/v1",
        NEWSBOT_API_KEY="sk-do-not-print",
        NEWSBOT_MAX_RETRIES="0",
    )
    r = run(["ask", "How many people were wounded in Kirkuk?"], env)
    assert r.returncode == 1
    assert "error: the model server at http://127.0.0.1:9/v1 is not reachable" in r.stderr
    assert "Traceback" not in r.stderr and "sk-do-not-print" not in r.stderr + r.stdout


def test_interactive_ask_survives_a_model_error(seed_index: Path, fake_model: FakeOpenAI) -> None:
    fake_model.fail(400, times=1)
    fake_model.replies = ["Second try works: 133 [1]."]
    env = cli_env(seed_index, NEWSBOT_BASE_URL=fake_model.base_url)
    r = run(["ask"], env, stdin="How many wounded in Kirkuk?\nHow many wounded in Kirkuk?\n\n")
    assert r.returncode == 0, r.stderr
    assert "HTTP 400" in r.stderr
    assert "Second try works" in r.stdout


def test_bad_config_is_reported(seed_index: Path) -> None:
    r = run(["search", "x"], cli_env(seed_index, NEWSBOT_TOP_K="0"))
    assert r.returncode == 1 and "invalid configuration" in r.stderr


def test_config_errors_are_one_line_for_every_command(seed_index: Path) -> None:
    """These once printed tracebacks (settings read outside the try, a bad chunk pair)."""
    cases = [
        (["ask", "x"], {"NEWSBOT_TOP_K": "-1"}, "top_k"),
        (["ingest"], {"NEWSBOT_CHUNK_TOKENS": "100", "NEWSBOT_CHUNK_OVERLAP": "150"}, "overlap"),
        (["model", "status"], {"NEWSBOT_BUNDLED_CTX": "1"}, "bundled_ctx"),
    ]
    for args, extra, said in cases:
        r = run(args, cli_env(seed_index, **extra))
        assert r.returncode == 1, (args, r.stderr)
        assert "Traceback" not in r.stderr and said in r.stderr, r.stderr
        assert r.stderr.count("\n") == 1, r.stderr


def test_a_mistyped_index_is_said_not_created(seed_index: Path, tmp_path: Path) -> None:
    missing = tmp_path / "indx"
    for args in (["ask", "How many wounded?"], ["search", "Kirkuk"]):
        r = run([*args, "--index", str(missing)], cli_env(seed_index))
        assert r.returncode == 1 and f"no index at {missing}" in r.stderr, r.stderr
    assert not missing.exists()


def test_a_manifest_that_is_not_an_object_is_rebuilt(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("خبر قصير عن الموصل.\n", "utf-8")
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text("[]", "utf-8")
    env = cli_env(tmp_path)
    r = run(["ingest"], env)
    assert r.returncode == 0, r.stderr
    assert "1 added" in r.stdout


def test_ingest_translate_writes_glosses_ahead(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    """``ingest --translate`` glosses every sentence now; the answer's gloss then comes
    from the sentence cache with no model call."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "قال مسؤول إن 12 شخصاً أصيبوا في الهجوم على السوق.\n\nوأغلقت الشرطة الطريق.\n", "utf-8"
    )

    def model(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if user.startswith("Passages:"):
            return "An official said 12 people were wounded in the attack on the market [1]."
        if "الشرطة" in user:
            return "The police closed the road."
        return "An official said 12 people were wounded in the attack on the market."

    fake_model.responder = model
    env = cli_env(tmp_path, NEWSBOT_BASE_URL=fake_model.base_url)
    r = run(["ingest", "--translate"], env)
    assert r.returncode == 0, r.stderr
    assert "2 sentences glossed in English" in r.stdout
    glossed = len(fake_model.chat_requests())
    assert glossed == 2
    r = run(["ask", "--json", "How many people were wounded in the attack on the market?"], env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["citations"][0]["quote_en"].startswith("An official said 12 people")
    assert len(fake_model.chat_requests()) == glossed + 1  # the answer only


def test_a_broken_manifest_is_reported_then_rebuilt(tmp_path: Path) -> None:
    """An empty or broken manifest once read as an empty index (no articles, no error);
    an entry of the wrong type gave a traceback."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("خبر قصير عن الموصل.\n", "utf-8")
    (tmp_path / "index").mkdir()
    manifest = tmp_path / "index" / "manifest.json"
    env = cli_env(tmp_path)
    for content, said in [
        ("", "empty"),
        ('{"version": 1, "files": {', "not JSON"),
        ('{"version": 1, "files": {"/x/a.txt": 5}}', "is a int, not an object"),
    ]:
        manifest.write_text(content, "utf-8")
        r = run(["library"], env)
        assert r.returncode == 1, (content, r.stdout)
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert "manifest" in r.stderr and said in r.stderr and "newsbot ingest" in r.stderr
        r = run(["ingest"], env)
        assert r.returncode == 0, r.stderr
        assert "was broken" in r.stdout and "1 added" in r.stdout, r.stdout
        assert run(["library"], env).returncode == 0


def test_a_base_url_without_scheme_is_refused_and_its_password_never_shown(
    seed_index: Path,
) -> None:
    cases = [
        ("user:S3cretPW@models.example:8000/v1", "http:// or https://"),
        ("http://user:S3cretPW@models.example:port/v1", "not a valid URL"),
        ("https://", "no host"),
    ]
    for url, said in cases:
        for args in (["ask", "How many wounded?"], ["chat", "--port", "9"]):
            r = run(args, cli_env(seed_index, NEWSBOT_BASE_URL=url))
            assert r.returncode == 1, (url, args, r.stdout)
            assert said in r.stderr and "base_url" in r.stderr, r.stderr
            assert "S3cretPW" not in r.stderr + r.stdout
            assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
