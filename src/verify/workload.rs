//! The media-sync replay, the same on PostgreSQL and on SQLite: `parallelLimit` sync workers
//! take batches of files, each batch is one interactive transaction upserting its media rows
//! (Prisma semantics: the start waits at most `maxWait`, the transaction expires after
//! `timeout`), then an awaited progress update of the single job row; meanwhile the three
//! queues' workers, at their concurrency, update the synced media rows. Every database call goes
//! through a pool of the Prisma pool's size. Failed calls are retried as the app's retry wrapper
//! does (`maxRetries`, `baseDelay` doubled each time). Everything is measured, nothing tuned.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::Serialize;

use super::pool::{Lease, Pool};

/// What went wrong with one database call, by the class the report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// SQLSTATE 40001 (Prisma P2034).
    SerializationFailure,
    /// SQLSTATE 40P01 (Prisma P2034).
    Deadlock,
    /// SQLSTATE 55P03: `lock_timeout` or NOWAIT.
    LockTimeout,
    /// SQLSTATE 57014: `statement_timeout` or a cancel.
    StatementTimeout,
    /// Prisma P2024: no pool connection within `pool_timeout`.
    PoolTimeout,
    /// Prisma P2028: the interactive transaction did not start within `maxWait`.
    TransactionStartTimeout,
    /// Prisma P2028: the interactive transaction ran past its `timeout` and was rolled back.
    TransactionExpired,
    /// Connection refused, reset or closed (Prisma P1001/P1017), SQLSTATE class 08, 57P01.
    Connection,
    /// SQLSTATE 53300: the server has no connection slot left.
    TooManyConnections,
    /// SQLITE_BUSY / SQLITE_LOCKED: `database is locked` (Prisma reports P1008, "Operations
    /// timed out").
    DatabaseLocked,
    /// Anything else (the sample message says what).
    Other,
    /// Ctrl-C: not counted as an error of the workload.
    Interrupted,
}

impl ErrorClass {
    pub fn label(self) -> &'static str {
        match self {
            ErrorClass::SerializationFailure => "40001 serialization failure",
            ErrorClass::Deadlock => "40P01 deadlock",
            ErrorClass::LockTimeout => "55P03 lock timeout",
            ErrorClass::StatementTimeout => "57014 statement timeout",
            ErrorClass::PoolTimeout => "P2024 pool timeout",
            ErrorClass::TransactionStartTimeout => "P2028 transaction start timed out (maxWait)",
            ErrorClass::TransactionExpired => "P2028 transaction expired (timeout)",
            ErrorClass::Connection => "connection error",
            ErrorClass::TooManyConnections => "53300 too many connections",
            ErrorClass::DatabaseLocked => "database is locked (SQLITE_BUSY)",
            ErrorClass::Other => "other error",
            ErrorClass::Interrupted => "interrupted",
        }
    }

    /// The code Prisma reports for this class (SQLSTATE where Prisma passes the server's on).
    pub fn prisma_code(self) -> &'static str {
        match self {
            ErrorClass::SerializationFailure | ErrorClass::Deadlock => "P2034",
            ErrorClass::LockTimeout => "55P03",
            ErrorClass::StatementTimeout => "57014",
            ErrorClass::PoolTimeout => "P2024",
            ErrorClass::TransactionStartTimeout | ErrorClass::TransactionExpired => "P2028",
            ErrorClass::Connection => "P1017",
            ErrorClass::TooManyConnections => "53300",
            ErrorClass::DatabaseLocked => "P1008",
            ErrorClass::Other => "other",
            ErrorClass::Interrupted => "interrupted",
        }
    }

    /// Errors whose message says "timed out"/"timeout" in the app's log (seed criterion 1).
    /// Prisma reports SQLITE_BUSY as P1008 "Operations timed out after …", so it counts too.
    pub fn is_timeout(self) -> bool {
        matches!(
            self,
            ErrorClass::LockTimeout
                | ErrorClass::StatementTimeout
                | ErrorClass::PoolTimeout
                | ErrorClass::TransactionStartTimeout
                | ErrorClass::TransactionExpired
                | ErrorClass::DatabaseLocked
        )
    }

    /// The transient errors worth a retry on PostgreSQL (connection errors, write conflicts,
    /// deadlocks, pool timeouts); `database is locked` only while the code still retries it.
    pub fn is_retryable(self, retry_locked: bool) -> bool {
        match self {
            ErrorClass::SerializationFailure
            | ErrorClass::Deadlock
            | ErrorClass::PoolTimeout
            | ErrorClass::Connection
            | ErrorClass::TooManyConnections => true,
            ErrorClass::DatabaseLocked => retry_locked,
            _ => false,
        }
    }
}

/// A failed database call.
#[derive(Debug, Clone)]
pub struct OpError {
    pub class: ErrorClass,
    pub message: String,
}

impl OpError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> OpError {
        OpError {
            class,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.class.label(), self.message)
    }
}

/// One file of the replayed sync.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: String,
    pub key: String,
    pub filename: String,
    pub mime_type: &'static str,
    pub size: i64,
    pub etag: String,
}

