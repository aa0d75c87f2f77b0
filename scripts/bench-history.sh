#!/usr/bin/env bash
# History benchmark (issue 7): 100k jobs, first page + prompt search, core vs the sqlite3 CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
cargo run --quiet --release -p animatrix-core --example bench_history
