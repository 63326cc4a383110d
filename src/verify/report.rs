//! The verdict: each seed criterion and each capacity check, PASS / WARN / FAIL with the
//! numbers, and the two renderings (a human table, JSON for CI).

use std::fmt::Write as _;

use serde::Serialize;

use super::capacity::Capacity;
use super::harness::Harness;
use super::harness::discover::{PrismaSetup, QueryEngine};
use super::limit::Search;
use super::server::ServerFacts;
use super::settings::{Extracted, Setting};
use super::workload::{ErrorClass, Outcome, Pattern};

/// What ran the workload.
#[derive(Debug, Clone, Serialize)]
pub struct EngineInfo {
    /// `prisma` (the project's own client on Node) or `model` (the Rust replay).
    pub kind: &'static str,
    pub summary: String,
    pub prisma_version: Option<String>,
    pub client_version: Option<String>,
    pub node_version: Option<String>,
    pub query_engine: QueryEngine,
    pub adapter: Option<String>,
    pub adapter_version: Option<String>,
    pub pool_size: usize,
    pub pool: String,
    /// Why the model ran instead of the client.
    pub model_reason: Option<String>,
    /// The project's `prisma generate` of the workload client.
    pub generate_seconds: Option<f64>,
    /// Node start, client load and `$connect` of the PostgreSQL run.
    pub startup_seconds: Option<f64>,
}

impl EngineInfo {
    pub fn new(
        setup: &PrismaSetup,
        harness: Option<&Harness>,
        model_reason: Option<String>,
        capacity: &Capacity,
        pg: &Outcome,
    ) -> EngineInfo {
        let adapter = match setup.query_engine {
            QueryEngine::Client => setup.pg_adapter.as_ref(),
            QueryEngine::Native => None,
        };
        let pool = format!(
            "{} {} ({}), {}",
            if matches!(setup.query_engine, QueryEngine::Client) {
                "pool max"
            } else {
                "connection_limit"
            },
            capacity.pool_size,
            capacity.pool_source,
            capacity
                .pool_timeout_ms
                .map_or("no acquire timeout".into(), |ms| format!(
                    "acquire timeout {ms} ms"
                ))
        );
        let summary = match harness {
            Some(h) => format!(
                "measured with Prisma {}{}, pool max {} (Node {})",
                setup.client_version.as_deref().unwrap_or("?"),
                adapter.map_or(" (native query engine)".to_string(), |a| format!(
                    ", {} {}",
                    a.package,
                    a.version.as_deref().unwrap_or("?")
                )),
                capacity.pool_size,
                h.node_version()
            ),
            None => format!(
                "modelled: the Rust replay with {} ({})",
                match setup.query_engine {
                    QueryEngine::Client => format!(
                        "Prisma {} + adapter-pg pool semantics: pg.Pool max {}, {}, a transaction that waits past maxWait fails with P2028",
                        setup.major.map_or("7".to_string(), |m| m.to_string()),
                        capacity.pool_size,
                        capacity
                            .pool_timeout_ms
                            .map_or("no acquire timeout".to_string(), |ms| format!(
                                "acquire timeout {ms} ms"
                            ))
                    ),
                    QueryEngine::Native => format!(
                        "Prisma {} query-engine pool semantics: {} connections, pool_timeout {}, then P2024",
                        setup.major.map_or("≤ 6".to_string(), |m| m.to_string()),
                        capacity.pool_size,
                        capacity
                            .pool_timeout_ms
                            .map_or("off".to_string(), |ms| format!("{} s", ms / 1000))
                    ),
                },
                model_reason.as_deref().unwrap_or("the model was asked for")
            ),
        };
        EngineInfo {
            kind: if harness.is_some() { "prisma" } else { "model" },
            summary,
            prisma_version: setup.prisma_version.clone(),
            client_version: setup.client_version.clone(),
            node_version: harness.map(|h| h.node_version().to_string()),
            query_engine: setup.query_engine,
            adapter: adapter.map(|a| a.package.clone()),
            adapter_version: adapter.and_then(|a| a.version.clone()),
            pool_size: capacity.pool_size,
            pool,
            model_reason: if harness.is_some() {
                None
            } else {
                model_reason
            },
            generate_seconds: harness.map(|h| h.generate_seconds),
            startup_seconds: pg.startup_seconds,
        }
    }
}