impl FileRow {
    /// The `index`-th file of a run; deterministic so both databases get the same rows.
    pub fn nth(run: &str, index: usize) -> FileRow {
        let ext = ["jpg", "png", "webp", "mp4"][index % 4];
        let mime_type = ["image/jpeg", "image/png", "image/webp", "video/mp4"][index % 4];
        let filename = format!("{index:06}.{ext}");
        FileRow {
            id: format!("c{run}{index:07}"),
            key: format!("library/{:03}/{filename}", index / 100),
            filename,
            mime_type,
            // 1 KiB .. ~200 KiB: the job's byte counter is a 32-bit Int in the Prisma model.
            size: 1024 + ((index as i64 * 7919) % 200_000),
            etag: format!(
                "{:016x}",
                (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ),
        }
    }
}

/// A write of a queue worker to one media row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStep {
    /// Processing queue: `status = 'PROCESSING'`.
    ProcessingStart,
    /// Processing queue: `status = 'READY'` with the dimensions.
    ProcessingDone,
    /// Watermark queue: `watermarked = true`.
    Watermark,
    /// Sync queue: the object re-checked, `etag` confirmed.
    Recheck,
}

/// Row counts read back after the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub media_rows: i64,
    pub media_bytes: i64,
    pub ready: i64,
    pub watermarked: i64,
    pub rechecked: i64,
    pub job_processed_files: i64,
    pub job_failed_files: i64,
    pub job_processed_bytes: i64,
    pub job_status: String,
    /// The sync worker's job row (per-object shape): `processedFiles` its transactions added.
    pub worker_processed_files: i64,
}

/// A database the replay runs on.
pub trait Backend: Sync {
    type Conn: Send;

    /// Opens a workload connection (what the Prisma pool would open).
    fn connect(&self) -> Result<Self::Conn, OpError>;
    /// Whether a connection can go back to the pool after an error.
    fn healthy(&self, conn: &mut Self::Conn) -> bool;
    /// Starts a write transaction, waiting at most `wait` for it to start.
    fn begin(&self, conn: &mut Self::Conn, wait: Duration) -> Result<(), OpError>;
    fn upsert(&self, conn: &mut Self::Conn, file: &FileRow) -> Result<(), OpError>;
    fn commit(&self, conn: &mut Self::Conn) -> Result<(), OpError>;
    fn rollback(&self, conn: &mut Self::Conn);
    /// `processedFiles += files, failedFiles += failed, processedBytes += bytes`.
    fn add_progress(
        &self,
        conn: &mut Self::Conn,
        job: &str,
        files: i64,
        failed: i64,
        bytes: i64,
    ) -> Result<(), OpError>;
    /// `(processedFiles, processedBytes)` as they are now.
    fn read_progress(&self, conn: &mut Self::Conn, job: &str) -> Result<(i64, i64), OpError>;
    /// Writes absolute counters (the read-modify-write of the lost-update fault).
    fn set_progress(
        &self,
        conn: &mut Self::Conn,
        job: &str,
        files: i64,
        bytes: i64,
    ) -> Result<(), OpError>;
    fn queue_step(&self, conn: &mut Self::Conn, step: QueueStep, key: &str) -> Result<(), OpError>;
    fn finish_job(&self, conn: &mut Self::Conn, job: &str, errors: &str) -> Result<(), OpError>;
    /// Creates the job row (status RUNNING, `totalFiles`), outside the measured workload.
    fn create_job(&self, job: &str, total: i64) -> Result<(), OpError>;
    /// Reads the rows back, outside the measured workload.
    fn counts(&self, job: &str) -> Result<Counts, OpError>;
}

/// The sync's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// `parallelLimit` workers, one interactive transaction per batch of `batchSize` upserts,
    /// then an awaited progress update.
    Batch,
    /// The Stage 5 app's shape: batches one after another, each as `parallelLimit` lanes of
    /// single upserts, then an awaited progress update; the sync queue's workers run one
    /// interactive transaction per object (the upsert and a job counter increment).
    PerObject,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Batch => "batch",
            Pattern::PerObject => "per-object",
        }
    }
}

/// A deliberate bug, for testing that the data check catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// One progress write is a read-modify-write racing the others: a classic lost update.
    LostUpdate,
}

/// The workload's knobs, all from the code (or the pack), the URL and the command line.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    pub pattern: Pattern,
    pub files: usize,
    pub batch_size: usize,
    pub min_files_for_batching: usize,
    pub parallel_limit: usize,
    /// Processing, sync, watermark.
    pub queue_concurrency: [usize; 3],
    pub results_limit: usize,
    #[serde(serialize_with = "ser_ms")]
    pub tx_timeout: Duration,
    #[serde(serialize_with = "ser_ms")]
    pub tx_max_wait: Duration,
    pub pool_size: usize,
    #[serde(serialize_with = "ser_opt_ms")]
    pub pool_timeout: Option<Duration>,
    pub max_retries: u32,
    #[serde(serialize_with = "ser_ms")]
    pub base_delay: Duration,
    /// Whether `database is locked` is retried (the code before the rules).
    pub retry_locked: bool,
    #[serde(serialize_with = "ser_ms")]
    pub io_latency: Duration,
    pub fault: Option<Fault>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

