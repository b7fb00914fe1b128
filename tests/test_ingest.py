"""Ingest against a real Chroma store with the real multilingual embeddings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot import store as store_module
from bot.corpus import read_article
from bot.ingest import Manifest
from bot.keyword import keyword_index
from bot.service import Newsbot
from tests.conftest import SEEDS, make_settings
from tests.support.process import start_ingest
from tests.support.synthetic import write_articles

SMALL = ["000_16ebf7a5f9e97184.txt", "003_a47adb4170558f8e.txt"]


def small_corpus(tmp: Path) -> Path:
    corpus = tmp / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name in SMALL:
        (corpus / name).write_text((SEEDS / name).read_text("utf-8"), "utf-8")
    return corpus


def chunks_by_source(bot: Newsbot) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = {}
    for c in bot.store.all_chunks():
        m = c.meta
        out.setdefault(str(m["source"]), []).append(
            (int(m["chunk_index"]), int(m["start"]), int(m["end"]))
        )
    return {k: sorted(v) for k, v in out.items()}


def assert_keywords_match_store(bot: Newsbot) -> None:
    """The keyword index holds exactly the store's chunks, by path and by id."""
    kw = keyword_index(bot.settings)
    assert kw.path_counts() == bot.store.path_counts()
    ids = {c.id for c in bot.store.all_chunks()}
    # Each stored chunk is found by its own text, and only stored ids come back.
    for c in bot.store.all_chunks()[:: max(1, len(ids) // 8)]:
        found = kw.top(c.text, 50)
        assert c.id in found and set(found) <= ids


def test_ingest_stores_exact_offsets_and_metadata(seed_index: Path) -> None:
    bot = Newsbot(make_settings(seed_index))
    chunks = bot.store.all_chunks()
    assert {c.meta["source"] for c in chunks} == {p.name for p in SEEDS.glob("*.txt")}
    for c in chunks:
        text = (seed_index / "corpus" / str(c.meta["source"])).read_text("utf-8")
        assert text[int(c.meta["start"]) : int(c.meta["end"])] == c.text
        assert c.meta["title"] == text.splitlines()[0].strip()[:300]
        assert c.meta["chunk_id"] == f"{c.meta['source']}#{c.meta['chunk_index']}"
    assert bot.stats() == {"articles": 5, "chunks": len(chunks)}


def test_rerun_with_nothing_changed_embeds_nothing(seed_index: Path) -> None:
    bot = Newsbot(make_settings(seed_index))
    before = bot.store.count()
    report = bot.ingest()
    assert not report.changed and report.chunks_added == 0
    assert len(report.unchanged) == 5
    assert report.summary().startswith("Nothing changed")
    assert bot.store.count() == before


def test_changed_file_replaced_and_deleted_file_removed(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    bot = Newsbot(make_settings(tmp_path))
    bot.ingest()
    first = chunks_by_source(bot)

    changed = corpus / SMALL[0]
    changed.write_text("خبر قصير جديد عن الموصل.\n\nانتهى الخبر.", "utf-8")
    report = bot.ingest()
    assert report.updated == [SMALL[0]] and report.unchanged == [SMALL[1]]
    after = chunks_by_source(bot)
    assert len(after[SMALL[0]]) == 1, "old chunks of the changed file are gone"
    assert after[SMALL[1]] == first[SMALL[1]]
    hits = bot.search("خبر قصير جديد عن الموصل").hits
    assert hits[0].source == SMALL[0] and hits[0].text.startswith("خبر قصير جديد")

    (corpus / SMALL[1]).unlink()
    report = bot.ingest()
    assert report.removed == [SMALL[1]] and report.chunks_removed == len(first[SMALL[1]])
    assert set(chunks_by_source(bot)) == {SMALL[0]}
    assert all(h.source == SMALL[0] for h in bot.search("الموصل").hits)
    assert_keywords_match_store(bot)


def test_a_lost_keyword_index_is_refilled_from_the_store_without_embedding(
    tmp_path: Path,
) -> None:
    small_corpus(tmp_path)
    bot = Newsbot(make_settings(tmp_path))
    bot.ingest()
    query = "كم عدد قتلى الجيش العراقي في قرية النصر"
    before = [h.chunk_id for h in bot.search(query).hits]
    bot.retriever.keywords.close()
    # Lost, or an index made before the keyword file existed.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{bot.retriever.keywords.path}{suffix}").unlink(missing_ok=True)
    report = bot.ingest()
    assert not report.changed and report.chunks_added == 0
    assert_keywords_match_store(bot)
    assert [h.chunk_id for h in bot.search(query).hits] == before


def test_bad_files_are_reported_and_the_rest_goes_in(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    (corpus / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") * 10)
    (corpus / "empty.md").write_text("  \n", "utf-8")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (corpus / "broken.pdf").write_bytes(b"%PDF")
    (corpus / "ignored.docx").write_bytes(b"PK\x03\x04")
    bot = Newsbot(make_settings(tmp_path))
    report = bot.ingest()
    reasons = dict(report.skipped)
    assert sorted(report.added) == sorted(SMALL)
    assert "not valid UTF-8" in reasons["latin1.txt"]
    assert reasons["empty.md"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert reasons["broken.pdf"].startswith("broken PDF")
    assert "ignored.docx" not in reasons, "folders only pick the article formats"
    explicit = bot.ingest([corpus / "ignored.docx"], prune=False)
    assert "not an article file" in dict(explicit.skipped)[str(corpus / "ignored.docx")]


def test_read_article_strips_bom_and_takes_title(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes("\ufeff\n  العنوان هنا  \nالنص".encode())
    art = read_article(f)
    assert art.text.startswith("\n") and art.title == "العنوان هنا"


def test_killed_ingest_leaves_no_duplicates_and_no_gaps(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        for f in SEEDS.glob("*.txt"):
            (corpus / f"{i}_{f.name}").write_text(f.read_text("utf-8"), "utf-8")
    index = tmp_path / "index"
    env = {**os.environ, "NEWSBOT_INDEX_DIR": str(index)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(corpus)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    manifest = index / "manifest.json"
    deadline = time.monotonic() + 120
    # Kill once at least one file is done and another is half-way (marked pending).
    while time.monotonic() < deadline:
        try:
            files = json.loads(manifest.read_text())["files"].values()
        except (OSError, ValueError, KeyError):
            files = []
        done = sum(1 for f in files if not f.get("pending"))
        if done >= 2 and any(f.get("pending") for f in files):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < 15, "the ingest was killed mid-way"

    bot = Newsbot(make_settings(tmp_path, corpus_dir=corpus))
    report = bot.ingest()
    assert len(report.added) + len(report.unchanged) == 15
    ids = [c.id for c in bot.store.all_chunks()]
    assert len(ids) == len(set(ids)), "no duplicate chunks"
    per_source = chunks_by_source(bot)
    assert len(per_source) == 15
    # Every copy of an article has exactly the chunks a clean ingest gives it.
    for name in (f.name for f in SEEDS.glob("*.txt")):
        layouts = {tuple(per_source[f"{i}_{name}"]) for i in range(3)}
        assert len(layouts) == 1, f"copies of {name} differ: a gap or a leftover"
        indices = [c[0] for c in next(iter(layouts))]
        assert indices == list(range(len(indices))), "chunk indices are contiguous"
    assert bot.ingest().summary().startswith("Nothing changed")
    assert_keywords_match_store(bot)


def test_links_out_of_the_corpus_and_odd_names_are_refused(tmp_path: Path) -> None:
    """A symlink to a file outside the corpus folder was searchable (and survived deleting
    the link); a U+202E or newline in a name made it read as another name, or 404."""
    corpus = small_corpus(tmp_path)
    outside = tmp_path / "private" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("كلمة السر السرية للخادم في الموصل.\n", "utf-8")
    (corpus / "linked.txt").symlink_to(outside)
    (corpus / "inside.txt").symlink_to(corpus / SMALL[0])  # a link that stays inside is fine
    (corpus / "report\u202etxt.exe.md").write_text("خبر عن الموصل.\n", "utf-8")
    (corpus / "two\nlines.txt").write_text("خبر عن الموصل.\n", "utf-8")
    bot = Newsbot(make_settings(tmp_path))
    report = bot.ingest()
    reasons = dict(report.skipped)
    assert reasons["linked.txt"] == "a link to a file outside the folder"
    assert "U+202E" in reasons["report\\u202etxt.exe.md"]
    assert "U+000A" in reasons["two\\nlines.txt"]
    assert "inside.txt" in report.added
    assert all("كلمة السر" not in h.text for h in bot.search("كلمة السر السرية").hits)


def test_a_searching_process_sees_another_process_ingest_once_it_finishes(
    tmp_path: Path,
) -> None:
    """One process ingests (the CLI), this one searches the same index meanwhile: no
    rebuild, and the new articles' keyword rows and vectors are found once it is done."""
    corpus = tmp_path / "corpus"
    arts = write_articles(corpus, 8, sentences=(2, 3), disjoint=True)
    held = tmp_path / "held"
    held.mkdir()
    for a in arts[2:]:
        a.rename(held / a.name)
    bot = Newsbot(make_settings(tmp_path))
    bot.ingest()
    assert (
        bot.search(arts[0].read_text("utf-8").split("\n", 1)[0], 1).hits[0].source == arts[0].name
    )
    for a in arts[2:]:
        (held / a.name).rename(a)
    proc = start_ingest(corpus, index_dir=str(bot.settings.index_dir))
    while proc.poll() is None:
        assert bot.search("الموصل", 4).hits  # searching goes on while it writes
        time.sleep(0.1)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "6 added" in out
    for a in arts[2:]:
        query = a.read_text("utf-8").split("\n", 1)[0]
        assert keyword_index(bot.settings).top(query, 50), "keyword rows of the new article"
        assert bot.search(query, 1).hits[0].source == a.name
    assert_keywords_match_store(bot)


def test_whole_collection_reads_go_page_by_page(tmp_path: Path, monkeypatch) -> None:
    """A server refuses one read of a large archive ("too many SQL variables" at 89,000
    chunks): the ingest's reconcile and full reads page through it instead."""
    small_corpus(tmp_path)
    bot = Newsbot(make_settings(tmp_path))
    bot.ingest()
    whole = bot.store.path_counts()
    ids = [c.id for c in bot.store.all_chunks()]
    monkeypatch.setattr(store_module, "PAGE", 7)
    assert sum(whole.values()) > 2 * 7
    assert bot.store.path_counts() == whole
    assert [c.id for c in bot.store.all_chunks()] == ids
    assert bot.ingest().summary().startswith("Nothing changed")


def test_totals_check_then_verify_file_by_file(tmp_path: Path) -> None:
    """An ingest checks the store by its totals (two counts, not every chunk's metadata);
    chunks lost from the store change the total and are redone; a per-file mismatch with
    equal totals is what --verify is for."""
    corpus = small_corpus(tmp_path)
    bot = Newsbot(make_settings(tmp_path))
    bot.ingest()
    a, b = (str((corpus / n).resolve()) for n in SMALL)
    bot.store.delete_paths([a])  # lost from the store (a server restored from backup)
    again = bot.ingest()
    assert again.updated == [SMALL[0]] and again.chunks_added > 0
    assert_keywords_match_store(bot)
    manifest = Manifest(bot.settings.index_dir / "manifest.json")
    manifest.files[a]["chunks"] += 1  # equal totals, wrong per file
    manifest.files[b]["chunks"] -= 1
    manifest.save()
    assert not bot.ingest().changed, "the totals agree: no per-file read"
    checked = bot.ingest(verify=True)
    assert sorted(checked.updated) == sorted(SMALL)
    assert bot.ingest(verify=True).summary().startswith("Nothing changed")
    assert_keywords_match_store(bot)
