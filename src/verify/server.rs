//! What the server says about itself: version, connection slots, timeouts, isolation.

use postgres::Client;
use serde::Serialize;

/// The server facts the verdict needs. Read-only: nothing here changes a setting.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFacts {
    pub version: String,
    pub version_num: i32,
    pub max_connections: i64,
    pub superuser_reserved_connections: i64,
    /// PostgreSQL 16+ only.
    pub reserved_connections: Option<i64>,
    /// Client backends connected right now (this check's own connection included).
    pub connections_in_use: i64,
    /// As the server shows them (`0` is off), and in milliseconds.
    pub statement_timeout: String,
    pub statement_timeout_ms: i64,
    pub lock_timeout: String,
    pub lock_timeout_ms: i64,
    pub idle_in_transaction_session_timeout: String,
    pub idle_in_transaction_session_timeout_ms: i64,
    pub default_isolation: String,
    pub role: String,
    pub database: String,
    pub superuser: bool,
    pub tls: bool,
}

impl ServerFacts {
    pub fn major(&self) -> i32 {
        self.version_num / 10000
    }

    /// Connection slots an ordinary (non-superuser) role can use.
    pub fn available_slots(&self) -> i64 {
        self.max_connections
            - self.superuser_reserved_connections
            - self.reserved_connections.unwrap_or(0)
    }
}

fn millis(value: &str, unit: Option<&str>) -> i64 {
    let number: i64 = value.parse().unwrap_or(0);
    match unit {
        Some("s") => number * 1000,
        Some("min") => number * 60_000,
        _ => number,
    }
}

/// Sets the tool's own session up for its scaffolding (schema, tables, data check, drop):
/// no statement timeout, a bounded lock wait. The workload's connections keep the server's
/// and the role's settings. Retried, since a role's tiny `statement_timeout` can cancel even
/// the first `SET`.
pub fn prepare_control_session(client: &mut Client) -> Result<(), postgres::Error> {
    let mut last = None;
    for _ in 0..5 {
        match client.batch_execute(
            "SET statement_timeout = 0; SET lock_timeout = '10s'; SET idle_in_transaction_session_timeout = 0",
        ) {
            Ok(()) => return Ok(()),
            Err(error) => last = Some(error),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// Reads the facts on `client`.
pub fn read(client: &mut Client) -> Result<ServerFacts, postgres::Error> {
    let row = client.query_one(
        "SELECT current_setting('server_version'),
                current_setting('server_version_num')::int,
                current_setting('max_connections')::bigint,
                current_setting('superuser_reserved_connections')::bigint,
                current_setting('reserved_connections', true),
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                current_setting('default_transaction_isolation'),
                current_user::text,
                current_database()::text,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
        &[],
    )?;
    // `reset_val`: the session default from the role, the database and the server config,
    // whatever this (tool's own) session has set for itself.
    let units = client.query(
        "SELECT name::text, reset_val, unit FROM pg_settings WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')",
        &[],
    )?;
    let in_ms = |name: &str| -> i64 {
        units
            .iter()
            .find(|r| r.get::<_, String>(0) == name)
            .map(|r| {
                millis(
                    &r.get::<_, String>(1),
                    r.get::<_, Option<String>>(2).as_deref(),
                )
            })
            .unwrap_or(0)
    };
    let shown = |name: &str| -> String {
        let ms = in_ms(name);
        if ms == 0 {
            "0".to_string()
        } else if ms % 60_000 == 0 {
            format!("{}min", ms / 60_000)
        } else if ms % 1000 == 0 {
            format!("{}s", ms / 1000)
        } else {
            format!("{ms}ms")
        }
    };
    let reserved: Option<String> = row.get(4);
    Ok(ServerFacts {
        version: row.get(0),
        version_num: row.get(1),
        max_connections: row.get(2),
        superuser_reserved_connections: row.get(3),
        reserved_connections: reserved.and_then(|r| r.parse().ok()),
        connections_in_use: row.get(5),
        statement_timeout: shown("statement_timeout"),
        statement_timeout_ms: in_ms("statement_timeout"),
        lock_timeout: shown("lock_timeout"),
        lock_timeout_ms: in_ms("lock_timeout"),
        idle_in_transaction_session_timeout: shown("idle_in_transaction_session_timeout"),
        idle_in_transaction_session_timeout_ms: in_ms("idle_in_transaction_session_timeout"),
        default_isolation: row.get(6),
        role: row.get(7),
        database: row.get(8),
        superuser: row.get::<_, Option<bool>>(9).unwrap_or(false),
        tls: row.get(10),
    })
}
