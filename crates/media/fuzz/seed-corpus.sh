#!/usr/bin/env bash
# Seeds corpus/<target>/ from ../shared/fixtures (relative to the repo root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../../../../shared/fixtures"
[ -d "$fixtures" ] || { echo "fixtures not found at $fixtures" >&2; exit 1; }
seed() { # target, files...
  local target="$1"; shift
  mkdir -p "$here/corpus/$target"
  for f in "$@"; do [ -f "$f" ] && cp -f "$f" "$here/corpus/$target/"; done
}
seed sniff "$fixtures"/* "$fixtures"/bad/*
seed image_header "$fixtures"/*.png "$fixtures"/*.jpg "$fixtures"/*.webp "$fixtures"/bad/*.png
# Hostile headers that once hung the normalizer with memory growing without bound (issue 15):
# named so a renamed fixture fails here instead of silently leaving the corpus.
for f in wav_sample_rate_4294967295.wav wav_sample_rate_1hz.wav; do
  [ -f "$fixtures/bad/$f" ] || { echo "missing fixture bad/$f" >&2; exit 1; }
done
seed audio_probe "$fixtures"/bad/wav_sample_rate_4294967295.wav "$fixtures"/bad/wav_sample_rate_1hz.wav
seed sniff "$fixtures"/bad/wav_sample_rate_4294967295.wav "$fixtures"/bad/wav_sample_rate_1hz.wav
seed audio_probe "$fixtures"/*.wav "$fixtures"/*.mp3 "$fixtures"/*.m4a "$fixtures"/*.flac "$fixtures"/*.ogg "$fixtures"/bad/*.wav "$fixtures"/bad/audio_only_renamed.mp4
seed video_probe "$fixtures"/*.mp4 "$fixtures"/*.mov "$fixtures"/*.webm "$fixtures"/bad/*.mp4 "$fixtures"/bad/*.mov "$fixtures"/bad/*.avi
echo "corpus seeded in $here/corpus"
