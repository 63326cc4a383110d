//! The text of the files `init-postgres` creates: the compose file, `postgresql/README.md` and
//! `.env.postgresql`. Each is a pure function of the [`Settings`], so a second run with the same
//! settings produces the same bytes and changes nothing.

use std::fmt::Write as _;

use super::{IMAGE, PackageManager, Settings};

/// Percent-encodes the password for the URL's user-info part.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The `DATABASE_URL` the settings make.
pub fn database_url(s: &Settings) -> String {
    format!(
        "postgresql://{}:{}@localhost:{}/{}?schema=public&connection_limit={}",
        s.db_user,
        url_encode(&s.password),
        s.port,
        s.db_name,
        s.connection_limit
    )
}

pub fn compose(s: &Settings) -> String {
    format!(
        r#"# PostgreSQL for local development (the plan's Stage 1), written by `pgshift init-postgres`.
# Start with `{up}`, stop with `{down}`; postgresql/README.md has the rest.
name: {container}

services:
  postgres:
    image: {IMAGE}
    container_name: {container}
    restart: unless-stopped
    environment:
      POSTGRES_DB: {db}
      POSTGRES_USER: {user}
    # POSTGRES_PASSWORD comes from .env.postgresql, which is not committed.
    env_file:
      - ../.env.postgresql
    ports:
      # Only this machine can connect.
      - "127.0.0.1:{port}:5432"
    volumes:
      - {volume}:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U {user} -d {db}"]
      interval: 5s
      timeout: 5s
      retries: 10
      start_period: 10s

volumes:
  {volume}:
    name: {volume}
"#,
        up = s.package_manager.run("pg:up"),
        down = s.package_manager.run("pg:down"),
        container = s.container,
        db = s.db_name,
        user = s.db_user,
        port = s.port,
        volume = s.volume,
    )
}

pub fn env_file(s: &Settings) -> String {
    format!(
        r#"# PostgreSQL for local development, written by `pgshift init-postgres`. Not committed
# (.gitignore lists it): it holds the password. postgresql/docker-compose.yml reads
# POSTGRES_PASSWORD from here; the pg:* and dev:with-pg scripts read DATABASE_URL.
POSTGRES_PASSWORD={password}
# connection_limit={limit}: {reason}.
DATABASE_URL="{url}"
"#,
        password = s.password,
        limit = s.connection_limit,
        reason = s.limit_reason,
        url = database_url(s),
    )
}

