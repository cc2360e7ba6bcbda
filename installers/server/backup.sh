#!/usr/bin/env bash
# Nightly backup of the Facilitator Field Kit server database; keeps KEEP_DAYS days.
#
#   backup.sh                      # uses FFK_SERVER_DATABASE_URL, else the SQLite file in FFK_SERVER_DATA_DIR
#   BACKUP_DIR=/srv/backups KEEP_DAYS=30 backup.sh
#
# Cron (as the service user, after sourcing the same environment as the service):
#   15 2 * * *  set -a; . /etc/ffk-server.env; set +a; /opt/ffk-server/backup.sh >> /var/log/ffk-backup.log 2>&1
#
# PostgreSQL: pg_dump custom format (restore: pg_restore -d DB FILE), checked with pg_restore --list.
# The URL's password is handed to pg_dump in a temporary password file (mode 600, deleted on
# exit), never on its command line, where any user of the machine could read it with `ps`.
# SQLite: the online .backup command (a plain cp of a WAL-mode file is not safe), checked with
# PRAGMA integrity_check.
set -euo pipefail
umask 077

BACKUP_DIR="${BACKUP_DIR:-/var/backups/ffk}"
KEEP_DAYS="${KEEP_DAYS:-14}"
STAMP="$(date -u +%Y-%m-%dT%H%M%SZ)"
mkdir -p "$BACKUP_DIR"

fail() { echo "backup FAILED: $*" >&2; exit 1; }

url="${FFK_SERVER_DATABASE_URL:-}"
if [[ "$url" == postgresql* || "$url" == postgres:* ]]; then
    command -v pg_dump >/dev/null || fail "pg_dump not found (apt install postgresql-client)"
    # libpq does not understand SQLAlchemy's driver suffix (postgresql+psycopg://).
    pg_url="${url/postgresql+psycopg:/postgresql:}"
    # The password never goes on pg_dump's command line, where `ps` shows it to every user of
    # the machine: it moves to a password file only we can read (umask 077 above: mode 600),
    # and pg_dump gets the URL without it.
    scheme="${pg_url%%://*}"
    rest="${pg_url#*://}"
    authority="${rest%%/*}"
    [[ "$rest" == */* ]] && path="/${rest#*/}" || path=""
    if [[ "$authority" == *@* ]]; then
        userinfo="${authority%@*}"
        hostport="${authority##*@}"
        if [[ "$userinfo" == *:* ]]; then
            password="${userinfo#*:}"
            userinfo="${userinfo%%:*}"
            password="${password//\\/\\\\}"            # keep literal backslashes through printf %b
            password="$(printf '%b' "${password//%/\\x}")"  # decode the URL's %-escapes (%40 is @)
            password="${password//\\/\\\\}"            # .pgpass escapes \ and : with a backslash
            password="${password//:/\\:}"
            PGPASSFILE="$(mktemp "${TMPDIR:-/tmp}/ffk-pgpass.XXXXXX")"  # mode 600
            export PGPASSFILE
            trap 'rm -f "$PGPASSFILE"' EXIT
            chmod 600 "$PGPASSFILE"
            printf '*:*:*:*:%s\n' "$password" > "$PGPASSFILE"
            unset password
        fi
        pg_url="$scheme://$userinfo@$hostport$path"
    fi
    out="$BACKUP_DIR/ffk-$STAMP.dump"
    pg_dump --format=custom --no-owner --file="$out.partial" "$pg_url" || fail "pg_dump exited with $?"
    pg_restore --list "$out.partial" >/dev/null || fail "the dump cannot be read back"
    mv "$out.partial" "$out"
elif [[ -z "$url" || "$url" == sqlite* ]]; then
    command -v sqlite3 >/dev/null || fail "sqlite3 not found (apt install sqlite3)"
    if [[ -n "$url" ]]; then
        db="${url#sqlite:///}"
    else
        db="${FFK_SERVER_DATA_DIR:-$HOME/.local/share/FacilitatorFieldKitServer}/server.sqlite"
    fi
    [[ -f "$db" ]] || fail "no database file at $db"
    out="$BACKUP_DIR/ffk-$STAMP.sqlite"
    sqlite3 "$db" ".timeout 30000" ".backup '$out.partial'" || fail "sqlite3 .backup exited with $?"
    check="$(sqlite3 "$out.partial" 'PRAGMA integrity_check;')"
    [[ "$check" == "ok" ]] || fail "integrity check of the copy says: $check"
    mv "$out.partial" "$out"
else
    fail "unsupported FFK_SERVER_DATABASE_URL scheme: ${url%%:*}"
fi

echo "backup ok: $out ($(du -h "$out" | cut -f1))"
find "$BACKUP_DIR" -maxdepth 1 -name 'ffk-*' -type f -mtime "+$KEEP_DAYS" -print -delete
