//! The PostgreSQL side: connecting (with the unreachable-server message), the scratch schema
//! that holds everything the workload writes and is always dropped, and the workload backend.

use std::sync::Mutex;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Statement};

use super::config::DbUrl;
use super::workload::{Backend, Counts, ErrorClass, FileRow, OpError, QueueStep};

/// Why a connection could not be made: the class and a message without secrets.
#[derive(Debug)]
pub struct ConnectError {
    pub class: ErrorClass,
    pub message: String,
    /// The server could not be reached at all (refused, timed out, no such host).
    pub unreachable: bool,
}

/// Opens one connection.
pub fn connect(url: &DbUrl) -> Result<Client, ConnectError> {
    let (config, tls) = url.client_config().map_err(|message| ConnectError {
        class: ErrorClass::Other,
        message,
        unreachable: false,
    })?;
    config.connect(tls).map_err(|error| {
        let class = classify(&error);
        let unreachable = error.as_db_error().is_none() && class == ErrorClass::Connection;
        ConnectError {
            class,
            message: describe(&error),
            unreachable,
        }
    })
}

/// The error class of a driver error.
pub fn classify(error: &postgres::Error) -> ErrorClass {
    if let Some(code) = error.code() {
        return classify_state(code);
    }
    if error.is_closed() || error.as_db_error().is_none() {
        return ErrorClass::Connection;
    }
    ErrorClass::Other
}

fn classify_state(code: &SqlState) -> ErrorClass {
    let code = code.code();
    match code {
        "40001" => ErrorClass::SerializationFailure,
        "40P01" => ErrorClass::Deadlock,
        "55P03" => ErrorClass::LockTimeout,
        "57014" => ErrorClass::StatementTimeout,
        "53300" => ErrorClass::TooManyConnections,
        // Admin shutdown, crash shutdown, cannot connect now, idle-in-transaction timeout.
        "57P01" | "57P02" | "57P03" | "25P03" => ErrorClass::Connection,
        _ if code.starts_with("08") => ErrorClass::Connection,
        _ => ErrorClass::Other,
    }
}

/// A one-line description of a driver error: the server's message with its SQLSTATE, or the
/// error chain. Neither ever holds the password.
pub fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

fn op_error(error: postgres::Error) -> OpError {
    OpError::new(classify(&error), describe(&error))
}

/// Quotes an identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A fresh scratch schema name: `pgshift_verify_` and 12 random hex digits.
pub fn scratch_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.write_u32(std::process::id());
    format!("pgshift_verify_{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// The tables, shaped as Prisma's migration creates the app's `Media` and `MediaSyncJob` models.
fn ddl(schema: &str) -> String {
    let s = ident(schema);
    format!(
        r#"
CREATE TABLE {s}."Media" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "etag" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "width" INTEGER,
    "height" INTEGER,
    "watermarked" BOOLEAN NOT NULL DEFAULT false,
    "folderId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Media_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Media_key_key" ON {s}."Media"("key");
CREATE INDEX "Media_status_idx" ON {s}."Media"("status");
CREATE INDEX "Media_folderId_idx" ON {s}."Media"("folderId");
CREATE TABLE {s}."MediaSyncJob" (
    "id" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "totalFiles" INTEGER NOT NULL DEFAULT 0,
    "processedFiles" INTEGER NOT NULL DEFAULT 0,
    "failedFiles" INTEGER NOT NULL DEFAULT 0,
    "processedBytes" INTEGER NOT NULL DEFAULT 0,
    "errors" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MediaSyncJob_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "MediaSyncJob_status_idx" ON {s}."MediaSyncJob"("status");
"#
    )
}

/// The scratch schema and the tool's own connection to it. Dropped (schema and all) by
/// [`Scratch::drop_schema`], or by `Drop` when something went wrong on the way.
pub struct Scratch {
    pub name: String,
    url: DbUrl,
    control: Mutex<Option<Client>>,
    keep: bool,
    dropped: bool,
}

/// Why the scratch schema could not be made.
#[derive(Debug)]
pub enum ScratchError {
    /// The role may not create schemas in this database.
    NoCreate {
        role: String,
        database: String,
    },
    Other(String),
}

impl Scratch {
    /// Creates the schema and its tables on `control`, the tool's own session (see
    /// [`super::server::prepare_control_session`]).
    pub fn create(url: &DbUrl, mut control: Client, keep: bool) -> Result<Scratch, ScratchError> {
        let row = control
            .query_one(
                "SELECT has_database_privilege(current_database(), 'CREATE'), current_user::text, current_database()::text",
                &[],
            )
            .map_err(|e| ScratchError::Other(describe(&e)))?;
        let (can_create, role, database): (bool, String, String) =
            (row.get(0), row.get(1), row.get(2));
        if !can_create {
            return Err(ScratchError::NoCreate { role, database });
        }
        let name = scratch_name();
        let sql = format!("CREATE SCHEMA {};{}", ident(&name), ddl(&name));
        let mut scratch = Scratch {
            name,
            url: url.clone(),
            control: Mutex::new(None),
            keep,
            dropped: false,
        };
        match control.batch_execute(&format!("BEGIN;{sql}COMMIT;")) {
            Ok(()) => {}
            Err(error) => {
                scratch.dropped = true;
                return Err(match error.code() {
                    Some(code) if *code == SqlState::INSUFFICIENT_PRIVILEGE => {
                        ScratchError::NoCreate { role, database }
                    }
                    _ => ScratchError::Other(describe(&error)),
                });
            }
        }
        *scratch.control.lock().unwrap() = Some(control);
        Ok(scratch)
    }

    fn with_control<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, OpError> {
        let mut guard = self.control.lock().unwrap();
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            let mut client = connect(&self.url).map_err(|e| OpError::new(e.class, e.message))?;
            super::server::prepare_control_session(&mut client).map_err(op_error)?;
            *guard = Some(client);
        }
        f(guard.as_mut().unwrap()).map_err(op_error)
    }

    /// Drops the schema (unless `--keep`). Returns the error text when it could not.
    pub fn drop_schema(&mut self) -> Result<(), String> {
        if self.dropped || self.keep {
            self.dropped = true;
            return Ok(());
        }
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&self.name));
        let mut last = String::new();
        for _ in 0..3 {
            match self.with_control(|c| c.batch_execute(&sql)) {
                Ok(()) => {
                    self.dropped = true;
                    return Ok(());
                }
                Err(error) => {
                    last = error.message;
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        Err(last)
    }

    /// Empties the tables between two runs in the same schema.
    pub fn truncate(&self) -> Result<(), OpError> {
        let sql = format!(
            "TRUNCATE {s}.\"Media\", {s}.\"MediaSyncJob\"",
            s = ident(&self.name)
        );
        self.with_control(|c| c.batch_execute(&sql))
    }

    pub fn kept(&self) -> bool {
        self.keep
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.dropped
            && let Err(error) = self.drop_schema()
        {
            eprintln!(
                "pgshift verify: could not drop scratch schema {}: {error}; drop it with DROP SCHEMA {} CASCADE",
                self.name,
                ident(&self.name)
            );
        }
    }
}

/// A workload connection with its prepared statements (Prisma caches statements too).
pub struct PgConn {
    client: Client,
    upsert: Statement,
    add_progress: Statement,
    read_progress: Statement,
    set_progress: Statement,
    processing_start: Statement,
    processing_done: Statement,
    watermark: Statement,
    recheck: Statement,
    finish: Statement,
}

/// The workload on PostgreSQL, in the scratch schema.
pub struct PgBackend<'a> {
    pub url: &'a DbUrl,
    pub scratch: &'a Scratch,
}

impl PgBackend<'_> {
    fn table(&self, name: &str) -> String {
        format!("{}.{}", ident(&self.scratch.name), ident(name))
    }
}

