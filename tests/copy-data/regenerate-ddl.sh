#!/usr/bin/env bash
# Regenerates ddl/postgresql.sql and ddl/sqlite.sql: the DDL Prisma's own `migrate diff` prints
# for prisma/schema.prisma on each provider. Prisma 6.19 prints it offline when its config
# selects the JavaScript engine (`engine: "js"` with a driver adapter) and the generator uses
# `engineType = "client"`, so it is installed in a temporary folder. The schema copy gets a
# placeholder `url`, which Prisma 6 requires and `migrate diff --from-empty` never connects to.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error prisma@6.19.0 @prisma/adapter-better-sqlite3@6.19.0 >/dev/null
for provider in postgresql sqlite; do
    case "$provider" in
        postgresql) url="postgresql://localhost:1/unused" ;;
        sqlite) url="file:./unused.db" ;;
    esac
    mkdir -p "$provider"
    sed -e "s#provider = \"sqlite\"#provider = \"$provider\"\n  url      = \"$url\"#" \
        -e 's#^\(  output .*\)$#\1\n  engineType = "client"#' \
        "$here/prisma/schema.prisma" > "$provider/schema.prisma"
    cat > "$provider/prisma.config.ts" <<'TS'
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaBetterSQLite3({ url: "file:./unused.db" }),
  schema: "schema.prisma",
});
TS
    (cd "$provider" && "$work/node_modules/.bin/prisma" migrate diff \
        --from-empty --to-schema-datamodel schema.prisma --script) \
        > "$here/ddl/$provider.sql"
done
echo "wrote $here/ddl/postgresql.sql and $here/ddl/sqlite.sql"
