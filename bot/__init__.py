"""newsbot: sourced answers from Arabic news reporting."""

from bot.config import Settings, get_settings
from bot.errors import NewsbotError

__all__ = ["NewsbotError", "Settings", "get_settings"]
