#!/usr/bin/env bash
# Set up (first time) and open the newsbot web chat on the embedded default:
# bundled model, bundled embeddings, the seed articles. http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
.venv/bin/newsbot setup        # assemble + verify the bundled model; ingest seeds/ if changed
exec .venv/bin/newsbot chat "$@"
