"""The sentence writer shared by translations, summaries and briefings.

``SentenceWriter`` sends one Arabic sentence at a time with only the glossary names it
holds, checks what comes back (English, complete, numbers grounded both ways, names as
given, no denial lost or added, no invented padding), retries once with a note saying
what to fix, samples alternatives for a sentence still flagged and keeps the one that
passes, agrees most with the others (chrF) and is closest to the Arabic (e5). Results go
to the on-disk cache the moment they exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from sacrebleu.metrics.chrf import CHRF

from bot.arabic import arabic_share
from bot.cache import ResultCache, key
from bot.checks import (
    dropped_numbers,
    figures,
    frames,
    number_roles,
    polarity,
    speakers,
    ungrounded_numbers,
)
from bot.confidence import Signals, cross_cosines, score
from bot.config import Settings
from bot.embed import Embedder, get_embedder
from bot.glossary import Glossary, load_glossary, missing_names, names_line
from bot.llm import ChatGateway, Prompt, load_prompt, model_id, sampling_extra
from bot.names import transliterated
from bot.numbers import ungrounded_dates, ungrounded_directions, ungrounded_times

Progress = Callable[[int, int, str], None]  # (done, total, label)
_CHRF = CHRF()


def sentence_chrf(hypothesis: str, references: list[str]) -> float:
    return _CHRF.sentence_score(hypothesis, references).score


PIPELINE_VERSION = 4  # bump when the checks change what is kept


@dataclass
class Written:
    """One model-written sentence and what the checks found."""

    text: str
    names: list[str] = field(default_factory=list)  # glossary English names expected
    flags: list[str] = field(default_factory=list)  # problems left after the retries
    attempts: int = 1
    cached: bool = False
    # P(right in meaning) from bot/confidence.py; None where nothing was scored (an
    # English caption kept as written).
    confidence: float | None = None
    signals: dict[str, float | int | None] | None = None
    logprobs: list[float] | None = None  # of the kept text's tokens, when the server gave them

    def uncertain(self, floor: float) -> bool:
        return self.confidence is not None and self.confidence < floor


def _rounded(logprobs: list[float] | None) -> list[float] | None:
    return [round(x, 3) for x in logprobs] if logprobs else None


def md_escape(text: str) -> str:
    """Text as inert markdown on one line: HTML and markdown syntax shown, never run."""
    return re.sub(r"([\\`*_\[\]<>#|!~$])", r"\\\1", " ".join(text.split()))


_PREAMBLE = re.compile(
    r"^\s*(?:here(?:'s| is)[^:\n]*:|sure[^:\n]*:|(?:english(?: translation)?|translation)\s*:"
    r"|(?:the )?(?:english )?translation (?:of [^:\n]{0,60})?(?:is|reads)\s*:?)\s*",
    re.IGNORECASE,
)

# A closing remark about the translation itself, after the translation on the same line.
_TRAILER = re.compile(
    r"(?<=[.!?\"”])\s+(?:this is|that is|here is|i hope)\b[^.!?]*\btranslat\w*[^\n]*$",
    re.IGNORECASE,
)

# A phrase of 1-6 words said three or more times in a row: the small model looping.
_LOOP = re.compile(r"\b((?:\S+\s+){0,5}?\S+)(?:[\s,.;]+\1\b){2,}", re.IGNORECASE)


def clean_output(raw: str) -> str:
    """The model's answer without preambles, labels, quotes, extra lines or loops."""
    text = _LOOP.sub(r"\1", raw.strip())
    text = _PREAMBLE.sub("", text).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # A leftover lead-in line ("Here is the translation:") is dropped; notes after are too.
    while len(lines) > 1 and lines[0].endswith(":"):
        lines.pop(0)
    text = _PREAMBLE.sub("", lines[0]).strip() if lines else ""
    text = _TRAILER.sub("", text)
    if text.count('"') == 1 and text.endswith('"'):
        text = text[:-1]  # the quote that closed the translation before the remark
    text = re.sub(r"^\*+|\*+$", "", text).strip()
    if len(text) > 2 and text[0] in "\"'“" and text[-1] in "\"'”":
        text = text[1:-1].strip()
    return text


