//! The embedded store: SQLite (bundled, through rusqlite) for datasets, jobs and embeddings,
//! and an artifact folder beside it for arrays and run folders.
//!
//! ```text
//! DIR/marble.sqlite3
//! DIR/datasets/<id>.npz        the conditions as uploaded
//! DIR/runs/<job id>/           a run folder (see crate::run): checkpoint, model, analysis
//! DIR/embeddings/<id>.npy      latents of a transform (float32), with <id>.condition.npy
//! ```
//! Rows are written only after their files are complete, and files are written atomically,
//! so a crash leaves either the old state or the new one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::{DatasetInfo, JobInfo, JobState};
use crate::error::{Error, Result};
use crate::params::Params;

/// The store of one server or local engine.
pub struct Store {
    conn: Mutex<Connection>,
    root: PathBuf,
}

fn db(e: rusqlite::Error) -> Error {
    Error::Io { action: "database error in", path: PathBuf::from("marble.sqlite3"), source: std::io::Error::other(e) }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

fn parse<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s)
        .map_err(|e| Error::ModelFile { path: PathBuf::from("marble.sqlite3"), message: format!("{what}: {e}") })
}

impl Store {
    /// Open (or create) the store in `root`.
    pub fn open(root: &Path) -> Result<Store> {
        for sub in ["datasets", "runs", "embeddings"] {
            let d = root.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::io("cannot create", &d, e))?;
        }
        let conn = Connection::open(root.join("marble.sqlite3")).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS datasets (
                 id TEXT PRIMARY KEY, name TEXT, created INTEGER NOT NULL,
                 params TEXT NOT NULL, summary TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS jobs (
                 id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
                 epoch INTEGER NOT NULL, epochs INTEGER NOT NULL, train_loss REAL, val_loss REAL,
                 message TEXT, created INTEGER NOT NULL, params TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS embeddings (
                 id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL, created INTEGER NOT NULL);",
        )
        .map_err(db)?;
        Ok(Store { conn: Mutex::new(conn), root: root.to_path_buf() })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The artifact folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a dataset's conditions live.
    pub fn dataset_file(&self, id: &str) -> PathBuf {
        self.root.join("datasets").join(format!("{id}.npz"))
    }

    /// A job's run folder.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join("runs").join(id)
    }

    /// An embedding's latents and conditions.
    pub fn embedding_files(&self, id: &str) -> (PathBuf, PathBuf) {
        let d = self.root.join("embeddings");
        (d.join(format!("{id}.npy")), d.join(format!("{id}.condition.npy")))
    }

