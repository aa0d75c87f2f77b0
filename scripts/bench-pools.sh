#!/usr/bin/env bash
# Pool routing benchmark (issue 16): 30 Draft jobs at once on three fake servers (1x/2x/4x),
# makespan of the pool's routing vs round-robin vs the ideal. Wall time is dominated by the
# fakes' pacing, so the debug build measures the same as a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -p animatrix-core --example bench_pools
