#!/usr/bin/env bash
# Builds the web UI into ui/dist, which the Tauri app embeds at compile time
# (so run this before `cargo build -p animatrix-studio`).
#   - installs the exact locked node modules when they are missing or older than
#     ui/package-lock.json;
#   - type-checks the Svelte/TS sources (svelte-check), then bundles them (vite build).
# Needs node >= 20.19 and npm.
set -euo pipefail
ui="$(cd "$(dirname "$0")/../ui" && pwd)"
cd "$ui"

installed=node_modules/.package-lock.json
if [[ ! -f "$installed" || package-lock.json -nt "$installed" ]]; then
  # `npm install` honours the lock exactly; `npm ci` (npm 11) refuses this lock because it only
  # records the optional platform packages (rollup, esbuild, tauri-cli) of the platform it was
  # made on, although `npm install` considers it in sync.
  npm install --no-audit --no-fund
fi
npx --no-install svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output human
npx --no-install vite build --logLevel warn
echo "build-ui: $ui/dist ready"
