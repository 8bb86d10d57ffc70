#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `start` installs Debian's postgresql when it is
# missing (as root, with apt), creates a cluster in a temporary directory, starts it on a free
# local port with trust authentication, and prints the shell lines that point the tests at it:
#   eval "$(scripts/test-postgres.sh start)"    # sets LUABOX_TEST_POSTGRES and ..._DIR
#   scripts/test-postgres.sh stop "$LUABOX_TEST_POSTGRES_DIR"
# The server listens on 127.0.0.1 only; `stop` shuts it down and deletes the directory.
set -euo pipefail

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# Run a server binary as the postgres user when we are root (PostgreSQL refuses to run as root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  if ! bin=$(bin_dir); then
    if [ "$(id -u)" != 0 ]; then
      echo "PostgreSQL server binaries not found: install Debian's postgresql package" >&2
      exit 1
    fi
    echo "installing postgresql with apt" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(bin_dir)
  fi
  local dir port
  dir=$(mktemp -d /tmp/luabox-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export LUABOX_TEST_POSTGRES='host=127.0.0.1 port=$port user=postgres'"
  echo "export LUABOX_TEST_POSTGRES_DIR='$dir'"
}

stop() {
  local dir=${1:?usage: test-postgres.sh stop DIR} bin
  bin=$(bin_dir)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
