//! `pgshift copy-data`: moves the rows of a Prisma SQLite database into the PostgreSQL tables
//! Prisma created, in one transaction, and proves it.
//!
//! The schema says what each column means ([`plan`], from [`crate::prisma_model`]); the target's
//! catalog is checked before anything is written; rows are read on one thread and converted
//! strictly by the Prisma type ([`value`], [`datetime`], [`decimal`], [`json`]), then streamed
//! with binary COPY on another, in an order the foreign keys accept ([`order`]). Autoincrement
//! sequences are moved past the copied ids. Before the commit every table is read back from the
//! server and its checksum of canonical values ([`checksum`]) compared with the source's; any
//! difference, any value that cannot be converted, an interrupt or a lost connection rolls
//! everything back. [`report`] renders the result.

pub mod checksum;
pub mod datetime;
pub mod decimal;
pub mod json;
pub mod order;
pub mod plan;
pub mod report;
pub mod value;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use postgres::binary_copy::{BinaryCopyInWriter, BinaryCopyOutIter};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, Transaction};
use rusqlite::OpenFlags;
use serde::Serialize;

use self::checksum::Checksum;
use self::order::ForeignKey;
use self::plan::TableSpec;
use self::value::{Limits, Value};
use crate::prisma_model::Schema;
use crate::verify::config::DbUrl;
use crate::verify::postgres::ident;

/// Exit code: copied and verified.
pub const EXIT_COPIED: u8 = 0;
/// Exit code: verification failed, or values could not be converted (nothing written).
pub const EXIT_NOT_COPIED: u8 = 1;
/// Exit code: could not run (nothing written).
pub const EXIT_ERROR: u8 = 2;

/// Rows per message between the reader and the writer.
const BATCH_ROWS: usize = 2048;
/// Unconvertible values listed at most.
const MAX_BAD_VALUES: usize = 50;
/// A test hook: milliseconds the reader waits before each batch, so that a test can interrupt
/// a copy in the middle.
pub const TEST_DELAY_ENV: &str = "PGSHIFT_COPY_TEST_DELAY_MS";

/// How to baseline the PostgreSQL migrations, printed because `_prisma_migrations` is not
/// copied (its checksums and names belong to the SQLite migrations).
pub const BASELINE_HINT: &str = "it records the SQLite migrations; baseline the PostgreSQL ones instead: for each folder in prisma/migrations run `npx prisma migrate resolve --applied <folder name>` (or create one baseline with `npx prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script > prisma/migrations/0_init/migration.sql` and `npx prisma migrate resolve --applied 0_init`)";

/// The command that creates missing tables.
pub const CREATE_TABLES_HINT: &str = "create the tables first with Prisma against PostgreSQL: `npx prisma migrate deploy` (or `npx prisma db push`) with the PostgreSQL schema that `pgshift init-postgres --write` prepares";

/// What to copy, from where, to where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The schema's text (every file of a schema folder).
    pub schema_text: String,
    /// The schema as shown to a person.
    pub schema_label: String,
    pub sqlite_path: PathBuf,
    pub target: DbUrl,
    /// Where the target URL came from, for the report.
    pub target_source: String,
    /// Empty the target tables first instead of refusing.
    pub truncate: bool,
    pub progress: bool,
}

/// A value that cannot be converted.
#[derive(Debug, Clone, Serialize)]
pub struct BadValue {
    pub table: String,
    pub column: String,
    /// `id=42`, or the SQLite rowid when the table has no key.
    pub row: String,
    pub value: String,
    pub reason: String,
}

/// Why nothing was copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{count} value(s) cannot be converted; nothing was written")]
    Unconvertible { values: Vec<BadValue>, count: usize },
    #[error("{0}")]
    Schema(String),
    #[error("{0}")]
    Source(String),
    #[error("{0}")]
    Target(String),
    #[error("the target does not match the schema; nothing was written:\n  - {}", .0.join("\n  - "))]
    Mismatch(Vec<String>),
    #[error("the target tables {} already hold rows; nothing was written. Pass --truncate to empty them first", .0.join(", "))]
    NotEmpty(Vec<String>),
    #[error("interrupted; the transaction was rolled back and nothing was written")]
    Interrupted,
}

