"""Feeds: RSS and Atom items become articles; linked pages are fetched (guarded) from a
local test HTTP server whose items link to a good page, a slow one, a 404 and a huge one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from bot.errors import IngestError
from bot.feeds import add_feed, fetch
from bot.filters import Filter
from bot.service import Newsbot
from tests.conftest import make_settings
from tests.support import formats as F


class Site:
    """Pages by path; ``/slow/...`` answers after 3 s, ``/huge/...`` is 400 KB."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes, str]] = {}
        self.hits: list[str] = []
        self.hosts: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                site.hosts.append(self.headers.get("Host", ""))
                if self.path.startswith("/slow/"):
                    time.sleep(3)
                status, body, kind = site.pages.get(self.path, (404, b"not found", "text/plain"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout, size limit)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
        self.pages[path] = (200, body, kind)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    items = F.items(s.url, 4)
    # 000 is a good page; 001 slow; 002 missing (404); 003 huge.
    items = [
        items[0],
        _relink(items[1], f"{s.url}/slow/001"),
        _relink(items[2], f"{s.url}/gone/002"),
        _relink(items[3], f"{s.url}/huge/003"),
    ]
    s.add("/article/000", F.article_page("000", outlet="Example News").html)
    s.add("/slow/001", F.article_page("001").html)
    s.add("/huge/003", F.article_page("003").html + b"<!--" + b"x" * 400_000 + b"-->")
    s.add("/feed.xml", F.rss(items), "application/rss+xml")
    yield s
    s.server.shutdown()


def _relink(item: F.Item, link: str) -> F.Item:
    return F.Item(item.title, link, item.date, item.summary, item.guid)


def _settings(tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    opts: dict[str, object] = {"fetch_private": True, "fetch_timeout_s": 1, "fetch_max_mb": 0.2}
    return make_settings(tmp_path, **{**opts, **kw})


def _front(path: Path) -> tuple[dict, str]:
    text = path.read_text("utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def test_rss_items_with_pages_slow_missing_huge(tmp_path: Path, site: Site) -> None:
    s = _settings(tmp_path)
    report = add_feed(f"{site.url}/feed.xml", s)
    assert len(report.added) == 4 and report.known == 0 and not report.failed
    why = dict(report.summaries)
    titles = [i.title for i in F.items(site.url, 4)]
    assert "no answer in 1 s" in why[titles[1]]
    assert "HTTP 404" in why[titles[2]]
    assert "larger than 0.2 MB" in why[titles[3]]
    assert titles[0] not in why  # its page was fetched
    by_title = {_front(p)[0]["title"]: p for p in report.added}
    meta, body = _front(by_title[titles[0]])
    assert meta == {
        "title": titles[0],
        "date": "2017-03-01",
        "outlet": "أخبار العراق",
        "url": f"{site.url}/article/000",
        "language": "ar",
    }
    _, paras = F.seed_paragraphs("000")
    assert all(p in body for p in paras), "the whole page's main text, not the summary"
    assert "شارك عبر فيسبوك" not in body
    _, fallback = _front(by_title[titles[2]])
    assert F.seed_paragraphs("002")[1][0] in fallback  # the feed's own summary


def test_rerun_adds_only_new_items(tmp_path: Path, site: Site) -> None:
    s = _settings(tmp_path)
    add_feed(f"{site.url}/feed.xml", s)
    site.hits.clear()
    again = add_feed(f"{site.url}/feed.xml", s)
    assert again.added == [] and again.known == 4
    assert site.hits == ["/feed.xml"], "known items' pages are not fetched again"
    items = F.items(site.url, 5)
    site.add("/feed.xml", F.rss([items[0], items[4]]), "application/rss+xml")
    site.add("/article/004", F.article_page("004").html)
    third = add_feed(f"{site.url}/feed.xml", s)
    assert len(third.added) == 1 and third.known == 1


def test_atom_file(tmp_path: Path) -> None:
    feed = tmp_path / "today.atom"
    feed.write_bytes(F.atom(F.items("urn:x", 2)))  # links that are not http: the feed's text
    report = add_feed(str(feed), _settings(tmp_path))
    assert len(report.added) == 2
    meta, body = _front(report.added[0])
    assert meta["outlet"] == "الموصل اليوم" and "url" not in meta
    assert F.seed_paragraphs("000")[1][0] in body and "<p>" not in body


def test_guards(tmp_path: Path, site: Site) -> None:
    closed = make_settings(tmp_path)  # fetch_private off: the default
    with pytest.raises(IngestError, match="private or local address"):
        add_feed(f"{site.url}/feed.xml", closed)
    with pytest.raises(IngestError, match="only http and https"):
        fetch("file:///etc/passwd", closed)
    not_feed = tmp_path / "not-a-feed.xml"
    not_feed.write_bytes(b"<html><body>hello</body></html>")
    with pytest.raises(IngestError, match="not an RSS or Atom feed"):
        add_feed(str(not_feed), closed)
    with pytest.raises(IngestError, match="cannot read"):
        add_feed(str(tmp_path / "missing.xml"), closed)


def test_redirect_to_private_address_is_refused(tmp_path: Path) -> None:
    """Each hop is checked: a public URL may not bounce newsbot onto 127.0.0.1."""
    from bot.feeds import _check_address

    with pytest.raises(IngestError, match="private or local"):
        _check_address("http://127.0.0.1:9/x", make_settings(tmp_path))
    with pytest.raises(IngestError, match="private or local"):
        _check_address("http://[::1]:9/x", make_settings(tmp_path))
    with pytest.raises(IngestError, match="private or local"):
        _check_address("http://10.0.0.8/x", make_settings(tmp_path))


def test_the_fetch_connects_to_the_address_that_was_checked(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name checked as one address and fetched by a second lookup could
    reach another. The name is looked up once per hop; the request goes to that address
    with the name in Host. (No DNS server here: the one lookup is answered by a stub.)"""
    import socket

    from bot.feeds import fetch as fetch_url

    port = int(site.url.rsplit(":", 1)[1])
    site.add("/page", b"pinned")
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def resolve(host: object, *args: object, **kw: object) -> object:
        if host == "news.example":
            looked_up.append(host)
            if len(looked_up) > 1:  # a second lookup would now give another address
                return real("10.0.0.8", port, proto=socket.IPPROTO_TCP)
            return real("127.0.0.1", port, proto=socket.IPPROTO_TCP)
        return real(host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    opened = make_settings(tmp_path, fetch_private=True)  # the stub's address is loopback
    assert fetch_url(f"http://news.example:{port}/page", opened) == b"pinned"
    assert looked_up == ["news.example"]
    assert site.hosts[-1] == f"news.example:{port}"


def test_feed_through_the_service_is_searchable_by_outlet(tmp_path: Path, site: Site) -> None:
    bot = Newsbot(_settings(tmp_path))
    (tmp_path / "corpus").mkdir()
    _, report = bot.add_feed(f"{site.url}/feed.xml")
    assert report is not None and len(report.added) == 4
    lib = {e.title: e for e in bot.library()}
    first = F.items(site.url, 1)[0]
    assert lib[first.title].outlet == "أخبار العراق"
    assert lib[first.title].date == "2017-03-01"
    res = bot.search("النصر", where=Filter.parse(["outlet=أخبار العراق"], until="2017-03-01"))
    assert res.hits and {h.date for h in res.hits} == {"2017-03-01"}
    assert {h.url for h in res.hits} == {first.link}
