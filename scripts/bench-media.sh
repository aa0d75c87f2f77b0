#!/usr/bin/env bash
# Media benchmark (issue 6): our pipeline vs the reference tools, same run, same inputs.
#   1. 24 MP JPEG -> 832x480 center-crop PNG + 256 px JPEG thumbnail  vs ImageMagick convert
#   2. 10-minute MP3 44.1 kHz stereo -> WAV kept at 44.1 kHz stereo s16 vs ffmpeg
#   2b. 10-minute 96 kHz 24-bit stereo WAV master -> 48 kHz stereo s24   vs ffmpeg (soxr-less swr)
#   3. probe of a >= 1 GiB MP4 (moov after mdat)                       vs ffprobe
# Inputs are generated in a temp dir (never committed). Best of N wall times, whole processes.
# Usage: scripts/bench-media.sh [--append]   (--append adds the results to docs/BENCHMARKS.md)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${BENCH_RUNS:-3}"
append=0
[ "${1:-}" = "--append" ] && append=1
for tool in ffmpeg ffprobe /usr/bin/convert /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install ffmpeg imagemagick time)" >&2; exit 1; }
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --quiet --release -p animatrix-media --example bench_media)
bench="$CARGO_TARGET_DIR/release/examples/bench_media"

work="$(mktemp -d "${TMPDIR:-/tmp}/animatrix-bench-media.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "generating inputs in $work ..."
# Film-grain noise gives the JPEG a photo-like entropy (a flat test pattern decodes unrealistically fast).
ffmpeg -v error -y -f lavfi -i "testsrc2=size=6000x4000" -vf "noise=alls=25:allf=u" -frames:v 1 -q:v 2 "$work/photo.jpg"
ffmpeg -v error -y -f lavfi \
  -i "aevalsrc=0.3*sin(2*PI*440*t)+0.1*sin(2*PI*1234*t)|0.3*sin(2*PI*660*t)+0.05*sin(2*PI*3000*t):s=44100:d=600" \
  -c:a libmp3lame -b:a 192k "$work/talk.mp3"
ffmpeg -v error -y -f lavfi \
  -i "aevalsrc=0.3*sin(2*PI*440*t)+0.1*sin(2*PI*1234*t)|0.3*sin(2*PI*660*t)+0.05*sin(2*PI*3000*t):s=96000:d=600" \
  -c:a pcm_s24le "$work/master.wav"
# High-bitrate H.264 clip, then stream-copied in a loop until the file passes 1 GiB.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" -t 10 \
  -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p "$work/clip.mp4"
clip_bytes=$(stat -c %s "$work/clip.mp4")
loops=$(( (1073741824 + clip_bytes - 1) / clip_bytes ))
ffmpeg -v error -y -stream_loop "$loops" -i "$work/clip.mp4" -c copy "$work/big.mp4"
big_bytes=$(stat -c %s "$work/big.mp4")

# best_of CMD...: prints "<best wall seconds> <max RSS KB> <CPU seconds (user+sys)>" of the
# fastest run (wall from the nanosecond clock around the process; RSS and CPU from GNU time).
best_of() {
  local best="" rss="" cpu=""
  for _ in $(seq "$runs"); do
    local t0 t1 wall kb c
    t0=$(date +%s%N)
    /usr/bin/time -f "%M %U %S" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
      cat "$work/err.txt" >&2; return 1; }
    t1=$(date +%s%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
    read -r kb c < <(tail -n1 "$work/time.txt" | awk '{printf "%s %.2f\n", $1, $2 + $3}')
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then best="$wall"; rss="$kb"; cpu="$c"; fi
  done
  echo "$best $rss $cpu"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b<=0) b=0.001; printf "%.2f", a/b }'; }

echo "image ..."
read -r ours_img ours_img_rss ours_img_cpu < <(best_of "$bench" image "$work/photo.jpg" "$work/ours.png" "$work/ours_thumb.jpg")
read -r im_img im_img_rss im_img_cpu < <(best_of /usr/bin/convert "$work/photo.jpg" -filter Lanczos -resize '832x480^' \
  -gravity center -extent 832x480 -write "$work/im.png" -resize 256x256 "$work/im_thumb.jpg")

