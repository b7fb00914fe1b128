"""Saved conversations: per-user store, exports, and `ask --conversation` through the CLI
with the local test model server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.cite import Citation
from bot.conversations import Conversations, export
from bot.errors import InputError
from tests.conftest import make_settings
from tests.support.openai_server import FakeOpenAI
from tests.test_cli import cli_env, run


def _answer(q: str, verified: bool = True) -> Answer:
    c = Citation(
        1, "a<b>.txt", "x-1", 0, 9, "قتل 46 شخصاً", quote_en="46 people were killed",
        quote_en_flags=("uncertain translation",), outlet="وكالة", date="2017-01-02",
    )  # fmt: skip
    unsupported = [] if verified else ["number 46"]
    return Answer(q, "en", "<b>46</b> killed [1].", [c], False, "m", {"total_s": 1.0},
                  unsupported=unsupported)  # fmt: skip


def test_each_user_sees_only_their_conversations(tmp_path: Path) -> None:
    store = Conversations(make_settings(tmp_path))
    a = store.create("amal", "How many were killed?")
    store.append("amal", a, _answer("How many were killed?").as_json())
    store.append("amal", a, _answer("and wounded?").as_json())
    b = store.create("bilal", "Other")
    assert [c.id for c in store.list("amal")] == [a] and store.list("amal")[0].turns == 2
    assert [c.id for c in store.list("bilal")] == [b]
    with pytest.raises(InputError):
        store.get("bilal", a)  # another user's is not found
    with pytest.raises(InputError):
        store.append("bilal", a, {})
    with pytest.raises(InputError):
        store.delete("bilal", a)
    conv = store.get("amal", a)
    assert [t["question"] for t in conv.turns] == ["How many were killed?", "and wounded?"]
    back = Answer.from_json(conv.turns[0])
    assert back.citations[0].quote_en_flags == ("uncertain translation",)
    assert back.as_json() == _answer("How many were killed?").as_json()
    assert store.named("amal", "How many were killed?") == a
    assert store.named("amal", "new one") != a
    store.delete("amal", a)
    assert [c.title for c in store.list("amal")] == ["new one"]


def test_exports_hold_citations_arabic_glosses_and_marks(tmp_path: Path) -> None:
    store = Conversations(make_settings(tmp_path))
    cid = store.create("u", "<script>x</script>")
    store.append("u", cid, _answer("Q one?", verified=False).as_json())
    conv = store.get("u", cid)
    md = export(conv, "md")
    assert "## 1. Q one?" in md and "**Unverified**" in md
    assert "- [1] a<b>.txt (وكالة, 2017-01-02)" in md and "Arabic: قتل 46 شخصاً" in md
    assert "English: 46 people were killed (check against the Arabic: uncertain" in md
    page = export(conv, "html")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;46" in page
    assert '<blockquote dir="rtl" lang="ar">قتل 46 شخصاً</blockquote>' in page
    assert json.loads(export(conv, "json"))["turns"][0]["citations"][0]["quote_en"]
    with pytest.raises(InputError):
        export(conv, "docx")


def test_ask_appends_to_a_named_conversation(seed_index: Path, fake_model: FakeOpenAI) -> None:
    env = cli_env(seed_index, NEWSBOT_BASE_URL=fake_model.base_url)
    for q in ("How many people were wounded in Kirkuk?", "and how many were killed?"):
        r = run(["ask", q, "--conversation", "kirkuk"], env)
        assert r.returncode == 0, r.stderr
    listed = run(["conversations", "list", "--json"], env)
    rows = [c for c in json.loads(listed.stdout) if c["title"] == "kirkuk"]
    assert [c["turns"] for c in rows] == [2]
    md = run(["conversations", "export", "kirkuk"], env).stdout
    assert "## 2. and how many were killed?" in md
    assert run(["conversations", "delete", rows[0]["id"]], env).returncode == 0
    after = json.loads(run(["conversations", "list", "--json"], env).stdout)
    assert rows[0]["id"] not in [c["id"] for c in after]
    r = run(["conversations", "export", "kirkuk"], env)
    assert r.returncode == 1 and "no saved conversation" in r.stderr
