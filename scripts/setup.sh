#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build, run and test Animatrix Studio.
# Idempotent: each step checks first. Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# System packages (../shared/PLATFORM.md): WebKitGTK + build tools for Tauri, GStreamer's MP4 and
# H.264/AAC decoders (the run player: WebKitGTK plays video through GStreamer), window test tools,
# keychain backends for the keychain tests, media tools used by benchmarks.
PKGS=(libwebkit2gtk-4.1-dev build-essential curl wget file libssl-dev libayatana-appindicator3-dev
      librsvg2-dev libxdo-dev pkg-config libdbus-1-dev
      gstreamer1.0-plugins-good gstreamer1.0-libav
      xvfb xauth webkit2gtk-driver imagemagick
      dbus dbus-x11 gnome-keyring libsecret-tools keyutils
      ffmpeg sox nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node from another source (nvm, nodesource) is fine: only install Debian's when none is present.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
pkgs_to_install=()
for p in "${missing[@]}"; do [ -n "$p" ] && pkgs_to_install+=("$p"); done
if [ "${#pkgs_to_install[@]}" -gt 0 ]; then
  echo "setup: installing ${pkgs_to_install[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs_to_install[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing. Install it from https://rustup.rs (stable), then re-run." >&2
  exit 1
fi

# tauri-driver bridges WebDriver to WebKitWebDriver for the window tests (pinned to v2: v3 is alpha).
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi

# The web UI: node modules + production build (the app embeds ui/dist).
if [ -x scripts/build-ui.sh ]; then
  scripts/build-ui.sh
fi
