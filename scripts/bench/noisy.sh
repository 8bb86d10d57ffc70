#!/usr/bin/env bash
# Noisy-neighbour benchmark (issue 19): wrk against a normal endpoint of `luabox run`
# (host/benches/apps/noisy, a fresh sandbox per request) alone, then while 2 and 4 requests to
# an endless loop in the same app spin (each ended by its 1 s deadline and sent again at once).
# Prints the normal endpoint's requests/s, p50 and p99, and its p99 beside the spinners as a
# ratio of its p99 alone, all measured in this run. wrk: 1 thread, 8 connections, DURATION
# (default 10s). LUABOX: the binary to measure (default: a release build).
#
# Needs wrk and curl (Debian); wrk is installed here when apt-get is usable.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-10s}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q wrk >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; })
  else
    echo "bench/noisy: needs wrk (apt-get install wrk)" >&2
    exit 1
  fi
fi
if [ -z "${LUABOX:-}" ]; then
  cargo build -q --release
  LUABOX=target/release/luabox
fi

work=$(mktemp -d)
pids=()
spinners=()
stop_spinners() {
  for pid in ${spinners[@]+"${spinners[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${spinners[@]+"${spinners[@]}"}; do wait "$pid" 2>/dev/null || true; done
  spinners=()
}
cleanup() {
  stop_spinners
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp -r host/benches/apps/noisy "$work/app"
sed -i "s/addr: 127.0.0.1:8080/addr: 127.0.0.1:$port/" "$work/app/_index.yaml"
"$LUABOX" run "$work/app" 2>"$work/luabox.log" &
pids+=($!)
base=http://127.0.0.1:$port
for _ in $(seq 200); do curl -sf "$base/hello" >/dev/null 2>&1 && break; sleep 0.05; done

# "requests/s p50 p99" from wrk's --latency output, latencies in ms.
measure() {
  wrk -t1 -c8 -d"$duration" --latency "$base/hello" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rate = $2 }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "bench/noisy: non-2xx responses: " bad > "/dev/stderr"; exit 1 }
          printf "%.0f %.2f %.2f\n", rate, p50, p99 }'
}

spin() {
  for _ in $(seq "$1"); do
    (while :; do curl -s -m 5 "$base/spin" >/dev/null || true; done) &
    spinners+=($!)
  done
  sleep 0.5
}

echo "| noisy neighbour (wrk on GET /hello, 1 thread, 8 connections, $duration) | requests/s | p50 | p99 | p99 / p99 alone | target |"
echo "|---|---|---|---|---|---|"
read -r rate p50 alone < <(measure)
printf '| alone | %s | %s ms | %s ms | 1.00x | |\n' "$rate" "$p50" "$alone"
for n in 2 4; do
  spin "$n"
  read -r rate p50 p99 < <(measure)
  stop_spinners
  target=$([ "$n" = 2 ] && echo "<= 2x" || echo "<= 3x")
  ratio=$(awk -v a="$p99" -v b="$alone" 'BEGIN { printf "%.2f", a / b }')
  printf '| beside %s spinning requests (endless loops, 1 s deadline) | %s | %s ms | %s ms | %sx | %s |\n' \
    "$n" "$rate" "$p50" "$p99" "$ratio" "$target"
done
