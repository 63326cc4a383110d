#!/usr/bin/env bash
# copy-data against pgloader and against the floor, in one run, into the same Prisma-created
# tables (tests/copy-data/ddl/postgresql.sql, each in its own schema):
#
#   1. a SQLite database of ~1.1 million rows in Prisma's storage forms (the three DateTime
#      forms mixed in one column, Booleans 0/1, Decimals and Json numbers as REAL, a self
#      relation with forward references, a users <-> Team cycle), made with sqlite3 from
#      Prisma's own SQLite DDL (tests/copy-data/ddl/sqlite.sql);
#   2. `pgshift copy-data` (release build), which also reads every table back and compares
#      checksums before it commits;
#   3. pgloader (Debian's package) in data-only mode into the same tables;
#   4. the floor: psql `\copy` of pre-converted CSV (exported from pgshift's result) into the
#      same tables in one transaction, the foreign keys dropped first and added back (checked in
#      bulk) at the end, as pg_restore does;
#   5. what pgloader makes of the database the tests write through the real Prisma client:
#      every value read back through Prisma, compared with the SQLite side.
#
#   bash bench/copy-data.sh            # needs PostgreSQL (scripts/pg-test-setup.sh), sqlite3,
#                                      # pgloader (apt-get install -y pgloader), and
#                                      # npm ci --prefix tests/copy-data for step 5
# Env: COPY_BENCH_FORMS=mixed (default: every storage form Prisma files hold) or iso (DateTimes
# as ISO text only and Json as text only: a database pgloader can load, for its speed),
# COPY_BENCH_SCALE (default 1: ~1.1M rows), PGSHIFT_TEST_DATABASE_URL, PGSHIFT_BIN (a
# pgshift binary to time instead of a fresh release build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
cache="$here/.cache/copy-data"
url="${PGSHIFT_TEST_DATABASE_URL:-postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test}"
scale="${COPY_BENCH_SCALE:-1}"
div="${COPY_BENCH_DIVIDE:-1}"
forms="${COPY_BENCH_FORMS:-mixed}"
node_project="$top/tests/copy-data"
mkdir -p "$cache"
export PGOPTIONS="-c client_min_messages=warning"

for tool in sqlite3 psql pgloader python3; do
    command -v "$tool" >/dev/null || { echo "copy-data.sh: $tool is not installed" >&2; exit 2; }
done
if [[ -n "${PGSHIFT_BIN:-}" ]]; then
    pgshift="$PGSHIFT_BIN"
else
    (cd "$top" && cargo build --release --quiet)
    pgshift="$top/target/release/pgshift"
fi

now() { date +%s.%N; }
with_schema() { case "$url" in *\?*) echo "$url&schema=$1" ;; *) echo "$url?schema=$1" ;; esac; }
fresh_schema() {
    psql -q -v ON_ERROR_STOP=1 "$url" -c "DROP SCHEMA IF EXISTS \"$1\" CASCADE" -c "CREATE SCHEMA \"$1\"" >/dev/null
    { echo "SET search_path TO \"$1\";"; cat "$node_project/ddl/postgresql.sql"; } | psql -q -v ON_ERROR_STOP=1 "$url" >/dev/null
}

# --- 1. the SQLite database -------------------------------------------------------------
db="$cache/bench-$forms.db"
if [[ $forms == iso ]]; then ms="0"; else ms="1"; fi
n_users=$((200000 * scale / div)); n_posts=$((300000 * scale / div)); n_samples=$((150000 * scale / div))
n_events=$((100000 * scale / div)); n_stock=$((50000 * scale / div))
rm -f "$db"
start=$(now)
{
cat "$node_project/ddl/sqlite.sql"
cat <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO "Team" (id, name, "ownerId") SELECT i, 'team ' || i, NULL FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_users)
INSERT INTO users (id, email, name, role, created_at, manager_id, "teamId")
SELECT i, 'user' || i || '@example.com',
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'Ünïcødé user ' || i || ' 👩‍💻' END,
       CASE i % 3 WHEN 0 THEN 'MEMBER' WHEN 1 THEN 'administrator' ELSE 'GUEST' END,
       CASE $ms * (i % 3)
         WHEN 0 THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', 1700000000 + i, 'unixepoch')
         WHEN 1 THEN 1700000000000 + i * 1001
         ELSE strftime('%Y-%m-%d %H:%M:%S', 1700000000 + i, 'unixepoch') END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE ((i * 7919) % $n_users) + 1 END,
       CASE WHEN i % 5 = 0 THEN (i % 1000) + 1 ELSE NULL END
  FROM n;
