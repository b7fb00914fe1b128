"""Follow-up questions: turn history + a new question into a standalone search query.

"and how many were wounded?" retrieves nothing useful on its own; the chat model
rewrites it (``prompts/condense.yaml``) from the last few exchanges into "How many
people were wounded in the Kirkuk attack?", which then drives retrieval. The rewrite
is checked: a reply that is empty, a paragraph, or an answer instead of a question
falls back to the previous question joined with the new one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.arabic import detect_language
from bot.config import Settings
from bot.llm import ChatGateway, load_prompt, sampling_extra

Turn = tuple[str, str]  # (question, answer as plain text)

ANSWER_CHARS = 400  # of each earlier answer: enough for the names it mentions
_LABEL = re.compile(
    r"^\s*(?:standalone\s+(?:question|query)|rewritten\s+question|search\s+query|question|"
    r"السؤال(?:\s+المستقل)?)\s*[:：]\s*",
    re.IGNORECASE,
)
_QUOTES = "\"'`“”«»‘’ "
_MARKERS = re.compile(r"\s*\[\d+\]")


def format_history(turns: Sequence[Turn]) -> str:
    lines: list[str] = []
    for q, a in turns:
        answer = _MARKERS.sub("", a).strip()
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines += [f"User: {q.strip()}", f"Assistant: {answer or '(no answer)'}"]
    return "\n".join(lines)


def clean_query(raw: str, question: str, turns: Sequence[Turn]) -> str:
    """The model's rewrite, or a safe fallback when it is unusable."""
    line = next((ln.strip() for ln in raw.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip(_QUOTES)
    # A small model sometimes answers or rambles instead of rewriting.
    too_long = len(line) > max(300, 4 * len(question))
    if not line or too_long:
        return fallback_query(question, turns)
    return line


def fallback_query(question: str, turns: Sequence[Turn]) -> str:
    """The previous question and the new one together still carry the topic."""
    return f"{turns[-1][0].strip()} {question.strip()}" if turns else question.strip()


def condense(
    question: str,
    turns: Sequence[Turn],
    *,
    settings: Settings,
    gateway: Callable[[], ChatGateway],
) -> str:
    """A standalone search query for ``question``; no model call without history."""
    recent = list(turns)[-settings.condense_turns :]
    if not recent:
        return question.strip()
    prompt = load_prompt(settings.prompts_dir, "condense")
    messages = prompt.render(
        lang=detect_language(question), history=format_history(recent), question=question.strip()
    )
    raw = gateway().complete(messages, prompt.chat_params(sampling_extra(settings)))
    return clean_query(raw, question, recent)
