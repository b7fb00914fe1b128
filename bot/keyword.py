"""The keyword index: BM25 over normalised, lightly stemmed Arabic terms, in SQLite FTS5.

Persistent and incremental: the ingest writes a file's rows in the same wave as its
vectors, under the same manifest discipline (``bot/ingest.py``), and every searching
process reads the file as it is: no rebuild after a change and no copy of the chunk
texts in memory. WAL journaling lets readers go on while the ingest writes.

Terms are made by ``bot.arabic.search_terms`` at index and at query time and stored
space-separated; FTS5's ``unicode61`` tokenizer then only splits on those spaces (the
terms hold letters and digits only) and ``bm25()`` ranks.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from bot.arabic import search_terms
from bot.config import Settings
from bot.errors import StoreError

# Bumped when the terms change (normalisation, stemming): an index of another version
# is emptied on open for writing and refilled from the store by the next ingest.
VERSION = 1
# Query terms kept, rarest first: a long pasted question must not turn into an OR of
# hundreds of terms that each match half the archive.
MAX_QUERY_TERMS = 24
# A term in more than this share of the rows (and more than COMMON_FLOOR rows, so that
# a small index is ranked on every term, exactly) is too common to rank by when the
# query has rarer terms (see KeywordIndex._selective).
COMMON_SHARE = 0.05
COMMON_FLOOR = 5000
# When every term is common and even the rarest is in this share of the rows ("Mosul"
# in a Mosul archive: idf ~1.4), BM25 has nothing to rank by and would score a fifth of
# the archive (~200 ms at 446,000 chunks): no keyword candidates, the dense side decides.
UNINFORMATIVE_SHARE = 0.2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_path ON docs(path);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    terms, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(fts, 'row');
"""


class KeywordIndex:
    """One SQLite file (``index_dir/keywords.sqlite3`` unless configured elsewhere).

    Rows are keyed by the store's chunk ids and grouped by article path, like the
    vectors. Connections are per thread (sqlite3's rule); writes are transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    # -- connection ---------------------------------------------------------------------

    def _conn(self, write: bool = False) -> sqlite3.Connection | None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not write and not self.path.exists():
            return None  # nothing ingested yet: searching must not create files
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never torn
            if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                self._recreate(conn)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc
        self._local.conn = conn
        return conn

    @staticmethod
    def _recreate(conn: sqlite3.Connection) -> None:
        """Empty tables of this version, in one transaction: other processes' open
        connections see the change (a deleted and re-made file they would not)."""
        with conn:
            for table in ("vocab", "fts", "docs"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={VERSION}")

    def _error(self, exc: Exception) -> StoreError:
        return StoreError(
            f"the keyword index at {self.path} cannot be used ({exc}); delete it and run "
            "`newsbot ingest`, which rebuilds it from the store without re-embedding"
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writes (the ingest) ------------------------------------------------------------

    def replace(self, paths: Sequence[str], rows: Iterable[tuple[str, str, str]]) -> None:
        """Drop every row of ``paths``, then add ``rows`` of (chunk id, path, text), in
        one transaction: a reader sees the old rows or the new ones."""
        conn = self._conn(write=True)
        assert conn is not None
        try:
            with conn:
                self._delete(conn, paths)
                for chunk_id, path, text in rows:
                    cur = conn.execute(
                        "INSERT INTO docs(chunk_id, path) VALUES (?, ?)", (chunk_id, path)
                    )
                    conn.execute(
                        "INSERT INTO fts(rowid, terms) VALUES (?, ?)",
                        (cur.lastrowid, " ".join(search_terms(text))),
                    )
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc

    def delete_paths(self, paths: Sequence[str]) -> None:
        self.replace(paths, [])

    @staticmethod
    def _delete(conn: sqlite3.Connection, paths: Sequence[str]) -> None:
        for path in paths:
            conn.execute(
                "DELETE FROM fts WHERE rowid IN (SELECT id FROM docs WHERE path = ?)", (path,)
            )
            conn.execute("DELETE FROM docs WHERE path = ?", (path,))

    def reset(self) -> None:
        if self.path.exists():
            conn = self._conn(write=True)
            assert conn is not None
            try:
                self._recreate(conn)
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc

    # -- reads --------------------------------------------------------------------------

    def path_counts(self) -> Counter[str]:
        conn = self._conn()
        if conn is None:
            return Counter()
        try:
            rows = conn.execute("SELECT path, count(*) FROM docs GROUP BY path").fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc
        return Counter({str(p): int(n) for p, n in rows})

    def count(self) -> int:
        conn = self._conn()
        if conn is None:
            return 0
        return int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def top(self, query: str, n: int, paths: Collection[str] | None = None) -> list[str]:
        """Chunk ids of the ``n`` best BM25 matches for ``query``, best first; with
        ``paths``, only chunks of those articles (a search filter)."""
        terms = list(dict.fromkeys(search_terms(query)))
        conn = self._conn()
        if not terms or conn is None or (paths is not None and not paths):
            return []
        only = json.dumps(sorted(paths)) if paths is not None else None
        try:
            chosen = self._selective(conn, terms)
            if not chosen:
                return []
            if isinstance(chosen, tuple):  # every term is common: all of them, else any
                found = self._match(conn, " AND ".join(map(_quoted, chosen)), n, only)
                if len(found) >= n:
                    return found
            return self._match(conn, " OR ".join(map(_quoted, chosen)), n, only)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc

    @staticmethod
    def _match(conn: sqlite3.Connection, expression: str, n: int, only: str | None) -> list[str]:
        within = " AND d.path IN (SELECT value FROM json_each(?))" if only is not None else ""
        args = (expression, only, n) if only is not None else (expression, n)
        rows = conn.execute(
            "SELECT d.chunk_id FROM fts JOIN docs d ON d.id = fts.rowid "
            f"WHERE fts MATCH ?{within} ORDER BY rank LIMIT ?",
            args,
        ).fetchall()
        return [str(r[0]) for r in rows]

    @staticmethod
    def _selective(conn: sqlite3.Connection, terms: list[str]) -> list[str] | tuple[str, ...]:
        """The query terms worth ranking by. BM25's cost is one score per matching row,
        so a term in a large share of a big archive (measured at 446,000 chunks: a term
        in 10% of them costs 67 ms) is left out when rarer terms are there; its idf is
        small anyway. Terms the index does not have match nothing and are left out. If
        every term is that common, they come back as a tuple: search for all of them."""
        marks = ",".join("?" * len(terms))
        df = dict(
            conn.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", terms).fetchall()
        )
        known = sorted((t for t in terms if df.get(t)), key=lambda t: df[t])[:MAX_QUERY_TERMS]
        rows = conn.execute("SELECT max(id) FROM docs").fetchone()[0] or 0  # ~ row count
        cap = max(COMMON_FLOOR, COMMON_SHARE * rows)
        rare = [t for t in known if df[t] <= cap]
        if rare or not known:
            return rare
        if df[known[0]] > max(COMMON_FLOOR, UNINFORMATIVE_SHARE * rows):
            return []
        return tuple(known)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def keyword_index(settings: Settings) -> KeywordIndex:
    """The keyword index beside the ingest manifest (index_dir), for every store kind:
    processes that share an index_dir (and its Chroma server) share it."""
    return KeywordIndex(settings.index_dir / "keywords.sqlite3")
