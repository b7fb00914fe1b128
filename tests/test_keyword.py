"""The persistent keyword index (SQLite FTS5): ranking, writes, and its file's faults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rank_bm25 import BM25Okapi

from bot import keyword
from bot.arabic import search_terms
from bot.errors import StoreError
from bot.keyword import KeywordIndex
from tests.support.synthetic import seed_sentences

ROWS = [
    ("a-0", "/c/a.txt", "قتلت القوات العراقية 48 مسلحا من تنظيم الدولة في كركوك"),
    ("a-1", "/c/a.txt", "وأصيب 133 شخصا في اشتباكات كركوك"),
    ("b-0", "/c/b.txt", "دخلت القوات العراقية مدينة الموصل القديمة"),
    ("b-1", "/c/b.txt", "أعلن رئيس الوزراء حيدر العبادي النصر في الموصل"),
]


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    kw = KeywordIndex(tmp_path / "keywords.sqlite3")
    kw.replace(["/c/a.txt", "/c/b.txt"], ROWS)
    return kw


def test_ranks_by_bm25_over_normalised_stemmed_terms(index: KeywordIndex) -> None:
    # Different surface forms (hamza, definite article) of the indexed words.
    assert index.top("اشتباكات في كركوك", 5)[0] == "a-1"
    assert index.top("العبادي يعلن", 5)[0] == "b-1"
    assert set(index.top("موصل", 5)) == {"b-0", "b-1"}
    assert index.top("كلمات لا توجد", 5) == []
    assert index.top("", 5) == []
    assert index.top('"; DROP TABLE docs; --', 5) == []  # quoted as data, not syntax
    assert index.count() == 4


def test_same_ranking_as_in_memory_bm25_on_seed_sentences(tmp_path: Path) -> None:
    """The engine changed, not the method: the top result agrees with rank-bm25's on
    most queries (the two differ only in k1 and in how negative idf is floored)."""
    sents = seed_sentences()[:300]
    kw = KeywordIndex(tmp_path / "k.sqlite3")
    kw.replace(["/p"], [(f"s{i}", "/p", s) for i, s in enumerate(sents)])
    bm25 = BM25Okapi([search_terms(s) for s in sents])
    queries = [" ".join(s.split()[2:7]) for s in sents[::10]]
    agree = 0
    for q in queries:
        scores = bm25.get_scores(list(dict.fromkeys(search_terms(q))))
        agree += kw.top(q, 1) == [f"s{int(scores.argmax())}"]
    assert agree >= 0.9 * len(queries)


def test_replace_is_per_path_and_delete_removes(index: KeywordIndex) -> None:
    index.replace(["/c/a.txt"], [("a-0", "/c/a.txt", "نص جديد عن الفلوجة")])
    assert index.path_counts() == {"/c/a.txt": 1, "/c/b.txt": 2}
    assert index.top("كركوك", 5) == []
    assert index.top("الفلوجة", 5) == ["a-0"]
    index.delete_paths(["/c/b.txt"])
    assert index.path_counts() == {"/c/a.txt": 1}
    assert index.top("الموصل", 5) == []


def test_a_failed_write_changes_nothing(index: KeywordIndex) -> None:
    # The same chunk id twice violates the key: the whole replacement is rolled back.
    with pytest.raises(StoreError, match="keyword index"):
        index.replace(["/c/a.txt"], [("x", "/c/a.txt", "أ"), ("x", "/c/a.txt", "ب")])
    assert index.path_counts() == {"/c/a.txt": 2, "/c/b.txt": 2}


def test_searching_a_missing_index_creates_nothing(tmp_path: Path) -> None:
    kw = KeywordIndex(tmp_path / "none" / "keywords.sqlite3")
    assert kw.top("الموصل", 5) == [] and kw.path_counts() == {}
    assert not (tmp_path / "none").exists()


def test_long_query_keeps_its_rarest_terms(index: KeywordIndex, monkeypatch) -> None:
    monkeypatch.setattr(keyword, "MAX_QUERY_TERMS", 2)
    # Common words first; the two rare ones (one row each) are what is searched.
    assert index.top("القوات العراقية الموصل العبادي النصر", 5) == ["b-1"]


def test_an_index_of_another_version_is_emptied_on_write(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "k.sqlite3"
    KeywordIndex(path).replace(["/c/a.txt"], ROWS[:2])
    monkeypatch.setattr(keyword, "VERSION", keyword.VERSION + 1)
    kw = KeywordIndex(path)
    assert kw.path_counts() == {}  # the ingest then refills it from the store


def test_a_corrupt_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="newsbot ingest"):
        KeywordIndex(path).top("الموصل", 5)


def test_readers_see_a_writers_transaction_only_once_it_commits(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    writer, reader = KeywordIndex(path), KeywordIndex(path)
    writer.replace(["/c/a.txt"], ROWS[:2])
    assert reader.top("كركوك", 5)
    raw = sqlite3.connect(path)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("DELETE FROM docs")
    assert reader.count() == 2  # WAL: the open write is invisible and does not block
    raw.rollback()
    raw.close()


def test_in_a_big_index_common_terms_give_way_to_rare_ones(index: KeywordIndex, monkeypatch):
    """Scaled down: with 4 rows, "common" is more than one row."""
    monkeypatch.setattr(keyword, "COMMON_FLOOR", 1)
    monkeypatch.setattr(keyword, "COMMON_SHARE", 0.25)
    monkeypatch.setattr(keyword, "UNINFORMATIVE_SHARE", 0.6)
    # القوات العراقية are in two rows each; كركوك too; 48 in one: only 48 is ranked by.
    assert index.top("القوات العراقية 48 كركوك", 5) == ["a-0"]
    # Every term common: rows holding all of them (b-0, b-1 both have الموصل; only b-0
    # has القوات too), then, too few for n, any of them.
    assert index.top("القوات الموصل", 1) == ["b-0"]
    assert set(index.top("القوات الموصل", 5)) == {"a-0", "b-0", "b-1"}


def test_a_query_of_terms_in_most_rows_has_no_keyword_candidates(index, monkeypatch) -> None:
    monkeypatch.setattr(keyword, "COMMON_FLOOR", 1)
    monkeypatch.setattr(keyword, "COMMON_SHARE", 0.25)
    # الموصل is in 2 of the 4 rows: above a 0.4 share nothing is ranked by it...
    monkeypatch.setattr(keyword, "UNINFORMATIVE_SHARE", 0.4)
    assert index.top("الموصل", 5) == []
    # ...below it, it is.
    monkeypatch.setattr(keyword, "UNINFORMATIVE_SHARE", 0.6)
    assert set(index.top("الموصل", 5)) == {"b-0", "b-1"}
