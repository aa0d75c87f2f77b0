#!/usr/bin/env bash
# Installs the Garage S3 server (https://garagehq.deuxfleurs.fr) from crates.io for the storage
# tests (crates/storage, tests against a real S3 server instead of a mock). The binary lands in
# GARAGE_HOME (default ~/.cache/animatrix-garage/<version>/bin/garage), never the repository.
#
#   scripts/garage-setup.sh        # prints the binary path on its last line
#
# Idempotent: skips when the binary exists (~0 s). On an empty cache it compiles Garage
# (~16 CPU-minutes); the build tree lives in its own CARGO_TARGET_DIR under the cache and is
# removed after install so the cache keeps only the ~40 MB binary.
set -euo pipefail

VERSION="${GARAGE_VERSION:-2.5.0}"
ROOT="${GARAGE_HOME:-$HOME/.cache/animatrix-garage}/$VERSION"
BIN="$ROOT/bin/garage"

if [ -x "$BIN" ]; then
  echo "garage-setup: $BIN already installed"
  echo "$BIN"
  exit 0
fi

export PATH="$HOME/.cargo/bin:$PATH"
BUILD="${GARAGE_HOME:-$HOME/.cache/animatrix-garage}/build"
start=$(date +%s)
mkdir -p "$ROOT"
# --locked: Garage's own Cargo.lock, so a new upstream dependency cannot break this build.
CARGO_TARGET_DIR="$BUILD" cargo install garage --version "$VERSION" --locked --root "$ROOT"
rm -rf "$BUILD"
echo "garage-setup: installed in $(( $(date +%s) - start )) s"
echo "$BIN"
