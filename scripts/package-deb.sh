#!/usr/bin/env bash
# Builds the Debian package with the Tauri bundler and checks what is inside.
#   scripts/package-deb.sh            debug build (what CI checks; reuses the test build)
#   scripts/package-deb.sh --release  the package to hand out
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
args=(--debug)
if [ "${1:-}" = "--release" ]; then profile=release; args=(); fi
ui/node_modules/.bin/tauri build "${args[@]}" --bundles deb --ci
deb=$(ls -t "${CARGO_TARGET_DIR:-target}/$profile/bundle/deb/"*.deb | head -1)
contents=$(dpkg-deb -c "$deb")
for want in " usr/bin/animatrix-studio" " usr/share/applications/Animatrix Studio.desktop"; do
  grep -qF "$want" <<<"$contents" || { echo "package-deb: $want missing from $deb" >&2; exit 1; }
done
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1 || { echo "package-deb: no WebKitGTK dependency" >&2; exit 1; }
echo "package-deb: $deb ($(du -h "$deb" | cut -f1)) depends on: $(dpkg-deb -f "$deb" Depends)"
