//! Where datasets, jobs and embeddings are recorded, and where their files live.
//!
//! The records are behind [`Store`], with two backends: SQLite in the data folder (the
//! default: embedded, nothing to install, one process) and PostgreSQL (`--store
//! postgres://...`: many `marble serve` and `marble worker` processes on many machines).
//! Either way the schema is created and upgraded by versioned migrations, and jobs are
//! claimed under a lease: a worker holds a job while it heartbeats, and a job whose worker
//! stops is taken over by another after the lease expires, resuming from its checkpoint.
//!
//! The rules (what a row holds, the queue, leases and their messages) are written once, in
//! `rules.rs`, for every backend (`dialect::Backend`). A backend (`sqlite.rs`,
//! `postgres.rs`) only connects, migrates, and runs statements in its dialect (placeholders,
//! clock, row locks). tests/store.rs holds every backend to the same contract.
//!
//! The files are in [`crate::engine::artifacts::Artifacts`]. Rows are written only after
//! their files are complete, and files are written atomically, so a crash leaves either the
//! old state or the new one.

mod dialect;
#[cfg(feature = "postgres")]
mod postgres;
mod rules;
mod sqlite;
#[cfg(feature = "postgres")]
mod tls;

use std::path::Path;
use std::time::Duration;

use super::{DatasetInfo, JobInfo, JobState};
use crate::error::{Error, Result};
use crate::params::Params;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresStore;
pub use self::sqlite::SqliteStore;

/// What a heartbeat learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// The job is still this worker's (false: its lease expired and another took it).
    pub owned: bool,
    /// A user asked to cancel it.
    pub cancel: bool,
}

/// The records of one deployment: datasets, jobs (with their leases) and embeddings.
pub trait Store: Send + Sync {
    /// Which backend, for messages ("sqlite", "postgres").
    fn backend(&self) -> &'static str;
    /// Record a dataset whose file is already written.
    fn insert_dataset(&self, d: &DatasetInfo) -> Result<()>;
    /// One dataset.
    fn dataset(&self, id: &str) -> Result<DatasetInfo>;
    /// All datasets, newest first.
    fn datasets(&self) -> Result<Vec<DatasetInfo>>;
    /// Delete a dataset's record unless a queued or running job needs it.
    fn delete_dataset(&self, id: &str) -> Result<()>;
    /// Record a new queued job, unless `max_queued` jobs already wait or its dataset was
    /// deleted meanwhile.
    fn insert_job(&self, j: &JobInfo, p: &Params, max_queued: usize) -> Result<()>;
    /// One job.
    fn job(&self, id: &str) -> Result<JobInfo>;
    /// A job's parameters.
    fn job_params(&self, id: &str) -> Result<Params>;
    /// All jobs, newest first.
    fn jobs(&self) -> Result<Vec<JobInfo>>;
    /// Claim the oldest job that is queued, or running under an expired lease, for
    /// `worker` for `lease`; no other worker can claim it at the same time. The job comes
    /// back as it is now (`running`, this worker's; a takeover's message names the previous
    /// worker).
    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<JobInfo>>;
    /// Extend `worker`'s lease on a job and read its cancel flag (neither, for a job that
    /// does not exist).
    fn heartbeat(&self, id: &str, worker: &str, lease: Duration) -> Result<Beat>;
    /// Record an epoch's progress (only while `worker` holds the job: it is running, and
    /// `worker`'s).
    fn set_progress(&self, id: &str, worker: &str, epoch: usize, train: f64, val: f64) -> Result<()>;
    /// Set a job's final state (only while `worker` holds it); false when it no longer did.
    fn finish(&self, id: &str, worker: &str, state: JobState, message: Option<&str>) -> Result<bool>;
    /// Give a job back to the queue (its worker is stopping), keeping its progress.
    fn requeue(&self, id: &str, worker: &str) -> Result<bool>;
    /// Whether a user asked to cancel the job.
    fn cancel_requested(&self, id: &str) -> Result<bool>;
    /// Cancel a job: a queued one at once, a running one through its worker's next
    /// heartbeat. Finished jobs are left as they are.
    fn request_cancel(&self, id: &str) -> Result<JobInfo>;
    /// Queue a failed or cancelled job again (within `max_queued`), to resume from its last
    /// checkpoint; other states are a conflict.
    fn resume(&self, id: &str, max_queued: usize) -> Result<JobInfo>;
    /// Queue again every job left running (a single-process store reopened after a crash: no
    /// other process can be running them); a store shared by processes leaves that to the
    /// leases.
    fn expire_leases(&self) -> Result<()>;
    /// Record an embedding whose files are written.
    fn insert_embedding(&self, id: &str, model: &str, dataset: &str) -> Result<()>;
    /// An embedding's model and dataset.
    fn embedding(&self, id: &str) -> Result<(String, String)>;
}

