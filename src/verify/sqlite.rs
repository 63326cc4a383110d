//! The SQLite side: the same workload on a temporary SQLite file, run as Prisma's SQLite
//! connector runs it: one connection per pool slot, default journal mode and synchronous
//! setting, write transactions with `BEGIN IMMEDIATE`, the driver's 5 s busy timeout.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use super::workload::{Backend, Counts, ErrorClass, FileRow, OpError, QueueStep};

/// The busy timeout of Prisma's SQLite connector when the URL sets no `socket_timeout`
/// (rusqlite's default, which Prisma keeps).
pub const PRISMA_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const DDL: &str = r#"
CREATE TABLE "Media" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "Media_key_key" ON "Media"("key");
CREATE INDEX "Media_status_idx" ON "Media"("status");
CREATE INDEX "Media_folderId_idx" ON "Media"("folderId");
CREATE TABLE "MediaSyncJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "prefix" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "totalFiles" INTEGER NOT NULL DEFAULT 0,
    "processedFiles" INTEGER NOT NULL DEFAULT 0,
    "failedFiles" INTEGER NOT NULL DEFAULT 0,
    "processedBytes" INTEGER NOT NULL DEFAULT 0,
    "errors" TEXT,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "MediaSyncJob_status_idx" ON "MediaSyncJob"("status");
"#;

const UPSERT: &str = r#"INSERT INTO "Media" ("id","key","filename","mimeType","size","etag","updatedAt") VALUES (?1,?2,?3,?4,?5,?6,CURRENT_TIMESTAMP) ON CONFLICT ("key") DO UPDATE SET "size" = excluded."size", "etag" = excluded."etag", "updatedAt" = CURRENT_TIMESTAMP RETURNING "id""#;

/// A temporary SQLite database file (removed with its folder).
pub struct SqliteBackend {
    _dir: tempfile::TempDir,
    path: PathBuf,
    control: Mutex<Connection>,
}

fn op_error(error: rusqlite::Error) -> OpError {
    let class = match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ErrorClass::DatabaseLocked,
        _ => ErrorClass::Other,
    };
    OpError::new(class, error.to_string())
}

fn open(path: &Path) -> Result<Connection, OpError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(op_error)?;
    conn.busy_timeout(PRISMA_SQLITE_BUSY_TIMEOUT)
        .map_err(op_error)?;
    Ok(conn)
}

