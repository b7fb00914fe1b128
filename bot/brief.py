"""English briefings over many articles, every statement checked and cited.

Everything is picked from the articles first, without the model: key developments
(central sentences, or those closest to ``topic``, by MMR), a timeline (sentences
with a date, a weekday or "yesterday", resolved against the article's own date when
it has one), figures (sentences with numbers), actors (glossary forces, people and
organisations, counted per file) and disagreements (a sentence with a denial or
conflict cue -- نفى، تضاربت ... -- paired with the most similar claim in any article).
Then each picked sentence is condensed into one English statement
(prompts/summarize.yaml, cached per sentence), checked for numbers and meaning
against its sentence, and dropped with a count when it fails.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.arabic import detect_language, normalize
from bot.checks import CheckReport, figures
from bot.config import Settings
from bot.dates import When, article_date, when
from bot.embed import Embedder
from bot.errors import NewsbotError
from bot.glossary import ACTOR_KINDS
from bot.llm import ChatGateway, describe_model
from bot.summarize import (
    LEAD_BONUS,
    Bullet,
    Span,
    candidate_spans,
    check_bullets,
    held_back_line,
    rank,
    uncertain_markdown,
    write_bullets,
)
from bot.writer import Progress, SentenceWriter, md_escape

# A denial/contradiction cue in a sentence (normalised words, optional و/ف prefix).
_CUES = re.compile(
    r"(?<!\w)[وف]?(نفي|نفت|ينفي|تنفي|نفوا|ينفون|تضاربت|تضارب|كذب|كذبت|شكك|تناقض|خلافا)(?!\w)"
)
BODY_CSS = (
    ".cite{color:#555;font-size:.85em}details{font-size:.9em}p[dir=rtl]{text-align:right}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem;"
    "vertical-align:top}"
)
# Cosine a claim needs with a denial to be shown as the claim it contradicts.
PAIR_FLOOR = 0.85


@dataclass
class Actor:
    name: str
    kind: str
    sources: dict[str, int]  # file -> mentions


@dataclass
class Disagreement:
    claim: Bullet
    counter: Bullet


@dataclass
class Briefing:
    topic: str
    model: str
    sources: list[tuple[str, str, str]]  # (file, title, date or "")
    headline: list[Bullet]
    developments: list[Bullet]
    timeline: list[tuple[When, Bullet]]
    actors: list[Actor]
    figures: list[Bullet]
    disagreements: list[Disagreement]
    dropped: list[Bullet]
    checks: CheckReport
    uncertain: list[Bullet] = field(default_factory=list)  # below confidence_floor

    def as_json(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "model": self.model,
            "sources": [{"file": f, "title": t, "date": d} for f, t, d in self.sources],
            "headline": [b.as_json() for b in self.headline],
            "developments": [b.as_json() for b in self.developments],
            "timeline": [{"when": w.label, **b.as_json()} for w, b in self.timeline],
            "actors": [a.__dict__ for a in self.actors],
            "figures": [b.as_json() for b in self.figures],
            "disagreements": [
                {"claim": d.claim.as_json(), "counter": d.counter.as_json()}
                for d in self.disagreements
            ],
            "uncertain": [b.as_json() for b in self.uncertain],
            "dropped": [b.as_json() for b in self.dropped],
            "checks": self.checks.as_json(),
        }

    def markdown(self) -> str:
        title = self.topic or "all articles"
        out = [
            f"# Briefing: {_md(title)}",
            "",
            f"_From {len(self.sources)} article(s); written by {self.model}. "
            "Every statement cites its file and sentence (s1 = first sentence). "
            f"{held_back_line(self.uncertain, self.dropped)}_",
            "",
            "## Headline",
            "",
            " ".join(f"{_md(b.text)} {cite(b)}" for b in self.headline) or "_(nothing passed)_",
            "",
            "## Key developments",
            "",
            *(f"- {_md(b.text)} {cite(b)}" for b in self.developments),
            "",
            "## Timeline",
            "",
            *(f"- **{w.label}**: {_md(b.text)} {cite(b)}" for w, b in self.timeline),
            "",
            "## Actors",
            "",
            *(
                f"- **{_md(a.name)}** ({a.kind.rstrip('s')}): "
                + ", ".join(f"{f} ×{n}" for f, n in a.sources.items())
                for a in self.actors
            ),
            "",
            "## Figures",
            "",
            *(f"- **{', '.join(_nums(b))}**: {_md(b.text)} {cite(b)}" for b in self.figures),
            "",
            "## Where sources disagree",
            "",
        ]
        if not self.disagreements:
            out.append("_No contradicting reports found._")
        for d in self.disagreements:
            out += [
                f"- **Report:** {_marked_md(d.claim)} {cite(d.claim)}",
                f"  **Counter-report:** {_marked_md(d.counter)} {cite(d.counter)}",
            ]
        out += uncertain_markdown(self.uncertain, cite)
        out += ["", "## Sources", ""]
        out += [f"- {f}: {_md(t)}" + (f" ({d})" if d else "") for f, t, d in self.sources]
        out += [
            "",
            "## Checks",
            "",
            self.checks.line() + ".",
            held_back_line(self.uncertain, self.dropped),
        ]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        """A self-contained page (inline style, no scripts, nothing fetched)."""
        e = html.escape
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Briefing: {e(self.topic or 'all articles')}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
            "padding:0 1rem;line-height:1.5}"
            + BODY_CSS
            + "</style></head><body>"
            + self.html_body()
            + "</body></html>"
        )

    def html_body(self) -> str:
        """The briefing as escaped HTML, for the page and the web chat's Brief tab."""
        e = html.escape

        def item(b: Bullet, lead: str = "") -> str:
            quotes = "".join(f'<p dir="rtl" lang="ar">{e(c.text)}</p>' for c in b.cites)
            return (
                f"<li>{lead}{e(b.text)} <span class='cite'>{e(cite(b))}</span>"
                f"<details><summary>Arabic source</summary>{quotes}</details></li>"
            )

        parts = [
            f"<h1>Briefing: {e(self.topic or 'all articles')}</h1>",
            f"<p><em>From {len(self.sources)} article(s); written by {e(self.model)}. "
            "Every statement cites its file and sentence. "
            f"{e(held_back_line(self.uncertain, self.dropped))}</em></p>",
            "<h2>Headline</h2><ul>",
            *(item(b) for b in self.headline),
            "</ul><h2>Key developments</h2><ul>",
            *(item(b) for b in self.developments),
            "</ul><h2>Timeline</h2><ul>",
            *(item(b, f"<strong>{e(w.label)}</strong>: ") for w, b in self.timeline),
            "</ul><h2>Actors</h2><ul>",
            *(
                f"<li><strong>{e(a.name)}</strong> ({e(a.kind.rstrip('s'))}): "
                + e(", ".join(f"{f} ×{n}" for f, n in a.sources.items()))
                + "</li>"
                for a in self.actors
            ),
            "</ul><h2>Figures</h2><ul>",
            *(item(b, f"<strong>{e(', '.join(_nums(b)))}</strong>: ") for b in self.figures),
            "</ul><h2>Where sources disagree</h2>",
        ]
        if self.disagreements:
            parts.append("<table><tr><th>Report</th><th>Counter-report</th></tr>")
            for d in self.disagreements:
                claim, counter = (
                    item(b, f"⚠ <em>{e(b.marked)}</em>: " if b.marked else "").replace(
                        "<details>", "<details open>" if b.marked else "<details>"
                    )
                    for b in (d.claim, d.counter)
                )
                parts.append(f"<tr><td><ul>{claim}</ul></td><td><ul>{counter}</ul></td></tr>")
            parts.append("</table>")
        else:
            parts.append("<p><em>No contradicting reports found.</em></p>")
        if self.uncertain:
            parts.append(
                "<h2>Uncertain (may be wrong: check the Arabic)</h2><ul class='uncertain'>"
            )
            parts += [
                item(b, f"⚠ <em>uncertain (confidence {b.confidence or 0:.2f})</em>: ").replace(
                    "<details>", "<details open>"
                )
                for b in self.uncertain
            ]
            parts.append("</ul>")
        parts.append("<h2>Sources</h2><ul>")
        parts += [
            f"<li>{e(f)}: <span dir='rtl' lang='ar'>{e(t)}</span>{e(f' ({d})' if d else '')}</li>"
            for f, t, d in self.sources
        ]
        parts.append(f"</ul><h2>Checks</h2><p>{e(self.checks.line())}.")
        parts.append(f" {e(held_back_line(self.uncertain, self.dropped))}</p>")
        return "\n".join(parts)


