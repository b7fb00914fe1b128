"""Can choosing among the model's own translations close the gap? One run, dev rows.

bench/translate.py shows newsbot's pipeline ahead of the plain prompt but short of the
issue's +5 chrF, and a ceiling above both: the best of several outputs per row, picked
with the reference. This bench asks whether any reference-free way of picking reaches that
ceiling. On NTREX's dev rows (``rows[5::11]``, the rows prompt choices were tried on, kept
apart from bench/translate.py's ``rows[::11]``), with the bundled model, it builds a pool
per row: the plain prompt's greedy output plus ``--samples`` samples at temperature 0.7,
and picks from each pool by

- newsbot's own ``pick`` (checks, then agreement among candidates -- minimum Bayes risk
  with chrF -- plus e5 cosine with the Arabic);
- round trip: each candidate translated back to Arabic (prompts/translate_back.yaml),
  chrF against the source;
- noisy channel: log P(Arabic | candidate) + log P(candidate | Arabic) under the same
  model, read from llama.cpp in-process with logits kept for every position (the
  OpenAI-style server computes these too, but ranks the whole vocabulary in Python at
  every token, ~18 s a pair here); weight 1 for both terms, not tuned;
- the reference (the ceiling, not a system).

It also runs newsbot's pipeline on the same rows. Prints one table: chrF, BLEU and the
seconds each way of picking adds per row.

    .venv/bin/python bench/translate_rerank.py [--samples 5] [--limit 22]
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

import numpy as np  # noqa: E402
import sacrebleu  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.embed import Embedder, get_embedder  # noqa: E402
from bot.llm import Message, load_prompt  # noqa: E402
from bot.llm.bundled import SAMPLING_EXTRA, model_path  # noqa: E402
from bot.service import Newsbot  # noqa: E402
from bot.translate import translate_text  # noqa: E402
from bot.writer import SentenceWriter, clean_output, pick  # noqa: E402

DATA = ROOT / "bench" / "data" / "mt_ar_en.dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5, help="sampled candidates per row")
    ap.add_argument("--limit", type=int, default=22, help="dev rows")
    args = ap.parse_args()
    rows = [json.loads(ln) for ln in DATA.read_text("utf-8").splitlines() if ln.strip()]
    rows = rows[5::11][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            index_dir=Path(tmp) / "index", corpus_dir=ROOT / "seeds", request_timeout=600
        )
        if not settings.uses_bundled_model:
            sys.exit("this bench reads the bundled model's likelihoods; unset NEWSBOT_BASE_URL")
        bot = Newsbot(settings)
        try:
            run(bot, settings, rows, args.samples)
        finally:
            bot.close()


def run(bot: Newsbot, settings: Settings, rows: list[dict], samples: int) -> None:
    plain = load_prompt(settings.prompts_dir, "translate_plain")
    back = load_prompt(settings.prompts_dir, "translate_back")
    gw = bot.gateway()
    params = plain.chat_params(SAMPLING_EXTRA)
    writer = SentenceWriter(settings, bot.gateway, "translate")
    ways = ("greedy", "samples", "pipeline", "pick", "round", "channel")
    sec: dict[str, float] = dict.fromkeys(ways, 0.0)
    pools: list[list[str]] = []
    hyp_pipeline: list[str] = []
    for i, r in enumerate(rows, 1):
        t0 = time.perf_counter()
        pool = [clean_output(gw.complete(plain.render(text=r["ar"]), params))]
        sec["greedy"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for seed in range(1, samples + 1):
            sampled = replace(params, temperature=0.7, seed=seed)
            pool.append(clean_output(gw.complete(plain.render(text=r["ar"]), sampled)))
        sec["samples"] += time.perf_counter() - t0
        pools.append(pool)
        t0 = time.perf_counter()
        tr = translate_text(r["ar"], r["id"], settings=settings, gateway=bot.gateway, writer=writer)
        sec["pipeline"] += time.perf_counter() - t0
        hyp_pipeline.append(tr.english)
        print(f"[{i}/{len(rows)}] generated", file=sys.stderr, flush=True)

    embedder = get_embedder(settings)
    picks: dict[str, list[str]] = {k: [] for k in ("pick", "round", "channel", "oracle")}
    for r, pool in zip(rows, pools, strict=True):
        t0 = time.perf_counter()
        checked = [(c, writer.problems(r["ar"], c, [])) for c in pool]
        picks["pick"].append(_pick(r["ar"], checked, embedder))
        sec["pick"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        back_params = back.chat_params(SAMPLING_EXTRA)
        backs = [clean_output(gw.complete(back.render(text=c), back_params)) for c in pool]
        picks["round"].append(pool[int(np.argmax([_chrf(b, r["ar"]) for b in backs]))])
        sec["round"] += time.perf_counter() - t0
        picks["oracle"].append(max(pool, key=lambda c, ref=r["en"]: _chrf(c, ref)))
    bot.close()  # the scorer below loads its own copy of the model; free the server's cores

    scorer = Likelihood(model_path(settings))
    for r, pool in zip(rows, pools, strict=True):
        t0 = time.perf_counter()
        fwd = plain.render(text=r["ar"])
        scores = [
            scorer.logprob(back.render(text=c), r["ar"]) + scorer.logprob(fwd, c) for c in pool
        ]
        picks["channel"].append(pool[int(np.argmax(scores))])
        sec["channel"] += time.perf_counter() - t0
        print(f"scored {len(picks['channel'])}/{len(rows)}", file=sys.stderr, flush=True)

    n = len(rows)
    refs = [[r["en"] for r in rows]]
    print(f"NTREX ar->en dev rows[5::11], {n} rows; pool: greedy + {samples} samples (t=0.7)")
    print("| system | chrF | BLEU | s/row |")
    print("| --- | --: | --: | --: |")
    table = [
        ("plain prompt, greedy", [p[0] for p in pools], sec["greedy"]),
        ("newsbot pipeline", hyp_pipeline, sec["pipeline"]),
        ("pool, newsbot's pick (checks, MBR, e5)", picks["pick"], sec["pick"]),
        ("pool, round-trip chrF", picks["round"], sec["round"]),
        ("pool, noisy channel", picks["channel"], sec["channel"]),
        ("pool, picked with the reference (ceiling)", picks["oracle"], 0.0),
    ]
    pool_s = sec["greedy"] + sec["samples"]
    for name, hyp, s in table:
        chrf = sacrebleu.corpus_chrf(hyp, refs).score
        bleu = sacrebleu.corpus_bleu(hyp, refs).score
        extra = s if name.startswith(("plain", "newsbot")) else pool_s + s
        cost = f"{extra / n:.1f}" if not name.endswith("(ceiling)") else "-"
        print(f"| {name} | {chrf:.1f} | {bleu:.1f} | {cost} |")


def _chrf(hypothesis: str, reference: str) -> float:
    return sacrebleu.sentence_chrf(hypothesis, [reference]).score


def _pick(source: str, checked: list[tuple[str, list[str]]], embedder: Embedder) -> str:
    return pick(source, checked, embedder)[0]


class Likelihood:
    """Sum of token log-probabilities of a reply under the bundled model, in-process."""

    def __init__(self, path: Path) -> None:
        from llama_cpp import Llama

        # logits for every position are what scoring needs; a short context keeps that
        # buffer (positions x 151k vocabulary) small.
        self.llm = Llama(str(path), n_ctx=1024, n_threads=2, logits_all=True, verbose=False)

    def logprob(self, messages: list[Message], reply: str) -> float:
        # Qwen's chat format, as the server's template writes it for these messages.
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        head = self.llm.tokenize((text + "<|im_start|>assistant\n").encode(), False, True)
        tail = self.llm.tokenize((reply + "<|im_end|>").encode(), False, True)
        self.llm.reset()
        self.llm.eval(head + tail)
        logits = np.asarray(self.llm.scores[len(head) - 1 : len(head) + len(tail) - 1], float)
        top = logits.max(axis=1, keepdims=True)
        logz = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        return float((logits[np.arange(len(tail)), tail] - logz).sum())


if __name__ == "__main__":
    main()
