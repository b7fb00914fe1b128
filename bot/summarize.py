"""Summaries: extract the sentences that matter, then write one checked bullet per sentence.

Extraction needs no model: each Arabic sentence is embedded (e5), scored by its
closeness to the article's centroid with a small lead bonus (news puts the gist
first), and picked by MMR so bullets do not repeat each other. In Arabic the bullets
are the picked sentences themselves; in English the model condenses each one
(prompts/summarize.yaml). Every bullet cites its sentence by offsets; an English
bullet whose numbers are not in its sentence, or whose meaning (e5 cosine) is too far
from it, is dropped and counted, never silently kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.arabic import arabic_share
from bot.checks import CheckReport, figures, support, ungrounded_numbers
from bot.chunk import sentence_units
from bot.config import Settings
from bot.embed import Embedder
from bot.llm import ChatGateway, describe_model
from bot.writer import Progress, SentenceWriter, md_escape

# Picking weights. News puts the gist first. Tuned on EASC's even rows only
# (bench/summarize.py --split dev), ROUGE-1 for a lead bonus of .15 / .3 / .5 / 1.0 / 2.0:
# .540 / .567 / .580 / .589 / .589 (lead-3 .615); on the odd rows, held out: .586 / .587 /
# .590 / .591 / .591 (lead-3 .558). 1.0: position first, centrality and MMR break ties
# and skip repeats.
LEAD_BONUS = 1.0
MMR_LAMBDA = 0.8
MIN_WORDS = 6


@dataclass(frozen=True)
class Span:
    index: int  # sentence number in the article (0-based)
    start: int
    end: int
    text: str
    source: str = ""  # the article file, for briefings over many


@dataclass
class Bullet:
    text: str
    cites: list[Span]
    support: float | None = None
    flags: list[str] = field(default_factory=list)
    confidence: float | None = None  # P(right in meaning), bot/confidence.py
    # "" when stated as fact; else why not ("uncertain", "failed the checks"): set by
    # check_bullets, shown wherever such a statement still appears (disagreements).
    marked: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "cites": [c.__dict__ for c in self.cites],
            "support": None if self.support is None else round(self.support, 3),
            "flags": self.flags,
            "confidence": self.confidence,
            "marked": self.marked,
        }


@dataclass
class Summary:
    source: str
    language: str
    model: str
    bullets: list[Bullet]
    dropped: list[Bullet]
    checks: CheckReport
    # Passed the checks but below confidence_floor: never stated as fact, listed apart
    # with their Arabic.
    uncertain: list[Bullet] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "language": self.language,
            "model": self.model,
            "bullets": [b.as_json() for b in self.bullets],
            "uncertain": [b.as_json() for b in self.uncertain],
            "dropped": [b.as_json() for b in self.dropped],
            "checks": self.checks.as_json(),
        }

    def markdown(self) -> str:
        lines = [f"# Summary of {self.source}", ""]
        for b in self.bullets:
            where = ", ".join(f"s{c.index + 1}" for c in b.cites)
            flag = f" ⚠ {'; '.join(b.flags)}" if b.flags else ""
            lines.append(f"- {md_escape(b.text)} [{md_escape(self.source)} {where}]{flag}")
        lines += uncertain_markdown(
            self.uncertain,
            lambda b: (
                f"[{md_escape(self.source)} s" + ", s".join(str(c.index + 1) for c in b.cites) + "]"
            ),
        )
        lines += ["", f"_Model: {self.model}. Checks: {self.checks.line()}._"]
        lines.append(f"_{held_back_line(self.uncertain, self.dropped)}_")
        return "\n".join(lines) + "\n"


def held_back_line(uncertain: list[Bullet], dropped: list[Bullet]) -> str:
    """The header/footer count of statements not stated as fact, and why."""
    return (
        f"{len(uncertain)} statement(s) marked uncertain (low confidence in the English; "
        f"listed with their Arabic), {len(dropped)} left out (failed the checks)."
    )


def uncertain_markdown(bullets: list[Bullet], cite: Callable[[Bullet], str]) -> list[str]:
    """The "Uncertain" section: each statement marked, with the Arabic it came from."""
    if not bullets:
        return []
    out = ["", "## Uncertain (may be wrong: check the Arabic)", ""]
    for b in bullets:
        arabic = " ".join(c.text for c in b.cites)
        conf = f"confidence {b.confidence:.2f}" if b.confidence is not None else "unscored"
        out.append(f"- ⚠ {md_escape(b.text)} {cite(b)} ({conf})")
        out.append(f"  - Arabic: {md_escape(arabic)}")
    return out


# Web-page furniture that survives copying an article ("click here to see the graphic").
_BOILERPLATE = re.compile(r"(?:اضغط|انقر)\s+هنا|click here|(?:اقرأ|إقرأ) أيضا", re.IGNORECASE)


def candidate_spans(text: str) -> list[Span]:
    """Arabic sentences long enough to carry a fact (headings, captions and page furniture
    such as "click here" are left out)."""
    out: list[Span] = []
    for i, (a, b) in enumerate(sentence_units(text)):
        s = text[a:b]
        words = [w for w in s.split() if len(w) > 1 and w[0].isalpha()]  # not "ت + ت -"
        if arabic_share(s) >= 0.5 and len(words) >= MIN_WORDS and not _BOILERPLATE.search(s):
            out.append(Span(i, a, b, s))
    return out


def rank(
    vectors: np.ndarray,
    k: int,
    *,
    prior: Sequence[float] | None = None,
    query: np.ndarray | None = None,
) -> list[int]:
    """MMR over centrality (cosine to the centroid, or to ``query``) plus ``prior``."""
    n = len(vectors)
    if n == 0:
        return []
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    target = v.mean(axis=0) if query is None else query
    target = target / max(float(np.linalg.norm(target)), 1e-9)
    score = v @ target + (np.asarray(prior) if prior is not None else 0.0)
    chosen: list[int] = []
    while len(chosen) < min(k, n):
        if chosen:
            redundancy = (v @ v[chosen].T).max(axis=1)
            mmr = MMR_LAMBDA * score - (1 - MMR_LAMBDA) * redundancy
        else:
            mmr = score.copy()
        mmr[chosen] = -np.inf
        chosen.append(int(np.argmax(mmr)))
    return chosen


def select(text: str, embedder: Embedder, k: int) -> list[Span]:
    """The ``k`` sentences that best cover the article, in article order."""
    spans = candidate_spans(text)
    if not spans:
        return []
    vecs = embedder.embed_passages([s.text for s in spans])
    prior = [LEAD_BONUS * (1 - i / len(spans)) for i in range(len(spans))]
    picked = rank(vecs, k, prior=prior)
    return [spans[i] for i in sorted(picked)]


def check_bullets(
    bullets: list[Bullet],
    embedder: Embedder,
    floor: float,
    report: CheckReport,
    label: str,
    confidence_floor: float = 0.0,
) -> tuple[list[Bullet], list[Bullet], list[Bullet]]:
    """Numbers and meaning against the cited sentences: (kept, dropped, uncertain);
    counts in ``report``. A statement that passes but whose English is below
    ``confidence_floor`` is uncertain: shown apart, marked, never as fact."""
    sims = support(
        embedder, [b.text for b in bullets], [" ".join(c.text for c in b.cites) for b in bullets]
    )
    kept: list[Bullet] = []
    dropped: list[Bullet] = []
    uncertain: list[Bullet] = []
    for b, sim in zip(bullets, sims, strict=True):
        b.support = float(sim)
        nums = [f.text for f in figures(b.text)]
        bad = ungrounded_numbers(b.text, [c.text for c in b.cites])
        report.numbers += len(nums)
        report.numbers_ok += len(nums) - len(bad)
        report.statements += 1
        problems = [p for p in b.flags if not p.startswith("names")]
        if bad:
            problems.append("numbers not in source: " + ", ".join(bad))
        if sim < floor:
            problems.append(f"weak support ({sim:.2f} < {floor:.2f})")
        b.flags = sorted(set(b.flags) | set(problems))
        if problems:
            b.marked = "failed the checks"
            dropped.append(b)
            report.flagged.append(f"{label}: dropped: {b.text[:80]} ({'; '.join(problems)})")
        elif b.confidence is not None and b.confidence < confidence_floor:
            b.marked = "uncertain"
            uncertain.append(b)
            report.flagged.append(f"{label}: uncertain: {b.text[:80]} ({b.confidence:.2f})")
        else:
            report.statements_ok += 1
            kept.append(b)
    return kept, dropped, uncertain


def write_bullets(
    spans: list[Span],
    writer: SentenceWriter,
    report: CheckReport,
    progress: Progress | None,
    label: Callable[[Span], str],
) -> list[Bullet]:
    """One English statement per sentence, the glossary names counted into ``report``
    (summaries and briefings check them afterwards with ``check_bullets``)."""
    drafts: list[Bullet] = []
    for n, span in enumerate(spans, 1):
        w = writer.write(span.text)
        drafts.append(Bullet(w.text, [span], flags=list(w.flags), confidence=w.confidence))
        report.names += len(w.names)
        flagged = next((f for f in w.flags if f.startswith("names")), "")
        report.names_ok += sum(1 for name in w.names if name not in flagged)
        if progress:
            progress(n, len(spans), label(span))
    return drafts


def summarize_text(
    text: str,
    source: str,
    *,
    settings: Settings,
    embedder: Embedder,
    gateway: Callable[[], ChatGateway],
    language: str = "en",
    k: int | None = None,
    progress: Progress | None = None,
    writer: SentenceWriter | None = None,
) -> Summary:
    k = k or settings.summary_bullets
    picked = select(text, embedder, k)
    report = CheckReport()
    if language == "ar":
        # Extractive: the sentences are their own grounding; no model call.
        bullets = [Bullet(s.text, [s], 1.0) for s in picked]
        for b in bullets:
            n = len(figures(b.text))
            report.numbers += n
            report.numbers_ok += n
            report.statements += 1
            report.statements_ok += 1
        return Summary(source, "ar", "none (extractive)", bullets, [], report)
    writer = writer or SentenceWriter(settings, gateway, "summarize")
    drafts = write_bullets(picked, writer, report, progress, lambda s: source)
    kept, dropped, unsure = check_bullets(
        drafts, embedder, settings.support_floor, report, source, settings.confidence_floor
    )
    return Summary(source, "en", describe_model(settings), kept, dropped, report, unsure)
