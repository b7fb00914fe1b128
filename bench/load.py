"""Load benchmark: N simulated users asking the running web chat at once.

The app is newsbot's real chat (gradio on uvicorn, real retrieval over the seed
index) with the test model server (tests/support/openai_server.py) answering every
chat call after a fixed delay, so the figures are newsbot's own overhead plus queueing,
not a model's speed. Each user is a ``gradio_client.Client`` (its own session) that
asks ``--requests`` questions one after another through the ``/ask`` API.

    python bench/load.py [--users 1 5 20] [--requests 3] [--delay 1.0]
                         [--concurrency 2 16] [--index DIR]

Prints one row per (UI concurrency, users): requests, errors, throughput and p50/p95
latency. ``--index`` reuses an index folder over seeds/ (default: a copy of ./index if
it holds the seeds, else the seeds are ingested into a temporary one first).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import web  # noqa: E402, F401  (sets gradio's telemetry switches first)
from bot.config import Settings  # noqa: E402
from bot.service import Newsbot  # noqa: E402
from tests.support.chat_server import start_chat  # noqa: E402
from tests.support.openai_server import FakeOpenAI  # noqa: E402
from tests.support.synthetic import SEED_QUESTIONS as QUESTIONS  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def prepare_index(arg: str | None, work: Path) -> Path:
    """An index folder over seeds/: the one given (ingested into if empty, then kept for
    the next run), a copy of ./index, or a fresh ingest."""
    index = Path(arg) if arg else work / "index"
    own = ROOT / "index"
    manifest = own / "manifest.json"
    if arg and (index / "manifest.json").exists():
        return index
    if not arg and manifest.exists() and str(ROOT / "seeds") in manifest.read_text("utf-8"):
        shutil.copytree(own, index)  # a copy: never touch the project's own index
        return index
    print("ingesting seeds/ into a temporary index first…", flush=True)
    Newsbot(Settings(index_dir=index, corpus_dir=ROOT / "seeds")).ingest()
    return index


def run_users(url: str, users: int, requests: int) -> tuple[list[float], int, float]:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    clients = [Client(url, verbose=False) for _ in range(users)]
    start = threading.Barrier(users + 1)

    def user(i: int, client: Client) -> None:
        start.wait()
        for r in range(requests):
            q = QUESTIONS[(i + r) % len(QUESTIONS)]
            t = time.perf_counter()
            try:
                out = client.predict(q, "auto", [], api_name="/ask")
                problem = "" if out.get("answer") and not out.get("declined") else "declined"
            except Exception as exc:  # any failure a user would see counts as an error
                problem = f"{type(exc).__name__}: {exc}"[:200]
            with lock:
                if problem:
                    errors.append(problem)
                else:
                    latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=user, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}", flush=True)
    return latencies, users * requests - len(latencies), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, nargs="+", default=[1, 5, 20])
    ap.add_argument("--requests", type=int, default=3, help="questions per user")
    ap.add_argument("--delay", type=float, default=1.0, help="model server delay, seconds")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[2, 16])
    ap.add_argument("--index", default=None)
    args = ap.parse_args()

    console = Console()
    table = Table(title=f"bench/load.py: model server delay {args.delay:.1f} s per answer")
    for col in ("UI concurrency", "users", "requests", "errors", "req/s", "p50 s", "p95 s"):
        table.add_column(col, justify="right")

    with tempfile.TemporaryDirectory(prefix="newsbot-load-") as tmp:
        index = prepare_index(args.index, Path(tmp))
        fake = FakeOpenAI().start()
        fake.delay = args.delay
        try:
            for conc in args.concurrency:
                settings = Settings(
                    index_dir=index,
                    corpus_dir=ROOT / "seeds",
                    base_url=fake.base_url,
                    chat_model="fake-model",
                    ui_concurrency=conc,
                )
                bot = Newsbot(settings)
                chat = start_chat(bot)
                try:
                    run_users(chat.url, 1, 1)  # warm-up: model load, lexical index
                    for n in args.users:
                        lat, errors, wall = run_users(chat.url, n, args.requests)
                        table.add_row(
                            str(conc),
                            str(n),
                            str(n * args.requests),
                            str(errors),
                            f"{len(lat) / wall:.2f}",
                            f"{statistics.median(lat):.2f}" if lat else "-",
                            f"{percentile(lat, 95):.2f}" if lat else "-",
                        )
                        print(f"done: UI concurrency {conc}, {n} users", flush=True)
                finally:
                    chat.stop()
        finally:
            fake.stop()
    console.print(table)


if __name__ == "__main__":
    main()