impl Params {
    /// The batches as the sync service forms them: chunks of `batchSize` from
    /// `minFilesForBatching` files on, else one batch of everything.
    pub fn batches(&self) -> Vec<std::ops::Range<usize>> {
        if self.files == 0 {
            return Vec::new();
        }
        if self.files >= self.min_files_for_batching && self.batch_size > 0 {
            (0..self.files)
                .step_by(self.batch_size)
                .map(|start| start..(start + self.batch_size).min(self.files))
                .collect()
        } else {
            std::iter::once(0..self.files).collect()
        }
    }

    pub fn demand(&self) -> usize {
        self.queue_concurrency.iter().sum::<usize>() + self.parallel_limit
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(samples: &mut [f64]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let pick = |q: f64| {
            let rank = (q * samples.len() as f64).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1]
        };
        Latency {
            count: samples.len(),
            p50_ms: pick(0.50),
            p95_ms: pick(0.95),
            p99_ms: pick(0.99),
            max_ms: samples[samples.len() - 1],
        }
    }
}

/// Errors of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCount {
    /// Prisma's error code (P2028, P2024, P1008, …), or the SQLSTATE or driver code.
    pub code: String,
    pub class: ErrorClass,
    pub label: &'static str,
    /// Failed attempts, retried or not.
    pub count: usize,
    /// Attempts that were retried.
    pub retried: usize,
    /// The first message seen.
    pub sample: String,
}

impl ErrorCount {
    /// The failed attempts that timed out, and those that met `database is locked`.
    pub fn totals(errors: &[ErrorCount]) -> (usize, usize) {
        let sum = |keep: fn(&ErrorCount) -> bool| {
            errors.iter().filter(|e| keep(e)).map(|e| e.count).sum()
        };
        (
            sum(|e| e.class.is_timeout()),
            sum(|e| e.class == ErrorClass::DatabaseLocked),
        )
    }
}

/// What the data check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataCheck {
    pub ok: bool,
    pub counts: Counts,
    pub expected_rows: i64,
    pub expected_bytes: i64,
    /// Writes that reported success but are not in the database.
    pub lost: Vec<String>,
    /// Rows missing because their write failed with an error (reported, not silent).
    pub failed: Vec<String>,
}

/// The measurements of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub params: Params,
    pub batches: usize,
    pub sync_seconds: f64,
    /// Until the queues were drained too.
    pub total_seconds: f64,
    pub files_per_second: f64,
    pub transactions: Latency,
    /// Longest transaction attempt, failed ones included.
    pub longest_transaction_ms: f64,
    pub pool_wait: Latency,
    pub single_writes: Latency,
    pub pool_peak: usize,
    pub errors: Vec<ErrorCount>,
    pub timed_out: usize,
    pub database_locked: usize,
    /// Operations that still failed after the retries, by what they were.
    pub failed_operations: BTreeMap<String, usize>,
    pub files_synced: usize,
    pub files_failed: usize,
    /// Queue jobs done while the sync ran (processing, sync, watermark).
    pub queue_jobs_done: [usize; 3],
    pub results_kept: usize,
    pub data: DataCheck,
    pub interrupted: bool,
    /// Per-object shape: interactive transactions of the sync worker that committed.
    pub worker_transactions: usize,
    /// Failed attempts by Prisma error code (or SQLSTATE, or driver code).
    pub error_codes: BTreeMap<String, usize>,
    /// Set when the run was stopped at the time limit: what it had done by then.
    pub stalled: Option<String>,
    /// Real client only: Node start, client load and `$connect`.
    pub startup_seconds: Option<f64>,
}

impl Outcome {
    pub fn failed_operation_count(&self) -> usize {
        self.failed_operations.values().sum()
    }
}

#[derive(Default)]
struct Stats {
    tx_ms: Vec<f64>,
    longest_tx_ms: f64,
    pool_wait_ms: Vec<f64>,
    single_ms: Vec<f64>,
    errors: BTreeMap<ErrorClass, (usize, usize, String)>,
    failed_operations: BTreeMap<String, usize>,
    files_synced: usize,
    bytes_synced: i64,
    files_failed: usize,
    queue_failed: [usize; 3],
    /// Queue jobs whose last write succeeded, per queue.
    queue_ok: [usize; 3],
    progress_failed_files: i64,
    progress_failed_failed: i64,
    progress_failed_bytes: i64,
    results: Vec<String>,
    results_total: usize,
    worker_tx_ok: usize,
}

/// What a run believes it wrote, for the data check.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub pattern: Option<Pattern>,
    pub files_synced: usize,
    pub bytes_synced: i64,
    pub files_failed: usize,
    pub queue_ok: [usize; 3],
    pub queue_failed: [usize; 3],
    pub progress_failed_files: i64,
    pub progress_failed_failed: i64,
    pub progress_failed_bytes: i64,
    pub worker_tx_ok: usize,
}

impl From<&Stats> for Written {
    fn from(stats: &Stats) -> Written {
        Written {
            pattern: None,
            files_synced: stats.files_synced,
            bytes_synced: stats.bytes_synced,
            files_failed: stats.files_failed,
            queue_ok: stats.queue_ok,
            queue_failed: stats.queue_failed,
            progress_failed_files: stats.progress_failed_files,
            progress_failed_failed: stats.progress_failed_failed,
            progress_failed_bytes: stats.progress_failed_bytes,
            worker_tx_ok: stats.worker_tx_ok,
        }
    }
}