class SentenceWriter:
    """Runs one sentence prompt (translate or summarize) with checks, retry and cache."""

    def __init__(
        self,
        settings: Settings,
        gateway: Callable[[], ChatGateway],
        prompt_name: str,
        glossary: Glossary | None = None,
    ) -> None:
        self.settings = settings
        self._gateway = gateway
        self.prompt_name = prompt_name
        self.glossary = glossary if glossary is not None else load_glossary(glossary_path(settings))
        self.cache = ResultCache(settings.index_dir / "cache", prompt_name)
        self.full = prompt_name == "translate"  # translations must keep every digit number

    def write(self, sentence: str) -> Written:
        prompt = load_prompt(self.settings.prompts_dir, self.prompt_name)
        matches = self.glossary.find(sentence)
        unknown = self.glossary.unknown_names(sentence)
        names = names_line(matches, unknown)
        base_key = key(
            PIPELINE_VERSION, prompt.model_dump(), model_id(self.settings), sentence, names
        )
        # Candidates are keyed apart from the first checked attempt, so changing their
        # number reuses that attempt instead of asking the model again.
        got = self.cache.get(base_key)
        if got is not None:
            base = Written(**{**got, "cached": True})
        else:
            base = self._scored(sentence, self._checked(prompt, sentence, names, matches))
            self.cache.put(base_key, {**asdict(base), "cached": False})
        n = self.candidates(base)
        if n == 1:
            return base if base.confidence is not None else self._scored(sentence, base)
        k = key(base_key, n, self.settings.candidate_temperature)
        hit = self.cache.get(k)
        if hit is not None:
            return Written(**{**hit, "cached": base.cached})
        result = self._scored(sentence, self._choose(prompt, sentence, names, matches, base, n))
        self.cache.put(k, {**asdict(result), "cached": False})
        return result

    def _scored(self, sentence: str, w: Written) -> Written:
        """``w`` with its confidence (bot/confidence.py) and the signals behind it."""
        cosine = cross_cosines(get_embedder(self.settings), [(sentence, w.text)])[0]
        signals = Signals.of(w.logprobs, cosine, len(w.flags))
        conf = round(score(signals, self.settings.confidence_weights), 4)
        return replace(w, confidence=conf, signals=signals.as_json())

    def candidates(self, base: Written) -> int:
        """How many translations to choose from: the setting, and at least
        ``rescue_candidates`` for a sentence still flagged after its retry."""
        if not self.full:
            return 1
        n = self.settings.translate_candidates
        return max(n, self.settings.rescue_candidates) if base.flags else n

    def _checked(self, prompt: Prompt, sentence: str, names: str, matches: list) -> Written:
        """The first attempt, retried with a note while a check fails."""
        gw = self._gateway()  # only now: a cached run never starts the model
        params = prompt.chat_params(self._extra())
        attempts: list[tuple[str, list[str], list[float] | None]] = []
        note = ""
        for _ in range(1 + self.settings.check_retries):
            messages = prompt.render(**_values(prompt, sentence, names, note))
            raw, logprobs = gw.complete_scored(messages, params)
            out = clean_output(raw)
            problems = self.problems(sentence, out, matches, prompt)
            attempts.append((out, problems, logprobs))
            if not problems:
                break
            note = "\n" + self._note(prompt.strings, sentence, out, matches, problems)
        # Fewest problems wins; on a tie the first (un-nudged) attempt.
        best, flags, logprobs = min(attempts, key=lambda a: len(a[1]))
        expected = sorted({m.term.en for m in matches})
        return Written(best, expected, flags, len(attempts), logprobs=_rounded(logprobs))

    def _choose(
        self, prompt: Prompt, sentence: str, names: str, matches: list, base: Written, n: int
    ) -> Written:
        """Sample ``n - 1`` more translations and keep the best of all (``pick``)."""
        gw = self._gateway()
        params = prompt.chat_params(self._extra())
        pool = [(base.text, base.flags)]
        scores = {base.text: base.logprobs}
        for seed in range(1, n):
            sampled = replace(params, temperature=self.settings.candidate_temperature, seed=seed)
            raw, logprobs = gw.complete_scored(
                prompt.render(**_values(prompt, sentence, names, "")), sampled
            )
            out = clean_output(raw)
            scores.setdefault(out, _rounded(logprobs))
            pool.append((out, self.problems(sentence, out, matches, prompt)))
        text, flags = pick(sentence, pool, get_embedder(self.settings))
        return Written(text, base.names, flags, base.attempts + n - 1, logprobs=scores.get(text))

    def _extra(self) -> dict[str, object] | None:
        return sampling_extra(self.settings)

    def problems(
        self, sentence: str, out: str, matches: list, prompt: Prompt | None = None
    ) -> list[str]:
        probs: list[str] = []
        if not out:
            return ["empty output"]
        if prompt is not None and echoes_instructions(out, [prompt.user, *prompt.strings.values()]):
            return ["repeats the instructions"]
        if arabic_share(out) > 0.2:
            probs.append("not English")
        bad = ungrounded_numbers(out, [sentence])
        if bad:
            probs.append("numbers not in source: " + ", ".join(bad))
        dates = ungrounded_dates(out, [sentence])  # "on Tuesday" for الاثنين (Monday)
        if dates:
            probs.append("dates not in source: " + ", ".join(dates))
        bearings = ungrounded_directions(out, [sentence])  # "northern part" for the outskirts
        if bearings:
            probs.append("directions not in source: " + ", ".join(bearings))
        times = ungrounded_times(out, [sentence])  # "at night" for بعد ظهر (afternoon)
        if times:
            probs.append("times of day not in source: " + ", ".join(times))
        if self.full:
            gone = dropped_numbers(out, sentence)
            if gone:
                probs.append("numbers left out: " + ", ".join(gone))
            if not plausible_length(sentence, out):
                probs.append("incomplete or padded translation")
        probs += polarity(sentence, out, full=self.full)
        # Meaning a changed sentence can keep its numbers and names through: events
        # added or reversed, numbers given to the wrong side or the wrong event.
        probs += frames(sentence, out, full=self.full)
        probs += number_roles(out, [sentence])
        probs += speakers(sentence, out, self.glossary)
        latin = transliterated(out, [sentence], self.glossary)  # "a damara" for دمارا
        if latin:
            probs.append("untranslated: " + ", ".join(latin))
        miss = missing_names(matches, out)
        if miss:
            probs.append("names not as in glossary: " + ", ".join(t.en for t in miss))
        return probs

    def _note(
        self, strings: dict[str, str], sentence: str, out: str, matches: list, problems: list[str]
    ) -> str:
        notes: list[str] = []
        for p in problems:
            if p.startswith("numbers"):
                items = ", ".join(dict.fromkeys(f.text for f in figures(sentence)))
                notes.append(strings.get("note_numbers", "").replace("{items}", items))
            elif p.startswith("names"):
                items = ", ".join(t.en for t in missing_names(matches, out))
                notes.append(strings.get("note_names", "").replace("{items}", items))
            elif p == "not English":
                notes.append(strings.get("note_language", ""))
            elif p.startswith("incomplete"):
                notes.append(strings.get("note_incomplete", ""))
            elif p.startswith(("denial", "negation")):
                notes.append(strings.get("note_polarity", ""))
            elif p.startswith(("says '", "leaves out '", "number ", "the speaker")):
                notes.append(strings.get("note_meaning", ""))
        return " ".join(dict.fromkeys(n for n in notes if n))


