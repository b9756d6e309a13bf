#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback, run the given command with DATABASE_URL
# pointing at it, then stop the server. Used by `make test` for the second test run.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /tmp/station-pg.XXXXXX)
PORT=${PGPORT_TEST:-55432}
chown postgres "$DIR" 2>/dev/null || true
as_pg() { if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
as_pg "$PGBIN/initdb -D $DIR/data -A trust -U postgres -E UTF8 >/dev/null"
as_pg "$PGBIN/pg_ctl -D $DIR/data -l $DIR/log -o \"-k $DIR -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off\" -w start >/dev/null"
trap 'as_pg "$PGBIN/pg_ctl -D $DIR/data -m fast -w stop >/dev/null" || true; rm -rf "$DIR"' EXIT
echo "PostgreSQL $($PGBIN/postgres --version | awk '{print $3}') on 127.0.0.1:$PORT"
DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" "$@"