/// The sync's shape and why.
#[derive(Debug, Clone, Serialize)]
pub struct PatternInfo {
    pub pattern: Pattern,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub title: String,
    pub status: Status,
    pub detail: String,
}

/// Where the database was and what became of the scratch schema.
#[derive(Debug, Clone, Serialize)]
pub struct Database {
    /// The URL with the password replaced by `***`.
    pub url: String,
    pub source: String,
    pub tls: bool,
    /// The application's schema (Prisma's `?schema=`); never touched.
    pub app_schema: String,
    pub scratch_schema: String,
    pub scratch_kept: bool,
    /// Set when the scratch schema could not be dropped.
    pub scratch_drop_error: Option<String>,
}

/// One workload run, labelled.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The database: `postgresql` or `sqlite`.
    pub engine: &'static str,
    /// `prisma` (the project's client) or `model`.
    pub measured_with: &'static str,
    /// `after` or `before` (the values of the code after / before the rules).
    pub values: &'static str,
    pub label: String,
    pub outcome: Outcome,
    /// Facts of the engine's setup that matter for reading the numbers.
    pub setup: String,
}

/// The whole report, as JSON prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub root: String,
    pub engine: EngineInfo,
    pub pattern: PatternInfo,
    pub database: Database,
    pub server: ServerFacts,
    pub settings: Vec<Setting>,
    pub notes: Vec<String>,
    pub capacity: Capacity,
    pub runs: Vec<Run>,
    /// The limit search, when it ran.
    pub limit: Option<Search>,
    pub checks: Vec<Check>,
    pub status: Status,
    pub warnings: usize,
    pub exit_code: u8,
}

fn seconds(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} s")
    } else {
        format!("{value:.1} s")
    }
}

fn millis(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.1} ms")
    } else {
        format!("{value:.0} ms")
    }
}

fn num(value: f64) -> String {
    crate::kinds::ast::number_literal(value)
}

fn short(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::SerializationFailure => "40001",
        ErrorClass::Deadlock => "40P01",
        ErrorClass::LockTimeout => "55P03",
        ErrorClass::StatementTimeout => "57014",
        ErrorClass::PoolTimeout => "P2024",
        ErrorClass::TransactionStartTimeout => "P2028 start",
        ErrorClass::TransactionExpired => "P2028 expired",
        ErrorClass::Connection => "connection",
        ErrorClass::TooManyConnections => "53300",
        ErrorClass::DatabaseLocked => "SQLITE_BUSY",
        ErrorClass::Other => "other",
        ErrorClass::Interrupted => "interrupted",
    }
}

fn sync_cell(outcome: &Outcome) -> String {
    if outcome.stalled.is_some() {
        return format!(
            "{}/{} (stalled)",
            outcome.files_synced, outcome.params.files
        );
    }
    format!(
        "{}/{} in {}",
        outcome.files_synced,
        outcome.params.files,
        seconds(outcome.sync_seconds)
    )
}

