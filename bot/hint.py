"""A pointer for the retry: the one figure the evidence gives for what a how-many
question counts.

The bundled model reads "46 people were killed and 133 wounded" and answers the wounded
with 46, then again after a note saying so. The clause roles (``bot.checks``) that caught
it also say which figure counts the wounded; when exactly one figure of the passages
counts what the question asks (its event, and its side where it names one), the retry's
note names that passage and figure. The model still writes the answer, and the answer
still goes through every check.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot._counts import CIVILIAN_WORDS
from bot.arabic import normalize
from bot.asked import counted_sides, other_place
from bot.checks import ROLE_GROUPS, figure_roles, roles
from bot.evidence import asks_how_many
from bot.glossary import Glossary

_EVENTS = frozenset(ROLE_GROUPS[0])


# A pointer for "how many civilians" needs a civilian word ("46 شخصاً" is 46 people).


def _named(sides: set[str], text: str) -> bool:
    return sides != {"civilians"} or bool(CIVILIAN_WORDS.search(normalize(text)))


def _written(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def figure_hint(
    question: str,
    passages: Sequence[str],
    contexts: Sequence[str],
    glossary: Glossary | None = None,
) -> tuple[int, str] | None:
    """(passage number, figure as written) of the one figure of ``passages`` whose clause
    counts the question's event (and side, where it names one), leaving out passages
    whose paragraph (``contexts``) is about another place; None when there is none, or
    more than one."""
    if not asks_how_many(question):
        return None
    events = roles(question) & _EVENTS
    sides = counted_sides(question)
    if not events:
        return None
    found: dict[float, int] = {}
    for n, (text, context) in enumerate(zip(passages, contexts, strict=True), start=1):
        if glossary is not None and other_place(question, [context], glossary):
            continue  # a figure of another place's paragraph
        for value, said in figure_roles(text).items():
            if events & said and (not sides or sides & said) and _named(sides, text):
                found.setdefault(value, n)
    if len(found) != 1:
        return None
    value, n = next(iter(found.items()))
    return n, _written(value)
