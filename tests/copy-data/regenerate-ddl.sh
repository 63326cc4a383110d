#!/usr/bin/env bash
# Regenerates ddl/postgresql.sql and ddl/sqlite.sql: the DDL Prisma's own `migrate diff` prints
# for prisma/schema.prisma on each provider. Prisma 6.19 prints it offline with a config that
# selects the JavaScript engine (`engine: "js"`), so it is installed in a temporary folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error prisma@6.19.0 @prisma/adapter-better-sqlite3@6.19.0 >/dev/null
for provider in postgresql sqlite; do
    mkdir -p "$provider"
    sed -e "s/provider = \"sqlite\"/provider = \"$provider\"/" "$here/prisma/schema.prisma" \
        > "$provider/schema.prisma"
    cat > "$provider/prisma.config.ts" <<'TS'
import { defineConfig } from "prisma/config";
export default defineConfig({ engine: "js", schema: "schema.prisma" });
TS
    (cd "$provider" && "$work/node_modules/.bin/prisma" migrate diff \
        --from-empty --to-schema-datamodel schema.prisma --script) \
        > "$here/ddl/$provider.sql"
done
echo "wrote $here/ddl/postgresql.sql and $here/ddl/sqlite.sql"
