"""Feeds: an RSS or Atom feed (a file or an http(s) URL) -> one article file per item.

Each item is written into the corpus folder (``feeds/<feed>/<item>.md``) as Markdown
with front matter (title, date, outlet, url, language), so that the ingest, the library
and the citations treat it like any other article and a re-run adds only new items
(an item's file name is a hash of its id). When an item's link answers, its page is
fetched and its main text extracted like a saved ``.html``; otherwise the feed's own
content or summary is the article, and the report says why.

Fetching is guarded: http and https only, a timeout, a size limit, at most five
redirects, each hop checked; loopback, private and link-local addresses are refused
unless ``fetch_private`` is set (a feed must not make newsbot read internal services).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import yaml

from bot.config import Settings
from bot.errors import IngestError
from bot.extract import extract, iso_date

MAX_REDIRECTS = 5
FEEDS_DIR = "feeds"  # under the corpus folder


@dataclass
class FeedReport:
    feed: str  # its title
    added: list[Path] = field(default_factory=list)  # item files written
    known: int = 0  # items already in the corpus
    summaries: list[tuple[str, str]] = field(default_factory=list)  # (item, why no page)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, why not added)

    def summary(self) -> str:
        parts = [f"{len(self.added)} new item(s)", f"{self.known} already in the corpus"]
        if self.summaries:
            parts.append(f"{len(self.summaries)} from the feed's own text (page not fetched)")
        if self.failed:
            parts.append(f"{len(self.failed)} skipped")
        return f"Feed {self.feed!r}: " + ", ".join(parts) + "."


def fetch(url: str, settings: Settings) -> bytes:
    """The body at ``url``, or IngestError saying why not (scheme, address, status,
    timeout, size). Each hop connects to the address that was checked, not to a second
    lookup of the name: a name that resolves public once and private next (DNS
    rebinding) cannot pass the check."""
    limit = int(settings.fetch_max_mb * 1024 * 1024)
    timeout = httpx.Timeout(settings.fetch_timeout_s)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target, headers, ext = _pinned(url, _check_address(url, settings))
            try:
                with client.stream("GET", target, headers=headers, extensions=ext) as resp:
                    if resp.is_redirect and (to := resp.headers.get("location")):
                        url = urljoin(url, to)
                        continue
                    if resp.status_code >= 400:
                        raise IngestError(f"{url}: HTTP {resp.status_code}")
                    body = bytearray()
                    for part in resp.iter_bytes():
                        body += part
                        if len(body) > limit:
                            raise IngestError(
                                f"{url}: larger than {settings.fetch_max_mb:g} MB (fetch_max_mb)"
                            )
                    return bytes(body)
            except httpx.TimeoutException as exc:
                raise IngestError(f"{url}: no answer in {settings.fetch_timeout_s:g} s") from exc
            except httpx.HTTPError as exc:
                raise IngestError(f"{url}: {type(exc).__name__}") from exc
    raise IngestError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _pinned(
    url: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request for ``url`` sent to ``ip``: the name kept in Host and in TLS (SNI and
    the certificate check)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    addr = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = addr + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    shown = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    headers = {"User-Agent": "newsbot", "Host": shown}
    return target, headers, {"sni_hostname": host}


def _check_address(url: str, settings: Settings) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address to fetch ``url`` from; IngestError if its scheme is not http(s) or
    (unless ``fetch_private``) any address of its host is not a public one."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise IngestError(f"{url}: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IngestError(f"{url}: only http and https links are fetched")
    default = 443 if parts.scheme == "https" else 80
    try:
        infos = socket.getaddrinfo(parts.hostname, port or default, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise IngestError(f"{url}: cannot resolve {parts.hostname}") from exc
    ips = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not ips:
        raise IngestError(f"{url}: cannot resolve {parts.hostname}")
    for ip in ips:
        if not ip.is_global and not settings.fetch_private:
            raise IngestError(
                f"{url}: {ip} is a private or local address (set fetch_private to allow)"
            )
    return ips[0]


def add_feed(source: str, settings: Settings) -> FeedReport:
    """Write the feed's new items into the corpus folder; the caller ingests them."""
    import feedparser

    if re.match(r"https?://", source, re.I):
        raw = fetch(source, settings)
    else:
        try:
            raw = Path(source).expanduser().read_bytes()
        except OSError as exc:
            raise IngestError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    parsed: Any = feedparser.parse(raw)
    if not parsed.get("version"):  # feedparser names the format it recognised
        why = _first_line(parsed.get("bozo_exception")) or "no feed element"
        raise IngestError(f"{source}: not an RSS or Atom feed ({why})")
    outlet = " ".join(str(parsed.feed.get("title") or urlsplit(source).hostname or "").split())
    report = FeedReport(outlet or source)
    folder = settings.corpus_dir / FEEDS_DIR / _slug(outlet or source)
    for entry in parsed.entries:
        _add_item(entry, parsed.feed, outlet, folder, settings, report)
    return report


def _add_item(
    entry: Any, feed: Any, outlet: str, folder: Path, settings: Settings, report: FeedReport
) -> None:
    title = " ".join(str(entry.get("title") or "").split())
    link = str(entry.get("link") or "")
    key = str(entry.get("id") or link or title)
    if not key:
        report.failed.append(("(an item)", "no id, link or title"))
        return
    path = folder / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.md"
    if path.exists():
        report.known += 1
        return
    text = ""
    if re.match(r"https?://", link, re.I):
        try:
            page = extract(Path("item.html"), fetch(link, settings))
            text = page.text
        except IngestError as exc:
            report.summaries.append((title or link, str(exc)))
    else:
        report.summaries.append((title or key, "no http(s) link"))
    if not text:
        text = _feed_text(entry)
    if not text.strip():
        report.failed.append((title or key, "no text in the feed or at its link"))
        return
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    front = {
        "title": title,
        "date": iso_date(time.strftime("%Y-%m-%d", when)) if when else "",
        "outlet": outlet,
        "url": link if re.match(r"https?://", link, re.I) else "",
        "language": str(entry.get("language") or feed.get("language") or "")[:2],
    }
    front = {k: v for k, v in front.items() if v}
    folder.mkdir(parents=True, exist_ok=True)
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"---\n{head}---\n\n{text.strip()}\n", "utf-8")
    tmp.replace(path)  # whole or not at all: a killed run leaves no half item
    report.added.append(path)


def _feed_text(entry: Any) -> str:
    """The item's own content (Atom) or summary (RSS), as plain paragraphs."""
    html = ""
    if entry.get("content"):
        html = str(entry["content"][0].get("value") or "")
    html = html or str(entry.get("summary") or "")
    if not html.strip():
        return ""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(f"<div>{html}</div>")
    except ValueError:
        return " ".join(html.split())
    blocks = [" ".join(t.split()) for t in root.itertext()]
    return "\n\n".join(b for b in blocks if b)


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-").lower()[:60]
    return slug or hashlib.sha1(name.encode()).hexdigest()[:12]


def _first_line(exc: object) -> str:
    return str(exc or "").strip().splitlines()[0][:120] if str(exc or "").strip() else ""
