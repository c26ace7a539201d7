#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis on loopback, from the Debian packages, for the scale-out test
# (tests/scaleout/) and for trying the Celery stack by hand. No Docker.
#
#   scripts/servers.sh install          install postgresql and redis-server if missing (root: apt-get)
#   scripts/servers.sh start  FOLDER    a new PostgreSQL cluster and a Redis under FOLDER; waits until both answer
#   scripts/servers.sh stop   FOLDER    stop both (what `start` left running under FOLDER)
#   scripts/servers.sh status FOLDER    exit 0 when both answer
#
# Ports: PGPORT (default 25433) and REDIS_PORT (default 26379: below the ephemeral range 32768-60999), on 127.0.0.1 only. PostgreSQL
# trusts loopback connections as user `postgres` (a throw-away cluster: never for real data).
# As root, initdb and the server run as the `postgres` user (PostgreSQL refuses to run as root),
# like bench/backends/_common.py start_postgres.
set -euo pipefail

PGPORT="${PGPORT:-25433}"
REDIS_PORT="${REDIS_PORT:-26379}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"

pg_bin() {  # the newest installed PostgreSQL's program $1
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$found" ] && { echo "$found"; return; }
  command -v "$1" || true
}

as_postgres() {  # run "$@" as the postgres user when root
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

install() {
  local missing=()
  [ -n "$(pg_bin initdb)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "servers.sh: ${missing[*]} missing and cannot be installed here (needs root and apt-get)" >&2
    return 3
  fi
  echo "servers.sh: installing ${missing[*]} (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start their own system-wide services where a service manager runs; this script
  # never uses them (its servers are under FOLDER, on their own ports).
}

pg_home() {  # the folder of the cluster, its socket and log: FOLDER/pg, or where it links to
  local root="$1"
  if [ ! -e "$root/pg" ]; then
    mkdir "$root/pg"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$root/pg"
      # The postgres user cannot reach a folder under a private one (pytest's tmp_path is 0700):
      # then the cluster lives in a folder of its own under /tmp, FOLDER/pg a link to it.
      if ! as_postgres test -w "$root/pg"; then
        rmdir "$root/pg"
        ln -s "$(mktemp -d /tmp/optline-pg.XXXXXX)" "$root/pg"
        chown postgres "$(readlink "$root/pg")"
      fi
    fi
  fi
  readlink -f "$root/pg"
}

start() {
  local root="$1"
  install
  mkdir -p "$root"
  root="$(cd "$root" && pwd)"
  local pg pgdata
  pg="$(pg_home "$root")"
  pgdata="$pg/pgdata"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    as_postgres "$(pg_bin initdb)" -D "$pgdata" -A trust -U postgres --no-sync >"$root/initdb.log" 2>&1 \
      || { cat "$root/initdb.log" >&2; return 1; }
  fi
  as_postgres "$(pg_bin pg_ctl)" -D "$pgdata" -l "$pg/postgres.log" -w -t "$WAIT_SECONDS" \
    -o "-p $PGPORT -k $pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { tail -20 "$pg/postgres.log" >&2; return 1; }
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$root" --save "" --appendonly no \
    --daemonize yes --pidfile "$root/redis.pid" --logfile "$root/redis.log"
  local waited=0
  until status "$root" 2>/dev/null; do
    waited=$((waited + 1))
    [ "$waited" -le "$WAIT_SECONDS" ] || { echo "servers.sh: no answer after ${WAIT_SECONDS}s" >&2; return 1; }
    sleep 1
  done
  echo "postgresql 127.0.0.1:$PGPORT (user postgres), redis 127.0.0.1:$REDIS_PORT, under $root"
}

status() {
  local root="$1"
  "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PGPORT" \
    && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

stop() {
  local root="$1" rc=0
  root="$(cd "$root" && pwd)"
  local pg
  pg="$(readlink -f "$root/pg" || true)"
  if [ -n "$pg" ] && [ -f "$pg/pgdata/postmaster.pid" ]; then
    as_postgres "$(pg_bin pg_ctl)" -D "$pg/pgdata" -m fast -w stop >/dev/null || rc=1
  fi
  if [ "$rc" = 0 ] && [ -L "$root/pg" ]; then  # a cluster kept under /tmp (see pg_home) goes with it
    rm -rf "$pg" && rm "$root/pg"
  fi
  if [ -f "$root/redis.pid" ]; then
    local pid
    pid="$(cat "$root/redis.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; rc=1; }
    rm -f "$root/redis.pid"
  fi
  return "$rc"
}

case "${1:-}" in
  install) install ;;
  start|stop|status) [ -n "${2:-}" ] || { echo "usage: $0 $1 FOLDER" >&2; exit 2; }; "$1" "$2" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