UPDATE "Team" SET "ownerId" = ((id * 3) % $n_users) + 1 WHERE id % 2 = 0;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO "Tag" (id, label) SELECT i, 'tag-' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_posts)
INSERT INTO "Post" (id, title, "authorId", "publishedAt")
SELECT printf('cl%010dpost', i), 'Post number ' || i || ' — “quoted”', (i % $n_users) + 1,
       CASE i % 4 WHEN 0 THEN NULL WHEN $ms THEN 1600000000000 + i
         ELSE strftime('%Y-%m-%dT%H:%M:%f+00:00', 1600000000 + i, 'unixepoch') END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_posts)
INSERT INTO "_PostToTag" ("A", "B") SELECT printf('cl%010dpost', i), (i % 1000) + 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_samples)
INSERT INTO "Sample" SELECT
       i, 'sample ' || i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'tab	and ''quote'' ' || i END,
       i - 75000, CASE WHEN i % 3 = 0 THEN NULL ELSE i END,
       i * 4294967296 + 7, CASE WHEN i % 3 = 0 THEN NULL ELSE -i * 65536 END,
       i * 0.5 + 0.25, CASE WHEN i % 3 = 0 THEN NULL ELSE 1.0 / i END,
       i * 1.01, CASE WHEN i % 3 = 0 THEN NULL ELSE i END,
       i % 2, CASE WHEN i % 3 = 0 THEN NULL ELSE (i + 1) % 2 END,
       CASE $ms * (i % 3)
         WHEN 0 THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', 1650000000 + i, 'unixepoch')
         WHEN 1 THEN 1650000000000 + i * 37
         ELSE strftime('%Y-%m-%d %H:%M:%S', 1650000000 + i, 'unixepoch') END,
       CASE WHEN i % 2 = 0 THEN NULL WHEN $ms = 0 THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', 1650000000 + i, 'unixepoch') ELSE 1650000000000 + i END,
       CASE i % 3 WHEN 0 THEN '{"i":' || i || ',"tags":["a","b"],"nested":{"ok":true}}'
         WHEN $ms THEN i * 0.5 ELSE '"text ' || i || '"' END,
       CASE WHEN i % 2 = 0 THEN NULL ELSE '[1,2,3]' END,
       randomblob(16), CASE WHEN i % 2 = 0 THEN NULL ELSE x'00ff' END,
       CASE i % 3 WHEN 0 THEN 'MEMBER' WHEN 1 THEN 'administrator' ELSE 'GUEST' END,
       CASE WHEN i % 2 = 0 THEN NULL ELSE 'GUEST' END,
       strftime('%Y-%m-%dT%H:%M:%f+00:00', 1700000000 + i, 'unixepoch')
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_events)
INSERT INTO "Event" (id, name, at) SELECT i, 'event ' || i,
       CASE $ms * (i % 3)
         WHEN 0 THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', 1700000000 + i, 'unixepoch')
         WHEN 1 THEN 1700000000000 + i
         ELSE strftime('%Y-%m-%d %H:%M:%S', 1700000000 + i, 'unixepoch') END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $n_stock - 1)
