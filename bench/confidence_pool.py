"""Make the fixed candidate pool that bench/confidence.py scores confidence signals on.

For every Arabic sentence unit of the seed articles (``bot.chunk.sentence_units``, the
units the translation pipeline works on) and for held-out NTREX news rows (rows
``[2::11]`` and ``[8::11]``: neither bench/translate.py's ``[::11]`` nor the tuning rows
``[5::11]``), the bundled model's translations with the translate prompt (glossary
names line as the pipeline sends it): the first, low-temperature one (what the pipeline
shows when it passes its checks) and ``--samples`` sampled ones (temperature 0.8, fixed
seeds), each with the token log-probabilities the server returned and the pipeline's
check flags. Written once and committed (bench/data/confidence_pool.jsonl); the labels
(right / wrong in meaning, from the Arabic) are in bench/data/confidence_labels.yaml.

    python bench/confidence_pool.py [--samples 2] [--ntrex-samples 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.chunk import sentence_units  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.llm import load_prompt  # noqa: E402
from bot.service import Newsbot  # noqa: E402
from bot.writer import _values, clean_output, names_line, needs_translation  # noqa: E402

DATA = ROOT / "bench" / "data"
OUT = DATA / "confidence_pool.jsonl"
DEV_SEEDS = ("000", "001", "002")  # the rest of the seeds and NTREX are held out


def items() -> list[dict]:
    out = []
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        text = f.read_text("utf-8")
        for i, (a, b) in enumerate(sentence_units(text)):
            ar = " ".join(text[a:b].split())
            if needs_translation(ar):
                split = "dev" if f.name[:3] in DEV_SEEDS else "heldout"
                out.append({"id": f"{f.name[:3]}:{i}", "set": "seed", "split": split, "ar": ar})
    rows = [json.loads(ln) for ln in (DATA / "mt_ar_en.dev.jsonl").read_text("utf-8").splitlines()]
    for r in sorted(rows[2::11] + rows[8::11], key=lambda r: r["id"]):
        out.append({"id": r["id"], "set": "ntrex", "split": "heldout", "ar": r["ar"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--ntrex-samples", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-pool-"))
    bot = Newsbot(Settings(index_dir=tmp / "index"), cache_results=False)
    writer = bot.writer("translate")
    prompt = load_prompt(bot.settings.prompts_dir, "translate")
    params = prompt.chat_params(writer._extra())
    done = (
        {json.loads(ln)["id"] for ln in OUT.read_text("utf-8").splitlines()}
        if OUT.exists()
        else set()
    )
    todo = [it for it in items() if it["id"] not in done][: args.limit or None]
    gw = bot.gateway()
    with OUT.open("a", encoding="utf-8") as out:  # resumable: one line per finished item
        for n, it in enumerate(todo):
            matches = writer.glossary.find(it["ar"])
            names = names_line(matches, writer.glossary.unknown_names(it["ar"]))
            messages = prompt.render(**_values(prompt, it["ar"], names, ""))
            k = args.samples if it["set"] == "seed" else args.ntrex_samples
            cands = []
            for seed in range(k + 1):
                p = params if seed == 0 else replace(params, temperature=0.8, seed=seed)
                raw, lps = gw.complete_scored(messages, p)
                text = clean_output(raw)
                cands.append(
                    {
                        "kind": "first" if seed == 0 else f"sample{seed}",
                        "text": text,
                        "logprobs": [round(x, 3) for x in lps or []],
                        "flags": writer.problems(it["ar"], text, matches, prompt),
                    }
                )
            out.write(json.dumps({**it, "candidates": cands}, ensure_ascii=False) + "\n")
            out.flush()
            print(f"{n + 1}/{len(todo)} {it['id']}: {cands[0]['text'][:70]}", flush=True)


if __name__ == "__main__":
    main()
