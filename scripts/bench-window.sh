#!/usr/bin/env bash
# Window benchmark (docs/BENCHMARKS.md "Window"): launch-to-composer of the app against WebKit's
# MiniBrowser showing the same UI bundle, and core -> screen latency of progress updates.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-ui.sh >/dev/null
cargo build -p animatrix-studio --quiet
scripts/with-keyring.sh cargo run -p animatrix-e2e --example bench_window --quiet
