"""The answer path, old and new, side by side on the same questions, in one run.

- ``chunks``: the path before sentence evidence: the 4 retrieved chunks whole in the
  prompt, no retry, no glosses (``answer_evidence=chunks``).
- ``sentences``: the default: the best sentences of 8 retrieved chunks, each answer
  sentence checked against its cited sentence, one retry with a note, unsupported
  sentences left out, the rest marked unverified, English glosses of cited sentences.

Per question (bench/data/seed_questions.dev.yaml, our own dev set, and the out-of-corpus
ones there): correct and cited (an expected answer in the text, the expected file cited),
declined where it should be, and, what matters most, **wrong but shown as verified**
(neither correct nor declined nor marked unverified; an answer to a question the sources
cannot answer counts as wrong). Prompt size is counted in cl100k
tokens of the passages (close to the model's own); first token and total on this
machine, with nothing else running.

    python bench/answer.py [-n 20] [--index DIR] [--json FILE] [--data FILE ...]
        [--no-chunks] [--no-glosses]

``--data bench/data/seed_questions.probe.yaml`` (a second dev set) and
``bench/data/seed_questions.heldout.yaml`` (held out: measure there last) add questions on
the seeds' topic that they cannot answer (a count or a name they do not give), where a
wrong answer is easiest to make.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import Done, Token, format_passages  # noqa: E402
from bot.arabic import detect_language, normalize  # noqa: E402
from bot.chunk import count_tokens  # noqa: E402
from bot.config import AnswerEvidence, Settings  # noqa: E402
from bot.errors import NewsbotError  # noqa: E402
from bot.llm import describe_model  # noqa: E402
from bot.service import Newsbot  # noqa: E402

DATA = ROOT / "bench" / "data" / "seed_questions.dev.yaml"
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def correct(item: dict[str, Any], answer: Any) -> bool:
    text = normalize(answer.answer.translate(DIGITS)).lower()
    said = any(normalize(str(a)).lower() in text for a in item.get("answer", []))
    return said and any(c.source == item["file"] for c in answer.citations)


def ask(bot: Newsbot, item: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    first: float | None = None
    answer = None
    for event in bot.chat(item["q"]):
        if isinstance(event, Token) and first is None:
            first = time.perf_counter() - t0
        elif isinstance(event, Done):
            answer = event.answer
    assert answer is not None
    total = time.perf_counter() - t0
    passages = [h for h in answer.hits]
    sentences = bot.settings.answer_evidence == AnswerEvidence.SENTENCES
    if sentences:
        from bot.evidence import select
        from bot.glossary import load_glossary

        glossary = load_glossary(bot.settings.glossary_path)
        passages = select(
            item["q"],
            item["q"],
            answer.hits,
            bot.retriever,
            glossary,
            bot.settings.evidence_sentences,
            max_words=bot.settings.evidence_max_words,
        )
    else:
        passages = passages[: bot.settings.top_k]
    ok = (not item.get("decline")) and (not answer.declined) and correct(item, answer)
    wrong = not answer.declined and not ok  # an answer to a question the sources can't answer too
    return {
        "q": item["q"],
        "answer": answer.answer,
        "declined": answer.declined,
        "should_decline": bool(item.get("decline")),
        "correct": ok,
        "verified": answer.verified,
        "wrong_shown_verified": wrong and answer.verified,
        "wrong_marked": wrong and not answer.verified,
        "attempts": answer.attempts,
        "prompt_tokens": count_tokens(format_passages(passages, compact=sentences))
        if passages
        else 0,
        "first_token_s": round(first if first is not None else total, 3),
        "total_s": round(total, 3),
        "glosses": sum(1 for c in answer.citations if c.quote_en),
    }


def table(name: str, rows: list[dict[str, Any]]) -> str:
    answerable = [r for r in rows if not r["should_decline"]]
    off = [r for r in rows if r["should_decline"]]
    firsts = [r["first_token_s"] for r in rows if not r["declined"]] or [0.0]
    toks = [r["prompt_tokens"] for r in rows if r["prompt_tokens"]] or [0]
    return (
        f"| {name} | {sum(r['correct'] for r in answerable)}/{len(answerable)} "
        f"| {sum(r['declined'] for r in off)}/{len(off)} "
        f"| {sum(r['wrong_shown_verified'] for r in rows)} "
        f"| {sum(r['wrong_marked'] for r in rows)} "
        f"| {sum(r['declined'] for r in answerable)} "
        f"| {statistics.median(toks):.0f} "
        f"| {statistics.median(firsts):.2f} / {max(firsts):.2f} "
        f"| {statistics.median([r['total_s'] for r in rows]):.2f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=0, help="first N questions only")
    ap.add_argument("--index", type=Path, help="use (and keep) this index folder")
    ap.add_argument("--json", type=Path, help="also write every row here")
    ap.add_argument(
        "--read-english",
        action="store_true",
        help="add a row: English questions read the evidence's English glosses",
    )
    ap.add_argument("--only-english", action="store_true", help="English questions only")
    ap.add_argument("--data", type=Path, action="append", help="question files (default: dev)")
    ap.add_argument("--no-chunks", action="store_true", help="leave out the chunk-path row")
    ap.add_argument(
        "--no-glosses",
        action="store_true",
        help="no English glosses of citations (shorter runs; answers are the same)",
    )
    args = ap.parse_args()
    items = [
        q for f in args.data or [DATA] for q in yaml.safe_load(f.read_text("utf-8"))["questions"]
    ]
    items = items[: args.n] if args.n else items
    if args.only_english:
        items = [i for i in items if detect_language(i["q"]) == "en"]
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        base = Settings(index_dir=args.index or Path(tmp) / "index")
        bot = Newsbot(base)
        try:
            if bot.stats()["chunks"] == 0:
                bot.ingest([base.corpus_dir])
            gw, side = bot.gateway(), bot.side_gateway()
            print(f"model: {describe_model(base)} ({gw.model}); {len(items)} questions")
            runs: dict[str, list[dict[str, Any]]] = {}
            variants = {
                "chunks (before)": {
                    "answer_evidence": AnswerEvidence.CHUNKS,
                    "answer_retries": 0,
                    "answer_glosses": False,
                },
                "sentences (now)": {},
            }
            if args.no_chunks:
                del variants["chunks (before)"]
            if args.read_english:
                variants["sentences, read in English"] = {"evidence_glossed": True}
            for name, update in variants.items():
                if args.no_glosses:
                    update = {**update, "answer_glosses": False}
                b = Newsbot(base.model_copy(update=update))
                b._gateway, b._side = gw, side  # the same model servers for both
                runs[name] = []
                for item in items:
                    row = ask(b, item)
                    runs[name].append(row)
                    mark = "ok" if row["correct"] else ("declined" if row["declined"] else "WRONG")
                    print(
                        f"  {name[:9]} {row['first_token_s']:6.2f} {row['total_s']:6.2f} "
                        f"{mark:8} {'' if row['verified'] else 'unverified '}{item['q'][:60]}",
                        flush=True,
                    )
        except NewsbotError as exc:
            raise SystemExit(f"error: {exc}") from exc
        finally:
            bot.close()
    print(
        "\n| path | correct & cited | declined (not answerable) | wrong, shown as verified "
        "| wrong, marked unverified | declined (answerable) | prompt tokens (median) "
        "| first token median / max (s) | total median (s) |"
    )
    print("| --- | --: | --: | --: | --: | --: | --: | --: | --: |")
    for name, rows in runs.items():
        print(table(name, rows))
    if args.json:
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
