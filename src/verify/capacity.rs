//! Capacity: Prisma's pool per app instance, the demand the settings put on it, and the
//! server's connection slots.

use std::time::Duration;

use serde::Serialize;

use super::config::DbUrl;
use super::server::ServerFacts;
use super::settings::Values;

/// The numbers of the capacity checks.
#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    pub app_cpus: usize,
    pub app_cpus_source: String,
    /// Prisma's pool per app instance.
    pub pool_size: usize,
    /// The pool is a pg.Pool behind @prisma/adapter-pg (no P2024; a starved transaction gets
    /// P2028 after `maxWait`).
    pub pg_pool: bool,
    pub pool_source: String,
    pub pool_timeout_ms: Option<u64>,
    pub instances: usize,
    /// Queue concurrencies: processing, sync, watermark.
    pub queue_concurrency: [usize; 3],
    pub parallel_limit: usize,
    /// Database calls one instance may want at once.
    pub demand: usize,
    /// Connections all instances may open.
    pub connections_needed: usize,
    /// `max_connections` less the reserved slots.
    pub slots_available: i64,
    /// Slots not taken right now (other clients' connections subtracted).
    pub slots_free_now: i64,
}

/// Whose pool the app's queries wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// Prisma ≤ 6's native query engine: `connection_limit` (default physical CPUs × 2 + 1),
    /// `pool_timeout` (default 10 s, then P2024).
    PrismaEngine,
    /// A `pg.Pool` behind `@prisma/adapter-pg`: `max` (pg's default 10), and
    /// `connectionTimeoutMillis` (pg's default 0: wait forever). A transaction that cannot get
    /// a connection within `maxWait` fails with P2028.
    PgPool {
        max: Option<u64>,
        connection_timeout_ms: Option<u64>,
    },
}

/// pg.Pool's default `max`.
pub const PG_POOL_DEFAULT_MAX: usize = 10;

/// Physical cores of this machine, as Prisma counts them for its default pool.
pub fn physical_cpus() -> usize {
    num_cpus::get_physical().max(1)
}

/// Prisma's pool size: `connection_limit` from the URL, else `physical CPUs * 2 + 1`.
pub fn pool_size(url: &DbUrl, app_cpus: usize) -> (usize, String) {
    match url.connection_limit() {
        Some(limit) => (
            limit.max(1),
            "connection_limit in the database URL".to_string(),
        ),
        None => (
            app_cpus * 2 + 1,
            format!("Prisma's default: {app_cpus} physical CPUs × 2 + 1"),
        ),
    }
}

pub fn compute(
    url: &DbUrl,
    server: &ServerFacts,
    values: &Values,
    app_cpus: Option<usize>,
    instances: usize,
    kind: PoolKind,
) -> Capacity {
    let (cpus, cpus_source) = match app_cpus {
        Some(n) => (n.max(1), "--app-cpus".to_string()),
        None => (
            physical_cpus(),
            "physical cores of this machine (--app-cpus sets the app machine's)".to_string(),
        ),
    };
    let (pool, pool_source, pool_timeout_ms) = match kind {
        PoolKind::PrismaEngine => {
            let (pool, source) = pool_size(url, cpus);
            (
                pool,
                source,
                url.pool_timeout().map(|d: Duration| d.as_millis() as u64),
            )
        }
        PoolKind::PgPool {
            max,
            connection_timeout_ms,
        } => (
            max.map_or(PG_POOL_DEFAULT_MAX, |m| m.max(1) as usize),
            match max {
                Some(_) => "`max` passed to the pg pool of @prisma/adapter-pg".to_string(),
                None => "pg.Pool's default max 10 (@prisma/adapter-pg; connection_limit in the URL does not apply)".to_string(),
            },
            connection_timeout_ms.filter(|ms| *ms > 0),
        ),
    };
    let queue = [
        values.processing_concurrency,
        values.sync_concurrency,
        values.watermark_concurrency,
    ];
    let demand = queue.iter().sum::<usize>() + values.parallel_limit;
    let instances = instances.max(1);
    let slots_available = server.available_slots();
    // The check's own connection is among those in use; it goes away after the run.
    let others = (server.connections_in_use - 1).max(0);
    Capacity {
        app_cpus: cpus,
        app_cpus_source: cpus_source,
        pool_size: pool,
        pg_pool: matches!(kind, PoolKind::PgPool { .. }),
        pool_source,
        pool_timeout_ms,
        instances,
        queue_concurrency: queue,
        parallel_limit: values.parallel_limit,
        demand,
        connections_needed: instances * pool,
        slots_available,
        slots_free_now: slots_available - others,
    }
}