impl Backend for PgBackend<'_> {
    type Conn = PgConn;

    fn connect(&self) -> Result<PgConn, OpError> {
        let mut client = connect(self.url).map_err(|e| OpError::new(e.class, e.message))?;
        let media = self.table("Media");
        let job = self.table("MediaSyncJob");
        let mut prepare = |sql: String| client.prepare(&sql).map_err(op_error);
        let upsert = prepare(format!(
            r#"INSERT INTO {media} ("id","key","filename","mimeType","size","etag","updatedAt") VALUES ($1,$2,$3,$4,$5,$6,CURRENT_TIMESTAMP) ON CONFLICT ("key") DO UPDATE SET "size" = EXCLUDED."size", "etag" = EXCLUDED."etag", "updatedAt" = CURRENT_TIMESTAMP RETURNING "id""#
        ))?;
        let add_progress = prepare(format!(
            r#"UPDATE {job} SET "processedFiles" = "processedFiles" + $2, "failedFiles" = "failedFiles" + $3, "processedBytes" = "processedBytes" + $4 WHERE "id" = $1"#
        ))?;
        let read_progress = prepare(format!(
            r#"SELECT "processedFiles", "processedBytes" FROM {job} WHERE "id" = $1"#
        ))?;
        let set_progress = prepare(format!(
            r#"UPDATE {job} SET "processedFiles" = $2, "processedBytes" = $3 WHERE "id" = $1"#
        ))?;
        let processing_start = prepare(format!(
            r#"UPDATE {media} SET "status" = 'PROCESSING', "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = $1"#
        ))?;
        let processing_done = prepare(format!(
            r#"UPDATE {media} SET "status" = 'READY', "width" = 1920, "height" = 1080, "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = $1"#
        ))?;
        let watermark = prepare(format!(
            r#"UPDATE {media} SET "watermarked" = true, "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = $1"#
        ))?;
        let recheck = prepare(format!(
            r#"UPDATE {media} SET "etag" = 'v:' || "etag", "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = $1"#
        ))?;
        let finish = prepare(format!(
            r#"UPDATE {job} SET "status" = CASE WHEN "failedFiles" > 0 THEN 'FAILED' ELSE 'DONE' END, "finishedAt" = CURRENT_TIMESTAMP, "errors" = $2 WHERE "id" = $1"#
        ))?;
        Ok(PgConn {
            client,
            upsert,
            add_progress,
            read_progress,
            set_progress,
            processing_start,
            processing_done,
            watermark,
            recheck,
            finish,
        })
    }

    fn healthy(&self, conn: &mut PgConn) -> bool {
        !conn.client.is_closed() && conn.client.batch_execute("ROLLBACK").is_ok()
    }

    fn begin(&self, conn: &mut PgConn, _wait: Duration) -> Result<(), OpError> {
        conn.client.batch_execute("BEGIN").map_err(op_error)
    }

    fn upsert(&self, conn: &mut PgConn, file: &FileRow) -> Result<(), OpError> {
        let size = file.size as i32;
        conn.client
            .query_one(
                &conn.upsert,
                &[
                    &file.id,
                    &file.key,
                    &file.filename,
                    &file.mime_type,
                    &size,
                    &file.etag,
                ],
            )
            .map(|_| ())
            .map_err(op_error)
    }

    fn commit(&self, conn: &mut PgConn) -> Result<(), OpError> {
        conn.client.batch_execute("COMMIT").map_err(op_error)
    }

    fn rollback(&self, conn: &mut PgConn) {
        let _ = conn.client.batch_execute("ROLLBACK");
    }

    fn add_progress(
        &self,
        conn: &mut PgConn,
        job: &str,
        files: i64,
        failed: i64,
        bytes: i64,
    ) -> Result<(), OpError> {
        let (files, failed, bytes) = (files as i32, failed as i32, bytes as i32);
        conn.client
            .execute(&conn.add_progress, &[&job, &files, &failed, &bytes])
            .map(|_| ())
            .map_err(op_error)
    }

    fn read_progress(&self, conn: &mut PgConn, job: &str) -> Result<(i64, i64), OpError> {
        let row = conn
            .client
            .query_one(&conn.read_progress, &[&job])
            .map_err(op_error)?;
        Ok((row.get::<_, i32>(0) as i64, row.get::<_, i32>(1) as i64))
    }

    fn set_progress(
        &self,
        conn: &mut PgConn,
        job: &str,
        files: i64,
        bytes: i64,
    ) -> Result<(), OpError> {
        let (files, bytes) = (files as i32, bytes as i32);
        conn.client
            .execute(&conn.set_progress, &[&job, &files, &bytes])
            .map(|_| ())
            .map_err(op_error)
    }

    fn queue_step(&self, conn: &mut PgConn, step: QueueStep, key: &str) -> Result<(), OpError> {
        let statement = match step {
            QueueStep::ProcessingStart => &conn.processing_start,
            QueueStep::ProcessingDone => &conn.processing_done,
            QueueStep::Watermark => &conn.watermark,
            QueueStep::Recheck => &conn.recheck,
        };
        conn.client
            .execute(statement, &[&key])
            .map(|_| ())
            .map_err(op_error)
    }

    fn finish_job(&self, conn: &mut PgConn, job: &str, errors: &str) -> Result<(), OpError> {
        conn.client
            .execute(&conn.finish, &[&job, &errors])
            .map(|_| ())
            .map_err(op_error)
    }

    fn create_job(&self, job: &str, total: i64) -> Result<(), OpError> {
        let sql = format!(
            r#"INSERT INTO {} ("id","prefix","status","totalFiles","startedAt") VALUES ($1, 'library/', 'RUNNING', $2, CURRENT_TIMESTAMP)"#,
            self.table("MediaSyncJob")
        );
        let total = total as i32;
        self.scratch
            .with_control(|c| c.execute(&sql, &[&job, &total]).map(|_| ()))
    }

    fn counts(&self, job: &str) -> Result<Counts, OpError> {
        let media = self.table("Media");
        let jobs = self.table("MediaSyncJob");
        let sql = format!(
            r#"SELECT
                (SELECT count(*) FROM {media}),
                (SELECT coalesce(sum("size"), 0)::bigint FROM {media}),
                (SELECT count(*) FROM {media} WHERE "status" = 'READY'),
                (SELECT count(*) FROM {media} WHERE "watermarked"),
                (SELECT count(*) FROM {media} WHERE "etag" LIKE 'v:%'),
                j."processedFiles"::bigint, j."failedFiles"::bigint, j."processedBytes"::bigint, j."status",
                (SELECT coalesce(max(w."processedFiles"), 0)::bigint FROM {jobs} w WHERE w."id" = $1 || 'w')
              FROM {jobs} j WHERE j."id" = $1"#
        );
        self.scratch.with_control(|c| {
            let row = c.query_one(&sql, &[&job])?;
            Ok(Counts {
                media_rows: row.get(0),
                media_bytes: row.get(1),
                ready: row.get(2),
                watermarked: row.get(3),
                rechecked: row.get(4),
                job_processed_files: row.get(5),
                job_failed_files: row.get(6),
                job_processed_bytes: row.get(7),
                job_status: row.get(8),
                worker_processed_files: row.get(9),
            })
        })
    }
}

/// `pgshift_verify_*` schemas in the database (for tests and for `--keep` messages).
pub fn scratch_schemas(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'pgshift\\_verify\\_%' ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}
