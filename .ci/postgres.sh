#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server and sync tests, in two ways:
#
#   bash .ci/postgres.sh -- COMMAND [ARGS...]
#       start a cluster, run COMMAND with FFK_TEST_POSTGRES_URL pointing at it, stop and delete the
#       cluster when COMMAND ends (also on failure or Ctrl+C), exit with COMMAND's status.
#       `make test` runs pytest this way. If FFK_TEST_POSTGRES_URL is already set, COMMAND just
#       runs against that server and nothing is started.
#   eval "$(bash .ci/postgres.sh)"
#       start a cluster and leave it running for this shell; prints only the `export` line on
#       stdout, and on stderr the command that stops it.
#
# The cluster lives in a temp folder, listens only on 127.0.0.1 (and a socket in that folder),
# trusts local connections and runs with fsync off. Binaries: Debian's /usr/lib/postgresql/*/bin,
# else pg_config's or initdb's folder on PATH. Missing, they are installed with apt when running
# as root (as .ci/run does); otherwise this stops and names the command to run.
set -euo pipefail

say() { echo "$*" >&2; }

if [ "${1:-}" = "--" ]; then
    shift
    [ $# -gt 0 ] || { say "usage: bash .ci/postgres.sh -- COMMAND [ARGS...]"; exit 2; }
    if [ -n "${FFK_TEST_POSTGRES_URL:-}" ]; then
        say "Using the PostgreSQL at FFK_TEST_POSTGRES_URL."
        exec "$@"
    fi
    run_command=1
else
    run_command=0
fi

find_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir; return
    fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
}

BIN="$(find_bindir)"
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "The tests need PostgreSQL; installing the postgresql package with apt..."
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
        BIN="$(find_bindir)"
    fi
    if [ -z "$BIN" ]; then
        say ""
        say "The tests need PostgreSQL (every server and sync test runs on SQLite and on PostgreSQL),"
        say "and its programs are not installed. Install them with:"
        say ""
        say "    sudo apt-get install -y postgresql"
        say ""
        say "(macOS: brew install postgresql), or set FFK_TEST_POSTGRES_URL to a PostgreSQL server"
        say "where you may create databases, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        exit 1
    fi
fi

PORT="${FFK_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
DIR="$(mktemp -d /tmp/ffk-pg.XXXXXX)"  # not $TMPDIR: the postgres account must reach it
chmod 755 "$DIR"

# initdb refuses to run as root: use the `postgres` account the Debian package creates.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
    chown postgres "$DIR"
    as_pg() { su postgres -s /bin/sh -c "$1"; }
    STOP="su postgres -s /bin/sh -c \"'$BIN/pg_ctl' -D '$DIR/data' stop\""
else
    as_pg() { sh -c "$1"; }
    STOP="'$BIN/pg_ctl' -D '$DIR/data' stop"
fi

stop_cluster() {
    if [ -f "$DIR/data/postmaster.pid" ]; then
        as_pg "'$BIN/pg_ctl' -D '$DIR/data' -m immediate -w stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
}

if [ "$run_command" -eq 1 ]; then
    # Whatever happens from here on (a failing test, Ctrl+C, a kill), the cluster goes away.
    trap stop_cluster EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
fi

if ! as_pg "'$BIN/initdb' -D '$DIR/data' -U postgres --auth=trust -E UTF8 --no-instructions" >"$DIR/initdb.log" 2>&1; then
    cat "$DIR/initdb.log" >&2
    say "initdb failed (above)."
    exit 1
fi
# fsync=off: a throwaway test cluster; nothing here must survive a power cut.
if ! as_pg "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -o \"-p $PORT -k '$DIR' \
        -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off\" start" >/dev/null 2>&1; then
    cat "$DIR/server.log" >&2 || true
    say "PostgreSQL did not start (its log is above)."
    exit 1
fi
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"

if [ "$run_command" -eq 1 ]; then
    say "Throwaway PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT for this run."
    set +e
    FFK_TEST_POSTGRES_URL="$URL" "$@"
    status=$?
    set -e
    exit "$status"
fi

say "PostgreSQL running on 127.0.0.1:$PORT (data in $DIR). Stop it with:"
say "  $STOP"
echo "export FFK_TEST_POSTGRES_URL=$URL"