struct Context<'a, B: Backend> {
    backend: &'a B,
    params: &'a Params,
    pool: Pool<B::Conn>,
    stats: Mutex<Stats>,
    interrupted: &'a AtomicBool,
    job: &'a str,
    progress_writes: AtomicUsize,
    fault_armed: AtomicBool,
    /// With the lost-update fault: set once the faulty batch has read the job row, so that the
    /// other batches' progress writes land after that read and one is surely overwritten.
    fault_read_done: AtomicBool,
    /// Set when the sync is over: the queues stop with it.
    sync_done: AtomicBool,
}

impl<B: Backend> Context<'_, B> {
    fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    fn sleep(&self, duration: Duration) {
        let end = Instant::now() + duration;
        while !self.interrupted() {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    fn give_back(&self, lease: Lease<B::Conn>, failed: bool) {
        let mut conn = lease.conn;
        if failed && !self.backend.healthy(&mut conn) {
            self.pool.discard(conn);
        } else {
            self.pool.put(conn);
        }
    }

    /// Runs `op` with the app's retry policy; records every failed attempt.
    fn with_retry<T>(
        &self,
        what: &str,
        mut op: impl FnMut() -> Result<T, OpError>,
    ) -> Result<T, OpError> {
        let mut attempt: u32 = 0;
        loop {
            match op() {
                Ok(value) => return Ok(value),
                Err(error) if error.class == ErrorClass::Interrupted => return Err(error),
                Err(error) => {
                    let retry = error.class.is_retryable(self.params.retry_locked)
                        && attempt < self.params.max_retries
                        && !self.interrupted();
                    {
                        let mut stats = self.stats.lock().unwrap();
                        let entry = stats
                            .errors
                            .entry(error.class)
                            .or_insert_with(|| (0, 0, error.message.clone()));
                        entry.0 += 1;
                        if retry {
                            entry.1 += 1;
                        } else {
                            *stats.failed_operations.entry(what.to_string()).or_insert(0) += 1;
                        }
                    }
                    if !retry {
                        return Err(error);
                    }
                    let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
                    self.sleep(self.params.base_delay.saturating_mul(factor));
                    attempt += 1;
                }
            }
        }
    }

    /// One call outside a transaction: a pool connection (waiting at most `pool_timeout`),
    /// one statement.
    fn single(
        &self,
        op: impl FnOnce(&B, &mut B::Conn) -> Result<(), OpError>,
    ) -> Result<(), OpError> {
        let mut lease = self.pool.get(
            self.params.pool_timeout,
            ErrorClass::PoolTimeout,
            self.interrupted,
            || self.backend.connect(),
        )?;
        let started = Instant::now();
        let result = op(self.backend, &mut lease.conn);
        {
            let mut stats = self.stats.lock().unwrap();
            stats.pool_wait_ms.push(ms(lease.waited));
            stats.single_ms.push(ms(started.elapsed()));
        }
        self.give_back(lease, result.is_err());
        result
    }

    /// One batch as a Prisma interactive transaction.
    fn transaction(&self, files: &[FileRow], worker_job: Option<&str>) -> Result<(), OpError> {
        let max_wait = self.params.tx_max_wait;
        let (wait, class) = match self.params.pool_timeout {
            Some(pool_timeout) if pool_timeout < max_wait => {
                (pool_timeout, ErrorClass::PoolTimeout)
            }
            _ => (max_wait, ErrorClass::TransactionStartTimeout),
        };
        let mut lease = self.pool.get(Some(wait), class, self.interrupted, || {
            self.backend.connect()
        })?;
        self.stats
            .lock()
            .unwrap()
            .pool_wait_ms
            .push(ms(lease.waited));
        let left = max_wait.saturating_sub(lease.waited);
        let started = Instant::now();
        let result = self.transaction_body(&mut lease.conn, files, worker_job, left);
        let elapsed = ms(started.elapsed());
        {
            let mut stats = self.stats.lock().unwrap();
            stats.longest_tx_ms = stats.longest_tx_ms.max(elapsed);
            if result.is_ok() {
                stats.tx_ms.push(elapsed);
            }
        }
        if result.is_err() {
            self.backend.rollback(&mut lease.conn);
        }
        self.give_back(lease, result.is_err());
        result
    }

    fn transaction_body(
        &self,
        conn: &mut B::Conn,
        files: &[FileRow],
        worker_job: Option<&str>,
        start_budget: Duration,
    ) -> Result<(), OpError> {
        if start_budget.is_zero() {
            return Err(OpError::new(
                ErrorClass::TransactionStartTimeout,
                "unable to start a transaction in the given time",
            ));
        }
        self.backend.begin(conn, start_budget)?;
        let began = Instant::now();
        let timeout = self.params.tx_timeout;
        let expired = |began: Instant| {
            OpError::new(
                ErrorClass::TransactionExpired,
                format!(
                    "transaction already closed: the timeout for this transaction was {} ms, however {} ms passed since its start",
                    timeout.as_millis(),
                    began.elapsed().as_millis()
                ),
            )
        };
        for file in files {
            if self.interrupted() {
                return Err(OpError::new(ErrorClass::Interrupted, "interrupted"));
            }
            if began.elapsed() > timeout {
                return Err(expired(began));
            }
            self.backend.upsert(conn, file)?;
        }
        if let Some(job) = worker_job {
            let bytes = files.iter().map(|f| f.size).sum();
            self.backend
                .add_progress(conn, job, files.len() as i64, 0, bytes)?;
        }
        if began.elapsed() > timeout {
            return Err(expired(began));
        }
        self.backend.commit(conn)
    }

    fn push_results(&self, entries: impl Iterator<Item = String>) {
        let limit = self.params.results_limit.max(1);
        let mut stats = self.stats.lock().unwrap();
        for entry in entries {
            stats.results.push(entry);
            stats.results_total += 1;
        }
        if stats.results.len() > limit * 2 {
            let cut = stats.results.len() - limit;
            stats.results.drain(..cut);
        }
    }

    fn sync_worker(
        &self,
        files: &[FileRow],
        batches: &[std::ops::Range<usize>],
        next: &AtomicUsize,
        queues: &[mpsc::Sender<Arc<str>>; 3],
        bar: &ProgressBar,
    ) {
        loop {
            if self.interrupted() {
                return;
            }
            let index = next.fetch_add(1, Ordering::SeqCst);
            let Some(range) = batches.get(index) else {
                return;
            };
            let batch = &files[range.clone()];
            let lost_update = self.params.fault == Some(Fault::LostUpdate)
                && self.fault_armed.swap(false, Ordering::SeqCst);
            // The naive read at the start of the batch (only with the lost-update fault).
            let stale = if lost_update {
                let mut read = None;
                let _ = self.single(|backend, conn| {
                    read = Some(backend.read_progress(conn, self.job)?);
                    Ok(())
                });
                let seen = self.progress_writes.load(Ordering::SeqCst);
                self.fault_read_done.store(true, Ordering::SeqCst);
                read.map(|r| (r, seen))
            } else {
                None
            };
            // Stand-in for the S3 reads, outside any transaction.
            self.sleep(self.params.io_latency.saturating_mul(batch.len() as u32));
            if self.interrupted() {
                return;
            }
            let result = self.with_retry("batch transaction", || self.transaction(batch, None));
            let bytes: i64 = batch.iter().map(|f| f.size).sum();
            let (ok_files, failed_files, ok_bytes) = match &result {
                Ok(()) => (batch.len() as i64, 0, bytes),
                Err(_) => (0, batch.len() as i64, 0),
            };
            match &result {
                Ok(()) => {
                    {
                        let mut stats = self.stats.lock().unwrap();
                        stats.files_synced += batch.len();
                        stats.bytes_synced += bytes;
                    }
                    for file in batch {
                        let key: Arc<str> = Arc::from(file.key.as_str());
                        for queue in queues {
                            let _ = queue.send(key.clone());
                        }
                    }
                    self.push_results(batch.iter().map(|f| format!("{} ok", f.key)));
                }
                Err(error) if error.class == ErrorClass::Interrupted => return,
                Err(error) => {
                    self.stats.lock().unwrap().files_failed += batch.len();
                    self.push_results(batch.iter().map(|f| format!("{} {}", f.key, error)));
                }
            }
            // The awaited progress update of the hot job row.
            let progress = match stale {
                Some(((files_then, bytes_then), seen)) => {
                    // Wait until another batch's progress write has landed since the read.
                    let until = Instant::now() + Duration::from_secs(10);
                    while self.progress_writes.load(Ordering::SeqCst) == seen
                        && Instant::now() < until
                        && !self.interrupted()
                    {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    self.with_retry("progress update", || {
                        self.single(|backend, conn| {
                            backend.set_progress(
                                conn,
                                self.job,
                                files_then + ok_files,
                                bytes_then + ok_bytes,
                            )
                        })
                    })
                }
                None => {
                    if self.params.fault == Some(Fault::LostUpdate) {
                        let until = Instant::now() + Duration::from_secs(10);
                        while !self.fault_read_done.load(Ordering::SeqCst)
                            && Instant::now() < until
                            && !self.interrupted()
                        {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                    self.with_retry("progress update", || {
                        self.single(|backend, conn| {
                            backend.add_progress(conn, self.job, ok_files, failed_files, ok_bytes)
                        })
                    })
                }
            };
            match progress {
                Ok(()) => {
                    self.progress_writes.fetch_add(1, Ordering::SeqCst);
                }
                Err(error) if error.class == ErrorClass::Interrupted => return,
                Err(_) => {
                    let mut stats = self.stats.lock().unwrap();
                    stats.progress_failed_files += ok_files;
                    stats.progress_failed_failed += failed_files;
                    stats.progress_failed_bytes += ok_bytes;
                }
            }
            bar.inc(batch.len() as u64);
        }
    }

    /// The per-object shape's service: batches one after another, `parallelLimit` lanes of
    /// single upserts each, then the awaited progress update.
    fn per_object_service(
        &self,
        files: &[FileRow],
        batches: &[std::ops::Range<usize>],
        worker: &mpsc::Sender<usize>,
        queues: &[mpsc::Sender<Arc<str>>; 3],
        bar: &ProgressBar,
    ) {
        for range in batches {
            if self.interrupted() {
                return;
            }
            let cursor = AtomicUsize::new(range.start);
            let tally = Mutex::new((0i64, 0i64, 0i64));
            let lanes = self.params.parallel_limit.max(1).min(range.len());
            std::thread::scope(|scope| {
                for _ in 0..lanes {
                    let worker = worker.clone();
                    let (cursor, tally) = (&cursor, &tally);
                    scope.spawn(move || {
                        loop {
                            if self.interrupted() {
                                return;
                            }
                            let index = cursor.fetch_add(1, Ordering::SeqCst);
                            if index >= range.end {
                                return;
                            }
                            let file = &files[index];
                            self.sleep(self.params.io_latency);
                            let result = self.with_retry("sync upsert", || {
                                self.single(|backend, conn| backend.upsert(conn, file))
                            });
                            match result {
                                Ok(()) => {
                                    {
                                        let mut stats = self.stats.lock().unwrap();
                                        stats.files_synced += 1;
                                        stats.bytes_synced += file.size;
                                    }
                                    let mut t = tally.lock().unwrap();
                                    t.0 += 1;
                                    t.2 += file.size;
                                    drop(t);
                                    let key: Arc<str> = Arc::from(file.key.as_str());
                                    let _ = queues[0].send(key.clone());
                                    let _ = queues[2].send(key);
                                    let _ = worker.send(index);
                                    self.push_results(std::iter::once(format!("{} ok", file.key)));
                                }
                                Err(error) if error.class == ErrorClass::Interrupted => return,
                                Err(error) => {
                                    self.stats.lock().unwrap().files_failed += 1;
                                    tally.lock().unwrap().1 += 1;
                                    self.push_results(std::iter::once(format!(
                                        "{} {error}",
                                        file.key
                                    )));
                                }
                            }
                            bar.inc(1);
                        }
                    });
                }
            });
            let (ok_files, failed_files, ok_bytes) = *tally.lock().unwrap();
            let progress = self.with_retry("progress update", || {
                self.single(|backend, conn| {
                    backend.add_progress(conn, self.job, ok_files, failed_files, ok_bytes)
                })
            });
            match progress {
                Ok(()) => {}
                Err(error) if error.class == ErrorClass::Interrupted => return,
                Err(_) => {
                    let mut stats = self.stats.lock().unwrap();
                    stats.progress_failed_files += ok_files;
                    stats.progress_failed_failed += failed_files;
                    stats.progress_failed_bytes += ok_bytes;
                }
            }
        }
    }

    /// The per-object shape's sync worker: one interactive transaction per object (the upsert
    /// and the worker job's counter).
    fn object_worker(&self, files: &[FileRow], jobs: &Mutex<mpsc::Receiver<usize>>, job: &str) {
        loop {
            if self.interrupted() {
                return;
            }
            let index = match jobs.lock().unwrap().recv() {
                Ok(index) => index,
                Err(_) => return,
            };
            let file = std::slice::from_ref(&files[index]);
            match self.with_retry("sync worker transaction", || {
                self.transaction(file, Some(job))
            }) {
                Ok(()) => {
                    let mut stats = self.stats.lock().unwrap();
                    stats.worker_tx_ok += 1;
                    stats.queue_ok[1] += 1;
                }
                Err(error) if error.class == ErrorClass::Interrupted => return,
                Err(_) => self.stats.lock().unwrap().queue_failed[1] += 1,
            }
        }
    }

    fn queue_worker(&self, queue: usize, jobs: &Mutex<mpsc::Receiver<Arc<str>>>) {
        let steps: &[QueueStep] = match queue {
            0 => &[QueueStep::ProcessingStart, QueueStep::ProcessingDone],
            1 => &[QueueStep::Recheck],
            _ => &[QueueStep::Watermark],
        };
        let what = ["processing queue", "sync queue", "watermark queue"][queue];
        loop {
            if self.interrupted() || self.sync_done.load(Ordering::SeqCst) {
                return;
            }
            let key = match jobs.lock().unwrap().recv() {
                Ok(key) => key,
                Err(_) => return,
            };
            // The queues run while the sync runs; what is left when it ends is not measured.
            if self.sync_done.load(Ordering::SeqCst) {
                return;
            }
            for (at, step) in steps.iter().enumerate() {
                if at + 1 == steps.len() {
                    // The work itself (thumbnails, watermark, the S3 HEAD), outside the database.
                    self.sleep(self.params.io_latency);
                }
                let result = self.with_retry(what, || {
                    self.single(|backend, conn| backend.queue_step(conn, *step, &key))
                });
                match result {
                    Ok(()) => {
                        if at + 1 == steps.len() {
                            self.stats.lock().unwrap().queue_ok[queue] += 1;
                        }
                    }
                    Err(error) if error.class == ErrorClass::Interrupted => return,
                    Err(_) => {
                        self.stats.lock().unwrap().queue_failed[queue] += 1;
                        break;
                    }
                }
            }
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Replays the sync on `backend`. `run` names the rows (ids are unique per run).
pub fn run<B: Backend>(
    backend: &B,
    params: &Params,
    run: &str,
    interrupted: &AtomicBool,
    bar: &ProgressBar,
) -> Result<Outcome, OpError> {
    let job = format!("job{run}");
    let worker_job = format!("{job}w");
    backend.create_job(&job, params.files as i64)?;
    backend.create_job(&worker_job, params.files as i64)?;
    let files: Vec<FileRow> = (0..params.files).map(|i| FileRow::nth(run, i)).collect();
    let batches = params.batches();
    let context = Context {
        backend,
        params,
        pool: Pool::new(params.pool_size),
        stats: Mutex::new(Stats::default()),
        interrupted,
        job: &job,
        progress_writes: AtomicUsize::new(0),
        fault_armed: AtomicBool::new(true),
        fault_read_done: AtomicBool::new(false),
        sync_done: AtomicBool::new(false),
    };
    bar.set_length(params.files as u64);
    bar.set_position(0);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut sync_seconds = 0.0;
    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..3 {
        let (tx, rx) = mpsc::channel::<Arc<str>>();
        senders.push(tx);
        receivers.push(Mutex::new(rx));
    }
    let senders: [mpsc::Sender<Arc<str>>; 3] = senders.try_into().unwrap();
    std::thread::scope(|scope| {
        let receivers = &receivers;
        let context = &context;
        let per_object = params.pattern == Pattern::PerObject;
        let mut queue_workers = Vec::new();
        for (queue, &concurrency) in params.queue_concurrency.iter().enumerate() {
            if per_object && queue == 1 {
                continue;
            }
            for _ in 0..concurrency.max(1) {
                queue_workers
                    .push(scope.spawn(move || context.queue_worker(queue, &receivers[queue])));
            }
        }
        if per_object {
            let (worker_tx, worker_rx) = mpsc::channel::<usize>();
            let worker_rx = Mutex::new(worker_rx);
            let files = &files;
            let worker_job = &worker_job;
            std::thread::scope(|inner| {
                let worker_rx = &worker_rx;
                let mut object_workers = Vec::new();
                for _ in 0..params.queue_concurrency[1].max(1) {
                    object_workers.push(
                        inner.spawn(move || context.object_worker(files, worker_rx, worker_job)),
                    );
                }
                context.per_object_service(files, &batches, &worker_tx, &senders, bar);
                drop(worker_tx);
                for worker in object_workers {
                    let _ = worker.join();
                }
            });
            drop(senders);
            sync_seconds = started.elapsed().as_secs_f64();
            context.sync_done.store(true, Ordering::SeqCst);
            for worker in queue_workers {
                let _ = worker.join();
            }
            return;
        }
        let mut sync_workers = Vec::new();
        for _ in 0..params.parallel_limit.max(1) {
            let senders = senders.clone();
            let files = &files;
            let batches = &batches;
            let next = &next;
            sync_workers.push(
                scope.spawn(move || context.sync_worker(files, batches, next, &senders, bar)),
            );
        }
        drop(senders);
        for worker in sync_workers {
            let _ = worker.join();
        }
        sync_seconds = started.elapsed().as_secs_f64();
        context.sync_done.store(true, Ordering::SeqCst);
        for worker in queue_workers {
            let _ = worker.join();
        }
    });
    let interrupted_now = interrupted.load(Ordering::Relaxed);
    // The job's final write, as the service does it (awaited here).
    let errors_text = {
        let stats = context.stats.lock().unwrap();
        stats
            .results
            .iter()
            .filter(|r| !r.ends_with(" ok"))
            .take(params.results_limit)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !interrupted_now {
        let _ = context.with_retry("job finalize", || {
            context.single(|backend, conn| backend.finish_job(conn, &job, &errors_text))
        });
    }
    let total_seconds = started.elapsed().as_secs_f64();
    let pool_peak = context.pool.peak();
    context.pool.close_idle();
    let mut stats = context.stats.into_inner().unwrap();
    let counts = if interrupted_now {
        Counts::default()
    } else {
        backend.counts(&job)?
    };
    let mut written = Written::from(&stats);
    written.pattern = Some(params.pattern);
    let data = check_data(&written, &counts, params);
    let errors: Vec<ErrorCount> = stats
        .errors
        .iter()
        .map(|(class, (count, retried, sample))| ErrorCount {
            code: class.prisma_code().to_string(),
            class: *class,
            label: class.label(),
            count: *count,
            retried: *retried,
            sample: sample.clone(),
        })
        .collect();
    let (timed_out, database_locked) = ErrorCount::totals(&errors);
    let files_per_second = if sync_seconds > 0.0 {
        stats.files_synced as f64 / sync_seconds
    } else {
        0.0
    };
    let error_codes = error_codes(&errors);
    Ok(Outcome {
        params: params.clone(),
        batches: batches.len(),
        sync_seconds,
        total_seconds,
        files_per_second,
        transactions: Latency::of(&mut stats.tx_ms),
        longest_transaction_ms: stats.longest_tx_ms,
        pool_wait: Latency::of(&mut stats.pool_wait_ms),
        single_writes: Latency::of(&mut stats.single_ms),
        pool_peak,
        errors,
        timed_out,
        database_locked,
        failed_operations: stats.failed_operations.clone(),
        files_synced: stats.files_synced,
        files_failed: stats.files_failed,
        queue_jobs_done: stats.queue_ok,
        results_kept: stats.results_total.min(params.results_limit),
        data,
        interrupted: interrupted_now,
        worker_transactions: stats.worker_tx_ok,
        error_codes,
        stalled: None,
        startup_seconds: None,
    })
}

/// Failed attempts by code.
pub fn error_codes(errors: &[ErrorCount]) -> BTreeMap<String, usize> {
    let mut codes = BTreeMap::new();
    for error in errors {
        *codes.entry(error.code.clone()).or_insert(0) += error.count;
    }
    codes
}

/// Compares what the workload believes it wrote with what the database holds.
pub fn check_data(stats: &Written, counts: &Counts, params: &Params) -> DataCheck {
    let synced = stats.files_synced as i64;
    let mut lost = Vec::new();
    let mut failed = Vec::new();
    if stats.files_failed > 0 {
        failed.push(format!(
            "{} of {} files not synced: their batch transaction failed",
            stats.files_failed, params.files
        ));
    }
    if counts.media_rows != synced {
        lost.push(format!(
            "{} media rows, but {synced} files were committed",
            counts.media_rows
        ));
    }
    let expected_processed = synced - stats.progress_failed_files;
    let expected_failed = stats.files_failed as i64 - stats.progress_failed_failed;
    let expected_bytes = stats.bytes_synced - stats.progress_failed_bytes;
    if stats.progress_failed_files > 0 || stats.progress_failed_failed > 0 {
        failed.push(format!(
            "progress updates for {} files failed with an error",
            stats.progress_failed_files + stats.progress_failed_failed
        ));
    }
    if counts.job_processed_files != expected_processed {
        lost.push(format!(
            "job processedFiles is {}, expected {expected_processed}: {} progress increments lost",
            counts.job_processed_files,
            expected_processed - counts.job_processed_files
        ));
    }
    if counts.job_failed_files != expected_failed {
        lost.push(format!(
            "job failedFiles is {}, expected {expected_failed}",
            counts.job_failed_files
        ));
    }
    if counts.job_processed_bytes != expected_bytes {
        lost.push(format!(
            "job processedBytes is {}, expected {expected_bytes}",
            counts.job_processed_bytes
        ));
    }
    if counts.media_bytes != stats.bytes_synced {
        lost.push(format!(
            "media sizes add up to {}, expected {}",
            counts.media_bytes, stats.bytes_synced
        ));
    }
    let per_object = stats.pattern == Some(Pattern::PerObject);
    if per_object && counts.worker_processed_files != stats.worker_tx_ok as i64 {
        lost.push(format!(
            "the sync worker's job counter is {}, but {} of its transactions committed",
            counts.worker_processed_files, stats.worker_tx_ok
        ));
    }
    for (queue, (name, found)) in [
        ("processing", counts.ready),
        (
            "sync",
            if per_object {
                counts.worker_processed_files
            } else {
                counts.rechecked
            },
        ),
        ("watermark", counts.watermarked),
    ]
    .into_iter()
    .enumerate()
    {
        // Jobs still queued when the sync ended were never run: only the writes that
        // reported success are expected.
        let expected = stats.queue_ok[queue] as i64;
        if stats.queue_failed[queue] > 0 {
            failed.push(format!(
                "{} {name} queue jobs failed with an error",
                stats.queue_failed[queue]
            ));
        }
        if found != expected && !(per_object && queue == 1) {
            lost.push(format!(
                "{found} media rows carry the {name} queue's update, but {expected} such writes succeeded"
            ));
        }
    }
    let complete = counts.media_rows == params.files as i64
        && counts.job_processed_files + counts.job_failed_files == params.files as i64;
    DataCheck {
        ok: lost.is_empty() && failed.is_empty() && complete,
        counts: counts.clone(),
        expected_rows: params.files as i64,
        expected_bytes: (0..params.files).map(|i| FileRow::nth("", i).size).sum(),
        lost,
        failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(files: usize) -> Params {
        Params {
            pattern: Pattern::Batch,
            files,
            batch_size: 200,
            min_files_for_batching: 100,
            parallel_limit: 20,
            queue_concurrency: [10, 8, 5],
            results_limit: 500,
            tx_timeout: Duration::from_secs(5),
            tx_max_wait: Duration::from_secs(2),
            pool_size: 5,
            pool_timeout: Some(Duration::from_secs(10)),
            max_retries: 2,
            base_delay: Duration::from_millis(50),
            retry_locked: false,
            io_latency: Duration::ZERO,
            fault: None,
        }
    }

    #[test]
    fn batches_follow_the_service() {
        assert_eq!(params(1000).batches().len(), 5);
        assert_eq!(params(1001).batches().last().unwrap().len(), 1);
        // Under minFilesForBatching: one batch of everything, as `[objects]` in the code.
        assert_eq!(params(99).batches(), vec![0..99]);
        assert_eq!(params(1000).demand(), 43);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let latency = Latency::of(&mut samples);
        assert_eq!(latency.p50_ms, 50.0);
        assert_eq!(latency.p95_ms, 95.0);
        assert_eq!(latency.p99_ms, 99.0);
        assert_eq!(latency.max_ms, 100.0);
        assert_eq!(Latency::of(&mut [3.0]).p99_ms, 3.0);
    }

    #[test]
    fn retry_policy() {
        assert!(ErrorClass::Deadlock.is_retryable(false));
        assert!(!ErrorClass::DatabaseLocked.is_retryable(false));
        assert!(ErrorClass::DatabaseLocked.is_retryable(true));
        assert!(!ErrorClass::StatementTimeout.is_retryable(true));
        assert!(ErrorClass::DatabaseLocked.is_timeout());
    }
}
