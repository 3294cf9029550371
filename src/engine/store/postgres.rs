//! The shared store: PostgreSQL through the `postgres` crate (synchronous: every caller is a
//! blocking thread already), for several processes on several machines. Jobs are claimed
//! with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never take the same job, and
//! leases are timed by the database's clock, so the machines' clocks need not agree.
//! [`MIGRATIONS`] run once each, in order, under an advisory lock, recorded in
//! `marble_schema_migrations`.

use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, NoTls, Row};

use super::{Beat, Store, json, parse, redact, takeover_message};
use crate::engine::{DatasetInfo, JobInfo, JobState};
use crate::error::{Error, Result};
use crate::params::Params;

/// Schema versions, applied in order; entry v is version v + 1.
const MIGRATIONS: &[&str] = &[
    // 1: datasets, jobs with their leases, embeddings.
    "CREATE TABLE datasets (
         id TEXT PRIMARY KEY, name TEXT, created BIGINT NOT NULL, seq BIGSERIAL,
         params TEXT NOT NULL, summary TEXT NOT NULL);
     CREATE TABLE jobs (
         id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
         epoch BIGINT NOT NULL, epochs BIGINT NOT NULL, train_loss DOUBLE PRECISION,
         val_loss DOUBLE PRECISION, message TEXT, created BIGINT NOT NULL, seq BIGSERIAL,
         params TEXT NOT NULL, worker TEXT, lease_until BIGINT NOT NULL DEFAULT 0,
         cancel_requested BOOLEAN NOT NULL DEFAULT FALSE, attempts BIGINT NOT NULL DEFAULT 0);
     CREATE INDEX jobs_by_state ON jobs (state, created, seq);
     CREATE TABLE embeddings (
         id TEXT PRIMARY KEY, model TEXT NOT NULL, dataset TEXT NOT NULL, created BIGINT NOT NULL);",
];

/// Any 64-bit key for `pg_advisory_xact_lock`, the same in every process.
const MIGRATION_LOCK: i64 = 0x6d61_7262_6c65;

/// Milliseconds since the Unix epoch by the database's clock.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

const JOB_COLUMNS: &str = "id, dataset, state, epoch, epochs, train_loss, val_loss, message, created, worker, attempts";

/// The error with its cause: tokio-postgres's own text is only "db error" and the like.
fn detail(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(d) = e.as_db_error() {
        text = format!("{text}: {} ({})", d.message(), d.code().code());
    } else {
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
    }
    text
}

fn db(e: postgres::Error) -> Error {
    Error::Database { backend: "postgres", message: detail(&e) }
}

fn job_row(r: &Row) -> JobInfo {
    JobInfo {
        id: r.get(0),
        dataset: r.get(1),
        state: JobState::parse(r.get::<_, &str>(2)),
        epoch: r.get::<_, i64>(3) as usize,
        epochs: r.get::<_, i64>(4) as usize,
        train_loss: r.get(5),
        val_loss: r.get(6),
        message: r.get(7),
        created: r.get::<_, i64>(8) as u64,
        worker: r.get(9),
        attempts: r.get::<_, i64>(10) as usize,
    }
}

fn dataset_row(r: &Row) -> Result<DatasetInfo> {
    Ok(DatasetInfo {
        id: r.get(0),
        name: r.get(1),
        created: r.get::<_, i64>(2) as u64,
        params: parse(r.get(3), "params")?,
        summary: parse(r.get(4), "summary")?,
    })
}

