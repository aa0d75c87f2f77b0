#!/usr/bin/env bash
# Builds the real-ComfyUI kit (../shared/realcomfy, see its README) for this repository's
# templates: a real ComfyUI 0.3.64 on CPU with tiny stand-in models, used by the conformance
# suite (tests/realcomfy). Everything goes under REALCOMFY_HOME (default
# ~/.cache/animatrix-realcomfy, never the repository).
#
#   scripts/realcomfy-setup.sh [extra setup.sh args]
#
# Idempotent: the kit redoes only what changed (about 3 s when nothing did; ~16 s after a
# template names a new model file; ~3 min on an empty cache, mostly PyPI wheels). The model
# files are derived from workflows/*/*/manifest.json, so a new template or profile needs no
# change here. Every model kind the templates use is in the kit's table (Wan 2.2 S2V, Animate,
# Fun InP and Fun Control); a template with a new kind adds `--kind FOLDER/NAME=KIND` below.
#
# Environment: REALCOMFY_KIT (kit folder, default ../shared/realcomfy beside the repository),
# REALCOMFY_HOME, REALCOMFY_WHEELHOUSE (see the kit README).
set -euo pipefail
cd "$(dirname "$0")/.."

KIT="${REALCOMFY_KIT:-../shared/realcomfy}"
if [ ! -x "$KIT/setup.sh" ]; then
  echo "realcomfy-setup: no kit at $KIT (set REALCOMFY_KIT to its folder)" >&2
  exit 1
fi

start_ns=$(date +%s%N)
"$KIT/setup.sh" --manifests workflows "$@"
ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "realcomfy-setup: kit ready in $((ms / 1000)).$(( (ms % 1000) / 100 )) s" \
  "(REALCOMFY_HOME=${REALCOMFY_HOME:-$HOME/.cache/animatrix-realcomfy})"