_WORD = re.compile(r"[a-z]{4,}")


def is_headline(unit: str) -> bool:
    """A title or caption line: no sentence-final punctuation, not long."""
    text = unit.strip()
    return bool(text) and text[-1] not in '.!?؟…:"”»)' and len(text.split()) <= 25


def _values(prompt: Prompt, sentence: str, names: str, note: str) -> dict[str, str]:
    values = {"names": names, "sentence": sentence, "note": note}
    if "what" in prompt.variables:  # translate.yaml words headlines apart
        kind = "what_headline" if is_headline(sentence) else "what_sentence"
        values["what"] = prompt.strings.get(kind, "this")
    return values


def plausible_length(arabic: str, english: str) -> bool:
    """English words per Arabic word within what news translations do. Arabic words are
    counted from letters too, since some sources lose their spaces. On NTREX's 239
    references the ratio's 1st/50th/99th percentiles are 0.63/1.08/1.72 and one is above
    2.0; above 2.0 the model's outputs on a dev split were all padded or invented (a
    headline turned into "please contact the library's administration", "I think you made a
    small mistake in the original Arabic sentence"). Units under 4 words get more room
    ("استعادته واجبة." is "To recover it is a duty.")."""
    letters = len(re.sub(r"\s", "", arabic))
    n_ar = max(1, len(arabic.split()), round(letters / 6))
    ratio = len(english.split()) / n_ar
    return 0.5 <= ratio <= (2.0 if n_ar >= 4 else 3.5)


def echoes_instructions(out: str, instructions: Sequence[str]) -> bool:
    """Whether ``out`` is one of the prompt's own instructions (a retry note, the names
    line) written back instead of a translation: most of that instruction's words."""
    said = set(_WORD.findall(out.lower()))
    for text in instructions:
        words = set(_WORD.findall(re.sub(r"\{\w+\}", " ", text).lower()))
        if len(words) >= 3 and len(words & said) >= 0.6 * len(words):
            return True
    return False


def pick(
    source: str, pool: Sequence[tuple[str, list[str]]], embedder: Embedder
) -> tuple[str, list[str]]:
    """The candidate to keep: fewest failed checks first; among those, the highest sum of
    agreement with the other candidates (mean chrF: minimum Bayes risk, which sets aside
    the odd one out, e.g. an invented clause) and e5 cosine with the Arabic (meaning kept
    across languages). A small model's errors vary between samples; its right parts recur."""
    fewest = min(len(f) for _, f in pool)
    ok = [(t, f) for t, f in pool if len(f) == fewest and t.strip()]
    if len({t for t, _ in ok}) <= 1:
        return ok[0] if ok else pool[0]
    texts = [t for t, _ in ok]
    agree = [
        float(np.mean([sentence_chrf(t, [o]) for j, o in enumerate(texts) if j != i])) / 100
        for i, t in enumerate(texts)
    ]
    vecs = embedder.embed_queries([source, *texts])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    meaning = vecs[1:] @ vecs[0]
    scores = [a + float(m) for a, m in zip(agree, meaning, strict=True)]
    return ok[int(np.argmax(scores))]


def glossary_path(settings: Settings) -> Path:
    return settings.glossary_path


def needs_translation(sentence: str) -> bool:
    """Only Arabic text goes to the model; English captions, bare numbers stay as they are."""
    return arabic_share(sentence) >= 0.5
