"""newsbot: sourced answers from Arabic news reporting."""

import os

# The embedding model's OpenMP threads spin while idle by default; next to the bundled
# model on a small machine that starves both (measured under load: search p50 2.5-3.7 s
# spinning, 70-80 ms passive). Set before any model library loads; the user's value wins.
USER_OMP_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.config import Settings, get_settings  # noqa: E402 (after the environment)
from bot.errors import NewsbotError  # noqa: E402

__all__ = ["NewsbotError", "Settings", "get_settings"]
