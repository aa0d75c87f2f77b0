#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service keychain (GNOME Keyring on a private D-Bus
# session), as a Linux desktop has, in a throwaway HOME so no real keyring is touched.
#   tests/e2e/with-keychain.sh cargo test -p animatrix-e2e --test window
# Needs: dbus (dbus-run-session) and gnome-keyring (apt-get install dbus gnome-keyring).
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "with-keychain: $tool not found (apt-get install dbus gnome-keyring)" >&2; exit 2; }
done
# Cargo and rustup live under the real HOME; keep them when HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
keyhome="$(mktemp -d)"
trap 'rm -rf "$keyhome"' EXIT
mkdir -m 700 "$keyhome/run"
export HOME="$keyhome" XDG_RUNTIME_DIR="$keyhome/run"
exec dbus-run-session -- sh -c '
  # The password only unlocks this throwaway keyring.
  printf %s throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' with-keychain "$@"
