#!/usr/bin/env bash
# Rebuilds demo/sample.animatrix-demo (issue 9): one Audio and one Animate Move run recorded
# against the in-process fake ComfyUI from ../shared/fixtures, exported as the labelled sample.
# The core embeds the file, so rebuild the app (and rerun the demo tests) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
out="demo/sample.animatrix-demo"
tmp="$(mktemp "demo/.sample.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cargo run --quiet -p animatrix-core --example make_sample_pack -- "$tmp"
mv "$tmp" "$out"
trap - EXIT
ls -l "$out"
