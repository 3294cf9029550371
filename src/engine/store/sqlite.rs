//! The embedded store: SQLite (bundled, through rusqlite) in `DIR/marble.sqlite3`, for one
//! process. Its schema version is SQLite's `user_version`; [`MIGRATIONS`] bring older files
//! up to date when they are opened.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Beat, Store, json, now_ms, parse, takeover_message};
use crate::engine::{DatasetInfo, JobInfo, JobState};
use crate::error::{Error, Result};
use crate::params::Params;

/// Schema versions: entry v brings version v to v + 1.
const MIGRATIONS: &[&str] = &[
    // 1: datasets, jobs and embeddings.
    "CREATE TABLE IF NOT EXISTS datasets (
         id TEXT PRIMARY KEY, name TEXT, created INTEGER NOT NULL,
         params TEXT NOT NULL, summary TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS jobs (
         id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
         epoch INTEGER NOT NULL, epochs INTEGER NOT NULL, train_loss REAL, val_loss REAL,
         message TEXT, created INTEGER NOT NULL, params TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS embeddings (
         id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL, created INTEGER NOT NULL);",
    // 2: leases (the worker holding a job, until when, in ms), attempts and cancel requests.
    "ALTER TABLE jobs ADD COLUMN worker TEXT;
     ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created);",
];

/// The store of one process, in SQLite.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> Error {
    Error::Database { backend: "sqlite", message: e.to_string() }
}

const JOB_COLUMNS: &str = "id, dataset, state, epoch, epochs, train_loss, val_loss, message, created, worker, attempts";

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobInfo> {
    Ok(JobInfo {
        id: r.get(0)?,
        dataset: r.get(1)?,
        state: JobState::parse(&r.get::<_, String>(2)?),
        epoch: r.get::<_, i64>(3)? as usize,
        epochs: r.get::<_, i64>(4)? as usize,
        train_loss: r.get(5)?,
        val_loss: r.get(6)?,
        message: r.get(7)?,
        created: r.get::<_, i64>(8)? as u64,
        worker: r.get(9)?,
        attempts: r.get::<_, i64>(10)? as usize,
    })
}

type DatasetRow = (String, Option<String>, i64, String, String);

fn dataset_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DatasetRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
}

fn to_dataset((id, name, created, p, s): DatasetRow) -> Result<DatasetInfo> {
    Ok(DatasetInfo { id, name, created: created as u64, params: parse(&p, "params")?, summary: parse(&s, "summary")? })
}

