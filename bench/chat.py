"""Chat latency: time to the first streamed token, to the checked answer shown, and to
its sources' English glosses (which come after the answer), per question.

Ten questions (English and Arabic) over the seed corpus, answered through
``Newsbot.stream`` -- the generator the web chat renders -- with the configured
chat model (by default the bundled llama.cpp model). The model is started before
timing, so its start-up is reported once and not charged to the first question.
The index is a throw-away copy unless ``--index`` names one.

    python bench/chat.py [-n 10] [--index DIR] [--json FILE] [--follow-ups]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.answer import Answer, Done, Token
from bot.config import Settings
from bot.errors import NewsbotError
from bot.llm import describe_model
from bot.service import Newsbot

QUESTIONS = [
    "How many people were killed and wounded in the attack on Kirkuk?",
    "Which town near Mosul did Iraqi forces storm?",
    "Which buildings did the rapid response unit recapture in Mosul?",
    "What did the US defence secretary Ashton Carter say in Baghdad?",
    "How many militants were estimated to be inside Mosul?",
    "كم عدد القتلى والجرحى في هجوم كركوك؟",
    "ماذا قال اللواء علي كاظم اللامي عن المتحف؟",
    "متى استعادت القوات العراقية النصف الشرقي من الموصل؟",
    "ما الذي حدث بعد تفجير مصنع الكبريت جنوب الموصل؟",
    "لماذا انسحبت القوات العراقية من محيط قرية النصر؟",
]


def time_question(
    bot: Newsbot, question: str, history: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    t0 = time.perf_counter()
    first: float | None = None
    shown: float | None = None
    answer: Answer | None = None
    for event in bot.chat(question, history or []):
        if isinstance(event, Token) and first is None:
            first = time.perf_counter() - t0
        elif isinstance(event, Done):
            answer = event.answer
            if shown is None:  # the first Done: what the reader sees, checked
                shown = time.perf_counter() - t0
    total = time.perf_counter() - t0
    assert answer is not None
    return {
        "question": question,
        "retrieve_s": round(answer.timings.get("retrieve_s", 0.0), 3),
        "first_token_s": round(first if first is not None else total, 3),
        "total_s": round(shown if shown is not None else total, 3),
        "with_glosses_s": round(total, 3),
        "attempts": answer.attempts,
        "declined": answer.declined,
        "citations": len(answer.citations),
        "answer": answer.answer,
        "search_query": answer.search_query,
    }


# (question, follow-up): the follow-up is rewritten by prompts/condense.yaml first.
FOLLOW_UPS = [
    ("How many people were killed in the attack on Kirkuk?", "and how many were wounded?"),
    ("ما البلدة التي اقتحمتها القوات العراقية قرب الموصل؟", "وكم تبعد عن المدينة؟"),
]


def time_follow_up(bot: Newsbot, first: str, follow: str) -> dict[str, Any]:
    """Answer ``first``, then time ``follow`` through the service (rewrite included)."""
    prior = time_question(bot, first)
    return time_question(bot, follow, [(first, prior["answer"])])


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f} s   max {max(values):6.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=len(QUESTIONS), help="number of questions")
    ap.add_argument("--index", type=Path, help="use (and keep) this index folder")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--follow-ups", action="store_true", help="also time follow-up rewriting")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        settings = Settings(index_dir=args.index or Path(tmp) / "index")
        bot = Newsbot(settings)
        try:
            if bot.stats()["chunks"] == 0:
                t = time.perf_counter()
                report = bot.ingest([settings.corpus_dir])
                print(f"ingest: {report.summary()} ({time.perf_counter() - t:.1f} s)")
            t = time.perf_counter()
            gw = bot.gateway()
            print(
                f"model: {describe_model(settings)} ({gw.model}), ready in "
                f"{time.perf_counter() - t:.1f} s"
            )
            rows = []
            print("retrieve  first  answer  +glosses  attempts  (seconds)")
            for q in QUESTIONS[: args.n]:
                row = time_question(bot, q)
                rows.append(row)
                flag = " (declined)" if row["declined"] else ""
                print(
                    f"{row['retrieve_s']:6.2f} {row['first_token_s']:6.2f} {row['total_s']:6.2f} "
                    f"{row['with_glosses_s']:6.2f} {row['attempts']}  {q}{flag}",
                    flush=True,
                )
            follow_rows = []
            for first_q, follow in FOLLOW_UPS if args.follow_ups else []:
                row = time_follow_up(bot, first_q, follow)
                follow_rows.append(row)
                print(
                    f"follow-up {follow!r} -> {row['search_query']!r}: first token "
                    f"(rewrite included) {row['first_token_s']:.2f} s, "
                    f"total {row['total_s']:.2f} s",
                    flush=True,
                )
        except NewsbotError as exc:
            raise SystemExit(f"error: {exc}") from exc
        finally:
            bot.close()

    firsts = [float(r["first_token_s"]) for r in rows]
    totals = [float(r["total_s"]) for r in rows]
    glossed = [float(r["with_glosses_s"]) for r in rows]
    print(f"\n{len(rows)} questions, {sum(bool(r['declined']) for r in rows)} declined, "
          f"{sum(int(r['attempts']) > 1 for r in rows)} retried")  # fmt: skip
    print(f"time to first token:       {summary(firsts)}")
    print(f"answer shown (total):      {summary(totals)}")
    print(f"with the sources' glosses: {summary(glossed)}")
    if args.json:
        out = {"questions": rows, "follow_ups": follow_rows}
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
