#!/usr/bin/env bash
# Storage benchmark (issue 17): uploading a 1 GiB run video to a real S3 server (Garage,
# scripts/garage-setup.sh) with animatrix-storage (the upload publishing does) versus
# `rclone copyto` (Debian package, installed here if missing) to the same server, alternating,
# median of BENCH_ROUNDS. Prints the throughput ratio (goal >= 0.9x rclone) and our peak RSS
# growth (goal < 64 MB), and rclone's peak RSS for reference.
#
# Usage: scripts/bench-storage.sh          (BENCH_SIZE_MIB=256 for a quicker run)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
ROUNDS="${BENCH_ROUNDS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/animatrix-bench-storage.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

if ! command -v rclone >/dev/null; then
  echo "installing rclone (Debian package)..." >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq rclone >&2
fi
scripts/garage-setup.sh >&2

echo "building the benchmark driver..." >&2
cargo build --quiet -p animatrix-storage --example bench_upload
BIN="$CARGO_TARGET_DIR/debug/examples/bench_upload"

echo "generating a ${SIZE_MIB} MiB file..." >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/video.mp4"

echo "uploading ${ROUNDS}x each..." >&2
RESULT=$("$BIN" "$WORK/video.mp4" "$ROUNDS")
echo "$RESULT"
field() { echo "$RESULT" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
echo "ours $(field ours_mib_s) MiB/s, rclone $(field rclone_mib_s) MiB/s: ratio $(field ratio)x;" \
  "our peak RSS growth $(field ours_rss_growth_mib) MiB (rclone peak RSS $(field rclone_peak_rss_mib) MiB)"
