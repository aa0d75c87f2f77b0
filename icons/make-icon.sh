#!/usr/bin/env bash
# Regenerates the app icon set in this folder from scratch (original artwork, drawn here):
# a violet-to-teal rounded square with a frame, a play triangle and a "character" dot.
# Needs the real ImageMagick 6 (`/usr/bin/convert`) and the UI's node modules (tauri CLI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
im=/usr/bin/convert
"$im" -size 1448x1448 gradient:'#6d4aff'-'#14b8a6' -rotate -45 -gravity center -extent 1024x1024 +repage "$work/grad.png"
"$im" -size 1024x1024 xc:none -fill white -draw "roundrectangle 64,64 960,960 200,200" "$work/mask.png"
"$im" "$work/grad.png" "$work/mask.png" -alpha off -compose CopyOpacity -composite "$work/base.png"
"$im" "$work/base.png" \
  -fill 'rgba(255,255,255,0.22)' -draw "roundrectangle 200,240 824,784 70,70" \
  -fill white -draw "polygon 430,370 430,654 676,512" \
  -fill white -draw "circle 310,340 310,292" \
  "$work/icon-1024.png"
(cd "$here/../ui" && npx tauri icon "$work/icon-1024.png" -o "$here")
# Only the desktop sizes are used (tauri.conf.json bundle.icon); drop mobile/store variants.
rm -rf "$here/android" "$here/ios" "$here"/Square*Logo.png "$here/StoreLogo.png"