def _marked_md(b: Bullet) -> str:
    """A statement, or, when it is not stated as fact, its mark and its Arabic."""
    if not b.marked:
        return _md(b.text)
    arabic = " ".join(c.text for c in b.cites)
    return f"⚠ ({b.marked}) {_md(b.text)} — Arabic: {_md(arabic)}"


def cite(b: Bullet) -> str:
    return "[" + "; ".join(f"{c.source} s{c.index + 1}" for c in b.cites) + "]"


def _md(text: str) -> str:
    return md_escape(text)


def _nums(b: Bullet) -> list[str]:
    return list(dict.fromkeys(f.text for f in figures(b.text))) or ["-"]


def _is_figure(text: str) -> bool:
    """Has a number that is not just a year."""
    return any(not (1900 <= f.value <= 2100 and f.value == int(f.value)) for f in figures(text))


def brief(
    articles: Sequence[tuple[str, str]],
    *,
    settings: Settings,
    embedder: Embedder,
    gateway: Callable[[], ChatGateway],
    topic: str = "",
    progress: Progress | None = None,
    writer: SentenceWriter | None = None,
    published: Mapping[str, str] | None = None,
) -> Briefing:
    """A briefing over ``articles`` ((file, text) pairs), optionally focused on ``topic``.
    ``published``: file -> its publication date (yyyy-mm-dd, from the page, the feed or
    front matter), which relative dates ("yesterday", "on Monday") resolve against
    before any date the text states."""
    if not articles:
        raise NewsbotError("no articles to brief on")
    writer = writer or SentenceWriter(settings, gateway, "summarize")
    n_items = settings.brief_items
    spans, prior, dates = _candidates(articles, published or {})
    sub, subv, subp, query = _focus(spans, prior, topic, settings, embedder)

    developments = [sub[i] for i in rank(subv, n_items, prior=subp, query=query)]
    order = rank(subv, len(sub), prior=subp, query=query)  # everything, by importance
    dated = [(sub[i], when(sub[i].text, dates[sub[i].source])) for i in order]
    timeline = [(s, w) for s, w in dated if w is not None][:n_items]
    timeline.sort(key=lambda sw: (sw[1].key[0] or 9999, sw[1].key[1], sw[1].key[2]))
    figure_spans = [sub[i] for i in order if _is_figure(sub[i].text)][:n_items]
    pairs = _disagreements(sub, subv)

    # Write each distinct sentence once; every section reuses the checked statement.
    needed = list(
        dict.fromkeys(
            [
                *developments,
                *(s for s, _ in timeline),
                *figure_spans,
                *(x for p in pairs for x in p),
            ]
        )
    )
    kept, dropped, unsure, report = _write(needed, writer, embedder, settings, progress)

    def ok_of(s: Span) -> Bullet | None:
        return next((b for b in kept if b.cites[0] == s), None)

    def any_of(s: Span) -> Bullet | None:
        # A disagreement is surfaced even when one side's English is not trusted: that
        # side is shown marked, with its Arabic (a missed denial misleads more).
        return next((b for b in (*kept, *unsure, *dropped) if b.cites[0] == s), None)

    dev_b = [b for b in (ok_of(s) for s in developments) if b]
    return Briefing(
        topic=topic.strip(),
        model=describe_model(settings),
        sources=[
            (src, _title(text), d.isoformat() if (d := dates[src]) else "")
            for src, text in articles
        ],
        headline=dev_b[:2],
        developments=dev_b[2:],
        timeline=[(w, tb) for s, w in timeline if (tb := ok_of(s))],
        actors=_actors(articles, writer),
        figures=[b for b in (ok_of(s) for s in figure_spans) if b],
        disagreements=[
            Disagreement(ca, cb) for a, b in pairs if (ca := any_of(a)) and (cb := any_of(b))
        ],
        dropped=dropped,
        checks=report,
        uncertain=unsure,
    )