/// Open the store `spec` names: a `postgres://` or `postgresql://` URL, or nothing for
/// SQLite in `data_dir`.
pub fn open(spec: Option<&str>, data_dir: &Path) -> Result<Box<dyn Store>> {
    match spec.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("sqlite") => Ok(Box::new(SqliteStore::open(data_dir)?)),
        #[cfg(feature = "postgres")]
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(PostgresStore::open(url)?))
        }
        #[cfg(not(feature = "postgres"))]
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Err(Error::argument(
            "store",
            format!(
                "`{}` needs the PostgreSQL client, which this build of marble leaves out; build it with the `postgres` feature",
                redact(url)
            ),
        )),
        Some(other) => Err(Error::argument(
            "store",
            format!("`{other}` is not a store; give a postgres://USER@HOST:PORT/DB URL, or leave it out for SQLite"),
        )),
    }
}

/// A store URL without its password, for messages: the one after the user name (all up to
/// the last `@`, so a password holding an `@` is hidden whole) and a `password=` in the query.
pub fn redact(url: &str) -> String {
    let url = match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = url[s + 3..at].split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    };
    match url.split_once('?') {
        Some((base, query)) => {
            let is_password = |p: &&str| {
                let key = p.split('=').next().unwrap_or("");
                percent_encoding::percent_decode_str(key).decode_utf8_lossy() == "password"
            };
            let kept: Vec<&str> = query.split('&').filter(|p| !is_password(p)).collect();
            if kept.iter().all(|p| p.is_empty()) { base.to_string() } else { format!("{base}?{}", kept.join("&")) }
        }
        None => url,
    }
}

/// The message a job gets when a worker takes it over.
fn takeover_message(previous: Option<&str>, epoch: usize) -> String {
    let who = previous.map_or("the server".to_string(), |w| format!("worker {w}"));
    if epoch > 0 {
        format!("{who} stopped during epoch {}; resumed from the checkpoint of epoch {epoch}", epoch + 1)
    } else {
        format!("{who} stopped before the first checkpoint; started again")
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_every_password() {
        for (url, shown) in [
            ("postgres://marble:secret@db.lab:5432/marble", "postgres://marble@db.lab:5432/marble"),
            ("postgres://marble@db.lab/marble", "postgres://marble@db.lab/marble"),
            ("postgres://db.lab/marble", "postgres://db.lab/marble"),
            // An `@` in the password: hidden whole.
            ("postgres://marble:se@cret@db.lab/marble", "postgres://marble@db.lab/marble"),
            (
                "postgres://marble:secret@db.lab/m?sslmode=verify-full&sslrootcert=/etc/ca.pem",
                "postgres://marble@db.lab/m?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            ),
            ("postgres://db.lab/m?password=secret&sslmode=require", "postgres://db.lab/m?sslmode=require"),
            ("postgres://db.lab/m?sslmode=require&pass%77ord=secret", "postgres://db.lab/m?sslmode=require"),
            ("postgres://db.lab/m?password=secret", "postgres://db.lab/m"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
    }
}
