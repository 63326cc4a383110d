#!/usr/bin/env bash
# Starts a local PostgreSQL for `cargo test --test verify` and creates what the tests use.
#
# Idempotent: run it as often as you like. Needs root (or the postgres user's rights) on a
# Debian-like machine; installs the `postgresql` package with apt-get when the server is missing.
#
# Creates, on 127.0.0.1:
#   role pgshift (password pgshift, LOGIN), database pgshift_test owned by it;
#   role pgshift_secret   (distinctive password, CREATE on the database): output must never show it;
#   role pgshift_slow     (statement_timeout 1ms in pgshift_test): a run that fails for a real reason;
#   role pgshift_nocreate (no CREATE on the database): the clear-error path.
# Prints the URL the tests read from PGSHIFT_TEST_DATABASE_URL.
set -euo pipefail

# Only the URL goes to stdout: callers capture it with $(...). Everything the tools print
# (pg_ctlcluster says "removed stale pid file." after an unclean stop, apt-get chatters) goes
# to stderr.
exec 3>&1 1>&2

log() { printf 'pg-test-setup: %s\n' "$*" >&2; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres -- "$@"
    fi
}

process_alive() {
    # A zombie (state Z) counts as gone: kill -0 would still succeed on it.
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

server_version() {
    # The newest installed server (Debian puts each major version under /usr/lib/postgresql/N).
    local v
    v=$(ls -1 /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
    if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
        echo "$v"
    fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(server_version)" ]; then
    log "PostgreSQL server not found: installing the Debian 'postgresql' package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

VERSION=$(server_version)
if [ -z "$VERSION" ]; then
    log "no PostgreSQL server binaries under /usr/lib/postgresql after installing"
    exit 1
fi

CLUSTER=main
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
    log "creating cluster $VERSION/$CLUSTER"
    pg_createcluster "$VERSION" "$CLUSTER" >/dev/null 3>&-
fi

PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')
STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')
if [ "$STATUS" != online ]; then
    log "starting cluster $VERSION/$CLUSTER on port $PORT"
    if ! pg_ctlcluster "$VERSION" "$CLUSTER" start 3>&-; then
        # A server killed without a clean stop leaves its socket lock file behind, and the next
        # start refuses it. Remove it only when the PID it names is gone, then try once more.
        LOCK="/var/run/postgresql/.s.PGSQL.$PORT.lock"
        if [ -f "$LOCK" ] && ! process_alive "$(head -n 1 "$LOCK")"; then
            log "removing stale socket lock $LOCK and starting again"
            rm -f "$LOCK" "/var/run/postgresql/.s.PGSQL.$PORT"
            pg_ctlcluster "$VERSION" "$CLUSTER" start 3>&-
        else
            log "could not start cluster $VERSION/$CLUSTER; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
            exit 1
        fi
    fi
fi

for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    log "PostgreSQL $VERSION did not become ready on 127.0.0.1:$PORT; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
    exit 1
fi

psql_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"
}

psql_admin -d postgres <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgshift') THEN
        CREATE ROLE pgshift LOGIN PASSWORD 'pgshift';
    ELSE
        ALTER ROLE pgshift LOGIN PASSWORD 'pgshift';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgshift_secret') THEN
        CREATE ROLE pgshift_secret LOGIN PASSWORD 'Qx7-hunter2-Zv9';
    ELSE
        ALTER ROLE pgshift_secret LOGIN PASSWORD 'Qx7-hunter2-Zv9';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgshift_slow') THEN
        CREATE ROLE pgshift_slow LOGIN PASSWORD 'pgshift';
    ELSE
        ALTER ROLE pgshift_slow LOGIN PASSWORD 'pgshift';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgshift_nocreate') THEN
        CREATE ROLE pgshift_nocreate LOGIN PASSWORD 'pgshift';
    ELSE
        ALTER ROLE pgshift_nocreate LOGIN PASSWORD 'pgshift';
    END IF;
END
$$;
SQL

if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pgshift_test'" | grep -q 1; then
    log "creating database pgshift_test"
    psql_admin -d postgres -c "CREATE DATABASE pgshift_test OWNER pgshift"
fi

psql_admin -d postgres <<'SQL'
ALTER DATABASE pgshift_test OWNER TO pgshift;
GRANT CONNECT, CREATE ON DATABASE pgshift_test TO pgshift_secret, pgshift_slow;
GRANT CONNECT ON DATABASE pgshift_test TO pgshift_nocreate;
REVOKE CREATE ON DATABASE pgshift_test FROM pgshift_nocreate;
ALTER ROLE pgshift_slow IN DATABASE pgshift_test SET statement_timeout = '1ms';
SQL

log "PostgreSQL $VERSION ready on 127.0.0.1:$PORT"
echo "postgresql://pgshift:pgshift@127.0.0.1:$PORT/pgshift_test" >&3
