#!/usr/bin/env bash
# Transfer benchmark (issue 4): a 1 GiB upload (POST /upload/image, multipart) and download
# (GET /view) through animatrix-comfy versus curl, on the same file, against the same local
# server (the fake ComfyUI in its own process), in the same run. Prints throughput ratios and
# the client's peak RSS, and rewrites the "## Transfer (issue 4)" section of docs/BENCHMARKS.md.
#
# Usage: scripts/bench-transfer.sh            (BENCH_SIZE_MIB=256 for a quicker run)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
ROUNDS="${BENCH_ROUNDS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/animatrix-bench-transfer.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
echo "building the benchmark driver (release)..." >&2
cargo build --quiet --release -p animatrix-comfy --example bench_transfer
BIN="$CARGO_TARGET_DIR/release/examples/bench_transfer"

mkdir -p "$WORK/server/output" "$WORK/down"
echo "generating a ${SIZE_MIB} MiB file..." >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"
ln "$WORK/big.bin" "$WORK/server/output/big.bin"
BYTES=$(stat -c %s "$WORK/big.bin")

# The server prints "listening URL" once it accepts connections.
exec 3< <(exec "$BIN" serve "$WORK/server")
SERVER_PID=$!
read -r _ URL <&3
echo "server at $URL" >&2

json_field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
mib_s() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
best() { sort -g | tail -n 1; }

CURL_UP=(); CLIENT_UP=(); CURL_DOWN=(); CLIENT_DOWN=()
CURL_UP_CPU=(); CLIENT_UP_CPU=(); CURL_DOWN_CPU=(); CLIENT_DOWN_CPU=()
# user+sys CPU seconds and max RSS (KiB) of the last /usr/bin/time run.
cpu_of() { tail -n1 "$WORK/time" | awk '{ printf "%.3f", $1 + $2 }'; }
rss_of() { tail -n1 "$WORK/time" | awk '{ print $3 }'; }
least() { sort -g | head -n 1; }
CLIENT_UP_HWM=0; CLIENT_DOWN_HWM=0; CLIENT_UP_GROWTH=0; CLIENT_DOWN_GROWTH=0; CURL_HWM=0
max() { if (( $1 > $2 )); then echo "$1"; else echo "$2"; fi; }

curl_upload() {
  local out
  out=$(/usr/bin/time -f '%U %S %M' -o "$WORK/time" curl -sS -o /dev/null -w '%{time_total}' \
    -F "image=@$WORK/big.bin;filename=curl_$1.bin" -F type=input -F overwrite=true \
    "$URL/upload/image")
  CURL_UP+=("$(mib_s "$out")"); CURL_HWM=$(max "$CURL_HWM" "$(rss_of)"); CURL_UP_CPU+=("$(cpu_of)")
  rm -f "$WORK/server/input/curl_$1.bin"
}
client_upload() {
  local line hwm base
  line=$(/usr/bin/time -f '%U %S %M' -o "$WORK/time" "$BIN" upload "$URL" "$WORK/big.bin" "client_$1.bin")
  CLIENT_UP+=("$(echo "$line" | json_field mib_s)"); CLIENT_UP_CPU+=("$(cpu_of)")
  hwm=$(echo "$line" | json_field hwm_kib); base=$(echo "$line" | json_field rss_base_kib)
  CLIENT_UP_HWM=$(max "$CLIENT_UP_HWM" "$hwm"); CLIENT_UP_GROWTH=$(max "$CLIENT_UP_GROWTH" $((hwm - base)))
  cmp -s "$WORK/big.bin" "$WORK/server/input/client_$1.bin" || { echo "upload corrupted" >&2; exit 1; }
  rm -f "$WORK/server/input/client_$1.bin"
}
curl_download() {
  local out
  out=$(/usr/bin/time -f '%U %S %M' -o "$WORK/time" curl -sS -o "$WORK/down/curl.bin" -w '%{time_total}' \
    "$URL/view?filename=big.bin&type=output")
  CURL_DOWN+=("$(mib_s "$out")"); CURL_HWM=$(max "$CURL_HWM" "$(rss_of)"); CURL_DOWN_CPU+=("$(cpu_of)")
  rm -f "$WORK/down/curl.bin"
}
client_download() {
  local line hwm base
  line=$(/usr/bin/time -f '%U %S %M' -o "$WORK/time" "$BIN" download "$URL" big.bin "$WORK/down/client.bin")
  CLIENT_DOWN+=("$(echo "$line" | json_field mib_s)"); CLIENT_DOWN_CPU+=("$(cpu_of)")
  hwm=$(echo "$line" | json_field hwm_kib); base=$(echo "$line" | json_field rss_base_kib)
  CLIENT_DOWN_HWM=$(max "$CLIENT_DOWN_HWM" "$hwm"); CLIENT_DOWN_GROWTH=$(max "$CLIENT_DOWN_GROWTH" $((hwm - base)))
  cmp -s "$WORK/big.bin" "$WORK/down/client.bin" || { echo "download corrupted" >&2; exit 1; }
  rm -f "$WORK/down/client.bin"
}