/// `postgresql/README.md` (the plan's Stage 7). `workarounds` are the Stage 5 rules: id and
/// what each removes.
pub fn readme(s: &Settings, workarounds: &[(String, String)]) -> String {
    let pm = s.package_manager;
    let run = |script: &str| pm.run(script);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"# PostgreSQL for local development

Written by `pgshift init-postgres`. PostgreSQL 16 runs in Docker as the container
`{container}` on `127.0.0.1:{port}`; the data lives in the named volume `{volume}` and
survives restarts and `{down}`.

| setting | value |
|---|---|
| image | `{IMAGE}` |
| container | `{container}` |
| port | `{port}` on 127.0.0.1 (the container's 5432) |
| database | `{db}` |
| user | `{user}` |
| password | `POSTGRES_PASSWORD` in `.env.postgresql` (not committed) |
| volume | `{volume}` |

## Start, stop, logs, psql

```sh
{up:<28}# start, and wait until pg_isready says it accepts connections
{down:<28}# stop; the data stays in the volume
{logs:<28}# follow the server log
{psql:<28}# psql in the container, as {user} on {db}
```

To delete the data as well: `docker compose -f postgresql/docker-compose.yml down -v`.

## Prisma against PostgreSQL

`{pg_schema}` is `{schema}` with the datasource provider `postgresql`; nothing else differs.
When the schema changes, change both (`pgshift init-postgres` says when the copy is out of step).

```sh
{generate:<28}# the Prisma client for PostgreSQL
{push:<28}# create the tables (prisma db push)
{migrate:<28}# or keep migrations (prisma migrate dev)
{studio:<28}# Prisma Studio on the PostgreSQL database
```

`prisma migrate dev` keeps its migrations in `prisma/migrations`, beside the schema; migrations
made for SQLite there (their `migration_lock.toml` says `sqlite`) stop it: use `{push}`, or
move the SQLite migrations aside first.

## Switching between SQLite and PostgreSQL

The Prisma client is generated for one provider at a time, so each switch generates it again.

```sh
# PostgreSQL
{up}
{with_pg:<28}# pg:generate, then `{dev}` with .env.postgresql

# back to SQLite
{down}
{with_sqlite:<28}# prisma generate for {schema}, then `{dev}`
```

The scripts read `.env.postgresql` with `dotenv` from the `dotenv-cli` package
(`{install}` once). Plain `{dev}` keeps using `.env`, the SQLite database.

## Environment variables

`.env.postgresql`:

```sh
POSTGRES_PASSWORD=<generated by pgshift init-postgres>
DATABASE_URL="postgresql://{user}:<the same password>@localhost:{port}/{db}?schema=public&connection_limit={limit}"
```

- `connection_limit={limit}`: {reason}. Prisma's default pool is `physical CPUs × 2 + 1`,
  usually smaller, and a query that waits longer than `pool_timeout` (10 s) for a connection
  fails with P2024. PostgreSQL accepts `max_connections` (100 by default) less the reserved
  slots, for every app instance and tool together.
- The password is random. The server takes it when the volume is created; to change it later,
  run `ALTER ROLE {user} PASSWORD '…'` in psql, or delete the volume.
- `.env.postgresql` is in `.gitignore`. A teammate makes their own with
  `pgshift init-postgres --write` (the other files are already there and stay as they are).
- `pgshift verify` reads `DATABASE_URL` from `.env.postgresql` too.

## Before the first run on PostgreSQL

- `pgshift init-postgres` and `pgshift apply --report` list the SQLite-isms left in the code
  and the schema: raw SQL that only SQLite accepts, string filters that ignored case on SQLite,
  autoincrement ids whose sequences must be moved past copied rows, `Json` and `Decimal` fields.
  `pgshift check` reports them all while `{schema}` says sqlite; once the schema says
  postgresql it keeps reporting only the SQL that PostgreSQL rejects.
- `postgresql/pgshift-move.toml` (written when the schema says sqlite) records where the move
  starts: commit it, so that `pgshift check` keeps guarding against SQLite's SQL after the
  SQLite schema is gone.
- Data is not copied from SQLite: seed the new database, or copy the rows and then reset the
  sequences as `pgshift check` shows.
- Text sorts by the database's collation on PostgreSQL, not byte by byte as on SQLite:
  `orderBy` on text may come back in another order.
- `pgshift verify --format json > verify.json` checks on this server that the new settings hold.

## The SQLite workarounds that go (Stage 5)

`pgshift diff` shows them, `pgshift apply` removes them, and
`pgshift apply --report MIGRATION.md --verify-json verify.json` writes the report of what it
removed, file by file, with the verification verdict.

| rule | what changes |
|---|---|
"#,
        container = s.container,
        port = s.port,
        volume = s.volume,
        db = s.db_name,
        user = s.db_user,
        up = run("pg:up"),
        down = run("pg:down"),
        logs = run("pg:logs"),
        psql = run("pg:psql"),
        generate = run("pg:generate"),
        push = run("pg:push"),
        migrate = run("pg:migrate"),
        studio = run("pg:studio"),
        with_pg = run("dev:with-pg"),
        with_sqlite = run("dev:with-sqlite"),
        dev = run("dev"),
        install = pm.install_dev("dotenv-cli"),
        schema = s.schema,
        pg_schema = s.pg_schema,
        limit = s.connection_limit,
        reason = s.limit_reason,
    );
    for (id, message) in workarounds {
        let _ = writeln!(out, "| `{id}` | {} |", message.replace('|', "\\|"));
    }
    out
}

impl PackageManager {
    /// The command that runs a package.json script.
    pub fn run(self, script: &str) -> String {
        match self {
            PackageManager::Npm => format!("npm run {script}"),
            PackageManager::Pnpm => format!("pnpm {script}"),
            PackageManager::Yarn => format!("yarn {script}"),
            PackageManager::Bun => format!("bun run {script}"),
        }
    }

    /// The command that adds a development dependency.
    pub fn install_dev(self, package: &str) -> String {
        match self {
            PackageManager::Npm => format!("npm install -D {package}"),
            PackageManager::Pnpm => format!("pnpm add -D {package}"),
            PackageManager::Yarn => format!("yarn add -D {package}"),
            PackageManager::Bun => format!("bun add -d {package}"),
        }
    }
}