def _candidates(
    articles: Sequence[tuple[str, str]], published: Mapping[str, str]
) -> tuple[list[Span], list[float], dict[str, dt.date | None]]:
    """Every article's candidate sentences, a lead prior for each, and article dates."""
    spans: list[Span] = []
    prior: list[float] = []
    dates: dict[str, dt.date | None] = {}
    for source, text in articles:
        day = published.get(source, "")
        dates[source] = dt.date.fromisoformat(day) if day else article_date(text)
        own = candidate_spans(text)
        for j, s in enumerate(own):
            spans.append(Span(s.index, s.start, s.end, s.text, source))
            prior.append(LEAD_BONUS * (1 - j / max(1, len(own))))
    if not spans:
        raise NewsbotError("the articles have no Arabic sentences to brief on")
    return spans, prior, dates


def _focus(
    spans: list[Span], prior: list[float], topic: str, settings: Settings, embedder: Embedder
) -> tuple[list[Span], np.ndarray, list[float], np.ndarray | None]:
    """The sentences (vectors, priors) the briefing draws on: all, or those on ``topic``."""
    vecs = embedder.embed_passages([s.text for s in spans])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    if not topic.strip():
        return spans, vecs, prior, None
    query = embedder.embed_queries([topic.strip()])[0]
    query = query / max(float(np.linalg.norm(query)), 1e-9)
    arabic = detect_language(topic) == "ar"
    floor = settings.relevance_floor_ar if arabic else settings.relevance_floor_en
    keep = np.flatnonzero(vecs @ query >= floor)
    if len(keep) == 0:
        raise NewsbotError(f"no article sentence is about {topic!r}")
    return [spans[i] for i in keep], vecs[keep], [prior[i] for i in keep], query


