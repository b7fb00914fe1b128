"""Saved conversations: every answered turn kept with its citations, the cited Arabic
and its English gloss, per user (the chat's login name; ``local`` without a login), in
SQLite beside the index (``index_dir/conversations.sqlite``). Listed, resumed, deleted,
and exported as Markdown, HTML or JSON.

A turn is stored as the answer's own JSON (``Answer.as_json``), so an export says exactly
what the reader was shown, marks and flags included.
"""

from __future__ import annotations

import html
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import InputError, StoreError

LOCAL_USER = "local"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL, asked REAL NOT NULL, answer TEXT NOT NULL,
    PRIMARY KEY (conversation, n));
"""


@dataclass(frozen=True)
class Saved:
    id: str
    title: str
    created: float
    updated: float
    turns: int

    @property
    def label(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.updated))
        return f"{self.title} · {when} · {self.turns} turn{'s' * (self.turns != 1)}"


@dataclass
class Conversation:
    id: str
    title: str
    created: float
    turns: list[dict[str, Any]] = field(default_factory=list)  # Answer.as_json() each

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "created": self.created, "turns": self.turns}


class Conversations:
    """The store; every call names the user, and sees only that user's conversations."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.index_dir / "conversations.sqlite"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
                db.execute("PRAGMA foreign_keys = ON")
                db.executescript(_SCHEMA)
                yield db
        except sqlite3.Error as exc:
            raise StoreError(f"the conversation store {self.path} failed: {exc}") from exc

    def create(self, user: str, title: str) -> str:
        cid = uuid.uuid4().hex[:12]
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                (cid, user, _title(title), now, now),
            )
        return cid

    def named(self, user: str, title: str) -> str:
        """The id of ``user``'s conversation titled ``title``, created if there is none."""
        with self._db() as db:
            row = db.execute(
                "SELECT id FROM conversations WHERE user = ? AND title = ? "
                "ORDER BY updated DESC LIMIT 1",
                (user, _title(title)),
            ).fetchone()
        return str(row[0]) if row else self.create(user, title)

    def append(self, user: str, cid: str, answer: dict[str, Any]) -> None:
        now = time.time()
        with self._db() as db:
            self._owned(db, user, cid)
            (n,) = db.execute(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation = ?", (cid,)
            ).fetchone()
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?)",
                (cid, n, now, json.dumps(answer, ensure_ascii=False)),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))

    def list(self, user: str) -> list[Saved]:
        with self._db() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.n) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation = c.id WHERE c.user = ? "
                "GROUP BY c.id ORDER BY c.updated DESC",
                (user,),
            ).fetchall()
        return [Saved(str(r[0]), str(r[1]), float(r[2]), float(r[3]), int(r[4])) for r in rows]

    def get(self, user: str, cid: str) -> Conversation:
        with self._db() as db:
            title, created = self._owned(db, user, cid)
            rows = db.execute(
                "SELECT answer FROM turns WHERE conversation = ? ORDER BY n", (cid,)
            ).fetchall()
        return Conversation(cid, title, created, [json.loads(r[0]) for r in rows])

    def delete(self, user: str, cid: str) -> None:
        with self._db() as db:
            self._owned(db, user, cid)
            db.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    @staticmethod
    def _owned(db: sqlite3.Connection, user: str, cid: str) -> tuple[str, float]:
        row = db.execute(
            "SELECT title, created FROM conversations WHERE id = ? AND user = ?", (cid, user)
        ).fetchone()
        if row is None:  # another user's is "not found" too: nothing about it leaks
            raise InputError(f"no conversation {cid!r}")
        return str(row[0]), float(row[1])


def _title(text: str) -> str:
    words = " ".join((text or "").split())
    return (words[:77] + "…") if len(words) > 80 else (words or "Conversation")


# -- export -------------------------------------------------------------------------------


def to_markdown(conv: Conversation) -> str:
    out = [f"# {conv.title}", ""]
    for i, turn in enumerate(conv.turns, 1):
        out += [f"## {i}. {turn.get('question', '')}", ""]
        if not turn.get("verified", True):
            out += ["**Unverified**: not every claim is held by the cited sentences.", ""]
        out += [str(turn.get("answer", "")), ""]
        for c in turn.get("citations", []):
            about = ", ".join(p for p in (c.get("outlet"), c.get("date")) if p)
            out.append(f"- [{c['n']}] {c['source']}{f' ({about})' if about else ''}")
            out.append(f"  - Arabic: {c.get('quote', '')}")
            if c.get("quote_en"):
                flags = c.get("quote_en_flags") or []
                mark = f" (check against the Arabic: {'; '.join(flags)})" if flags else ""
                out.append(f"  - English: {c['quote_en']}{mark}")
        if turn.get("unsupported"):
            out += ["", f"Not in the cited passages: {', '.join(turn['unsupported'])}"]
        out.append("")
    return "\n".join(out)


def to_html(conv: Conversation) -> str:
    e = html.escape
    body: list[str] = [f"<h1>{e(conv.title)}</h1>"]
    for i, turn in enumerate(conv.turns, 1):
        body.append(f'<section><h2 dir="auto">{i}. {e(str(turn.get("question", "")))}</h2>')
        if not turn.get("verified", True):
            body.append('<p class="unverified"><b>Unverified</b>: not every claim is held '
                        "by the cited sentences.</p>")  # fmt: skip
        body.append(f'<p dir="auto">{e(str(turn.get("answer", "")))}</p><ol>')
        for c in turn.get("citations", []):
            about = ", ".join(p for p in (c.get("outlet"), c.get("date")) if p)
            en = ""
            if c.get("quote_en"):
                flags = c.get("quote_en_flags") or []
                mark = f" <i>(check against the Arabic: {e('; '.join(flags))})</i>" if flags else ""
                en = f'<p class="en" dir="ltr">{e(c["quote_en"])}{mark}</p>'
            body.append(
                f'<li value="{int(c["n"])}"><b>{e(c["source"])}</b> {e(about)}'
                f'<blockquote dir="rtl" lang="ar">{e(c.get("quote", ""))}</blockquote>{en}</li>'
            )
        body.append("</ol></section>")
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{e(conv.title)}</title><style>body{{font-family:sans-serif;max-width:50em;"
        "margin:auto}blockquote{border-right:3px solid #999;padding-right:.5em}"
        ".unverified{color:#a60}</style></head><body>" + "".join(body) + "</body></html>"
    )


def export(conv: Conversation, kind: str) -> str:
    """``conv`` as ``md``, ``html`` or ``json`` text."""
    if kind == "md":
        return to_markdown(conv)
    if kind == "html":
        return to_html(conv)
    if kind == "json":
        return json.dumps(conv.as_json(), ensure_ascii=False, indent=1)
    raise InputError(f"unknown export format {kind!r}: md, html or json")


def save_export(conv: Conversation, kind: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() else "-" for ch in conv.title)[:40].strip("-") or "chat"
    path = folder / f"newsbot-{safe}-{conv.id}.{kind}"
    path.write_text(export(conv, kind), "utf-8")
    return path
