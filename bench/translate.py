"""Translation benchmark: chrF and BLEU (sacrebleu) on NTREX news sentences, one run.

(a) the bundled model asked plainly (prompts/translate_plain.yaml: "Translate this to
English", output taken as it comes); (b) newsbot's pipeline as shipped (bot.translate:
one sentence per call, glossary names, output cleaning, number/name/negation/language
checks with one retry, and 3 sampled candidates only for a sentence still flagged);
(c) the pipeline with 3 candidates for every sentence (``--candidates 3``), which reuses
(b)'s checked first attempts from the cache, as the product does: its time is (b)'s plus
the extra candidates. (d) is a ceiling, not a system: for each row, the best of all the
candidates above plus ``--samples`` more plain-prompt samples (temperature 0.7), picked with
the reference itself -- no reranker, check or prompt choice among those candidates can score
higher. All see the same rows (``rows[::step]``; prompt choices were tried
on ``rows[5::step]`` only); each row is timed. Uses the configured model (default: the
bundled one) and a throw-away cache.

Then, in the same run, the seed articles (no references there, so the pipeline's own checks
judge both systems): ``--seeds`` sentences that hold glossary names, spread over the five
articles, translated by (a) and (b); for each, the sentences a check fails on, the glossary
names written as the glossary says, and the numbers found in the Arabic.

    .venv/bin/python bench/translate.py [--limit 40] [--samples 5] [--seeds 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sacrebleu  # noqa: E402

from bot.checks import CheckReport  # noqa: E402
from bot.chunk import sentence_units  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.llm import describe_model, load_prompt, sampling_extra  # noqa: E402
from bot.service import Newsbot  # noqa: E402
from bot.translate import count_checks, translate_text  # noqa: E402
from bot.writer import (  # noqa: E402
    SentenceWriter,
    Written,
    clean_output,
    needs_translation,
)

DATA = ROOT / "bench" / "data" / "mt_ar_en.dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=40, help="rows, spread over the documents")
    ap.add_argument("--samples", type=int, default=5, help="extra samples for the ceiling (d)")
    ap.add_argument("--seeds", type=int, default=30, help="seed sentences with glossary names")
    args = ap.parse_args()
    rows = [json.loads(ln) for ln in DATA.read_text("utf-8").splitlines() if ln.strip()]
    step = max(1, len(rows) // args.limit)
    rows = rows[::step][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            index_dir=Path(tmp) / "index", corpus_dir=ROOT / "seeds", request_timeout=600
        )
        bot = Newsbot(settings)
        try:
            run(bot, settings, rows, args.samples)
            if args.seeds:
                seeds(bot, settings, args.seeds)
        finally:
            bot.close()  # stops the bundled server only if this run started it


def run(bot: Newsbot, settings: Settings, rows: list[dict], samples: int) -> None:
    plain = load_prompt(settings.prompts_dir, "translate_plain")
    gw = bot.gateway()
    extra = sampling_extra(settings)
    one = settings.model_copy(update={"translate_candidates": 1})
    n = 3
    many = settings.model_copy(update={"translate_candidates": n})
    writer_b = SentenceWriter(one, bot.gateway, "translate")
    writer_c = SentenceWriter(many, bot.gateway, "translate")
    hyp_a: list[str] = []
    hyp_b: list[str] = []
    hyp_c: list[str] = []
    hyp_d: list[str] = []
    sec = {"a": 0.0, "b": 0.0, "c": 0.0}
    flagged = {"b": 0, "c": 0}
    for i, r in enumerate(rows, 1):
        t0 = time.perf_counter()
        out = gw.complete(plain.render(text=r["ar"]), plain.chat_params(extra))
        sec["a"] += time.perf_counter() - t0
        hyp_a.append(" ".join(out.split()))
        for k, writer, hyp in (("b", writer_b, hyp_b), ("c", writer_c, hyp_c)):
            t0 = time.perf_counter()
            tr = translate_text(
                r["ar"], r["id"], settings=settings, gateway=bot.gateway, writer=writer
            )
            sec[k] += time.perf_counter() - t0
            hyp.append(tr.english)
            flagged[k] += sum(1 for s in tr.sentences if s.flags)
        pool = [hyp_a[-1], hyp_b[-1], hyp_c[-1]]
        for seed in range(1, samples + 1):
            params = replace(plain.chat_params(extra), temperature=0.7, seed=seed)
            pool.append(" ".join(gw.complete(plain.render(text=r["ar"]), params).split()))
        hyp_d.append(max(pool, key=lambda h: sacrebleu.sentence_chrf(h, [r["en"]]).score))
        print(
            f"[{i}/{len(rows)}] a {hyp_a[-1][:70]!r}\n        b {hyp_b[-1][:70]!r}"
            f"\n        c {hyp_c[-1][:70]!r}",
            file=sys.stderr,
        )
    sec["c"] += sec["b"]  # (c) started from (b)'s cached first attempts
    refs = [[r["en"] for r in rows]]
    print(f"NTREX ar->en, {len(rows)} rows; model: {describe_model(settings)}")
    print("| system | chrF | BLEU | s/row | sentences flagged |")
    print("| --- | --- | --- | --- | --- |")
    for name, hyp, k in (
        ("(a) plain 'translate this' prompt", hyp_a, "a"),
        ("(b) newsbot pipeline (default: 1 candidate, 3 if flagged)", hyp_b, "b"),
        (f"(c) newsbot pipeline, {n} candidates for every sentence", hyp_c, "c"),
        (f"(d) ceiling: best of (a)-(c) + {samples} samples, picked by the reference", hyp_d, "d"),
    ):
        chrf = sacrebleu.corpus_chrf(hyp, refs).score
        bleu = sacrebleu.corpus_bleu(hyp, refs).score
        flags = flagged.get(k, "-")
        secs = f"{sec[k] / len(rows):.1f}" if k in sec else "-"
        print(f"| {name} | {chrf:.1f} | {bleu:.1f} | {secs} | {flags} |")


def seeds(bot: Newsbot, settings: Settings, limit: int) -> None:
    """(a) and (b) on seed sentences, judged by the pipeline's own checks."""
    plain = load_prompt(settings.prompts_dir, "translate_plain")
    gw = bot.gateway()
    extra = sampling_extra(settings)
    writer = SentenceWriter(
        settings.model_copy(update={"translate_candidates": 1}), bot.gateway, "translate"
    )
    pool = [
        text[a:b]
        for _, text in bot.corpus_articles()
        for a, b in sentence_units(text)
        if writer.glossary.find(text[a:b]) and needs_translation(text[a:b])
    ]
    step = max(1, len(pool) // limit)
    picked = pool[::step][:limit]
    reports = {k: CheckReport() for k in "ab"}
    sec = {k: 0.0 for k in "ab"}
    for i, ar in enumerate(picked, 1):
        matches = writer.glossary.find(ar)
        t0 = time.perf_counter()
        out_a = clean_output(gw.complete(plain.render(text=ar), plain.chat_params(extra)))
        sec["a"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        w = writer.write(ar)
        sec["b"] += time.perf_counter() - t0
        # (a) judged exactly as (b)'s first attempt is: same checks, same expected names.
        expected = sorted({m.term.en for m in matches})
        w_a = Written(out_a, expected, writer.problems(ar, out_a, matches))
        count_checks(reports["a"], w_a, ar, "seed", i)
        count_checks(reports["b"], w, ar, "seed", i)
        print(
            f"[seed {i}/{len(picked)}] a {out_a[:70]!r}\n        b {w.text[:70]!r}", file=sys.stderr
        )
    n = len(picked)
    print(f"\nSeed articles, {n} sentences with glossary names; judged by newsbot's checks")
    print(
        "| system | failing a check | glossary names as written | numbers in the Arabic | s/row |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, k in (("(a) plain prompt", "a"), ("(b) newsbot pipeline", "b")):
        r = reports[k]
        print(
            f"| {name} | {rate(len(r.flagged), n)} | {rate(r.names_ok, r.names)} | "
            f"{rate(r.numbers_ok, r.numbers)} | {sec[k] / max(1, n):.1f} |"
        )


def rate(ok: int, n: int) -> str:
    return f"{ok}/{n} ({ok / n:.0%})" if n else "0/0"


if __name__ == "__main__":
    main()