impl SqliteBackend {
    /// A new database file in the system's temporary folder, with the app's tables.
    pub fn create() -> Result<SqliteBackend, String> {
        let dir = tempfile::Builder::new()
            .prefix("pgshift-verify-sqlite-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder for SQLite: {e}"))?;
        let path = dir.path().join("dev.db");
        let control = open(&path).map_err(|e| e.to_string())?;
        control
            .execute_batch(DDL)
            .map_err(|e| format!("cannot create the SQLite tables: {e}"))?;
        Ok(SqliteBackend {
            _dir: dir,
            path,
            control: Mutex::new(control),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_mode(&self) -> String {
        self.control
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap_or_else(|_| "unknown".into())
    }
}

impl Backend for SqliteBackend {
    type Conn = Connection;

    fn connect(&self) -> Result<Connection, OpError> {
        open(&self.path)
    }

    fn healthy(&self, conn: &mut Connection) -> bool {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        true
    }

    fn begin(&self, conn: &mut Connection, wait: Duration) -> Result<(), OpError> {
        // Prisma's `maxWait` covers starting the transaction: the wait for the write lock is
        // cut short there, and that is reported as P2028, not as `database is locked`.
        let capped = wait < PRISMA_SQLITE_BUSY_TIMEOUT;
        if capped {
            conn.busy_timeout(wait).map_err(op_error)?;
        }
        let result = conn.execute_batch("BEGIN IMMEDIATE");
        if capped {
            conn.busy_timeout(PRISMA_SQLITE_BUSY_TIMEOUT)
                .map_err(op_error)?;
        }
        result.map_err(|error| {
            let error = op_error(error);
            if capped && error.class == ErrorClass::DatabaseLocked {
                OpError::new(
                    ErrorClass::TransactionStartTimeout,
                    format!(
                        "unable to start a transaction in the given time ({} ms): {}",
                        wait.as_millis(),
                        error.message
                    ),
                )
            } else {
                error
            }
        })
    }

    fn upsert(&self, conn: &mut Connection, file: &FileRow) -> Result<(), OpError> {
        let mut statement = conn.prepare_cached(UPSERT).map_err(op_error)?;
        statement
            .query_row(
                params![
                    file.id,
                    file.key,
                    file.filename,
                    file.mime_type,
                    file.size,
                    file.etag
                ],
                |_| Ok(()),
            )
            .map_err(op_error)
    }

    fn commit(&self, conn: &mut Connection) -> Result<(), OpError> {
        conn.execute_batch("COMMIT").map_err(op_error)
    }

    fn rollback(&self, conn: &mut Connection) {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }

    fn add_progress(
        &self,
        conn: &mut Connection,
        job: &str,
        files: i64,
        failed: i64,
        bytes: i64,
    ) -> Result<(), OpError> {
        conn.prepare_cached(
            r#"UPDATE "MediaSyncJob" SET "processedFiles" = "processedFiles" + ?2, "failedFiles" = "failedFiles" + ?3, "processedBytes" = "processedBytes" + ?4 WHERE "id" = ?1"#,
        )
        .and_then(|mut s| s.execute(params![job, files, failed, bytes]))
        .map(|_| ())
        .map_err(op_error)
    }

    fn read_progress(&self, conn: &mut Connection, job: &str) -> Result<(i64, i64), OpError> {
        conn.prepare_cached(
            r#"SELECT "processedFiles", "processedBytes" FROM "MediaSyncJob" WHERE "id" = ?1"#,
        )
        .and_then(|mut s| s.query_row(params![job], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(op_error)
    }

    fn set_progress(
        &self,
        conn: &mut Connection,
        job: &str,
        files: i64,
        bytes: i64,
    ) -> Result<(), OpError> {
        conn.prepare_cached(
            r#"UPDATE "MediaSyncJob" SET "processedFiles" = ?2, "processedBytes" = ?3 WHERE "id" = ?1"#,
        )
        .and_then(|mut s| s.execute(params![job, files, bytes]))
        .map(|_| ())
        .map_err(op_error)
    }

    fn queue_step(&self, conn: &mut Connection, step: QueueStep, key: &str) -> Result<(), OpError> {
        let sql = match step {
            QueueStep::ProcessingStart => {
                r#"UPDATE "Media" SET "status" = 'PROCESSING', "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = ?1"#
            }
            QueueStep::ProcessingDone => {
                r#"UPDATE "Media" SET "status" = 'READY', "width" = 1920, "height" = 1080, "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = ?1"#
            }
            QueueStep::Watermark => {
                r#"UPDATE "Media" SET "watermarked" = true, "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = ?1"#
            }
            QueueStep::Recheck => {
                r#"UPDATE "Media" SET "etag" = 'v:' || "etag", "updatedAt" = CURRENT_TIMESTAMP WHERE "key" = ?1"#
            }
        };
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute(params![key]))
            .map(|_| ())
            .map_err(op_error)
    }

    fn finish_job(&self, conn: &mut Connection, job: &str, errors: &str) -> Result<(), OpError> {
        conn.prepare_cached(
            r#"UPDATE "MediaSyncJob" SET "status" = CASE WHEN "failedFiles" > 0 THEN 'FAILED' ELSE 'DONE' END, "finishedAt" = CURRENT_TIMESTAMP, "errors" = ?2 WHERE "id" = ?1"#,
        )
        .and_then(|mut s| s.execute(params![job, errors]))
        .map(|_| ())
        .map_err(op_error)
    }

    fn create_job(&self, job: &str, total: i64) -> Result<(), OpError> {
        self.control
            .lock()
            .unwrap()
            .execute(
                r#"INSERT INTO "MediaSyncJob" ("id","prefix","status","totalFiles","startedAt") VALUES (?1, 'library/', 'RUNNING', ?2, CURRENT_TIMESTAMP)"#,
                params![job, total],
            )
            .map(|_| ())
            .map_err(op_error)
    }

    fn counts(&self, job: &str) -> Result<Counts, OpError> {
        self.control
            .lock()
            .unwrap()
            .query_row(
                r#"SELECT
                    (SELECT count(*) FROM "Media"),
                    (SELECT coalesce(sum("size"), 0) FROM "Media"),
                    (SELECT count(*) FROM "Media" WHERE "status" = 'READY'),
                    (SELECT count(*) FROM "Media" WHERE "watermarked"),
                    (SELECT count(*) FROM "Media" WHERE "etag" LIKE 'v:%'),
                    j."processedFiles", j."failedFiles", j."processedBytes", j."status",
                    (SELECT coalesce(max(w."processedFiles"), 0) FROM "MediaSyncJob" w WHERE w."id" = ?1 || 'w')
                  FROM "MediaSyncJob" j WHERE j."id" = ?1"#,
                params![job],
                |row| {
                    Ok(Counts {
                        media_rows: row.get(0)?,
                        media_bytes: row.get(1)?,
                        ready: row.get(2)?,
                        watermarked: row.get(3)?,
                        rechecked: row.get(4)?,
                        job_processed_files: row.get(5)?,
                        job_failed_files: row.get(6)?,
                        job_processed_bytes: row.get(7)?,
                        job_status: row.get(8)?,
                        worker_processed_files: row.get(9)?,
                    })
                },
            )
            .map_err(op_error)
    }
}
