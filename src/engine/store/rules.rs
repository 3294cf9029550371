//! The store's rules, written once for every backend: what a row holds, the queue (its limit,
//! datasets in use, cancelling), leases (claim, heartbeat, takeover, fencing a worker that lost
//! its job) and their messages. Each backend only connects, migrates and runs statements
//! ([`Backend`]); the SQL here is in templates that its [`Dialect`] completes.

use std::path::PathBuf;
use std::time::Duration;

use super::dialect::{Arg, Backend, Conn, Dialect, Mode, Row};
use super::{Beat, Store, takeover_message};
use crate::engine::{DatasetInfo, JobInfo, JobState};
use crate::error::{Error, Result};
use crate::params::Params;

const JOB_COLUMNS: &str = "id, dataset, state, epoch, epochs, train_loss, val_loss, message, created, worker, attempts";

const DATASET_COLUMNS: &str = "id, name, created, params, summary";

/// A connection that runs the rules' SQL templates in a backend's dialect.
struct Sql<'c> {
    conn: &'c mut dyn Conn,
    dialect: Dialect,
}

impl Sql<'_> {
    /// `template` in the dialect: `$n` parameters, `{job_columns}`, `{dataset_columns}`,
    /// `{now}`, `{seq}` and the lock clauses.
    fn text(&self, template: &str) -> String {
        let d = &self.dialect;
        template
            .replace("{job_columns}", JOB_COLUMNS)
            .replace("{dataset_columns}", DATASET_COLUMNS)
            .replace("{now}", d.now_ms)
            .replace("{seq}", d.seq)
            .replace("{for_update}", d.for_update)
            .replace("{for_share}", d.for_share)
            .replace("{skip_locked}", d.skip_locked)
            .replace('$', d.placeholder)
    }

    fn query(&mut self, template: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let sql = self.text(template);
        self.conn.query(&sql, args)
    }

    /// The first row, if any.
    fn first(&mut self, template: &str, args: &[Arg<'_>]) -> Result<Option<Row>> {
        Ok(self.query(template, args)?.into_iter().next())
    }

    /// The single number a `SELECT COUNT(*)` returns.
    fn count(&mut self, template: &str, args: &[Arg<'_>]) -> Result<i64> {
        self.first(template, args)?.map_or(Ok(0), |r| r.get(0))
    }

    fn execute(&mut self, template: &str, args: &[Arg<'_>]) -> Result<u64> {
        let sql = self.text(template);
        self.conn.execute(&sql, args)
    }
}

/// Run `f` on `b`'s connection, as `mode` says, speaking its dialect.
fn run<B: Backend, T>(b: &B, mode: Mode, mut f: impl FnMut(&mut Sql<'_>) -> Result<T>) -> Result<T> {
    let result = b.run(mode, |conn| f(&mut Sql { conn, dialect: B::DIALECT }));
    if let Err(e) = &result {
        // The database's failures, not the caller's mistakes (a full queue, a missing id).
        if matches!(e.code(), "database" | "unavailable") {
            crate::telemetry::store_error(B::DIALECT.name);
        }
    }
    result
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

fn parse<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s)
        .map_err(|e| Error::ModelFile { path: PathBuf::from("store"), message: format!("{what}: {e}") })
}

/// A row of `SELECT {job_columns}`.
fn job_row(r: &Row) -> Result<JobInfo> {
    Ok(JobInfo {
        id: r.get(0)?,
        dataset: r.get(1)?,
        state: JobState::parse(&r.get::<String>(2)?)?,
        epoch: r.get::<i64>(3)? as usize,
        epochs: r.get::<i64>(4)? as usize,
        train_loss: r.get(5)?,
        val_loss: r.get(6)?,
        message: r.get(7)?,
        created: r.get::<i64>(8)? as u64,
        worker: r.get(9)?,
        attempts: r.get::<i64>(10)? as usize,
    })
}

/// A row of `SELECT {dataset_columns}`.
fn dataset_row(r: &Row) -> Result<DatasetInfo> {
    Ok(DatasetInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get::<i64>(2)? as u64,
        params: parse(&r.get::<String>(3)?, "params")?,
        summary: parse(&r.get::<String>(4)?, "summary")?,
    })
}

/// The queue's limit, checked under the queue's lock: [`Error::QueueFull`] at `max_queued`.
fn queue_has_room(s: &mut Sql<'_>, max_queued: usize) -> Result<()> {
    let queued = s.count("SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &[])? as usize;
    if queued >= max_queued {
        return Err(Error::QueueFull { queued });
    }
    Ok(())
}

fn not_found(kind: &'static str, id: &str) -> Error {
    Error::NotFound { kind, id: id.to_string() }
}

/// Lease ends are in milliseconds.
fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

impl<B: Backend> Store for B {
    fn backend(&self) -> &'static str {
        B::DIALECT.name
    }

    fn insert_dataset(&self, d: &DatasetInfo) -> Result<()> {
        let (params, summary) = (json(&d.params), json(&d.summary));
        let args = [
            d.id.as_str().into(),
            d.name.as_deref().into(),
            (d.created as i64).into(),
            (&params).into(),
            (&summary).into(),
        ];
        run(self, Mode::Auto, |s| {
            s.execute("INSERT INTO datasets ({dataset_columns}) VALUES ($1, $2, $3, $4, $5)", &args)
        })?;
        Ok(())
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        let row =
            run(self, Mode::Auto, |s| s.first("SELECT {dataset_columns} FROM datasets WHERE id = $1", &[id.into()]))?;
        dataset_row(&row.ok_or_else(|| not_found("dataset", id))?)
    }

    fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let rows = run(self, Mode::Auto, |s| {
            s.query("SELECT {dataset_columns} FROM datasets ORDER BY created DESC, {seq} DESC", &[])
        })?;
        rows.iter().map(dataset_row).collect()
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        run(self, Mode::Transaction, |s| {
            if s.first("SELECT id FROM datasets WHERE id = $1 {for_update}", &[id.into()])?.is_none() {
                return Err(not_found("dataset", id));
            }
            let busy = s.count(
                "SELECT COUNT(*) FROM jobs WHERE dataset = $1 AND state IN ('queued', 'running')",
                &[id.into()],
            )?;
            if busy > 0 {
                return Err(Error::Conflict(format!(
                    "dataset {id} is used by {busy} unfinished job(s); cancel them first"
                )));
            }
            s.execute("DELETE FROM datasets WHERE id = $1", &[id.into()])?;
            Ok(())
        })
    }

    fn insert_job(&self, j: &JobInfo, p: &Params, max_queued: usize) -> Result<()> {
        let params = json(p);
        run(self, Mode::Transaction, |s| {
            if let Some(lock) = s.dialect.lock_queue {
                s.execute(lock, &[])?;
            }
            // The dataset stays until this commits (a delete waits, then sees the job).
            if s.first("SELECT 1 FROM datasets WHERE id = $1 {for_share}", &[j.dataset.as_str().into()])?.is_none() {
                return Err(not_found("dataset", &j.dataset));
            }
            queue_has_room(s, max_queued)?;
            s.execute(
                "INSERT INTO jobs (id, dataset, state, epoch, epochs, message, created, params)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    j.id.as_str().into(),
                    j.dataset.as_str().into(),
                    j.state.as_str().into(),
                    (j.epoch as i64).into(),
                    (j.epochs as i64).into(),
                    j.message.as_deref().into(),
                    (j.created as i64).into(),
                    (&params).into(),
                ],
            )?;
            Ok(())
        })
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        let row = run(self, Mode::Auto, |s| s.first("SELECT {job_columns} FROM jobs WHERE id = $1", &[id.into()]))?;
        job_row(&row.ok_or_else(|| not_found("job", id))?)
    }

    fn job_params(&self, id: &str) -> Result<Params> {
        let row = run(self, Mode::Auto, |s| s.first("SELECT params FROM jobs WHERE id = $1", &[id.into()]))?;
        parse(&row.ok_or_else(|| not_found("job", id))?.get::<String>(0)?, "params")
    }

    fn jobs(&self) -> Result<Vec<JobInfo>> {
        let rows = run(self, Mode::Auto, |s| {
            s.query("SELECT {job_columns} FROM jobs ORDER BY created DESC, {seq} DESC", &[])
        })?;
        rows.iter().map(job_row).collect()
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<JobInfo>> {
        run(self, Mode::Transaction, |s| {
            loop {
                let next = s.first(
                    "SELECT id, state, worker, cancel_requested, epoch FROM jobs
                 WHERE state = 'queued' OR (state = 'running' AND lease_until < {now})
                 ORDER BY created, {seq} LIMIT 1 {skip_locked}",
                    &[],
                )?;
                let Some(row) = next else { return Ok(None) };
                let id: String = row.get(0)?;
                if row.get::<bool>(3)? {
                    s.execute(
                    "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user', worker = NULL WHERE id = $1",
                    &[(&id).into()],
                )?;
                    continue;
                }
                // A job still running had a worker that stopped: its message says which.
                let takeover = row.get::<String>(1)? == "running";
                let (previous, epoch): (Option<String>, i64) = (row.get(2)?, row.get(4)?);
                let message = takeover.then(|| takeover_message(previous.as_deref(), epoch as usize));
                let claimed = s.first(
                    "UPDATE jobs SET state = 'running', worker = $2, lease_until = {now} + $3,
                     message = COALESCE($4, message), attempts = attempts + 1
                 WHERE id = $1 RETURNING {job_columns}",
                    &[(&id).into(), worker.into(), ms(lease).into(), message.as_deref().into()],
                )?;
                return claimed.as_ref().map(job_row).transpose();
            }
        })
    }

    fn heartbeat(&self, id: &str, worker: &str, lease: Duration) -> Result<Beat> {
        run(self, Mode::Beat, |s| {
            let owned = s.execute(
                "UPDATE jobs SET lease_until = {now} + $3 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[id.into(), worker.into(), ms(lease).into()],
            )? > 0;
            let cancel = s.first("SELECT cancel_requested FROM jobs WHERE id = $1", &[id.into()])?;
            Ok(Beat { owned, cancel: cancel.map_or(Ok(false), |r| r.get(0))? })
        })
    }

    fn set_progress(&self, id: &str, worker: &str, epoch: usize, train: f64, val: f64) -> Result<()> {
        run(self, Mode::Auto, |s| {
            s.execute(
                "UPDATE jobs SET epoch = $3, train_loss = $4, val_loss = $5
                 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[id.into(), worker.into(), (epoch as i64).into(), train.into(), val.into()],
            )
        })?;
        Ok(())
    }

    fn finish(&self, id: &str, worker: &str, state: JobState, message: Option<&str>) -> Result<bool> {
        let n = run(self, Mode::Auto, |s| {
            s.execute(
                "UPDATE jobs SET state = $3, message = $4, lease_until = 0
                 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[id.into(), worker.into(), state.as_str().into(), message.into()],
            )
        })?;
        Ok(n > 0)
    }

    fn requeue(&self, id: &str, worker: &str) -> Result<bool> {
        let n = run(self, Mode::Auto, |s| {
            s.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0
                 WHERE id = $1 AND worker = $2 AND state = 'running'",
                &[id.into(), worker.into()],
            )
        })?;
        Ok(n > 0)
    }

    fn cancel_requested(&self, id: &str) -> Result<bool> {
        let row = run(self, Mode::Auto, |s| s.first("SELECT cancel_requested FROM jobs WHERE id = $1", &[id.into()]))?;
        row.map_or(Ok(false), |r| r.get(0))
    }

    fn request_cancel(&self, id: &str) -> Result<JobInfo> {
        run(self, Mode::Transaction, |s| {
            s.execute(
                "UPDATE jobs SET state = 'cancelled', message = 'cancelled by a user before it started'
                 WHERE id = $1 AND state = 'queued'",
                &[id.into()],
            )?;
            s.execute("UPDATE jobs SET cancel_requested = TRUE WHERE id = $1 AND state = 'running'", &[id.into()])?;
            Ok(())
        })?;
        self.job(id)
    }

    fn resume(&self, id: &str, max_queued: usize) -> Result<JobInfo> {
        run(self, Mode::Transaction, |s| {
            if let Some(lock) = s.dialect.lock_queue {
                s.execute(lock, &[])?;
            }
            let row = s.first("SELECT state, epoch FROM jobs WHERE id = $1 {for_update}", &[id.into()])?;
            let Some(row) = row else { return Err(not_found("job", id)) };
            let (state, epoch): (String, i64) = (row.get(0)?, row.get(1)?);
            if state != "failed" && state != "cancelled" {
                return Err(Error::Conflict(format!(
                    "job {id} is {state}; only a failed or cancelled job can be resumed"
                )));
            }
            queue_has_room(s, max_queued)?;
            let message = match epoch {
                0 => "resumed by a user: started again".to_string(),
                e => format!("resumed by a user from the checkpoint of epoch {e}"),
            };
            s.execute(
                "UPDATE jobs SET state = 'queued', cancel_requested = FALSE, worker = NULL, lease_until = 0,
                 message = $2 WHERE id = $1",
                &[id.into(), message.as_str().into()],
            )?;
            Ok(())
        })?;
        self.job(id)
    }

    fn expire_leases(&self) -> Result<()> {
        if !B::DIALECT.one_process {
            // Other processes may hold leases here: they expire by themselves.
            return Ok(());
        }
        run(self, Mode::Transaction, |s| {
            for row in s.query("SELECT id, epoch FROM jobs WHERE state = 'running'", &[])? {
                let (id, epoch): (String, i64) = (row.get(0)?, row.get(1)?);
                let message = takeover_message(None, epoch as usize);
                s.execute(
                    "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0, message = $2 WHERE id = $1",
                    &[(&id).into(), message.as_str().into()],
                )?;
            }
            Ok(())
        })
    }

    fn insert_embedding(&self, id: &str, model: &str, dataset: &str) -> Result<()> {
        let created = crate::engine::now() as i64;
        run(self, Mode::Auto, |s| {
            s.execute(
                "INSERT INTO embeddings (id, model, dataset, created) VALUES ($1, $2, $3, $4)",
                &[id.into(), model.into(), dataset.into(), created.into()],
            )
        })?;
        Ok(())
    }

    fn embedding(&self, id: &str) -> Result<(String, String)> {
        let row =
            run(self, Mode::Auto, |s| s.first("SELECT model, dataset FROM embeddings WHERE id = $1", &[id.into()]))?;
        let row = row.ok_or_else(|| not_found("embedding", id))?;
        Ok((row.get(0)?, row.get(1)?))
    }
}
