import itertools
import random

import pytest

from bot.chunk import chunk_text, count_tokens, sentence_spans
from tests.conftest import SEEDS


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_offsets_reproduce_the_file_text(path) -> None:
    text = path.read_text("utf-8")
    chunks = chunk_text(text, 120, 30)
    assert chunks, "an article gives at least one chunk"
    for i, c in enumerate(chunks):
        assert c.index == i
        assert text[c.start : c.end] == c.text
        assert c.tokens == count_tokens(c.text) <= 120
    # Every non-space character is in some chunk: nothing falls between chunks.
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chunks_overlap_and_advance() -> None:
    text = SEEDS.joinpath("004_d1b1a39153906bcc.txt").read_text("utf-8")
    chunks = chunk_text(text, 100, 40)
    for a, b in itertools.pairwise(chunks):
        assert b.start > a.start, "each chunk starts later than the one before"
        assert not text[a.end : b.start].strip(), "no text is skipped between chunks"
    assert any(b.start < a.end for a, b in itertools.pairwise(chunks))


def test_breaks_at_arabic_sentence_ends() -> None:
    text = "قالت المصادر إن الهجوم بدأ؟ نعم، بدأ صباحا؛ ثم توقف.\nسطر جديد"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["قالت المصادر إن الهجوم بدأ؟", "نعم،", "بدأ صباحا؛", "ثم توقف.", "سطر جديد"]


def test_overlong_sentence_is_cut_at_words() -> None:
    text = " ".join(["كلمة"] * 400)
    chunks = chunk_text(text, 50, 10)
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.tokens <= 50
        assert not c.text.startswith(" ") and not c.text.endswith(" ")


def test_random_texts_keep_exact_offsets() -> None:
    rng = random.Random(7)
    alphabet = ["قوات", "الجيش", "،", ".", "؟", "\n", " ", "Mosul", "١٢", "!", "  ", "؛"]
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        for c in chunk_text(text, 20, 5):
            assert text[c.start : c.end] == c.text
            assert c.text.strip() == c.text != ""


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        chunk_text("نص", 10, 10)
    with pytest.raises(ValueError):
        chunk_text("نص", 0, 0)


def test_empty_text_has_no_chunks() -> None:
    assert chunk_text("", 100, 10) == []
    assert chunk_text("  \n ", 100, 10) == []


def test_an_over_long_word_is_cut_too() -> None:
    """A 60,000-character token in an article once became one 43,500-token chunk."""
    word = "ب" * 60_000
    text = f"خبر قصير. {word} ثم نهاية الخبر."
    chunks = chunk_text(text, 160, 40)
    assert max(c.tokens for c in chunks) <= 160
    assert all(text[c.start : c.end] == c.text for c in chunks)
    covered = "".join(text[c.start : c.end] for c in chunks)
    assert covered.count("ب") >= 60_000  # nothing of the word is lost
