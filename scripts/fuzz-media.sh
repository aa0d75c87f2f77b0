#!/usr/bin/env bash
# Runs each media fuzz target (sniff, image_header, audio_probe, video_probe) briefly.
# Usage: scripts/fuzz-media.sh [seconds-per-target]   (default 60)
# Installs cargo-fuzz if missing. The toolchain here is stable only: RUSTC_BOOTSTRAP=1 lets the
# -Z flags cargo-fuzz passes to rustc (sanitizer, coverage instrumentation) work on stable.
# FUZZ_SANITIZER=none|address (default address; "none" is faster and needs no ASan runtime).
# FUZZ_RUNS=N: a reproducible pass instead of a timed one: N inputs per target from a fixed seed
# (FUZZ_SEED, default 1), so the same commit always fuzzes the same inputs. The test command uses
# it: a timed campaign explores new inputs on every run, which belongs on a developer's machine
# (`scripts/fuzz-media.sh 600`), not in a gate that must give the same answer twice.
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
if [ -n "${FUZZ_RUNS:-}" ]; then
  budget=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}" -max_total_time=$((secs * 4)))
  what="$FUZZ_RUNS inputs from seed ${FUZZ_SEED:-1}"
else
  budget=(-max_total_time="$secs")
  what="${secs}s"
fi
for target in sniff image_header audio_probe video_probe; do
  echo "== fuzz $target: $what (sanitizer: $sanitizer)"
  if ! cargo fuzz run --sanitizer "$sanitizer" "$target" -- \
      "${budget[@]}" -rss_limit_mb=2048 -max_len=262144 -timeout=10 -print_final_stats=1; then
    echo "!! $target found a crash; reproducer in crates/media/fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit "$status"