impl CopyError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CopyError::Unconvertible { .. } => EXIT_NOT_COPIED,
            _ => EXIT_ERROR,
        }
    }
}

/// The server's message with its detail (which names the offending key) and SQLSTATE.
fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!(
                "{} ({detail}) (SQLSTATE {})",
                db.message(),
                db.code().code()
            ),
            None => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        },
        None => crate::verify::postgres::describe(error),
    }
}

fn target_error(context: &str) -> impl Fn(postgres::Error) -> CopyError + '_ {
    move |e| CopyError::Target(format!("{context}: {}", describe(&e)))
}

fn source_error(context: &str) -> impl Fn(rusqlite::Error) -> CopyError + '_ {
    move |e| CopyError::Source(format!("{context}: {e}"))
}

/// One table's result.
#[derive(Debug, Clone, Serialize)]
pub struct TableResult {
    pub table: String,
    pub origin: String,
    pub rows_read: u64,
    pub rows_written: u64,
    pub checksum_source: String,
    pub checksum_target: String,
    pub verified: bool,
}

/// A sequence moved past the copied ids.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceResult {
    pub table: String,
    pub column: String,
    /// `None` when the column has no sequence (then nothing was set).
    pub sequence: Option<String>,
    /// The id the next insert gets.
    pub next_value: Option<i64>,
}

/// Foreign-key columns loaded NULL first and set by one UPDATE.
#[derive(Debug, Clone, Serialize)]
pub struct DeferredUpdate {
    pub table: String,
    pub constraint: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

/// A SQLite table that is not copied.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

/// The result of a run that reached the target.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `copied` (committed and verified) or `verification-failed` (rolled back).
    pub status: &'static str,
    pub exit_code: u8,
    pub source: String,
    pub schema: String,
    pub target: String,
    pub target_from: String,
    pub target_schema: String,
    pub truncated: bool,
    pub tables: Vec<TableResult>,
    pub sequences: Vec<SequenceResult>,
    pub deferred_updates: Vec<DeferredUpdate>,
    /// How the foreign keys were kept.
    pub foreign_keys: String,
    pub skipped: Vec<Skipped>,
    pub rows: u64,
    pub seconds: f64,
}

/// What the reader sends the writer.
enum Message {
    Rows(Vec<Vec<Value>>),
    Bad(Box<BadValue>),
    /// The job's rows are all read.
    End {
        rows: u64,
        checksum: Checksum,
    },
    Failed(CopyError),
}

/// One pass over a SQLite table, into a target table.
struct Job {
    /// Index into the table list.
    table: usize,
    /// Columns read (indexes into the table's columns).
    columns: Vec<usize>,
    /// Columns sent as NULL (set afterwards).
    nulled: Vec<usize>,
    /// `WHERE` clause of the SQLite query.
    filter: Option<String>,
    /// Where the rows go: the table, or a temporary table of a deferred update.
    target: String,
}

