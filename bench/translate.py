"""Translation benchmark: chrF and BLEU (sacrebleu) on NTREX news sentences, one run.

(a) the bundled model asked plainly (prompts/translate_plain.yaml: "Translate this to
English", output taken as it comes); (b) newsbot's pipeline as shipped (bot.translate:
one sentence per call, glossary names, output cleaning, number/name/negation/language
checks with one retry, and 3 sampled candidates only for a sentence still flagged);
(c) the pipeline with 3 candidates for every sentence (``--candidates 3``), which reuses
(b)'s checked first attempts from the cache, as the product does: its time is (b)'s plus
the extra candidates. All see the same rows (``rows[::step]``; prompt choices were tried
on ``rows[5::step]`` only); each row is timed. Uses the configured model (default: the
bundled one) and a throw-away cache.

    .venv/bin/python bench/translate.py [--limit 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sacrebleu  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.prompts import load_prompt  # noqa: E402
from bot.service import Newsbot  # noqa: E402
from bot.translate import SentenceWriter, translate_text  # noqa: E402

DATA = ROOT / "bench" / "data" / "mt_ar_en.dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=40, help="rows, spread over the documents")
    args = ap.parse_args()
    rows = [json.loads(ln) for ln in DATA.read_text("utf-8").splitlines() if ln.strip()]
    step = max(1, len(rows) // args.limit)
    rows = rows[::step][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", request_timeout=600)
        bot = Newsbot(settings)
        try:
            run(bot, settings, rows)
        finally:
            bot.close()  # stops the bundled server only if this run started it


def run(bot: Newsbot, settings: Settings, rows: list[dict]) -> None:
    plain = load_prompt(settings.prompts_dir, "translate_plain")
    gw = bot.gateway()
    extra = None
    if settings.uses_bundled_model:
        from bot.bundled import SAMPLING_EXTRA

        extra = SAMPLING_EXTRA
    one = settings.model_copy(update={"translate_candidates": 1})
    n = 3
    many = settings.model_copy(update={"translate_candidates": n})
    writer_b = SentenceWriter(one, bot.gateway, "translate")
    writer_c = SentenceWriter(many, bot.gateway, "translate")
    hyp_a: list[str] = []
    hyp_b: list[str] = []
    hyp_c: list[str] = []
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
        print(
            f"[{i}/{len(rows)}] a {hyp_a[-1][:70]!r}\n        b {hyp_b[-1][:70]!r}"
            f"\n        c {hyp_c[-1][:70]!r}",
            file=sys.stderr,
        )
    sec["c"] += sec["b"]  # (c) started from (b)'s cached first attempts
    refs = [[r["en"] for r in rows]]
    print(f"NTREX ar->en, {len(rows)} rows; model: {settings.describe_model()}")
    print("| system | chrF | BLEU | s/row | sentences flagged |")
    print("| --- | --- | --- | --- | --- |")
    for name, hyp, k in (
        ("(a) plain 'translate this' prompt", hyp_a, "a"),
        ("(b) newsbot pipeline (default: 1 candidate, 3 if flagged)", hyp_b, "b"),
        (f"(c) newsbot pipeline, {n} candidates for every sentence", hyp_c, "c"),
    ):
        chrf = sacrebleu.corpus_chrf(hyp, refs).score
        bleu = sacrebleu.corpus_bleu(hyp, refs).score
        flags = flagged.get(k, "-")
        print(f"| {name} | {chrf:.1f} | {bleu:.1f} | {sec[k] / len(rows):.1f} | {flags} |")


if __name__ == "__main__":
    main()
