"""The page's tabs, the Library tab and the "search only in" filter, in chromium and
through the gradio API: seeds plus a saved web page (an outlet, a date, a link) and a
PDF bulletin with a sidecar, real embeddings and Chroma, the fake model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import web  # noqa: F401  (first: it sets the telemetry switches before gradio)
from bot.config import Settings
from bot.service import Newsbot
from tests.support import formats as F
from tests.support.chat_server import RunningChat
from tests.support.openai_server import FakeOpenAI
from tests.web.conftest import ask, web_settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:'future.no_silent_downcasting':Warning", "ignore:The copy keyword:Warning"
)
PAGE = "mosul-page.html"
PDF = "bulletin.pdf"
OUTLET = "ميدل إيست أونلاين"


def first_passage(messages: list[dict[str, Any]]) -> str:
    if "Follow-up question:" in messages[-1]["content"]:
        return "Iraqi forces in Mosul"
    return "Iraqi forces fought in Mosul [1]."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    server.responder = first_passage
    server.logprob_of = lambda word, reply: -0.05
    yield server
    server.stop()


@pytest.fixture(scope="module")
def settings(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    s = web_settings(
        fake,
        tmp_path_factory.mktemp("library"),
        fetch_private=True,  # the test feed is served on 127.0.0.1
        request_timeout=5.0,
        answer_glosses=False,
    )
    corpus = s.corpus_dir
    (corpus / PAGE).write_bytes(F.article_page("003", outlet=OUTLET).html)
    t, body = F.seed_paragraphs("004")
    F.shaped_pdf(corpus / PDF, [[t, *F.wrap(body[0])], F.wrap(body[1])])
    (corpus / f"{PDF}.meta.yaml").write_text("outlet: Agency B\ndate: 2016-10-30\n", "utf-8")
    return s


@pytest.fixture(scope="module")
def bot(settings: Settings) -> Iterator[Newsbot]:
    b = Newsbot(settings)
    report = b.ingest([settings.corpus_dir])
    assert len(report.added) == 7 and not report.skipped
    yield b
    b.close()


GRID = "#nb-lib-table [role=grid]"


def _count(page: Any) -> int:
    return int(page.get_attribute(GRID, "aria-rowcount")) - 1  # the header is a row too


def _row(page: Any, name: str) -> str:
    return str(page.locator("#nb-lib-table .virtual-row", has_text=name).first.inner_text())


def test_tabs_and_library_table(page: Any) -> None:
    tabs = page.get_by_role("tab").all_inner_texts()
    assert [t.strip() for t in tabs[:5]] == ["Chat", "Translate", "Summarize", "Brief", "Library"]
    page.get_by_role("tab", name="Library").click()
    page.locator("#nb-lib-table").get_by_text(PAGE).wait_for()
    assert _count(page) == 7
    row = _row(page, PAGE)
    assert OUTLET in row and "2017-03-08" in row and "html" in row
    pdf = _row(page, PDF)
    assert "Agency B" in pdf and "2016-10-30" in pdf and "pdf" in pdf
    # The table's own filter: an outlet.
    page.locator("#nb-lib-outlets input").click()
    page.get_by_role("option", name="Agency B").click()
    page.wait_for_function(f"document.querySelector({GRID!r}).ariaRowCount === '2'")
    assert "1 of 7 articles" in page.inner_text("#nb-lib-count")
    page.fill("#nb-lib-since textarea, #nb-lib-since input", "2017-99-01")
    page.keyboard.press("Tab")
    page.wait_for_function(
        "document.querySelector('#nb-lib-count').innerText.includes('YYYY-MM-DD')"
    )


def test_chat_filter_and_provenance_on_the_card(page: Any) -> None:
    page.locator("#nb-filter").get_by_text("Search only in").click()
    page.locator("#nb-f-outlets input").click()
    page.get_by_role("option", name=OUTLET).click()
    page.keyboard.press("Escape")
    msg = ask(page, "What did Iraqi forces do near the government building in Mosul?")
    refs = msg.locator(".nb-ref").all_inner_texts()
    assert refs and all(PAGE in r for r in refs), refs
    assert OUTLET in refs[0] and "2017-03-08" in refs[0]
    card = page.locator("#nb-sources .nb-card").first
    prov = card.locator(".nb-prov")
    assert OUTLET in prov.inner_text() and "2017-03-08" in prov.inner_text()
    link = prov.locator("a.nb-url")
    assert link.get_attribute("href").startswith("https://news.example.org/")
    assert "noopener" in (link.get_attribute("rel") or "")


def test_remove_updates_every_list(page: Any, bot: Newsbot, settings: Settings) -> None:
    extra = settings.corpus_dir / "extra.md"
    extra.write_text("---\noutlet: Temp\n---\n\nخبر قصير عن الموصل والقوات العراقية.\n", "utf-8")
    bot.ingest([settings.corpus_dir])
    page.reload()
    page.get_by_role("tab", name="Library").click()
    page.locator("#nb-lib-table").get_by_text("extra.md").wait_for()
    page.locator("#nb-remove-pick input").click()
    page.get_by_role("option", name="extra.md").click()
    page.keyboard.press("Escape")
    page.click("#nb-remove")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 removed')"
    )
    page.wait_for_function(f"document.querySelector({GRID!r}).ariaRowCount === '8'")
    assert not extra.exists()
    page.get_by_role("tab", name="Translate").click()
    page.locator("#nb-tr-article input").click()
    options = page.get_by_role("option").all_inner_texts()
    assert PAGE in options and "extra.md" not in options


def test_api_filters(chat: RunningChat, bot: Newsbot) -> None:
    from gradio_client import Client

    client = Client(chat.url, verbose=False)
    hits = client.predict("القوات العراقية", 6, ["Agency B"], [], "", "", api_name="/search")
    assert hits and {h["source"] for h in hits} == {PDF}
    assert {h["page"] for h in hits} <= {1, 2}
    hits = client.predict("القوات العراقية", 6, [], [], "2017-01-01", "", api_name="/search")
    assert {h["source"] for h in hits} == {PAGE}
    answer = client.predict(
        "What did Iraqi forces do in Mosul?", "en", None, [OUTLET], [], "", "", api_name="/ask"
    )
    assert answer["citations"] and {c["source"] for c in answer["citations"]} == {PAGE}
    assert answer["citations"][0]["url"].startswith("https://news.example.org/")
    for c in answer["citations"]:  # into the extracted text the reader is shown
        shown = bot.source(c["source"])
        assert shown is not None and shown.text[c["start"] : c["end"]] == c["quote"]
    lib = client.predict(api_name="/library")
    assert {e["source"]: e["format"] for e in lib}[PDF] == "pdf"
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        client.predict("x", 4, [], [], "soon", "", api_name="/search")


def test_unfiltered_chat_still_uses_everything(bot: Newsbot) -> None:
    sources = {h.source for h in bot.search("القوات العراقية الموصل", 20).hits}
    assert PAGE in sources and len(sources) >= 3
    assert Path(bot.settings.index_dir, "texts").is_dir()  # extracted texts beside the index


def test_upload_pdf_and_add_feed_in_the_library(
    page: Any, settings: Settings, bot: Newsbot, tmp_path: Path
) -> None:
    from tests.test_feeds import Site

    site = Site()
    items = F.items(site.url, 1)
    site.add("/feed.xml", F.rss(items), "application/rss+xml")
    site.add("/article/000", F.article_page("000", outlet="Example").html)
    pdf = F.shaped_pdf(tmp_path / "uploaded.pdf", [["تقرير عن الموصل", *F.wrap(items[0].summary)]])
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#nb-upload input[type=file]", str(pdf))
    page.get_by_text("uploaded.pdf").first.wait_for()
    page.click("#nb-add")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 added')"
    )
    page.locator("#nb-lib-table .virtual-row", has_text="uploaded.pdf").wait_for()
    assert "pdf" in _row(page, "uploaded.pdf")
    page.fill("#nb-feed input, #nb-feed textarea", "/etc/passwd")
    page.click("#nb-feed-go")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('http(s) URL')"
    )
    page.fill("#nb-feed input, #nb-feed textarea", f"{site.url}/feed.xml")
    page.click("#nb-feed-go")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 new item')"
    )
    page.locator("#nb-lib-table .virtual-row", has_text="أخبار العراق").wait_for()
    assert "2017-03-01" in _row(page, "أخبار العراق")
    site.server.shutdown()
    # Keep the module's article count for the other tests.
    for f in (settings.corpus_dir / "uploaded.pdf", *settings.corpus_dir.glob("feeds/*/*.md")):
        f.unlink()
    assert len(bot.ingest().removed) == 2