/// The store of a deployment, in PostgreSQL.
pub struct PostgresStore {
    url: String,
    client: Mutex<Option<Client>>,
    /// Heartbeats have a connection of their own, so that busy API requests cannot starve
    /// them into losing a lease.
    beats: Mutex<Option<Client>>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A client closes through its own runtime, which cannot run on an async thread
        // (the server drops the engine on one): close them on a thread of their own.
        let clients: Vec<Client> = [&self.client, &self.beats]
            .into_iter()
            .filter_map(|m| m.lock().unwrap_or_else(|p| p.into_inner()).take())
            .collect();
        if !clients.is_empty() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

impl PostgresStore {
    /// Connect to `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DB`) and bring the schema up
    /// to date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let store = PostgresStore { url: url.to_string(), client: Mutex::new(None), beats: Mutex::new(None) };
        store.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS marble_schema_migrations (
                     version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )?;
            let done: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM marble_schema_migrations", &[])?.get(0);
            for (v, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
                tx.batch_execute(sql)?;
                tx.execute("INSERT INTO marble_schema_migrations (version) VALUES ($1)", &[&(v as i32 + 1)])?;
            }
            tx.commit()?;
            Ok(done)
        })
        .and_then(|done| {
            if done as usize > MIGRATIONS.len() {
                Err(Error::argument(
                    "store",
                    format!(
                        "the database's schema version {done} is newer than this build knows ({}); use a newer marble",
                        MIGRATIONS.len()
                    ),
                ))
            } else {
                Ok(())
            }
        })?;
        Ok(store)
    }

    /// Run `f` on the connection, connecting first when there is none, and once more on a
    /// fresh connection when the old one was closed under it (a database restart).
    fn with<T>(&self, f: impl FnMut(&mut Client) -> std::result::Result<T, postgres::Error>) -> Result<T> {
        self.on(&self.client, f)
    }

    fn on<T>(
        &self,
        connection: &Mutex<Option<Client>>,
        mut f: impl FnMut(&mut Client) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut guard = connection.lock().unwrap_or_else(|p| p.into_inner());
        for attempt in 0..2 {
            if guard.as_ref().is_none_or(Client::is_closed) {
                let connect = || -> std::result::Result<Client, postgres::Error> {
                    let mut config: postgres::Config = self.url.parse()?;
                    if config.get_connect_timeout().is_none() {
                        config.connect_timeout(Duration::from_secs(10));
                    }
                    config.connect(NoTls)
                };
                *guard = Some(connect().map_err(|e| Error::Io {
                    action: "cannot connect to",
                    path: redact(&self.url).into(),
                    source: std::io::Error::other(detail(&e)),
                })?);
            }
            let client = guard.as_mut().expect("connected above");
            match f(client) {
                Ok(v) => return Ok(v),
                // The connection was closed under us (a database restart): once more, afresh.
                Err(_) if attempt == 0 && client.is_closed() => continue,
                Err(e) => return Err(db(e)),
            }
        }
        unreachable!("the second attempt returns")
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn insert_dataset(&self, d: &DatasetInfo) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO datasets (id, name, created, params, summary) VALUES ($1, $2, $3, $4, $5)",
                &[&d.id, &d.name, &(d.created as i64), &json(&d.params), &json(&d.summary)],
            )
        })?;
        Ok(())
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        let row = self
            .with(|c| c.query_opt("SELECT id, name, created, params, summary FROM datasets WHERE id = $1", &[&id]))?;
        dataset_row(&row.ok_or_else(|| Error::NotFound { kind: "dataset", id: id.to_string() })?)
    }

    fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let rows = self.with(|c| {
            c.query("SELECT id, name, created, params, summary FROM datasets ORDER BY created DESC, seq DESC", &[])
        })?;
        rows.iter().map(dataset_row).collect()
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        enum Outcome {
            Missing,
            Busy(i64),
            Deleted,
        }
        let outcome = self.with(|c| {
            let mut tx = c.transaction()?;
            if tx.query_opt("SELECT id FROM datasets WHERE id = $1 FOR UPDATE", &[&id])?.is_none() {
                return Ok(Outcome::Missing);
            }
            let busy: i64 = tx
                .query_one("SELECT COUNT(*) FROM jobs WHERE dataset = $1 AND state IN ('queued', 'running')", &[&id])?
                .get(0);
            if busy > 0 {
                return Ok(Outcome::Busy(busy));
            }
            tx.execute("DELETE FROM datasets WHERE id = $1", &[&id])?;
            tx.commit()?;
            Ok(Outcome::Deleted)
        })?;
        match outcome {
            Outcome::Missing => Err(Error::NotFound { kind: "dataset", id: id.to_string() }),
            Outcome::Busy(n) => {
                Err(Error::Conflict(format!("dataset {id} is used by {n} unfinished job(s); cancel them first")))
            }
            Outcome::Deleted => Ok(()),
        }
    }

    fn insert_job(&self, j: &JobInfo, p: &Params, max_queued: usize) -> Result<()> {
        let queued = self.with(|c| {
            let mut tx = c.transaction()?;
            // One inserter at a time, so the count and the insert agree.
            tx.execute("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE", &[])?;
            // The dataset stays until this commits (a delete waits, then sees the job).
            if tx.query_opt("SELECT 1 FROM datasets WHERE id = $1 FOR SHARE", &[&j.dataset])?.is_none() {
                return Ok(Err(()));
            }
            let queued: i64 = tx.query_one("SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &[])?.get(0);
            if queued as usize >= max_queued {
                return Ok(Ok(Some(queued as usize)));
            }
            tx.execute(
                "INSERT INTO jobs (id, dataset, state, epoch, epochs, message, created, params)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &j.id,
                    &j.dataset,
                    &j.state.as_str(),
                    &(j.epoch as i64),
                    &(j.epochs as i64),
                    &j.message,
                    &(j.created as i64),
                    &json(p),
                ],
            )?;
            tx.commit()?;
            Ok(Ok(None))
        })?;
        match queued {
            Err(()) => Err(Error::NotFound { kind: "dataset", id: j.dataset.clone() }),
            Ok(Some(queued)) => Err(Error::QueueFull { queued }),
            Ok(None) => Ok(()),
        }
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        self.with(|c| c.query_opt(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"), &[&id]))?
            .map(|r| job_row(&r))
            .ok_or_else(|| Error::NotFound { kind: "job", id: id.to_string() })
    }

    fn job_params(&self, id: &str) -> Result<Params> {
        let row = self.with(|c| c.query_opt("SELECT params FROM jobs WHERE id = $1", &[&id]))?;
        let row = row.ok_or_else(|| Error::NotFound { kind: "job", id: id.to_string() })?;
        parse(row.get(0), "params")
    }

    fn jobs(&self) -> Result<Vec<JobInfo>> {
        let rows =
            self.with(|c| c.query(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created DESC, seq DESC"), &[]))?;
        Ok(rows.iter().map(job_row).collect())
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<JobInfo>> {
        let lease_ms = lease.as_millis() as i64;
        self.with(|c| {
            let mut tx = c.transaction()?;
            loop {
                let next = tx.query_opt(
                    &format!(
                        "SELECT id, state, worker, cancel_requested, epoch FROM jobs
                         WHERE state = 'queued' OR (state = 'running' AND lease_until < {NOW_MS})
                         ORDER BY created, seq LIMIT 1 FOR UPDATE SKIP LOCKED"
                    ),
                    &[],
                )?;
                let Some(row) = next else {
                    tx.commit()?;
                    return Ok(None);
                };
                let (id, state, previous, cancel, epoch): (String, String, Option<String>, bool, i64) =
                    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
                if cancel {
                    tx.execute(
                        "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user', worker = NULL
                         WHERE id = $1",
                        &[&id],
                    )?;
                    continue;
                }
                let takeover = state == "running";
                let message: Option<String> =
                    if takeover { Some(takeover_message(previous.as_deref(), epoch as usize)) } else { None };
                let row = tx.query_one(
                    &format!(
                        "UPDATE jobs SET state = 'running', worker = $2, lease_until = {NOW_MS} + $3,
                             message = COALESCE($4, message), attempts = attempts + 1
                         WHERE id = $1 RETURNING {JOB_COLUMNS}"
                    ),
                    &[&id, &worker, &lease_ms, &message],
                )?;
                tx.commit()?;
                return Ok(Some(job_row(&row)));
            }
        })
    }

    fn heartbeat(&self, id: &str, worker: &str, lease: Duration) -> Result<Beat> {
        let lease_ms = lease.as_millis() as i64;
        self.on(&self.beats, |c| {
            let owned = c.execute(
                &format!(
                    "UPDATE jobs SET lease_until = {NOW_MS} + $3 WHERE id = $1 AND worker = $2 AND state = 'running'"
                ),
                &[&id, &worker, &lease_ms],
            )? > 0;
            let cancel: bool =
                c.query_opt("SELECT cancel_requested FROM jobs WHERE id = $1", &[&id])?.is_some_and(|r| r.get(0));
            Ok(Beat { owned, cancel })
        })
    }

    fn set_progress(&self, id: &str, worker: &str, epoch: usize, train: f64, val: f64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET epoch = $3, train_loss = $4, val_loss = $5 WHERE id = $1 AND worker = $2",
                &[&id, &worker, &(epoch as i64), &train, &val],
            )
        })?;
        Ok(())
    }

    fn finish(&self, id: &str, worker: &str, state: JobState, message: Option<&str>) -> Result<bool> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = $3, message = $4, lease_until = 0
                 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[&id, &worker, &state.as_str(), &message],
            )
        })?;
        Ok(n > 0)
    }

    fn requeue(&self, id: &str, worker: &str) -> Result<bool> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0
                 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[&id, &worker],
            )
        })?;
        Ok(n > 0)
    }

    fn cancel_requested(&self, id: &str) -> Result<bool> {
        let row = self.with(|c| c.query_opt("SELECT cancel_requested FROM jobs WHERE id = $1", &[&id]))?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    fn request_cancel(&self, id: &str) -> Result<JobInfo> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user before it started'
                 WHERE id = $1 AND state = 'queued'",
                &[&id],
            )?;
            c.execute("UPDATE jobs SET cancel_requested = TRUE WHERE id = $1 AND state = 'running'", &[&id])
        })?;
        self.job(id)
    }

    fn expire_leases(&self) -> Result<()> {
        // Other processes may hold leases here: they expire by themselves.
        Ok(())
    }

    fn insert_embedding(&self, id: &str, model: &str, dataset: &str) -> Result<()> {
        let created = crate::engine::now() as i64;
        self.with(|c| {
            c.execute(
                "INSERT INTO embeddings (id, model, dataset, created) VALUES ($1, $2, $3, $4)",
                &[&id, &model, &dataset, &created],
            )
        })?;
        Ok(())
    }

    fn embedding(&self, id: &str) -> Result<(String, String)> {
        self.with(|c| c.query_opt("SELECT model, dataset FROM embeddings WHERE id = $1", &[&id]))?
            .map(|r| (r.get(0), r.get(1)))
            .ok_or_else(|| Error::NotFound { kind: "embedding", id: id.to_string() })
    }
}
