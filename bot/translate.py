"""Translation, sentence by sentence, with the names glossary, checks, cache and resume.

Each Arabic sentence (``bot.chunk.sentence_spans``, exact offsets) is sent alone with
only the glossary names it contains. The output is checked: English, complete, every
number in it is in the sentence and every digit number of the sentence is in it, the
glossary's English names are used, and no denial or negation is lost or added
(``bot.checks.polarity``). A failed check is retried once with a note saying what to
fix; if the retry is no better, the best attempt is kept and flagged.
Then ``translate_candidates - 1`` more translations are sampled (for a sentence still
flagged, ``rescue_candidates - 1`` at least) and ``pick`` keeps the one that passes the
checks, agrees most with the others and is closest to the Arabic.
Results go to the on-disk cache the moment they exist, so an interrupted run resumes
and a repeated one makes no model calls.

The writer itself (``bot/writer.py``) is shared with summaries and briefings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from bot.checks import CheckReport, figures, ungrounded_numbers
from bot.chunk import sentence_units
from bot.config import Settings
from bot.llm import ChatGateway, describe_model
from bot.writer import (
    Progress,
    SentenceWriter,
    Written,
    md_escape,
    needs_translation,
)


@dataclass
class TranslatedSentence:
    index: int
    start: int
    end: int
    arabic: str
    english: str
    names: list[str]
    flags: list[str]
    attempts: int
    cached: bool
    confidence: float | None = None  # P(right in meaning), bot/confidence.py
    uncertain: bool = False  # below confidence_floor: shown marked, beside its Arabic

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Translation:
    source: str
    model: str
    sentences: list[TranslatedSentence]
    checks: CheckReport

    @property
    def english(self) -> str:
        return " ".join(s.english for s in self.sentences)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "model": self.model,
            "sentences": [s.as_json() for s in self.sentences],
            "checks": self.checks.as_json(),
        }

    def markdown(self) -> str:
        unsure = sum(s.uncertain for s in self.sentences)
        lines = [
            f"# Translation of {self.source}",
            "",
            f"_Model: {self.model}. Checks: {self.checks.line()}. "
            f"Uncertain (low confidence, check the Arabic): {unsure} of {len(self.sentences)}._",
            "",
            "| # | Arabic | English |",
            "| --- | --- | --- |",
        ]
        for s in self.sentences:
            marks = [*s.flags]
            if s.uncertain:
                marks.insert(0, f"uncertain (confidence {s.confidence:.2f})")
            flag = f" ⚠ {'; '.join(marks)}" if marks else ""
            lines.append(f"| {s.index + 1} | {_cell(s.arabic)} | {_cell(s.english)}{_cell(flag)} |")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return md_escape(text)


def translate_text(
    text: str,
    source: str,
    *,
    settings: Settings,
    gateway: Callable[[], ChatGateway],
    progress: Progress | None = None,
    writer: SentenceWriter | None = None,
) -> Translation:
    """Translate a whole article; interrupted runs resume from the cache."""
    writer = writer or SentenceWriter(settings, gateway, "translate")
    spans = sentence_units(text)
    report = CheckReport()
    out: list[TranslatedSentence] = []
    for i, (a, b) in enumerate(spans):
        ar = text[a:b]
        # Only Arabic goes to the model; English captions and bare numbers stay as written.
        w = writer.write(ar) if needs_translation(ar) else Written(ar, attempts=0, cached=True)
        count_checks(report, w, ar, source, i)
        out.append(
            TranslatedSentence(
                i, a, b, ar, w.text, w.names, w.flags, w.attempts, w.cached,
                w.confidence, w.uncertain(settings.confidence_floor),
            )
        )  # fmt: skip
        if progress:
            progress(i + 1, len(spans), source)
    return Translation(source, describe_model(settings), out, report)


def count_checks(report: CheckReport, w: Written, ar: str, source: str, i: int) -> None:
    """Add one written sentence to ``report``: its numbers, names and whether it passed."""
    bad = set(ungrounded_numbers(w.text, [ar]))
    nums = [f.text for f in figures(w.text)]
    report.numbers += len(nums)
    report.numbers_ok += sum(1 for n in nums if n not in bad)
    report.names += len(w.names)
    flagged_names = next((f for f in w.flags if f.startswith("names")), "")
    missing = {n for n in w.names if n in flagged_names}
    report.names_ok += len(w.names) - len(missing)
    report.statements += 1
    report.statements_ok += 0 if w.flags else 1
    if w.flags:
        report.flagged.append(f"{source} sentence {i + 1}: {'; '.join(w.flags)}")