impl SqliteStore {
    /// Open (or create) `DIR/marble.sqlite3` and bring its schema up to date.
    pub fn open(root: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(root).map_err(|e| Error::io("cannot create", root, e))?;
        let mut conn = Connection::open(root.join("marble.sqlite3")).map_err(db)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").map_err(db)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(db)?;
        // Files from before versioning have the tables of version 1 and user_version 0.
        let has_jobs: bool = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(db)?
            > 0;
        let from = if version == 0 && has_jobs { 1 } else { version as usize };
        if from > MIGRATIONS.len() {
            return Err(Error::ModelFile {
                path: root.join("marble.sqlite3"),
                message: format!(
                    "schema version {from} is newer than this build knows ({}); use a newer marble",
                    MIGRATIONS.len()
                ),
            });
        }
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", v + 1)).map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn insert_dataset(&self, d: &DatasetInfo) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO datasets (id, name, created, params, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.id, d.name, d.created as i64, json(&d.params), json(&d.summary)],
            )
            .map_err(db)?;
        Ok(())
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        let row = self
            .conn()
            .query_row("SELECT id, name, created, params, summary FROM datasets WHERE id = ?1", [id], dataset_row)
            .optional()
            .map_err(db)?;
        to_dataset(row.ok_or_else(|| Error::NotFound { kind: "dataset", id: id.to_string() })?)
    }

    fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT id, name, created, params, summary FROM datasets ORDER BY created DESC, rowid DESC")
            .map_err(db)?;
        let rows = st.query_map([], dataset_row).map_err(db)?.collect::<rusqlite::Result<Vec<_>>>().map_err(db)?;
        rows.into_iter().map(to_dataset).collect()
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        let exists: i64 =
            tx.query_row("SELECT COUNT(*) FROM datasets WHERE id = ?1", [id], |r| r.get(0)).map_err(db)?;
        if exists == 0 {
            return Err(Error::NotFound { kind: "dataset", id: id.to_string() });
        }
        let busy: i64 = tx
            .query_row("SELECT COUNT(*) FROM jobs WHERE dataset = ?1 AND state IN ('queued', 'running')", [id], |r| {
                r.get(0)
            })
            .map_err(db)?;
        if busy > 0 {
            return Err(Error::Conflict(format!(
                "dataset {id} is used by {busy} unfinished job(s); cancel them first"
            )));
        }
        tx.execute("DELETE FROM datasets WHERE id = ?1", [id]).map_err(db)?;
        tx.commit().map_err(db)
    }

    fn insert_job(&self, j: &JobInfo, p: &Params, max_queued: usize) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        let dataset: i64 =
            tx.query_row("SELECT COUNT(*) FROM datasets WHERE id = ?1", [&j.dataset], |r| r.get(0)).map_err(db)?;
        if dataset == 0 {
            return Err(Error::NotFound { kind: "dataset", id: j.dataset.clone() });
        }
        let queued: i64 =
            tx.query_row("SELECT COUNT(*) FROM jobs WHERE state = 'queued'", [], |r| r.get(0)).map_err(db)?;
        if queued as usize >= max_queued {
            return Err(Error::QueueFull { queued: queued as usize });
        }
        tx.execute(
            "INSERT INTO jobs (id, dataset, state, epoch, epochs, message, created, params)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                j.id,
                j.dataset,
                j.state.as_str(),
                j.epoch as i64,
                j.epochs as i64,
                j.message,
                j.created as i64,
                json(p)
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        self.conn()
            .query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [id], job_row)
            .optional()
            .map_err(db)?
            .ok_or_else(|| Error::NotFound { kind: "job", id: id.to_string() })
    }

    fn job_params(&self, id: &str) -> Result<Params> {
        let p: Option<String> = self
            .conn()
            .query_row("SELECT params FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(db)?;
        parse(&p.ok_or_else(|| Error::NotFound { kind: "job", id: id.to_string() })?, "params")
    }

    fn jobs(&self) -> Result<Vec<JobInfo>> {
        let conn = self.conn();
        let mut st =
            conn.prepare(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created DESC, rowid DESC")).map_err(db)?;
        st.query_map([], job_row).map_err(db)?.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<JobInfo>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        let now = now_ms();
        loop {
            let next: Option<(String, String, Option<String>, bool)> = tx
                .query_row(
                    "SELECT id, state, worker, cancel_requested FROM jobs
                     WHERE state = 'queued' OR (state = 'running' AND lease_until < ?1)
                     ORDER BY created, rowid LIMIT 1",
                    [now],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0)),
                )
                .optional()
                .map_err(db)?;
            let Some((id, state, previous, cancel)) = next else {
                tx.commit().map_err(db)?;
                return Ok(None);
            };
            if cancel {
                tx.execute(
                    "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user', worker = NULL WHERE id = ?1",
                    [&id],
                )
                .map_err(db)?;
                continue;
            }
            let until = now + lease.as_millis() as i64;
            tx.execute(
                "UPDATE jobs SET state = 'running', worker = ?2, lease_until = ?3, attempts = attempts + 1 WHERE id = ?1",
                params![id, worker, until],
            )
            .map_err(db)?;
            let takeover = state == "running";
            if takeover {
                let epoch: i64 =
                    tx.query_row("SELECT epoch FROM jobs WHERE id = ?1", [&id], |r| r.get(0)).map_err(db)?;
                tx.execute(
                    "UPDATE jobs SET message = ?2 WHERE id = ?1",
                    params![id, takeover_message(previous.as_deref(), epoch as usize)],
                )
                .map_err(db)?;
            }
            let job =
                tx.query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [&id], job_row).map_err(db)?;
            tx.commit().map_err(db)?;
            return Ok(Some(job));
        }
    }

    fn heartbeat(&self, id: &str, worker: &str, lease: Duration) -> Result<Beat> {
        let conn = self.conn();
        let until = now_ms() + lease.as_millis() as i64;
        let owned = conn
            .execute(
                "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND worker = ?2 AND state = 'running'",
                params![id, worker, until],
            )
            .map_err(db)?
            > 0;
        let cancel: i64 =
            conn.query_row("SELECT cancel_requested FROM jobs WHERE id = ?1", [id], |r| r.get(0)).map_err(db)?;
        Ok(Beat { owned, cancel: cancel != 0 })
    }

    fn set_progress(&self, id: &str, worker: &str, epoch: usize, train: f64, val: f64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE jobs SET epoch = ?3, train_loss = ?4, val_loss = ?5 WHERE id = ?1 AND worker = ?2",
                params![id, worker, epoch as i64, train, val],
            )
            .map_err(db)?;
        Ok(())
    }

    fn finish(&self, id: &str, worker: &str, state: JobState, message: Option<&str>) -> Result<bool> {
        let n = self
            .conn()
            .execute(
                "UPDATE jobs SET state = ?3, message = ?4, lease_until = 0
                 WHERE id = ?1 AND worker = ?2 AND state = 'running'",
                params![id, worker, state.as_str(), message],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn requeue(&self, id: &str, worker: &str) -> Result<bool> {
        let n = self
            .conn()
            .execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0
                 WHERE id = ?1 AND worker = ?2 AND state = 'running'",
                params![id, worker],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn cancel_requested(&self, id: &str) -> Result<bool> {
        let c: Option<i64> = self
            .conn()
            .query_row("SELECT cancel_requested FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(db)?;
        Ok(c.unwrap_or(0) != 0)
    }

    fn request_cancel(&self, id: &str) -> Result<JobInfo> {
        {
            let conn = self.conn();
            conn.execute(
                "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user before it started'
                 WHERE id = ?1 AND state = 'queued'",
                [id],
            )
            .map_err(db)?;
            conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND state = 'running'", [id])
                .map_err(db)?;
        }
        self.job(id)
    }

    fn expire_leases(&self) -> Result<()> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT id, epoch FROM jobs WHERE state = 'running'").map_err(db)?;
        let running = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        for (id, epoch) in running {
            conn.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0, message = ?2 WHERE id = ?1",
                params![id, takeover_message(None, epoch as usize)],
            )
            .map_err(db)?;
        }
        Ok(())
    }

    fn insert_embedding(&self, id: &str, model: &str, dataset: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO embeddings (id, model, dataset, created) VALUES (?1, ?2, ?3, ?4)",
                params![id, model, dataset, crate::engine::now() as i64],
            )
            .map_err(db)?;
        Ok(())
    }

    fn embedding(&self, id: &str) -> Result<(String, String)> {
        self.conn()
            .query_row("SELECT model, dataset FROM embeddings WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?
            .ok_or_else(|| Error::NotFound { kind: "embedding", id: id.to_string() })
    }
}
