"""What an answer is and what streaming one yields (re-exported by ``bot.answer``): the
checked ``Answer``, and the events ``Retrieved``, ``Token``, ``Retrying``, ``Done`` (and
``Glossed``, a ``Done`` with the citations' English) that every front end renders the same
way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from bot.cite import Citation
from bot.retrieve import Hit


@dataclass
class Answer:
    question: str
    language: str
    answer: str
    citations: list[Citation]
    declined: bool
    model: str
    timings: dict[str, float]
    invalid_markers: int = 0
    repaired_markers: int = 0
    hits: list[Hit] = field(default_factory=list)
    search_query: str = ""
    unsupported: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # answer sentences left out, unsupported
    attempts: int = 1

    @property
    def verified(self) -> bool:
        """Every claim of the shown answer is held by the sentences it cites."""
        return self.declined or not self.unsupported

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.answer,
            "citations": [c.as_json() for c in self.citations],
            "declined": self.declined,
            "model": self.model,
            "invalid_markers": self.invalid_markers,
            "repaired_markers": self.repaired_markers,
            "unsupported": self.unsupported,
            "verified": self.verified,
            "dropped": self.dropped,
            "attempts": self.attempts,
            "search_query": self.search_query,
            "timings": self.timings,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Answer:
        """The answer ``as_json`` wrote (a saved conversation's turn); no retrieval hits."""
        names = {f.name for f in fields(Citation)}
        cites = [
            Citation(
                **{k: v for k, v in c.items() if k in names}
                | {"quote_en_flags": tuple(c.get("quote_en_flags") or ())}
            )
            for c in d.get("citations") or []
        ]
        return cls(
            question=str(d.get("question", "")),
            language=str(d.get("language", "en")),
            answer=str(d.get("answer", "")),
            citations=cites,
            declined=bool(d.get("declined")),
            model=str(d.get("model", "")),
            timings=dict(d.get("timings") or {}),
            invalid_markers=int(d.get("invalid_markers") or 0),
            repaired_markers=int(d.get("repaired_markers") or 0),
            search_query=str(d.get("search_query", "")),
            unsupported=list(d.get("unsupported") or []),
            dropped=list(d.get("dropped") or []),
            attempts=int(d.get("attempts") or 1),
        )


@dataclass(frozen=True)
class Retrieved:
    hits: list[Hit]
    covered: bool


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Retrying:
    """The first answer failed its check (``reason``); a second one streams next."""

    reason: str


@dataclass(frozen=True)
class Done:
    """The checked answer, complete: a front end shows it now."""

    answer: Answer


@dataclass(frozen=True)
class Glossed(Done):
    """The same answer again, its cited Arabic sentences with their English glosses
    (``quote_en``): made after ``Done`` so that glosses never delay the answer. The last
    ``Done`` of a turn is the fullest."""


Event = Retrieved | Token | Retrying | Done
