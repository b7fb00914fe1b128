"""How many sentences the answer prompt needs: evidence recall against prompt size.

The first token waits for the model to read the prompt (llama.cpp on 2 cores: about 50
tokens/s on an AVX2 machine, 110 with AVX-512), so every sentence offered costs time.
For each setting of ``evidence_sentences`` (k) and ``evidence_max_words`` this prints,
in one run on the same retrieval results:

- recall: the share of questions whose answer is in the offered sentences (XQuAD: the
  Arabic answer span; the seed dev questions with a figure: the figure, from the file
  that must be cited);
- the passages' size in the bundled model's own tokens (its tokenizer, from the GGUF)
  and in cl100k, median and max.

The chunk prompt (the 4 best chunks whole) is the baseline in the same table.

    python bench/evidence.py [--limit 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import format_passages  # noqa: E402
from bot.arabic import normalize  # noqa: E402
from bot.chunk import count_tokens  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.evidence import select  # noqa: E402
from bot.glossary import load_glossary  # noqa: E402
from bot.retrieve import Hit  # noqa: E402
from bot.service import Newsbot  # noqa: E402

XQUAD = ROOT / "bench" / "data" / "xquad_ar_en.dev.jsonl"
SEEDS = ROOT / "bench" / "data" / "seed_questions.dev.yaml"
SETTINGS = [(2, 40), (3, 30), (3, 40), (4, 30), (4, 40), (5, 40)]
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def model_tokens() -> Callable[[str], int]:
    """The bundled model's token count (vocab only: no weights loaded); cl100k if the
    bundled extra is missing."""
    try:
        from llama_cpp import Llama

        from bot.llm import assemble_model

        llm = Llama(str(assemble_model(Settings())), vocab_only=True, verbose=False)
    except (ImportError, OSError, ValueError):
        return count_tokens
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False))


def found(answers: list[str], hits: list[Hit], file: str | None) -> bool:
    text = normalize(" ".join(h.text for h in hits if file is None or h.source == file))
    return any(normalize(a.translate(DIGITS)) in text.translate(DIGITS) for a in answers)


def run(bot: Newsbot, items: list[dict], tokens: Callable[[str], int]) -> dict[str, list]:
    glossary = load_glossary(bot.settings.glossary_path)
    rows: dict[str, list] = {}
    for it in items:
        hits = bot.retriever.search(it["q"], bot.settings.evidence_chunks).hits
        variants = {"4 chunks (baseline)": hits[: bot.settings.top_k]}
        for k, w in SETTINGS:
            variants[f"{k} sentences, <={w} words"] = select(
                it["q"], it["q"], hits, bot.retriever, glossary, k, max_words=w
            )
        for name, ev in variants.items():
            text = format_passages(ev, compact=not name.startswith("4 chunks")) if ev else ""
            rows.setdefault(name, []).append(
                (found(it["answers"], ev, it.get("file")), tokens(text), count_tokens(text))
            )
    return rows


def print_table(title: str, rows: dict[str, list]) -> None:
    print(f"\n{title}\n")
    print("| evidence | recall | model tokens median / max | cl100k median |")
    print("| --- | --: | --: | --: |")
    for name, r in rows.items():
        model = [t for _, t, _ in r]
        print(
            f"| {name} | {sum(f for f, _, _ in r) / len(r):.3f} "
            f"| {statistics.median(model):.0f} / {max(model)} "
            f"| {statistics.median([c for _, _, c in r]):.0f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=200, help="XQuAD questions per language")
    args = ap.parse_args()
    tokens = model_tokens()
    seeds = [
        {
            "q": q["q"],
            "answers": [a for a in q["answer"] if str(a)[:1].isdigit()],
            "file": q["file"],
        }
        for q in yaml.safe_load(SEEDS.read_text("utf-8"))["questions"]
        if not q.get("decline") and any(str(a)[:1].isdigit() for a in q["answer"])
    ]
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        bot = Newsbot(Settings(index_dir=Path(tmp) / "index"))
        bot.ingest([bot.settings.corpus_dir])
        print_table(f"Seed dev questions with a figure ({len(seeds)})", run(bot, seeds, tokens))
        rows = [json.loads(line) for line in XQUAD.open(encoding="utf-8")][: args.limit]
        corpus = Path(tmp) / "xquad"
        corpus.mkdir()
        for r in rows:
            (corpus / f"{r['context_id']}.txt").write_text(r["context_ar"], encoding="utf-8")
        xbot = Newsbot(Settings(index_dir=Path(tmp) / "xindex", corpus_dir=corpus))
        xbot.ingest([corpus])
        for lang in ("ar", "en"):
            items = [
                {
                    "q": r[f"question_{lang}"],
                    "answers": r["answers_ar"],
                    "file": f"{r['context_id']}.txt",
                }
                for r in rows
            ]
            print_table(f"XQuAD dev, {lang} questions ({len(items)})", run(xbot, items, tokens))


if __name__ == "__main__":
    main()
