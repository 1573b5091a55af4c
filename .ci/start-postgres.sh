#!/bin/sh
# Starts a throwaway PostgreSQL for the test suites: listening only on 127.0.0.1:$PG_PORT
# (default 5432), trust auth for local TCP, data under /tmp. Installs Debian's postgresql when
# missing. Idempotent: exits 0 at once when a trust-auth server already answers there.
# Run as root on a fresh Debian machine (initdb refuses root, so the server runs as postgres).
set -eu

PORT="${PG_PORT:-5432}"
DATA="${PG_DATA_DIR:-/tmp/ditto-blockstore-pg}"

accepts_us() {
  command -v psql >/dev/null 2>&1 &&
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1
}

if accepts_us; then
  echo "start-postgres: a server already accepts trust connections on 127.0.0.1:$PORT"
  exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "start-postgres: installing Debian's postgresql"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  # The package may start its own cluster on the same port with password auth: stop it.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h | while read -r ver name _; do
      pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
    done
  fi
fi

BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

if [ "$(id -u)" = 0 ]; then
  run_pg() { runuser -u postgres -- "$@"; }
else
  run_pg() { "$@"; }
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
  chmod 700 "$DATA"
  run_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync >/dev/null
fi

# Throwaway test cluster: fsync off makes the suites fast; nothing here must survive a crash.
if ! run_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  run_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DATA -c fsync=off" \
    start >/dev/null
fi

i=0
until "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    echo "start-postgres: server did not accept connections; see $DATA/server.log" >&2
    exit 1
  fi
  sleep 1
done
if ! accepts_us; then
  echo "start-postgres: 127.0.0.1:$PORT answers but refuses trust login as postgres" >&2
  exit 1
fi
echo "start-postgres: ready on 127.0.0.1:$PORT (PG_URL=postgres://postgres@127.0.0.1:$PORT/postgres)"
