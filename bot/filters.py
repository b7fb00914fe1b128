"""Which articles a search may use: outlets, files, formats, languages, a date range.

One ``Filter`` is read three ways, from the same fields the ingest wrote in the same
wave: a Chroma ``where`` over chunk metadata (the dense side), the manifest's article
paths (the keyword side, ``KeywordIndex.top(paths=...)``), and ``matches`` on one
article's fields. An article without a date is left out by a date range (it cannot be
shown to be inside it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import InputError
from bot.extract import date_number, iso_date

# --where KEY=VALUE: the key as users write it -> (manifest field, chunk metadata field)
KEYS = {
    "outlet": ("outlet", "outlet"),
    "file": ("source", "source"),
    "source": ("source", "source"),
    "format": ("format", "format"),
    "language": ("language", "lang"),
}


@dataclass(frozen=True)
class Filter:
    outlets: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str = ""  # yyyy-mm-dd, inclusive
    until: str = ""

    @classmethod
    def parse(
        cls,
        where: Iterable[str] = (),
        since: str = "",
        until: str = "",
        files: Iterable[str] = (),
    ) -> Filter:
        """From ``--where outlet=X`` (repeatable; a key given twice means either),
        ``--since``/``--until`` dates and ``--files``; InputError on anything else."""
        got: dict[str, list[str]] = {"outlet": [], "source": [], "format": [], "language": []}
        got["source"].extend(f.strip() for f in files if f.strip())
        for item in where:
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            if not sep or key not in KEYS or not value.strip():
                known = ", ".join(sorted(KEYS))
                raise InputError(f"--where takes KEY=VALUE with KEY one of {known}: {item!r}")
            got[KEYS[key][0]].append(value.strip())
        start, end = _date(since, "--since"), _date(until, "--until")
        if start and end and start > end:
            raise InputError(f"--since {start} is after --until {end}")
        return cls(
            outlets=tuple(dict.fromkeys(got["outlet"])),
            files=tuple(dict.fromkeys(got["source"])),
            formats=tuple(dict.fromkeys(v.lower() for v in got["format"])),
            languages=tuple(dict.fromkeys(v.lower() for v in got["language"])),
            since=start,
            until=end,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.outlets or self.files or self.formats or self.languages or self.since or self.until
        )

    def describe(self) -> str:
        """For notes and logs: "outlet: Al Jazeera; since 2017-01-01"."""
        parts = [
            f"{name}: {', '.join(values)}"
            for name, values in (
                ("outlet", self.outlets),
                ("file", self.files),
                ("format", self.formats),
                ("language", self.languages),
            )
            if values
        ]
        parts += [f"since {self.since}"] if self.since else []
        parts += [f"until {self.until}"] if self.until else []
        return "; ".join(parts)

    def matches(self, entry: Mapping[str, Any]) -> bool:
        """Whether one article (its manifest entry) passes."""
        for field, allowed in (
            ("outlet", self.outlets),
            ("source", self.files),
            ("format", self.formats),
            ("language", self.languages),
        ):
            value = str(entry.get(field) or ("text" if field == "format" else ""))
            if allowed and value not in allowed:  # exact, as Chroma's $in compares
                return False
        day = str(entry.get("date") or "")
        if (self.since or self.until) and not day:
            return False
        return not (self.since and day < self.since) and not (self.until and day > self.until)

    def chroma_where(self) -> dict[str, Any] | None:
        """The same conditions over chunk metadata (Chroma compares numbers only, so
        dates are yyyymmdd integers)."""
        conds: list[dict[str, Any]] = []
        for field, values in (
            ("outlet", self.outlets),
            ("source", self.files),
            ("format", self.formats),
            ("lang", self.languages),
        ):
            if values:
                conds.append({field: {"$in": list(values)}})
        if self.since or self.until:  # undated chunks (0) are outside any range
            low = date_number(self.since) if self.since else 1
            high = date_number(self.until) if self.until else 99991231
            conds += [{"date_num": {"$gte": low}}, {"date_num": {"$lte": high}}]
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def paths(self, files: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """The manifest paths of the articles that pass."""
        return {path for path, entry in files.items() if self.matches(entry)}


def _date(value: str, flag: str) -> str:
    if not value or not value.strip():
        return ""
    day = iso_date(value.strip())
    if not day:
        raise InputError(f"{flag} takes a date as YYYY-MM-DD: {value!r}")
    return day
