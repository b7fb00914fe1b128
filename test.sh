#!/usr/bin/env bash
# Set up (first time) and run every test, the live bundled-model ones included.
# Pass pytest options through, e.g. ./test.sh -m "not live".
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_DISABLE_TELEMETRY=1
.venv/bin/ruff check bot tests bench
.venv/bin/mypy            # bot/, settings in pyproject.toml
exec .venv/bin/python -m pytest -ra "$@"
