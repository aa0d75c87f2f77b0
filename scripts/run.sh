#!/usr/bin/env bash
# Installs what is missing on a fresh Debian/Ubuntu machine, builds, and launches the app on its
# embedded defaults (SQLite in the OS data dir, the production server as the default endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
cargo build -p animatrix-studio --release
exec target/release/animatrix-studio "$@"