def _write(
    needed: list[Span],
    writer: SentenceWriter,
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None,
) -> tuple[list[Bullet], list[Bullet], list[Bullet], CheckReport]:
    """One checked English statement per sentence: (kept, dropped, uncertain, what the
    checks saw)."""
    report = CheckReport()
    drafts = write_bullets(needed, writer, report, progress, lambda s: f"{s.source} s{s.index + 1}")
    kept, dropped, unsure = check_bullets(
        drafts, embedder, settings.support_floor, report, "briefing", settings.confidence_floor
    )
    return kept, dropped, unsure, report


def _title(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:120]


def _disagreements(spans: list[Span], vecs: np.ndarray) -> list[tuple[Span, Span]]:
    """(claim, denial) pairs: a cue sentence and the closest other sentence without a cue."""
    cue = [bool(_CUES.search(normalize(s.text))) for s in spans]
    candidates: list[tuple[float, int, int]] = []
    for i, is_cue in enumerate(cue):
        if not is_cue:
            continue
        sims = vecs @ vecs[i]
        for j in np.argsort(-sims):
            if j != i and not cue[j] and sims[j] >= PAIR_FLOOR:
                candidates.append((float(sims[j]), int(j), i))
                break
    used: set[int] = set()
    pairs: list[tuple[Span, Span]] = []
    for _, j, i in sorted(candidates, reverse=True):
        if j in used or i in used:
            continue
        used |= {i, j}
        pairs.append((spans[j], spans[i]))
    return pairs


def _actors(articles: Sequence[tuple[str, str]], writer: SentenceWriter) -> list[Actor]:
    found: dict[str, Actor] = {}
    for source, text in articles:
        for m in writer.glossary.find(text):
            if m.term.kind not in ACTOR_KINDS:
                continue
            a = found.setdefault(m.term.en, Actor(m.term.en, m.term.kind, {}))
            a.sources[source] = a.sources.get(source, 0) + 1
    return sorted(found.values(), key=lambda a: -sum(a.sources.values()))