INSERT INTO stock (sku, warehouse, quantity) SELECT 'SKU-' || (i / 5), i % 5, i % 97 - 40 FROM n;
COMMIT;
SQL
} | sqlite3 "$db"
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM \"Team\") + (SELECT count(*) FROM \"Tag\") + (SELECT count(*) FROM \"Post\") + (SELECT count(*) FROM \"_PostToTag\") + (SELECT count(*) FROM \"Sample\") + (SELECT count(*) FROM \"Event\") + (SELECT count(*) FROM stock)")
printf 'SQLite database: %s rows, %s MB, made in %.1f s\n' "$rows" "$(( $(stat -c %s "$db") / 1048576 ))" "$(echo "$(now) - $start" | bc)"

# --- 2. pgshift copy-data -------------------------------------------------------------------
fresh_schema bench_pgshift
start=$(now)
/usr/bin/time -f '%M' -o "$cache/pgshift.rss" "$pgshift" copy-data "$top" \
    --schema "$node_project/prisma/schema.prisma" --from "$db" --to "$(with_schema bench_pgshift)" \
    > "$cache/pgshift.out"
t_pgshift=$(echo "$(now) - $start" | bc)
cat "$cache/pgshift.out"

# --- 3. pgloader ----------------------------------------------------------------------------
fresh_schema bench_pgloader
cat > "$cache/bench.load" <<LOAD
LOAD DATABASE
     FROM sqlite://$db
     INTO $url
WITH data only, quote identifiers
SET search_path TO 'bench_pgloader'
ALTER SCHEMA 'main' RENAME TO 'bench_pgloader';
LOAD
start=$(now)
pgloader_rc=0
pgloader "$cache/bench.load" > "$cache/pgloader.out" 2>&1 || pgloader_rc=$?
t_pgloader=$(echo "$(now) - $start" | bc)
tail -25 "$cache/pgloader.out"
count_rows() {
    psql -At "$url" -c "SELECT format('SELECT %s', string_agg(format('(SELECT count(*) FROM %I.%I)', schemaname, tablename), ' + ')) FROM pg_tables WHERE schemaname = '$1'" | psql -At "$url"
}
count_keys() {
    psql -At "$url" -c "SELECT count(*) FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = '$1' AND con.contype = 'f'"
}
echo "pgloader exit code $pgloader_rc; rows in its tables: $(count_rows bench_pgloader) of $rows; foreign keys left: $(count_keys bench_pgloader) of $(count_keys bench_pgshift)"

# --- 4. the floor ---------------------------------------------------------------------------
tables=(users Team Tag Post _PostToTag Sample Event stock profiles _Favorites)
for t in "${tables[@]}"; do
    psql -q -v ON_ERROR_STOP=1 "$url" -c "\\copy (SELECT * FROM bench_pgshift.\"$t\") TO '$cache/floor-$t.csv' CSV"