/// Runs the copy. `interrupted` is set by the caller's Ctrl-C handler.
pub fn run(options: &Options, interrupted: &AtomicBool) -> Result<Report, CopyError> {
    let started = Instant::now();
    let schema = Schema::parse(&options.schema_text)
        .map_err(|e| CopyError::Schema(format!("cannot read {}: {e}", options.schema_label)))?;
    let specs = plan::tables(&schema).map_err(CopyError::Mismatch)?;

    let sqlite = open_sqlite(&options.sqlite_path)?;
    let skipped = check_source(&sqlite, &specs)?;

    let target_schema = options.target.app_schema().to_string();
    let mut client = connect(&options.target)?;
    let mut tx = client
        .transaction()
        .map_err(target_error("cannot start a transaction"))?;
    let catalog = plan::target_tables(&mut tx, &target_schema)
        .map_err(target_error("cannot read the target's catalog"))?;

    let missing: Vec<&str> = specs
        .iter()
        .filter(|s| !catalog.contains_key(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(CopyError::Target(format!(
            "the target schema \"{target_schema}\" has no table {}; {CREATE_TABLES_HINT}",
            missing
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut problems = Vec::new();
    let mut limits: Vec<Vec<Limits>> = Vec::new();
    for spec in &specs {
        let (found, table_limits) = plan::check_table(spec, &catalog[&spec.name]);
        problems.extend(found);
        limits.push(table_limits);
    }
    if !problems.is_empty() {
        return Err(CopyError::Mismatch(problems));
    }

    let qualified: Vec<String> = specs
        .iter()
        .map(|s| format!("{}.{}", ident(&target_schema), ident(&s.name)))
        .collect();
    let mut occupied = Vec::new();
    for (spec, name) in specs.iter().zip(&qualified) {
        let row = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {name})"), &[])
            .map_err(target_error("cannot read the target"))?;
        if row.get::<_, bool>(0) {
            occupied.push(format!("\"{}\"", spec.name));
        }
    }
    let truncated = !occupied.is_empty() && options.truncate;
    if !occupied.is_empty() {
        if !options.truncate {
            return Err(CopyError::NotEmpty(occupied));
        }
        tx.batch_execute(&format!("TRUNCATE {}", qualified.join(", ")))
            .map_err(target_error("cannot empty the target tables"))?;
    }

    let mut keys = foreign_keys(&mut tx, &target_schema, &specs)?;
    // The owner of the tables drops their foreign keys for the load and adds them back at the
    // end, inside the transaction: PostgreSQL then checks every key in one pass per key instead
    // of once per row, and no order or cycle matters. Anyone else loads in key order.
    let owns_tables: bool = tx
        .query_one(
            "SELECT coalesce(bool_and(pg_has_role(c.relowner, 'USAGE')), false)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = ANY($2)",
            &[
                &target_schema,
                &specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            ],
        )
        .map_err(target_error("cannot read the tables' owner"))?
        .get(0);
    let mut readded = Vec::new();
    if owns_tables && !keys.is_empty() {
        tx.batch_execute(&format!(
            "SET LOCAL search_path TO {}",
            ident(&target_schema)
        ))
        .map_err(target_error("cannot set the search path"))?;
        let rows = tx
            .query(
                "SELECT cl.relname::text, con.conname::text, pg_get_constraintdef(con.oid)
                   FROM pg_constraint con
                   JOIN pg_class cl ON cl.oid = con.conrelid
                   JOIN pg_namespace n ON n.oid = cl.relnamespace
                  WHERE con.contype = 'f' AND n.nspname = $1 AND con.conname = ANY($2)
                  ORDER BY con.conname",
                &[
                    &target_schema,
                    &keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>(),
                ],
            )
            .map_err(target_error("cannot read the foreign keys"))?;
        for row in rows {
            let (table, name, definition): (String, String, String) =
                (row.get(0), row.get(1), row.get(2));
            let table = format!("{}.{}", ident(&target_schema), ident(&table));
            tx.batch_execute(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT {}",
                ident(&name)
            ))
            .map_err(target_error("cannot drop a foreign key for the load"))?;
            readded.push((
                name.clone(),
                format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
                    ident(&name)
                ),
            ));
        }
        keys.clear();
    }
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let load = order::order(specs.len(), &keys, &names).map_err(CopyError::Target)?;
    if keys.iter().any(|k| k.deferrable) {
        tx.batch_execute("SET CONSTRAINTS ALL DEFERRED")
            .map_err(target_error("cannot defer constraints"))?;
    }

    // The jobs: every table in load order, then one per deferred update.
    let mut jobs = Vec::new();
    for &t in &load.tables {
        let spec = &specs[t];
        let nulled: Vec<usize> = load
            .deferred_updates
            .iter()
            .filter(|&&k| keys[k].child == t)
            .flat_map(|&k| keys[k].columns.iter())
            .filter_map(|c| spec.columns.iter().position(|s| &s.name == c))
            .collect();
        jobs.push(Job {
            table: t,
            columns: (0..spec.columns.len()).collect(),
            nulled,
            filter: None,
            target: qualified[t].clone(),
        });
    }
    let mut updates = Vec::new();
    for (n, &k) in load.deferred_updates.iter().enumerate() {
        let key = &keys[k];
        let spec = &specs[key.child];
        if spec.key.is_empty() {
            return Err(CopyError::Target(format!(
                "\"{}\" has no primary key, so the cyclic foreign key {} cannot be set after the load",
                spec.name, key.name
            )));
        }
        let fk: Vec<usize> = key
            .columns
            .iter()
            .filter_map(|c| spec.columns.iter().position(|s| &s.name == c))
            .collect();
        let temp = format!("pgshift_deferred_{n}");
        let mut columns = spec.key.clone();
        columns.extend(fk.iter().copied());
        let list = |cols: &[usize]| -> Vec<String> {
            cols.iter().map(|&c| ident(&spec.columns[c].name)).collect()
        };
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA",
            ident(&temp),
            list(&columns).join(", "),
            qualified[key.child]
        ))
        .map_err(target_error("cannot create a temporary table"))?;
        let filter = list(&fk)
            .iter()
            .map(|c| format!("{c} IS NOT NULL"))
            .collect::<Vec<_>>()
            .join(" OR ");
        jobs.push(Job {
            table: key.child,
            columns,
            nulled: Vec::new(),
            filter: Some(filter),
            target: ident(&temp),
        });
        let set = list(&fk)
            .iter()
            .map(|c| format!("{c} = d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let on = list(&spec.key)
            .iter()
            .map(|c| format!("t.{c} = d.{c}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        updates.push((
            jobs.len() - 1,
            format!(
                "UPDATE {} AS t SET {set} FROM {} AS d WHERE {on}",
                qualified[key.child],
                ident(&temp)
            ),
            DeferredUpdate {
                table: spec.name.clone(),
                constraint: key.name.clone(),
                columns: key.columns.clone(),
                rows: 0,
            },
        ));
    }

    let delay = std::env::var(TEST_DELAY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis);
    let mut results: Vec<Option<(u64, u64, Checksum)>> = vec![None; specs.len()];
    let mut deferred = Vec::new();
    let bars = Bars::new(options.progress);
    let (sender, receiver) = sync_channel::<Message>(4);
    let outcome = std::thread::scope(|scope| {
        let reader =
            scope.spawn(|| read_all(sqlite, &specs, &limits, &jobs, sender, interrupted, delay));
        let written = write_all(
            &mut tx,
            &specs,
            &jobs,
            &receiver,
            &mut updates,
            &bars,
            interrupted,
        );
        // The reader stops when the receiver is gone.
        drop(receiver);
        let _ = reader.join();
        written
    });
    bars.finish();
    let (per_job, bad) = outcome?;
    if !bad.is_empty() {
        let count = bad.len();
        let values = bad.into_iter().take(MAX_BAD_VALUES).collect();
        return Err(CopyError::Unconvertible { values, count });
    }
    for (j, (read, written, checksum)) in per_job.into_iter().enumerate() {
        if jobs[j].filter.is_none() {
            results[jobs[j].table] = Some((read, written, checksum));
        }
    }
    for (_, _, update) in updates {
        deferred.push(update);
    }
    if interrupted.load(Ordering::SeqCst) {
        return Err(CopyError::Interrupted);
    }

    for (name, sql) in &readded {
        tx.batch_execute(sql).map_err(|e| {
            CopyError::Target(format!(
                "the copied rows break the foreign key {name}: {}",
                describe(&e)
            ))
        })?;
    }
    let foreign_keys = if readded.is_empty() {
        "kept: tables loaded in key order".to_string()
    } else {
        format!(
            "{} dropped for the load and added back, each checked in one pass",
            readded.len()
        )
    };

    let sequences = set_sequences(&mut tx, &specs, &qualified)?;

    let mut tables = Vec::new();
    let mut all_verified = true;
    let mut total_rows = 0;
    for (t, spec) in specs.iter().enumerate() {
        let (read, written, source_sum) = results[t].expect("every table is loaded");
        let target_sum = read_back(&mut tx, spec, &qualified[t])?;
        let verified = source_sum == target_sum && read == written;
        all_verified &= verified;
        total_rows += written;
        tables.push(TableResult {
            table: spec.name.clone(),
            origin: spec.origin.clone(),
            rows_read: read,
            rows_written: target_sum.rows,
            checksum_source: source_sum.hex(),
            checksum_target: target_sum.hex(),
            verified,
        });
    }
    if interrupted.load(Ordering::SeqCst) {
        return Err(CopyError::Interrupted);
    }
    let status = if all_verified {
        tx.commit().map_err(target_error("the commit failed"))?;
        "copied"
    } else {
        tx.rollback().map_err(target_error("the rollback failed"))?;
        "verification-failed"
    };
    Ok(Report {
        status,
        exit_code: if all_verified {
            EXIT_COPIED
        } else {
            EXIT_NOT_COPIED
        },
        source: options.sqlite_path.display().to_string(),
        schema: options.schema_label.clone(),
        target: options.target.redacted(),
        target_from: options.target_source.clone(),
        target_schema,
        truncated,
        tables,
        sequences,
        deferred_updates: deferred,
        foreign_keys,
        skipped,
        rows: total_rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, CopyError> {
    if !path.is_file() {
        return Err(CopyError::Source(format!(
            "the SQLite database {} does not exist; pass --from FILE",
            path.display()
        )));
    }
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(source_error("cannot open the SQLite database"))?;
    // Other processes may write while we read: wait for them, then read one snapshot.
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(source_error("cannot configure SQLite"))?;
    Ok(connection)
}

/// Checks that the SQLite file holds the schema's tables and columns; returns the tables that
/// are not copied.
fn check_source(
    sqlite: &rusqlite::Connection,
    specs: &[TableSpec],
) -> Result<Vec<Skipped>, CopyError> {
    let mut statement = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(source_error(
            "cannot read the SQLite file (is it a SQLite database?)",
        ))?;
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(source_error("cannot list the SQLite tables"))?;
    let mut problems = Vec::new();
    for spec in specs {
        if !tables.contains(&spec.name) {
            problems.push(format!(
                "the SQLite file has no table \"{}\" ({})",
                spec.name, spec.origin
            ));
            continue;
        }
        let mut info = sqlite
            .prepare(&format!("PRAGMA table_info({})", ident(&spec.name)))
            .map_err(source_error("cannot read a SQLite table"))?;
        let columns: Vec<String> = info
            .query_map([], |row| row.get(1))
            .and_then(|rows| rows.collect())
            .map_err(source_error("cannot read a SQLite table"))?;
        for column in &spec.columns {
            if !columns.contains(&column.name) {
                problems.push(format!(
                    "the SQLite table \"{}\" has no column \"{}\" ({})",
                    spec.name, column.name, column.field
                ));
            }
        }
    }
    if !problems.is_empty() {
        problems.push("the schema does not describe this SQLite file: pass the schema it was migrated with (--schema) or the right file (--from)".into());
        return Err(CopyError::Mismatch(problems));
    }
    let skipped = tables
        .into_iter()
        .filter(|t| !specs.iter().any(|s| &s.name == t) && !t.starts_with("sqlite_"))
        .map(|table| Skipped {
            reason: if table == "_prisma_migrations" {
                BASELINE_HINT.to_string()
            } else {
                "not in the Prisma schema".to_string()
            },
            table,
        })
        .collect();
    Ok(skipped)
}

fn connect(url: &DbUrl) -> Result<Client, CopyError> {
    let (mut config, tls) = url.client_config().map_err(CopyError::Target)?;
    if url.param("application_name").is_none() {
        config.application_name(&format!("pgshift copy-data {}", std::process::id()));
    }
    config.connect(tls).map_err(|e| {
        CopyError::Target(format!(
            "cannot connect to {}: {}",
            url.host_port(),
            describe(&e)
        ))
    })
}

fn foreign_keys(
    tx: &mut Transaction<'_>,
    schema: &str,
    specs: &[TableSpec],
) -> Result<Vec<ForeignKey>, CopyError> {
    let rows = tx
        .query(
            "SELECT con.conname::text, cl.relname::text, pl.relname::text, con.condeferrable,
                    ARRAY(SELECT a.attname::text
                            FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                           ORDER BY k.n),
                    (SELECT bool_and(NOT a.attnotnull)
                       FROM unnest(con.conkey) AS k(attnum)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
               FROM pg_constraint con
               JOIN pg_class cl ON cl.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = cl.relnamespace
               JOIN pg_class pl ON pl.oid = con.confrelid
               JOIN pg_namespace pn ON pn.oid = pl.relnamespace
              WHERE con.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1
              ORDER BY con.conname",
            &[&schema],
        )
        .map_err(target_error("cannot read the target's foreign keys"))?;
    let index = |name: &str| specs.iter().position(|s| s.name == name);
    let mut keys = Vec::new();
    for row in rows {
        let (Some(child), Some(parent)) = (index(row.get(1)), index(row.get(2))) else {
            continue;
        };
        keys.push(ForeignKey {
            name: row.get(0),
            child,
            parent,
            columns: row.get(4),
            deferrable: row.get(3),
            nullable: row.get::<_, Option<bool>>(5).unwrap_or(false),
        });
    }
    Ok(keys)
}

/// The reader thread: every job's rows, converted, in batches.
fn read_all(
    sqlite: rusqlite::Connection,
    specs: &[TableSpec],
    limits: &[Vec<Limits>],
    jobs: &[Job],
    sender: SyncSender<Message>,
    interrupted: &AtomicBool,
    delay: Option<Duration>,
) {
    let send = |m: Message| sender.send(m).is_ok();
    // One read transaction: every table from the same snapshot.
    if let Err(e) = sqlite.execute_batch("BEGIN") {
        send(Message::Failed(CopyError::Source(format!(
            "cannot start a SQLite read: {e}"
        ))));
        return;
    }
    let mut bad_seen = false;
    for job in jobs {
        let spec = &specs[job.table];
        let columns: Vec<String> = job
            .columns
            .iter()
            .map(|&c| ident(&spec.columns[c].name))
            .collect();
        let mut sql = format!(
            "SELECT rowid, {} FROM {}",
            columns.join(", "),
            ident(&spec.name)
        );
        if let Some(filter) = &job.filter {
            sql.push_str(" WHERE ");
            sql.push_str(filter);
        }
        let mut statement = match sqlite.prepare(&sql) {
            Ok(s) => s,
            Err(e) => {
                send(Message::Failed(CopyError::Source(format!(
                    "cannot read \"{}\": {e}",
                    spec.name
                ))));
                return;
            }
        };
        let mut rows = match statement.query([]) {
            Ok(r) => r,
            Err(e) => {
                send(Message::Failed(CopyError::Source(format!(
                    "cannot read \"{}\": {e}",
                    spec.name
                ))));
                return;
            }
        };
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut checksum = Checksum::default();
        let mut canonical = Vec::with_capacity(256);
        let mut count = 0u64;
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    send(Message::Failed(CopyError::Source(format!(
                        "cannot read \"{}\": {e}",
                        spec.name
                    ))));
                    return;
                }
            };
            count += 1;
            let mut values = Vec::with_capacity(job.columns.len());
            let mut row_bad = false;
            for (i, &c) in job.columns.iter().enumerate() {
                let raw = row.get_ref(i + 1).expect("the column was selected");
                let column = &spec.columns[c];
                let mut converted = value::convert(raw, &column.source, &limits[job.table][c]);
                if let Ok(Value::Null) = converted
                    && !column.optional
                {
                    converted = Err("NULL in a required field".to_string());
                }
                match converted {
                    Ok(v) => values.push(v),
                    Err(reason) => {
                        row_bad = true;
                        bad_seen = true;
                        let key = row_key(spec, job, row);
                        if !send(Message::Bad(Box::new(BadValue {
                            table: spec.name.clone(),
                            column: column.name.clone(),
                            row: key,
                            value: value::show(raw),
                            reason,
                        }))) {
                            return;
                        }
                        values.push(Value::Null);
                    }
                }
            }
            if row_bad || bad_seen {
                continue;
            }
            if job.filter.is_none() {
                canonical.clear();
                for v in &values {
                    v.canonical(&mut canonical);
                }
                checksum.add(&canonical);
            }
            for &n in &job.nulled {
                values[n] = Value::Null;
            }
            batch.push(values);
            if batch.len() == BATCH_ROWS {
                if interrupted.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(d) = delay {
                    std::thread::sleep(d);
                }
                if !send(Message::Rows(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(BATCH_ROWS),
                ))) {
                    return;
                }
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            return;
        }
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        if !batch.is_empty() && !bad_seen && !send(Message::Rows(batch)) {
            return;
        }
        if !send(Message::End {
            rows: count,
            checksum,
        }) {
            return;
        }
    }
}

fn row_key(spec: &TableSpec, job: &Job, row: &rusqlite::Row<'_>) -> String {
    let keys: Vec<String> = spec
        .key
        .iter()
        .filter_map(|k| job.columns.iter().position(|c| c == k).map(|i| (k, i)))
        .map(|(k, i)| {
            let raw = row.get_ref(i + 1).expect("selected");
            let shown = match raw {
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
                other => value::show(other),
            };
            format!("{}={shown}", spec.columns[*k].name)
        })
        .collect();
    if keys.is_empty() {
        let rowid: i64 = row.get(0).unwrap_or_default();
        format!("rowid={rowid}")
    } else {
        keys.join(", ")
    }
}

type JobResults = (Vec<(u64, u64, Checksum)>, Vec<BadValue>);

/// The writer: every job's batches into its COPY, then the deferred updates.
fn write_all(
    tx: &mut Transaction<'_>,
    specs: &[TableSpec],
    jobs: &[Job],
    receiver: &Receiver<Message>,
    updates: &mut [(usize, String, DeferredUpdate)],
    bars: &Bars,
    interrupted: &AtomicBool,
) -> Result<JobResults, CopyError> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        let spec = &specs[job.table];
        let columns: Vec<String> = job
            .columns
            .iter()
            .map(|&c| ident(&spec.columns[c].name))
            .collect();
        let bar = if job.filter.is_none() {
            bars.table(&spec.name)
        } else {
            bars.table(&format!("{} (deferred keys)", spec.name))
        };
        let (rows, checksum, written) = {
            // After a bad value the transaction is aborted: the rest is only read and checked.
            let mut writer = if bad.is_empty() {
                let types: Vec<Type> = tx
                    .prepare(&format!(
                        "SELECT {} FROM {} LIMIT 0",
                        columns.join(", "),
                        job.target
                    ))
                    .map_err(target_error("cannot prepare the copy"))?
                    .columns()
                    .iter()
                    .map(|c| c.type_().clone())
                    .collect();
                let sql = format!(
                    "COPY {} ({}) FROM STDIN (FORMAT binary)",
                    job.target,
                    columns.join(", ")
                );
                let copy = tx
                    .copy_in(&sql)
                    .map_err(target_error("cannot start COPY"))?;
                Some(BinaryCopyInWriter::new(copy, &types))
            } else {
                None
            };
            let mut written = 0u64;
            let (rows, checksum) = loop {
                let message = match receiver.recv() {
                    Ok(m) => m,
                    Err(_) => {
                        if interrupted.load(Ordering::SeqCst) {
                            return Err(CopyError::Interrupted);
                        }
                        return Err(CopyError::Source("the SQLite reader stopped".into()));
                    }
                };
                match message {
                    Message::Rows(rows) => {
                        if interrupted.load(Ordering::SeqCst) {
                            return Err(CopyError::Interrupted);
                        }
                        if let Some(w) = writer.as_mut() {
                            for row in &rows {
                                w.write_raw(row.iter()).map_err(|e| {
                                    CopyError::Target(format!(
                                        "COPY into \"{}\" failed: {}",
                                        spec.name,
                                        describe(&e)
                                    ))
                                })?;
                            }
                            written += rows.len() as u64;
                            bar.inc(rows.len() as u64);
                        }
                    }
                    Message::Bad(value) => {
                        // Abort this COPY; nothing more is written, the rest is only checked.
                        writer = None;
                        bad.push(*value);
                    }
                    Message::End { rows, checksum } => break (rows, checksum),
                    Message::Failed(error) => return Err(error),
                }
            };
            bar.finish();
            if let Some(w) = writer {
                w.finish().map_err(|e| {
                    CopyError::Target(format!(
                        "COPY into \"{}\" failed: {}",
                        spec.name,
                        describe(&e)
                    ))
                })?;
            }
            (rows, checksum, written)
        };
        if bad.is_empty()
            && let Some(update) = updates.iter_mut().find(|u| u.0 == j)
        {
            let changed = tx.execute(&update.1, &[]).map_err(|e| {
                CopyError::Target(format!(
                    "setting the deferred keys of \"{}\" failed: {}",
                    spec.name,
                    describe(&e)
                ))
            })?;
            update.2.rows = changed;
        }
        out.push((rows, written, checksum));
    }
    Ok((out, bad))
}

/// Moves each autoincrement sequence past the largest copied id.
fn set_sequences(
    tx: &mut Transaction<'_>,
    specs: &[TableSpec],
    qualified: &[String],
) -> Result<Vec<SequenceResult>, CopyError> {
    let mut out = Vec::new();
    for (spec, table) in specs.iter().zip(qualified) {
        for column in spec.columns.iter().filter(|c| c.autoincrement) {
            let sequence: Option<String> = tx
                .query_one(
                    "SELECT pg_get_serial_sequence($1, $2)",
                    &[table, &column.name],
                )
                .map_err(target_error("cannot find a sequence"))?
                .get(0);
            let next_value = match &sequence {
                None => None,
                Some(seq) => {
                    let c = ident(&column.name);
                    let row = tx
                        .query_one(
                            &format!(
                                "SELECT setval($1::text::regclass, COALESCE(max({c})::bigint, 1), max({c}) IS NOT NULL), max({c}) IS NOT NULL FROM {table}"
                            ),
                            &[seq],
                        )
                        .map_err(target_error("cannot set a sequence"))?;
                    let set: i64 = row.get(0);
                    let called: bool = row.get(1);
                    Some(if called { set + 1 } else { set })
                }
            };
            out.push(SequenceResult {
                table: spec.name.clone(),
                column: column.name.clone(),
                sequence,
                next_value,
            });
        }
    }
    Ok(out)
}

/// The checksum of a target table's rows, read back from the server.
fn read_back(
    tx: &mut Transaction<'_>,
    spec: &TableSpec,
    table: &str,
) -> Result<Checksum, CopyError> {
    let columns: Vec<String> = spec.columns.iter().map(|c| ident(&c.name)).collect();
    let select = format!("SELECT {} FROM {table}", columns.join(", "));
    let types: Vec<Type> = tx
        .prepare(&format!("{select} LIMIT 0"))
        .map_err(target_error("cannot read back"))?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    let reader = tx
        .copy_out(&format!("COPY ({select}) TO STDOUT (FORMAT binary)"))
        .map_err(target_error("cannot read back"))?;
    let mut rows = BinaryCopyOutIter::new(reader, &types);
    let mut checksum = Checksum::default();
    let mut canonical = Vec::with_capacity(256);
    let read_error = |e: postgres::Error| {
        CopyError::Target(format!(
            "reading back \"{}\" failed: {}",
            spec.name,
            describe(&e)
        ))
    };
    while let Some(row) = rows.next().map_err(read_error)? {
        canonical.clear();
        for i in 0..types.len() {
            let value: Value = row.try_get(i).map_err(read_error)?;
            value.canonical(&mut canonical);
        }
        checksum.add(&canonical);
    }
    Ok(checksum)
}

/// Progress bars on a terminal only.
struct Bars {
    multi: Option<indicatif::MultiProgress>,
}

impl Bars {
    fn new(enabled: bool) -> Bars {
        Bars {
            multi: enabled
                .then(|| indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    fn table(&self, name: &str) -> ProgressBar {
        match &self.multi {
            None => ProgressBar::hidden(),
            Some(multi) => {
                let bar = multi.add(ProgressBar::no_length());
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>24} {pos:>10} rows  {per_sec}")
                        .expect("a valid template"),
                );
                bar.set_prefix(name.to_string());
                bar
            }
        }
    }

    fn finish(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}
