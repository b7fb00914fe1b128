"""Every bench script still starts: its imports resolve and ``--help`` answers. A bench
that rots (an import moved, a helper renamed) fails here, not on the next person's run."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


def _help(script: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_INDEX_DIR": "/nonexistent/newsbot-bench-help"}
    return subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def helps() -> dict[str, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([s.name for s in SCRIPTS], pool.map(_help, SCRIPTS), strict=True))


def test_there_are_bench_scripts() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("name", [s.name for s in SCRIPTS])
def test_bench_script_answers_help(
    name: str, helps: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    r = helps[name]
    assert r.returncode == 0, r.stderr[-2000:]
    assert "usage:" in r.stdout, r.stdout[-500:]
