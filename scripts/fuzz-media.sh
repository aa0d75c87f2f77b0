#!/usr/bin/env bash
# Runs each media fuzz target (sniff, image_header, audio_probe, video_probe) briefly.
# Usage: scripts/fuzz-media.sh [seconds-per-target]   (default 60)
# Installs cargo-fuzz if missing. The toolchain here is stable only: RUSTC_BOOTSTRAP=1 lets the
# -Z flags cargo-fuzz passes to rustc (sanitizer, coverage instrumentation) work on stable.
# FUZZ_SANITIZER=none|address (default address; "none" is faster and needs no ASan runtime).
set -euo pipefail

secs="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
media="$root/crates/media"
sanitizer="${FUZZ_SANITIZER:-address}"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
"$media/fuzz/seed-corpus.sh"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$media/fuzz/target}"
cd "$media"
status=0
for target in sniff image_header audio_probe video_probe; do
  echo "== fuzz $target for ${secs}s (sanitizer: $sanitizer)"
  if ! cargo fuzz run --sanitizer "$sanitizer" "$target" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 -timeout=10 -print_final_stats=1; then
    echo "!! $target found a crash; reproducer in crates/media/fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit "$status"