echo "audio ..."
read -r ours_aud ours_aud_rss ours_aud_cpu < <(best_of "$bench" audio "$work/talk.mp3" "$work/ours.wav")
read -r ff_aud ff_aud_rss ff_aud_cpu < <(best_of ffmpeg -v error -y -i "$work/talk.mp3" -c:a pcm_s16le "$work/ff.wav")
ours_wav_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/ours.wav")
ff_wav_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/ff.wav")
read -r ours_hi ours_hi_rss ours_hi_cpu < <(best_of "$bench" audio "$work/master.wav" "$work/ours_hi.wav")
read -r ff_hi ff_hi_rss ff_hi_cpu < <(best_of ffmpeg -v error -y -i "$work/master.wav" -ar 48000 -c:a pcm_s24le "$work/ff_hi.wav")
ours_hi_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/ours_hi.wav")
ff_hi_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/ff_hi.wav")

echo "video probe ..."
read -r ours_vid ours_vid_rss ours_vid_cpu < <(best_of "$bench" video "$work/big.mp4")
ours_vid_inproc=$(sed -n 's/.*elapsed_ms=\([0-9.]*\).*/\1/p' "$work/out.txt")
read -r ffp_vid ffp_vid_rss ffp_vid_cpu < <(best_of ffprobe -v error -show_streams -show_format "$work/big.mp4")

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x$(nproc)"
report=$(cat <<EOF
$(date -u +%Y-%m-%d) on ${cpu}; best of ${runs}, whole-process wall time, release build, 2 cores shared with other builds.

| task | animatrix-media wall (CPU) | reference wall (CPU) | speed-up (wall) | peak RSS ours / ref |
|---|---|---|---|---|
| 24 MP JPEG (6000x4000) -> 832x480 crop PNG + 256 px JPEG thumb | ${ours_img} s (${ours_img_cpu} s) | ImageMagick 6 convert, Lanczos: ${im_img} s (${im_img_cpu} s) | $(ratio "$im_img" "$ours_img")x (goal 2x) | ${ours_img_rss} / ${im_img_rss} KB |
| 10 min MP3 44.1 kHz stereo -> WAV kept at 44.1 kHz stereo s16 | ${ours_aud} s (${ours_aud_cpu} s), out ${ours_wav_s} s | ffmpeg: ${ff_aud} s (${ff_aud_cpu} s), out ${ff_wav_s} s | $(ratio "$ff_aud" "$ours_aud")x (goal > 1x) | ${ours_aud_rss} / ${ff_aud_rss} KB |
| 10 min WAV 96 kHz s24 stereo -> 48 kHz s24 stereo | ${ours_hi} s (${ours_hi_cpu} s), out ${ours_hi_s} s | ffmpeg: ${ff_hi} s (${ff_hi_cpu} s), out ${ff_hi_s} s | $(ratio "$ff_hi" "$ours_hi")x (goal > 1x) | ${ours_hi_rss} / ${ff_hi_rss} KB |
| probe of a $((big_bytes / 1048576)) MiB MP4 (moov after mdat) | ${ours_vid} s process, ${ours_vid_inproc} ms in-process | ffprobe: ${ffp_vid} s | $(ratio "$ffp_vid" "$ours_vid")x (goal < 50 ms) | ${ours_vid_rss} / ${ffp_vid_rss} KB |

Load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers' builds share the 2 cores).
EOF
)
echo
echo "$report"

if [ "$append" = 1 ]; then
  doc="$root/docs/BENCHMARKS.md"
  [ -f "$doc" ] || echo "# Benchmarks" >"$doc"
  # Insert at the end of our section (before the next "## " heading), creating it if missing.
  REPORT="$report" awk '
    BEGIN { report = ENVIRON["REPORT"]; heading = "## Media (issue 6)" }
    function emit() { print ""; print report; done = 1 }
    $0 == heading { inside = 1; seen = 1; print; next }
    inside && /^## / { emit(); print ""; inside = 0 }
    { print }
    END {
      if (inside && !done) emit()
      if (!seen) {
        print ""; print heading; print ""
        print "Reproduce: `scripts/bench-media.sh --append` (needs ffmpeg, imagemagick, time)."
        emit()
      }
    }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "appended to docs/BENCHMARKS.md"
fi
