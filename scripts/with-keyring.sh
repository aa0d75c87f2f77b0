#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (Secret Service),
# the same backend Linux desktops use. Used by the test command so keychain tests hit a real backend.
# Usage: scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail
if [ "${ANIMATRIX_IN_KEYRING_SESSION:-}" = 1 ]; then exec "$@"; fi
runtime=$(mktemp -d)
chmod 700 "$runtime"
export XDG_RUNTIME_DIR="$runtime"
export ANIMATRIX_KEYRING_HOME="$runtime/home"
mkdir -p "$ANIMATRIX_KEYRING_HOME"
export ANIMATRIX_IN_KEYRING_SESSION=1
trap 'rm -rf "$runtime"' EXIT
dbus-run-session -- bash -c '
  set -e
  # gnome-keyring reads HOME for its store: keep it private to this session.
  eval "$(printf "animatrix-test\n" | HOME="$ANIMATRIX_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export ANIMATRIX_REQUIRE_KEYCHAIN=1
  exec "$@"
' keyring-session "$@"