done
fresh_schema bench_floor
# pg_restore's way: the keys dropped, the rows copied, the keys added back (and checked in bulk),
# all in one transaction.
keys_sql=$(psql -At "$url" -c "SELECT string_agg(format('ALTER TABLE bench_floor.%I ADD CONSTRAINT %I %s;', cl.relname, con.conname, pg_get_constraintdef(con.oid)), E'\n')
  FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
 WHERE n.nspname = 'bench_floor' AND con.contype = 'f'")
drop_sql=$(psql -At "$url" -c "SELECT string_agg(format('ALTER TABLE bench_floor.%I DROP CONSTRAINT %I;', cl.relname, con.conname), E'\n')
  FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
 WHERE n.nspname = 'bench_floor' AND con.contype = 'f'")
{
    echo "BEGIN;"
    echo "SET search_path TO bench_floor;"
    echo "$drop_sql"
    for t in "${tables[@]}"; do echo "\\copy bench_floor.\"$t\" FROM '$cache/floor-$t.csv' CSV"; done
    echo "$keys_sql"
    echo "COMMIT;"
} > "$cache/floor.sql"
start=$(now)
psql -q -v ON_ERROR_STOP=1 "$url" -f "$cache/floor.sql"
t_floor=$(echo "$(now) - $start" | bc)

python3 - "$rows" "$t_pgshift" "$t_pgloader" "$t_floor" "$(cat "$cache/pgshift.rss")" <<'PY'
import sys
rows, t_pgshift, t_pgloader, t_floor, rss = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
print()
print(f"{'':28}{'seconds':>10}{'rows/s':>12}")
for name, t in [("pgshift copy-data", t_pgshift), ("pgloader (data only)", t_pgloader), ("floor (\\copy of CSV)", t_floor)]:
    print(f"{name:28}{t:>10.2f}{rows / t:>12,.0f}")
print(f"pgshift / floor time: {t_pgshift / t_floor:.2f}x; pgloader / pgshift time: {t_pgloader / t_pgshift:.2f}x")
print(f"pgshift max RSS: {rss / 1024:.1f} MiB")
PY

# --- 5. pgloader on the database the Prisma client writes ------------------------------------
if [[ -x "$node_project/node_modules/.bin/tsx" ]]; then
    echo
    echo "== the Prisma-written test database: pgloader and copy-data, read back through Prisma"
    if [[ ! -f "$node_project/generated/postgresql/client.ts" ]]; then
        echo "copy-data.sh: run the copy-data tests once first (they generate the Prisma clients)" >&2
        exit 2
    fi
    small="$cache/prisma.db"
    rm -f "$small"
    sqlite3 "$small" < "$node_project/ddl/sqlite.sql"
    (cd "$node_project" && node_modules/.bin/tsx seed.ts "$small")
    (cd "$node_project" && node_modules/.bin/tsx readback.ts sqlite "$small") > "$cache/prisma-sqlite.json"
    for tool in pgloader pgshift; do
        fresh_schema "small_$tool"
        if [[ $tool == pgloader ]]; then
            sed -e "s#sqlite://$db#sqlite://$small#" -e "s/bench_pgloader/small_pgloader/g" "$cache/bench.load" > "$cache/small.load"
            rc=0; pgloader "$cache/small.load" > "$cache/small-pgloader.out" 2>&1 || rc=$?
            echo "pgloader exit code $rc; rows: $(count_rows small_pgloader); foreign keys left: $(count_keys small_pgloader) of 9"
            grep -E "ERROR|WARNING" "$cache/small-pgloader.out" | sed 's/^/  /' | cut -c1-220 | sort | uniq -c | sort -rn | head -20 || true
        else
            "$pgshift" copy-data "$top" --schema "$node_project/prisma/schema.prisma" --from "$small" \
                --to "$(with_schema small_pgshift)" --format json > /dev/null && echo "copy-data exit code 0"
        fi
        (cd "$node_project" && node_modules/.bin/tsx readback.ts postgresql "$(with_schema "small_$tool")" "small_$tool") \
            > "$cache/prisma-$tool.json" 2> "$cache/prisma-$tool.err" || echo "  reading $tool's tables through Prisma failed: $(head -c 300 "$cache/prisma-$tool.err")"
        python3 - "$cache/prisma-sqlite.json" "$cache/prisma-$tool.json" "$tool" <<'PY'
import json, sys
def leaves(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, value
source = dict(leaves(json.load(open(sys.argv[1]))))
try:
    target = dict(leaves(json.load(open(sys.argv[2]))))
except Exception:
    target = {}
same = sum(1 for p, v in source.items() if p in target and target[p] == v)
print(f"  {sys.argv[3]}: {same} of {len(source)} values read back through Prisma equal the SQLite side")
wrong = [(p, v, target.get(p, "<missing>")) for p, v in source.items() if target.get(p, "<missing>") != v]
for p, v, t in wrong[:12]:
    print(f"    {p}: sqlite {json.dumps(v)[:60]} -> postgresql {json.dumps(t)[:60]}")
PY
    done
fi