    /// Record a dataset whose file is already written.
    pub fn insert_dataset(&self, d: &DatasetInfo) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO datasets (id, name, created, params, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.id, d.name, d.created as i64, json(&d.params), json(&d.summary)],
            )
            .map_err(db)?;
        Ok(())
    }

    fn dataset_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Option<String>, i64, String, String)> {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
    }

    fn to_dataset((id, name, created, p, s): (String, Option<String>, i64, String, String)) -> Result<DatasetInfo> {
        Ok(DatasetInfo {
            id,
            name,
            created: created as u64,
            params: parse(&p, "params")?,
            summary: parse(&s, "summary")?,
        })
    }

    /// One dataset.
    pub fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        let row = self
            .conn()
            .query_row("SELECT id, name, created, params, summary FROM datasets WHERE id = ?1", [id], Self::dataset_row)
            .optional()
            .map_err(db)?;
        Self::to_dataset(row.ok_or_else(|| Error::NotFound { kind: "dataset", id: id.to_string() })?)
    }

    /// All datasets, newest first.
    pub fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT id, name, created, params, summary FROM datasets ORDER BY created DESC, rowid DESC")
            .map_err(db)?;
        let rows =
            st.query_map([], Self::dataset_row).map_err(db)?.collect::<rusqlite::Result<Vec<_>>>().map_err(db)?;
        rows.into_iter().map(Self::to_dataset).collect()
    }

    /// Delete a dataset unless a queued or running job needs it.
    pub fn delete_dataset(&self, id: &str) -> Result<()> {
        self.dataset(id)?;
        let busy: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM jobs WHERE dataset = ?1 AND state IN ('queued', 'running')", [id], |r| {
                r.get(0)
            })
            .map_err(db)?;
        if busy > 0 {
            return Err(Error::Conflict(format!(
                "dataset {id} is used by {busy} unfinished job(s); cancel them first"
            )));
        }
        self.conn().execute("DELETE FROM datasets WHERE id = ?1", [id]).map_err(db)?;
        let f = self.dataset_file(id);
        if f.exists() {
            std::fs::remove_file(&f).map_err(|e| Error::io("cannot remove", &f, e))?;
        }
        Ok(())
    }

    /// Record a new job.
    pub fn insert_job(&self, j: &JobInfo, p: &Params) -> Result<()> {
        self.conn()
            .execute(
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
        Ok(())
    }

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
        })
    }

    const JOB_COLUMNS: &'static str = "id, dataset, state, epoch, epochs, train_loss, val_loss, message, created";

    /// One job.
    pub fn job(&self, id: &str) -> Result<JobInfo> {
        self.conn()
            .query_row(&format!("SELECT {} FROM jobs WHERE id = ?1", Self::JOB_COLUMNS), [id], Self::job_row)
            .optional()
            .map_err(db)?
            .ok_or_else(|| Error::NotFound { kind: "job", id: id.to_string() })
    }

    /// A job's parameters.
    pub fn job_params(&self, id: &str) -> Result<Params> {
        let p: String =
            self.conn().query_row("SELECT params FROM jobs WHERE id = ?1", [id], |r| r.get(0)).map_err(db)?;
        parse(&p, "params")
    }

    /// All jobs, newest first.
    pub fn jobs(&self) -> Result<Vec<JobInfo>> {
        let conn = self.conn();
        let mut st = conn
            .prepare(&format!("SELECT {} FROM jobs ORDER BY created DESC, rowid DESC", Self::JOB_COLUMNS))
            .map_err(db)?;
        st.query_map([], Self::job_row).map_err(db)?.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }

    /// Jobs in a state, oldest first.
    pub fn jobs_in(&self, state: JobState) -> Result<Vec<JobInfo>> {
        let conn = self.conn();
        let mut st = conn
            .prepare(&format!("SELECT {} FROM jobs WHERE state = ?1 ORDER BY created, rowid", Self::JOB_COLUMNS))
            .map_err(db)?;
        st.query_map([state.as_str()], Self::job_row).map_err(db)?.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }

    /// Set a job's state and message.
    pub fn set_state(&self, id: &str, state: JobState, message: Option<&str>) -> Result<()> {
        self.conn()
            .execute("UPDATE jobs SET state = ?2, message = ?3 WHERE id = ?1", params![id, state.as_str(), message])
            .map_err(db)?;
        Ok(())
    }

    /// Record an epoch's progress.
    pub fn set_progress(&self, id: &str, epoch: usize, train: f64, val: f64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE jobs SET epoch = ?2, train_loss = ?3, val_loss = ?4 WHERE id = ?1",
                params![id, epoch as i64, train, val],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Record an embedding whose files are written.
    pub fn insert_embedding(&self, id: &str, model: &str, dataset: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO embeddings (id, model, dataset, created) VALUES (?1, ?2, ?3, ?4)",
                params![id, model, dataset, super::now() as i64],
            )
            .map_err(db)?;
        Ok(())
    }

    /// An embedding's model and dataset.
    pub fn embedding(&self, id: &str) -> Result<(String, String)> {
        self.conn()
            .query_row("SELECT model, dataset FROM embeddings WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db)?
            .ok_or_else(|| Error::NotFound { kind: "embedding", id: id.to_string() })
    }
}
