"""The web wing: the gradio chat page, its API, and the article route, over ``Newsbot``."""

import os

# Before gradio is imported: no analytics, version checks or hub telemetry.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from bot.web.app import LOOPBACK, check_bind, create_app, launch

__all__ = ["LOOPBACK", "check_bind", "create_app", "launch"]
