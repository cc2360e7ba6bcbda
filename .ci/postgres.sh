#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the server tests and print the line that points the
# tests at it:   eval "$(bash .ci/postgres.sh)"
# Everything but that `export` line goes to stderr. The cluster lives in a temp folder, listens
# only on 127.0.0.1, trusts local connections, and is stopped with the command printed at the end.
set -euo pipefail

if [ ! -d /usr/lib/postgresql ]; then
    echo "Installing the postgresql package..." >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and this is not root: run 'sudo apt-get install -y postgresql'." >&2
        exit 1
    fi
    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql) >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PORT="${FFK_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
DIR="$(mktemp -d /tmp/ffk-pg.XXXXXX)"
chmod 755 "$DIR"

# initdb refuses to run as root: use the `postgres` account the Debian package creates.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
    chown postgres "$DIR"
    as_pg() { su postgres -s /bin/sh -c "$1"; }
else
    as_pg() { sh -c "$1"; }
fi

as_pg "'$BIN/initdb' -D '$DIR/data' -U postgres --auth=trust -E UTF8 --no-instructions" >&2
# fsync=off: a throwaway test cluster; nothing here must survive a power cut.
as_pg "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -o \"-p $PORT -k '$DIR' -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off\" start" >&2

echo "PostgreSQL running on 127.0.0.1:$PORT (data in $DIR). Stop it with:" >&2
echo "  su postgres -s /bin/sh -c \"'$BIN/pg_ctl' -D '$DIR/data' stop\"" >&2
echo "export FFK_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