fn error_summary(outcome: &Outcome) -> String {
    if outcome.errors.is_empty() {
        return "none".to_string();
    }
    outcome
        .errors
        .iter()
        .map(|e| format!("{} ×{}", short(e.class), e.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the checks from the measurements.
pub fn checks(
    extracted: &Extracted,
    server: &ServerFacts,
    capacity: &Capacity,
    pg: &Outcome,
    sqlite: &[Run],
) -> Vec<Check> {
    let mut checks = Vec::new();
    let sqlite_note = |f: &dyn Fn(&Outcome) -> String| -> String {
        if sqlite.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = sqlite
            .iter()
            .map(|run| format!("{}: {}", run.label, f(&run.outcome)))
            .collect();
        format!("; {}", parts.join(", "))
    };

    // Seed criterion: no `timed out` errors.
    let timeouts: Vec<String> = pg
        .errors
        .iter()
        .filter(|e| e.class.is_timeout())
        .map(|e| format!("{} ×{}", e.label, e.count))
        .collect();
    checks.push(Check {
        id: "no-timeouts",
        title: "no `timed out` errors".into(),
        status: if pg.timed_out == 0 {
            Status::Pass
        } else {
            Status::Fail
        },
        detail: format!(
            "{} on PostgreSQL{}{}",
            pg.timed_out,
            if timeouts.is_empty() {
                String::new()
            } else {
                format!(" ({})", timeouts.join(", "))
            },
            sqlite_note(&|o| o.timed_out.to_string())
        ),
    });

    // Seed criterion: no `database is locked` errors.
    checks.push(Check {
        id: "no-database-locked",
        title: "no `database is locked` errors".into(),
        status: if pg.database_locked == 0 {
            Status::Pass
        } else {
            Status::Fail
        },
        detail: format!(
            "{} on PostgreSQL (row-level locks, no database-wide write lock){}",
            pg.database_locked,
            sqlite_note(&|o| o.database_locked.to_string())
        ),
    });

    // Seed criterion: 1000 files in under 2 minutes.
    let files = pg.params.files;
    let projected = if pg.files_per_second > 0.0 {
        1000.0 / pg.files_per_second
    } else {
        f64::INFINITY
    };
    let time_for_1000 = if files == 1000 && pg.files_synced == 1000 {
        pg.sync_seconds
    } else {
        projected
    };
    let latency_note = if pg.params.io_latency.is_zero() {
        " (database time only; --io-latency-ms adds S3 time per file)".to_string()
    } else {
        format!(
            " (with {} ms of S3 latency per file)",
            pg.params.io_latency.as_millis()
        )
    };
    checks.push(Check {
        id: "sync-under-2-minutes",
        title: "1000 files synced in under 2 minutes".into(),
        status: if time_for_1000 < 120.0 && pg.files_synced > 0 {
            Status::Pass
        } else {
            Status::Fail
        },
        detail: if pg.files_synced == 0 {
            format!(
                "no file of {files} was synced on PostgreSQL ({} failed){}",
                pg.files_failed,
                sqlite_note(&sync_cell)
            )
        } else if files == 1000 {
            format!(
                "{}/{files} files in {} on PostgreSQL, {:.0} files/s{latency_note}{}",
                pg.files_synced,
                seconds(pg.sync_seconds),
                pg.files_per_second,
                sqlite_note(&sync_cell)
            )
        } else {
            format!(
                "{}/{files} files in {} on PostgreSQL ({:.0} files/s): 1000 files ≈ {} (projected){latency_note}{}",
                pg.files_synced,
                seconds(pg.sync_seconds),
                pg.files_per_second,
                seconds(projected),
                sqlite_note(&sync_cell)
            )
        },
    });

    // Nothing lost.
    let data = &pg.data;
    let counts = &data.counts;
    checks.push(Check {
        id: "nothing-lost",
        title: "nothing lost (data check)".into(),
        status: if data.ok { Status::Pass } else { Status::Fail },
        detail: if data.ok {
            format!(
                "{} media rows of {}; job processedFiles {}, failedFiles {}, processedBytes {} = the sum of the sizes; every queue write that succeeded is there{}",
                counts.media_rows,
                data.expected_rows,
                counts.job_processed_files,
                counts.job_failed_files,
                counts.job_processed_bytes,
                sqlite_note(&|o| if o.data.ok {
                    "ok".into()
                } else {
                    format!("{}/{} rows", o.data.counts.media_rows, o.data.expected_rows)
                })
            )
        } else {
            let mut parts = data.lost.clone();
            parts.extend(data.failed.iter().cloned());
            format!(
                "{} media rows of {}; job processedFiles {}: {}",
                counts.media_rows,
                data.expected_rows,
                counts.job_processed_files,
                parts.join("; ")
            )
        },
    });

    // Every write succeeded (after the retries).
    let failed = pg.failed_operation_count();
    let retried: usize = pg.errors.iter().map(|e| e.retried).sum();
    checks.push(Check {
        id: "writes-succeeded",
        title: "every write succeeded".into(),
        status: if failed > 0 {
            Status::Fail
        } else if retried > 0 {
            Status::Warn
        } else {
            Status::Pass
        },
        detail: if failed > 0 {
            let ops: Vec<String> = pg
                .failed_operations
                .iter()
                .map(|(what, n)| format!("{what} ×{n}"))
                .collect();
            format!(
                "{failed} calls failed after {} retries: {}; errors: {}",
                pg.params.max_retries,
                ops.join(", "),
                error_summary(pg)
            )
        } else if retried > 0 {
            format!(
                "all succeeded, {retried} after a retry: {}",
                error_summary(pg)
            )
        } else {
            "no errors: no 40001, 40P01, 55P03, 57014, pool timeout or connection error".into()
        },
    });

    // Capacity: demand against the pool.
    let pool_timeout = capacity
        .pool_timeout_ms
        .map_or("no pool_timeout".to_string(), |ms| {
            format!("pool_timeout {}", seconds(ms as f64 / 1000.0))
        });
    let pool_errors: usize = pg
        .errors
        .iter()
        .filter(|e| {
            matches!(
                e.class,
                ErrorClass::PoolTimeout | ErrorClass::TransactionStartTimeout
            )
        })
        .map(|e| e.count)
        .sum();
    let [processing, sync_queue, watermark] = capacity.queue_concurrency;
    checks.push(Check {
        id: "pool-demand",
        title: "Prisma pool vs demand".into(),
        status: if pool_errors > 0 {
            Status::Fail
        } else if capacity.demand > capacity.pool_size {
            Status::Warn
        } else {
            Status::Pass
        },
        detail: format!(
            "demand {} (queues {processing} + {sync_queue} + {watermark}, parallelLimit {}) {} pool {} ({}){}; measured wait for a connection p95 {}, max {} ({pool_timeout}, transaction maxWait {} ms){}",
            capacity.demand,
            capacity.parallel_limit,
            if capacity.demand > capacity.pool_size { ">" } else { "<=" },
            capacity.pool_size,
            capacity.pool_source,
            if capacity.demand > capacity.pool_size {
                format!(
                    ": up to {} callers wait, {}",
                    capacity.demand - capacity.pool_size,
                    if capacity.pg_pool {
                        "a transaction that waits past maxWait fails with P2028"
                    } else {
                        "P2024 after the pool timeout"
                    }
                )
            } else {
                String::new()
            },
            if pg.startup_seconds.is_some() {
                "inside the client".to_string()
            } else {
                millis(pg.pool_wait.p95_ms)
            },
            if pg.startup_seconds.is_some() {
                "not seen".to_string()
            } else {
                millis(pg.pool_wait.max_ms)
            },
            pg.params.tx_max_wait.as_millis(),
            if pool_errors > 0 {
                format!("; {pool_errors} calls timed out waiting")
            } else {
                String::new()
            }
        ),
    });

    // Capacity: the server's slots.
    let reserved = match server.reserved_connections {
        Some(r) => format!(
            "{} superuser_reserved − {r} reserved_connections",
            server.superuser_reserved_connections
        ),
        None => format!(
            "{} superuser_reserved",
            server.superuser_reserved_connections
        ),
    };
    let too_many: usize = pg
        .errors
        .iter()
        .filter(|e| e.class == ErrorClass::TooManyConnections)
        .map(|e| e.count)
        .sum();
    checks.push(Check {
        id: "server-slots",
        title: "connections vs max_connections".into(),
        status: if capacity.connections_needed as i64 > capacity.slots_available || too_many > 0 {
            Status::Fail
        } else if capacity.connections_needed as i64 > capacity.slots_free_now {
            Status::Warn
        } else {
            Status::Pass
        },
        detail: format!(
            "{} instance{} × pool {} = {} connections; available {} (max_connections {} − {reserved}), {} free now{}",
            capacity.instances,
            if capacity.instances == 1 { "" } else { "s" },
            capacity.pool_size,
            capacity.connections_needed,
            capacity.slots_available,
            server.max_connections,
            capacity.slots_free_now,
            if capacity.connections_needed as i64 > capacity.slots_available {
                ": SQLSTATE 53300 (too many connections) at full load".to_string()
            } else if too_many > 0 {
                format!("; 53300 ×{too_many} during the run")
            } else {
                String::new()
            }
        ),
    });

    // Capacity: the transaction timeout against measured transactions.
    let timeout = extracted
        .settings
        .iter()
        .find(|s| s.label.starts_with("transaction timeout"));
    let limit_ms = pg.params.tx_timeout.as_millis() as f64;
    let expired: usize = pg
        .errors
        .iter()
        .filter(|e| e.class == ErrorClass::TransactionExpired)
        .map(|e| e.count)
        .sum();
    let shorter = timeout.is_some_and(|t| t.after < t.before);
    let longest = pg.longest_transaction_ms;
    checks.push(Check {
        id: "transaction-timeout",
        title: "transaction timeout vs measured transactions".into(),
        status: if expired > 0 {
            Status::Fail
        } else if longest > limit_ms / 2.0 || shorter {
            Status::Warn
        } else {
            Status::Pass
        },
        detail: format!(
            "limit {} ms{}; measured {} transactions of {}: p50 {}, p95 {}, p99 {}, max {}{}{}",
            num(limit_ms),
            match timeout {
                Some(t) if shorter => format!(
                    " ({}; was {} ms: the drop makes it shorter)",
                    t.after_source,
                    num(t.before)
                ),
                Some(t) => format!(" ({})", t.after_source),
                None => String::new(),
            },
            pg.transactions.count,
            if pg.params.pattern == Pattern::PerObject {
                "1 upsert and a counter update (per object)".to_string()
            } else {
                format!(
                    "{} upserts",
                    pg.params.batches().first().map_or(0, |b| b.len())
                )
            },
            millis(pg.transactions.p50_ms),
            millis(pg.transactions.p95_ms),
            millis(pg.transactions.p99_ms),
            millis(longest),
            if longest > limit_ms / 2.0 && expired == 0 {
                "; over half the limit"
            } else {
                ""
            },
            if expired > 0 {
                format!("; {expired} transactions expired (P2028)")
            } else {
                String::new()
            }
        ),
    });

    // Server-side timeouts that cut in before the transaction timeout.
    let mut server_issues = Vec::new();
    if server.statement_timeout_ms > 0 && (server.statement_timeout_ms as f64) < limit_ms {
        server_issues.push(format!(
            "statement_timeout {}: statements running longer are canceled (57014)",
            server.statement_timeout
        ));
    }
    if server.lock_timeout_ms > 0 && (server.lock_timeout_ms as f64) < limit_ms {
        server_issues.push(format!(
            "lock_timeout {}: waits for a row lock longer than that fail (55P03)",
            server.lock_timeout
        ));
    }
    if server.idle_in_transaction_session_timeout_ms > 0
        && (server.idle_in_transaction_session_timeout_ms as f64) < limit_ms
    {
        server_issues.push(format!(
            "idle_in_transaction_session_timeout {}: an interactive transaction idle that long loses its connection",
            server.idle_in_transaction_session_timeout
        ));
    }
    checks.push(Check {
        id: "server-timeouts",
        title: "server timeouts vs the transaction timeout".into(),
        status: if server_issues.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        },
        detail: if server_issues.is_empty() {
            format!(
                "statement_timeout {}, lock_timeout {}, idle_in_transaction_session_timeout {} (for role {}): none shorter than {} ms",
                server.statement_timeout,
                server.lock_timeout,
                server.idle_in_transaction_session_timeout,
                server.role,
                num(limit_ms)
            )
        } else {
            format!("for role {}: {}", server.role, server_issues.join("; "))
        },
    });

    // Version.
    let major = server.major();
    checks.push(Check {
        id: "server-version",
        title: "server version".into(),
        status: if major < 13 {
            Status::Warn
        } else {
            Status::Pass
        },
        detail: format!(
            "PostgreSQL {}{}",
            server.version,
            if major < 13 {
                " is older than 13 (out of support); the plan targets 16"
            } else if major != 16 {
                " (the plan targets 16)"
            } else {
                ""
            }
        ),
    });
    checks
}

/// The overall status, the number of warnings and the exit code.
pub fn overall(checks: &[Check]) -> (Status, usize, u8) {
    let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
    if checks.iter().any(|c| c.status == Status::Fail) {
        (Status::Fail, warnings, 1)
    } else {
        (Status::Pass, warnings, 0)
    }
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len >= width {
        format!("{text} ")
    } else {
        format!("{text}{}", " ".repeat(width - len))
    }
}

/// A places string without its line numbers (`a.ts:3,7, b.ts:1` → `a.ts, b.ts`).
fn files_of(places: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in places.chars() {
        if c == ':' {
            skipping = true;
            continue;
        }
        if skipping && (c.is_ascii_digit() || c == ',') {
            continue;
        }
        skipping = false;
        out.push(c);
    }
    out
}

/// Paints a status word when colour is on.
fn paint(status: Status, color: bool) -> String {
    if !color {
        return status.as_str().to_string();
    }
    let style = match status {
        Status::Pass => anstyle::AnsiColor::Green.on_default().bold(),
        Status::Warn => anstyle::AnsiColor::Yellow.on_default().bold(),
        Status::Fail => anstyle::AnsiColor::Red.on_default().bold(),
    };
    format!("{style}{}{style:#}", status.as_str())
}

/// The human rendering.
pub fn human(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let db = &report.database;
    let server = &report.server;
    let _ = writeln!(out, "pgshift verify: {}", report.root);
    let _ = writeln!(out);
    let _ = writeln!(out, "Engine    {}", report.engine.summary);
    if let (Some(generate), Some(startup)) = (
        report.engine.generate_seconds,
        report.engine.startup_seconds,
    ) {
        let _ = writeln!(
            out,
            "          harness start-up: prisma generate {}, Node and client start {}",
            seconds(generate),
            seconds(startup)
        );
    }
    let _ = writeln!(
        out,
        "Pattern   {} ({})",
        report.pattern.pattern.as_str(),
        report.pattern.reason
    );
    let _ = writeln!(
        out,
        "Database  {} (from {}), TLS {}; app schema `{}` untouched",
        db.url,
        db.source,
        if db.tls { "on" } else { "off" },
        db.app_schema
    );
    let _ = writeln!(
        out,
        "Server    PostgreSQL {}, role {}{}, database {}; max_connections {}, superuser_reserved_connections {}{}; {} client connection{} in use",
        server.version,
        server.role,
        if server.superuser { " (superuser)" } else { "" },
        server.database,
        server.max_connections,
        server.superuser_reserved_connections,
        server
            .reserved_connections
            .map_or(String::new(), |r| format!(", reserved_connections {r}")),
        server.connections_in_use,
        if server.connections_in_use == 1 {
            ""
        } else {
            "s"
        }
    );
    let _ = writeln!(
        out,
        "          statement_timeout {}, lock_timeout {}, idle_in_transaction_session_timeout {}, default isolation {}",
        server.statement_timeout,
        server.lock_timeout,
        server.idle_in_transaction_session_timeout,
        server.default_isolation
    );
    let _ = writeln!(
        out,
        "Scratch   schema {}: {}",
        db.scratch_schema,
        match (&db.scratch_drop_error, db.scratch_kept) {
            (Some(error), _) => format!(
                "COULD NOT BE DROPPED ({error}); drop it with DROP SCHEMA \"{}\" CASCADE",
                db.scratch_schema
            ),
            (None, true) => "kept (--keep)".to_string(),
            (None, false) => "dropped".to_string(),
        }
    );

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Settings from the code, before → after the Stage 5 rules"
    );
    let label_width = report
        .settings
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(10)
        + 2;
    for setting in &report.settings {
        let change = format!("{} → {}", num(setting.before), num(setting.after));
        let source = if files_of(&setting.before_source) == files_of(&setting.after_source) {
            setting.after_source.clone()
        } else {
            format!(
                "before: {}; after: {}",
                setting.before_source, setting.after_source
            )
        };
        let _ = writeln!(
            out,
            "  {}{}{}",
            pad(&setting.label, label_width),
            pad(&change, 16),
            source
        );
        for note in &setting.notes {
            let _ = writeln!(
                out,
                "  {}{}note: {note}",
                " ".repeat(label_width),
                " ".repeat(16)
            );
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Notes");
        for note in &report.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }

    let capacity = &report.capacity;
    let _ = writeln!(out);
    let _ = writeln!(out, "Capacity");
    let _ = writeln!(
        out,
        "  Prisma pool   {} connections per instance ({}); {}",
        capacity.pool_size,
        capacity.pool_source,
        capacity
            .pool_timeout_ms
            .map_or("no pool_timeout".to_string(), |ms| format!(
                "pool_timeout {}",
                seconds(ms as f64 / 1000.0)
            ))
    );
    let [processing, sync_queue, watermark] = capacity.queue_concurrency;
    let _ = writeln!(
        out,
        "  Demand        {} calls at once: queues {processing} + {sync_queue} + {watermark}, sync parallelLimit {}",
        capacity.demand, capacity.parallel_limit
    );
    let _ = writeln!(
        out,
        "  Server slots  {} × {} = {} needed, {} available, {} free now",
        capacity.instances,
        capacity.pool_size,
        capacity.connections_needed,
        capacity.slots_available,
        capacity.slots_free_now
    );

    if let Some(first) = report.runs.first() {
        let params = &first.outcome.params;
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Workload: a media sync of {} files, {} sync workers, queue workers {} + {} + {}, S3 latency {} ms per file",
            params.files,
            params.parallel_limit,
            params.queue_concurrency[0],
            params.queue_concurrency[1],
            params.queue_concurrency[2],
            params.io_latency.as_millis()
        );
        type Cell = fn(&Outcome) -> String;
        let rows: &[(&str, Cell)] = &[
            ("batches × size", |o| {
                format!(
                    "{} × {}",
                    o.batches,
                    o.params.batches().first().map_or(0, |b| b.len())
                )
            }),
            ("workers / pool", |o| {
                format!("{} / {}", o.params.demand(), o.params.pool_size)
            }),
            ("tx timeout / maxWait", |o| {
                format!(
                    "{} / {} ms",
                    o.params.tx_timeout.as_millis(),
                    o.params.tx_max_wait.as_millis()
                )
            }),
            ("retries", |o| {
                format!(
                    "{} × {} ms{}",
                    o.params.max_retries,
                    o.params.base_delay.as_millis(),
                    if o.params.retry_locked { " +busy" } else { "" }
                )
            }),
            ("engine", |o| {
                if o.startup_seconds.is_some() {
                    "Prisma".to_string()
                } else {
                    "model".to_string()
                }
            }),
            ("sync time", |o| match &o.stalled {
                Some(_) => "stalled".to_string(),
                None => seconds(o.sync_seconds),
            }),
            ("files synced", |o| {
                format!("{}/{}", o.files_synced, o.params.files)
            }),
            ("worker transactions", |o| o.worker_transactions.to_string()),
            ("queue jobs done", |o| {
                let [p, s, w] = o.queue_jobs_done;
                format!("{p} + {s} + {w}")
            }),
            ("files/s", |o| format!("{:.0}", o.files_per_second)),
            ("transactions", |o| o.transactions.count.to_string()),
            ("tx p50 / p95", |o| {
                format!(
                    "{} / {}",
                    millis(o.transactions.p50_ms),
                    millis(o.transactions.p95_ms)
                )
            }),
            ("tx p99 / max", |o| {
                format!(
                    "{} / {}",
                    millis(o.transactions.p99_ms),
                    millis(o.longest_transaction_ms)
                )
            }),
            ("single writes p95", |o| millis(o.single_writes.p95_ms)),
            ("pool wait p95 / max", |o| {
                format!(
                    "{} / {}",
                    millis(o.pool_wait.p95_ms),
                    millis(o.pool_wait.max_ms)
                )
            }),
            ("errors", error_summary),
            ("timed out", |o| o.timed_out.to_string()),
            ("database is locked", |o| o.database_locked.to_string()),
            ("failed after retries", |o| {
                o.failed_operation_count().to_string()
            }),
            ("results kept", |o| {
                format!("{} (limit {})", o.results_kept, o.params.results_limit)
            }),
            ("data check", |o| {
                if o.data.ok {
                    format!("ok, {} rows", o.data.counts.media_rows)
                } else {
                    format!(
                        "FAILED: {} rows, job {}",
                        o.data.counts.media_rows, o.data.counts.job_processed_files
                    )
                }
            }),
        ];
        let widths: Vec<usize> = report
            .runs
            .iter()
            .map(|run| {
                rows.iter()
                    .map(|(_, cell)| cell(&run.outcome).chars().count())
                    .chain([run.label.chars().count()])
                    .max()
                    .unwrap_or(10)
                    + 3
            })
            .collect();
        let mut header = pad("", 24);
        for (run, width) in report.runs.iter().zip(&widths) {
            header.push_str(&pad(&run.label, *width));
        }
        let _ = writeln!(out, "  {}", header.trim_end());
        for (label, cell) in rows {
            let mut line = pad(label, 24);
            for (run, width) in report.runs.iter().zip(&widths) {
                line.push_str(&pad(&cell(&run.outcome), *width));
            }
            let _ = writeln!(out, "  {}", line.trim_end());
        }
        let _ = writeln!(
            out,
            "  (a transaction runs from BEGIN to COMMIT: on SQLite the wait for the write lock at BEGIN IMMEDIATE is included; single writes are the progress and queue updates)"
        );
        for run in &report.runs {
            let _ = writeln!(out, "  {}: {}", run.label, run.setup);
            if let Some(stall) = &run.outcome.stalled {
                let _ = writeln!(out, "  {}: STALLED, {stall}", run.label);
            }
        }
        let samples: Vec<String> = report
            .runs
            .iter()
            .flat_map(|run| {
                run.outcome.errors.iter().map(move |e| {
                    format!(
                        "{} {} ×{} ({} retried): {}",
                        run.label, e.label, e.count, e.retried, e.sample
                    )
                })
            })
            .collect();
        if !samples.is_empty() {
            let _ = writeln!(out, "  first error of each kind:");
            for sample in samples {
                let _ = writeln!(out, "    {sample}");
            }
        }
    }

    if let Some(search) = &report.limit {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Limit search ({:.0} s of a {:.0} s budget, on the same engine)",
            search.spent_seconds, search.budget_seconds
        );
        for step in &search.steps {
            let _ = writeln!(
                out,
                "  {:>7} files, pool {:>3}, parallelLimit {:>3}, tx timeout {:>5} ms: {:<5} {}/{} in {}, {}",
                step.files,
                step.pool_size,
                step.parallel_limit,
                step.tx_timeout_ms,
                if step.holds { "holds" } else { "FAILS" },
                step.files_synced,
                step.files,
                seconds(step.sync_seconds),
                if let Some(stall) = &step.stalled {
                    format!("stalled: {stall}")
                } else if step.error_codes.is_empty() {
                    "no errors".to_string()
                } else {
                    step.error_codes
                        .iter()
                        .map(|(c, n)| format!("{c} ×{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
        match &search.recommendation {
            Some(fix) => {
                let _ = writeln!(out, "  Recommended (measured above): {}", fix.change);
            }
            None if search.first_failure.is_some() => {
                let _ = writeln!(out, "  No change that holds was measured.");
            }
            None => {}
        }
        for note in &search.notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "Verdict");
    let title_width = report
        .checks
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(10)
        + 2;
    for check in &report.checks {
        let _ = writeln!(
            out,
            "  {}  {}{}",
            paint(check.status, color),
            pad(&check.title, title_width),
            check.detail
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Result: {}{} (exit {})",
        paint(report.status, color),
        match report.warnings {
            0 => String::new(),
            1 => " with 1 warning".to_string(),
            n => format!(" with {n} warnings"),
        },
        report.exit_code
    );
    out
}
