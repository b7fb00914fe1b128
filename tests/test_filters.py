"""Search filters: parsing, the Chroma ``where`` and the manifest side agreeing, and
filtered retrieval on a real index of seeds plus dated, outlet-tagged articles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.filters import Filter
from bot.service import Newsbot
from tests.conftest import copy_seeds, make_settings
from tests.support import formats as F


def test_parse_and_describe() -> None:
    f = Filter.parse(["outlet=Al Jazeera", "outlet=Reuters", "format=PDF"], "2017-01-01", "")
    assert f.outlets == ("Al Jazeera", "Reuters") and f.formats == ("pdf",)
    assert f.describe() == "outlet: Al Jazeera, Reuters; format: pdf; since 2017-01-01"
    assert not Filter.parse().active
    for bad in (["outlet"], ["colour=red"], ["outlet="]):
        with pytest.raises(InputError, match="KEY=VALUE"):
            Filter.parse(bad)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        Filter.parse(since="last week")
    with pytest.raises(InputError, match="after"):
        Filter.parse(since="2017-05-01", until="2017-01-01")


def test_where_and_matches_agree() -> None:
    f = Filter.parse(["outlet=A"], since="2017-01-01", until="2017-12-31")
    assert f.chroma_where() == {
        "$and": [
            {"outlet": {"$in": ["A"]}},
            {"date_num": {"$gte": 20170101}},
            {"date_num": {"$lte": 20171231}},
        ]
    }
    assert f.matches({"outlet": "A", "date": "2017-06-01"})
    assert not f.matches({"outlet": "A", "date": "2018-01-01"})
    assert not f.matches({"outlet": "A", "date": ""}), "undated: not shown to be in range"
    assert not f.matches({"outlet": "B", "date": "2017-06-01"})
    assert Filter.parse(files=["x.txt"]).chroma_where() == {"source": {"$in": ["x.txt"]}}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Newsbot:
    tmp = tmp_path_factory.mktemp("mixed")
    corpus = copy_seeds(tmp / "corpus")
    (corpus / "page.html").write_bytes(F.article_page("003", outlet="Outlet A").html)
    t, body = F.seed_paragraphs("004")
    F.shaped_pdf(corpus / "bulletin.pdf", [[t, *F.wrap(body[0])], F.wrap(body[1])])
    (corpus / "bulletin.pdf.meta.yaml").write_text("outlet: Agency B\ndate: 2016-10-30\n")
    bot = Newsbot(make_settings(tmp))
    report = bot.ingest()
    assert len(report.added) == 7 and not report.skipped
    return bot


@pytest.mark.parametrize(
    ("filt", "allowed"),
    [
        (Filter.parse(["outlet=Outlet A"]), {"page.html"}),
        (Filter.parse(since="2017-01-01"), {"page.html"}),
        (Filter.parse(until="2016-12-31"), {"bulletin.pdf"}),
        (Filter.parse(["format=pdf"]), {"bulletin.pdf"}),
        (Filter.parse(files=["000_16ebf7a5f9e97184.txt"]), {"000_16ebf7a5f9e97184.txt"}),
    ],
    ids=["outlet", "since", "until", "format", "files"],
)
def test_filtered_search_both_sides(mixed: Newsbot, filt: Filter, allowed: set[str]) -> None:
    for query in ("الموصل القوات العراقية", "Iraqi forces in Mosul"):  # keyword + dense sides
        hits = mixed.search(query, 6, filt).hits
        assert hits and {h.source for h in hits} <= allowed, query
    unfiltered = {h.source for h in mixed.search("الموصل القوات العراقية", 20).hits}
    assert len(unfiltered) > 1


def test_filter_that_matches_nothing(mixed: Newsbot) -> None:
    res = mixed.search("الموصل", 4, Filter.parse(["outlet=Nobody"]))
    assert res.hits == [] and not res.covered


def test_offsets_index_the_shown_text(mixed: Newsbot) -> None:
    """For every format, text[start:end] of a hit is its quote in the text readers see."""
    for name in ("page.html", "bulletin.pdf", "000_16ebf7a5f9e97184.txt"):
        hits = mixed.search("القوات", 10, Filter.parse(files=[name])).hits
        shown = mixed.source(name)
        assert shown is not None and hits
        for h in hits:
            assert shown.text[h.start : h.end] == h.text
    pdf_hits = mixed.search("قره قوش", 10, Filter.parse(files=["bulletin.pdf"])).hits
    assert {h.page for h in pdf_hits} <= {1, 2} and any(h.page == 2 for h in pdf_hits)
    page = mixed.source("page.html")
    assert page is not None and page.meta.outlet == "Outlet A" and page.meta.date == "2017-03-08"


def _newsbot(args: list[str], bot: Newsbot) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {"NEWSBOT_INDEX_DIR": str(bot.settings.index_dir),
            "NEWSBOT_CORPUS_DIR": str(bot.settings.corpus_dir)}  # fmt: skip
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=300)


def test_cli_where_since_files(mixed: Newsbot) -> None:
    run = _newsbot(["search", "الموصل", "--json", "--where", "outlet=Agency B"], mixed)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert results and {r["source"] for r in results} == {"bulletin.pdf"}
    assert all(r["outlet"] == "Agency B" and r["date"] == "2016-10-30" for r in results)
    assert all(r["page"] in (1, 2) for r in results)
    run = _newsbot(["search", "الموصل", "--json", "--files", "page.html", "--since", "2017-03-08"],
                   mixed)  # fmt: skip
    assert {r["source"] for r in json.loads(run.stdout)["results"]} == {"page.html"}
    bad = _newsbot(["search", "الموصل", "--since", "2017-99-01"], mixed)
    assert bad.returncode != 0 and "--since takes a date" in bad.stderr
    lib = _newsbot(["library", "--json"], mixed)
    entries = {e["source"]: e for e in json.loads(lib.stdout)}
    assert entries["bulletin.pdf"]["format"] == "pdf"
    assert entries["page.html"]["outlet"] == "Outlet A"
    assert entries["000_16ebf7a5f9e97184.txt"]["format"] == "text"
