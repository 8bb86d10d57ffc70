#!/usr/bin/env bash
# HTTP benchmark (issue 6): wrk against `GET /hello/{name}` of examples/http served by
# `luabox run` (a fresh sandbox per request), and against the same handler in nginx's Lua module
# (the baseline, unsandboxed), in one run. Prints one table row per server: requests/s and p50 /
# p99 latency. Both get the same wrk settings: 1 thread, 32 connections, DURATION (default 10s).
#
# Needs wrk, nginx and libnginx-mod-http-lua (Debian); installed here when apt-get is usable.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-10s}

if ! command -v wrk >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get install -y -q wrk libnginx-mod-http-lua >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && apt-get install -y -q wrk libnginx-mod-http-lua >/dev/null; })
  else
    echo "bench/http: needs wrk and libnginx-mod-http-lua (apt-get install wrk libnginx-mod-http-lua)" >&2
    exit 1
  fi
fi
cargo build -q --release

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench/http: $1 did not answer" >&2; exit 1
}
# "requests/s p50 p99" from wrk's --latency output, latencies in ms.
measure() {
  wrk -t1 -c32 -d"$duration" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rate = $2 }
    / [0-9]+ requests in / { }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "bench/http: non-2xx responses: " bad > "/dev/stderr"; exit 1 }
          printf "%.0f %.2f %.2f\n", rate, p50, p99 }'
}

# luabox: a copy of examples/http on a free port.
cp -r examples/http "$work/app"
port=$(free_port)
sed -i "s/addr: 127.0.0.1:8080/addr: 127.0.0.1:$port/" "$work/app/_index.yaml"
target/release/luabox run "$work/app" 2>"$work/luabox.log" &
pids+=($!)
wait_for "http://127.0.0.1:$port/hello/warm"
read -r lb_rate lb_p50 lb_p99 < <(measure "http://127.0.0.1:$port/hello/world")

# nginx + Lua, the same handler.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
sed -e "s|@DIR@|$work/nginx|g" -e "s|@PORT@|$nginx_port|g" scripts/bench/http/nginx.conf.in > "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr.log" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/hello/warm"
read -r ng_rate ng_p50 ng_p99 < <(measure "http://127.0.0.1:$nginx_port/hello/world")

ratio=$(awk -v a="$lb_rate" -v b="$ng_rate" 'BEGIN { printf "%.2f", a / b }')
echo "| benchmark | luabox | baseline | ratio | target |"
echo "|---|---|---|---|---|"
printf '| HTTP hello, requests/s (wrk, 32 connections, %s; baseline: nginx + Lua module, 2 workers) | %s | %s | %sx | >= 30000 |\n' \
  "$duration" "$lb_rate" "$ng_rate" "$ratio"
printf '| HTTP hello, latency p50 / p99 | %s ms / %s ms | %s ms / %s ms | | |\n' \
  "$lb_p50" "$lb_p99" "$ng_p50" "$ng_p99"