# Alternate who goes first each round: the second of a pair meets the first one's disk
# writeback.
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then
    curl_upload "$round"; client_upload "$round"; curl_download; client_download
  else
    client_upload "$round"; curl_upload "$round"; client_download; curl_download
  fi
done

cu=$(printf '%s\n' "${CURL_UP[@]}" | best); ku=$(printf '%s\n' "${CLIENT_UP[@]}" | best)
cd_=$(printf '%s\n' "${CURL_DOWN[@]}" | best); kd=$(printf '%s\n' "${CLIENT_DOWN[@]}" | best)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
UP_RATIO=$(ratio "$ku" "$cu"); DOWN_RATIO=$(ratio "$kd" "$cd_")
cuc=$(printf '%s\n' "${CURL_UP_CPU[@]}" | least); kuc=$(printf '%s\n' "${CLIENT_UP_CPU[@]}" | least)
cdc=$(printf '%s\n' "${CURL_DOWN_CPU[@]}" | least); kdc=$(printf '%s\n' "${CLIENT_DOWN_CPU[@]}" | least)

TABLE=$(cat <<EOF
| transfer (${SIZE_MIB} MiB, best of ${ROUNDS}) | animatrix-comfy | curl | ratio | CPU s client / curl | client peak RSS | RSS growth | goal |
|---|---|---|---|---|---|---|---|
| upload (multipart, streamed from disk) | ${ku} MiB/s | ${cu} MiB/s | ${UP_RATIO}x | ${kuc} / ${cuc} | $(mib "$CLIENT_UP_HWM") MiB | $(mib "$CLIENT_UP_GROWTH") MiB | >= 0.9x, growth < 64 MB |
| download (/view, streamed to disk) | ${kd} MiB/s | ${cd_} MiB/s | ${DOWN_RATIO}x | ${kdc} / ${cdc} | $(mib "$CLIENT_DOWN_HWM") MiB | $(mib "$CLIENT_DOWN_GROWTH") MiB | >= 0.9x, growth < 64 MB |
EOF
)
echo "$TABLE"
echo "curl peak RSS: $(mib "$CURL_HWM") MiB" >&2

SECTION=$(cat <<EOF
## Transfer (issue 4)

Command: \`scripts/bench-transfer.sh\` (release build of \`crates/comfy/examples/bench_transfer.rs\`;
generates a ${SIZE_MIB} MiB random file in a temp dir, serves it with the fake ComfyUI in a separate
process, and alternates curl and the client on the same file (who goes first alternates),
${ROUNDS} rounds, best of each; both
uploads are checked byte for byte on the server and the download against the original).
RSS growth = the client process's peak RSS (VmHWM) minus its RSS just before the transfer, after
runtime and client setup; curl's peak RSS was $(mib "$CURL_HWM") MiB. CPU s = user+sys of the whole
process (least of the rounds; the client's includes runtime start and loading the OS trust store),
which contention from other builds disturbs far less than wall-clock throughput.

${TABLE}

Measured $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end), loopback.
On the shared 2-core machine absolute MiB/s swing by tens of percent from run to run with other
builds; the ratios are what to compare (both tools run interleaved on the same file).
EOF
)
DOC="$ROOT/docs/BENCHMARKS.md"
mkdir -p "$(dirname "$DOC")"
[[ -f "$DOC" ]] || printf '# Benchmarks\n' >"$DOC"
# Replace our section (up to the next "## " heading) or append it.
SECTION="$SECTION" awk '
  /^## Transfer \(issue 4\)/ { skipping = 1; print ENVIRON["SECTION"]; print ""; printed = 1; next }
  skipping && /^## / { skipping = 0 }
  !skipping { print }
  END { if (!printed) { print ""; print ENVIRON["SECTION"] } }
' "$DOC" >"$WORK/doc" && cp "$WORK/doc" "$DOC"
echo "updated $DOC" >&2
