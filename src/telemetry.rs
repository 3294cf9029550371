//! What the library tells whoever runs it: warnings and job events through `tracing` (the
//! binary installs the subscriber; the library never does), and the numbers behind
//! `GET /metrics` through the `metrics` facade (recorded only in a build with the server,
//! whose exporter listens; elsewhere these are no-ops).

/// A warning for the person running marble, as a `tracing` event. While no subscriber is
/// installed (a notebook's kernel, a script on the library) it goes to standard error as
/// well, as the library's warnings always did, so that nobody loses it.
macro_rules! warning {
    ($($arg:tt)+) => {{
        let message = format!($($arg)+);
        tracing::warn!("{message}");
        if !tracing::dispatcher::has_been_set() {
            match message.starts_with("marble: ") {
                true => eprintln!("{message}"),
                false => eprintln!("marble: {message}"),
            }
        }
    }};
}

/// Metric names, one place: README's list of /metrics says the same. (Unused in a build
/// without the server, which records nothing.)
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) mod names {
    /// Counter of answered requests, by `method`, `route` (the template) and `status`.
    pub const REQUESTS: &str = "marble_http_requests_total";
    /// Histogram of the time to answer a request (to its headers), seconds, by the same labels.
    pub const REQUEST_SECONDS: &str = "marble_http_request_duration_seconds";
    /// Histogram of whole jobs, seconds, by how they ended (`state`).
    pub const JOB_SECONDS: &str = "marble_job_duration_seconds";
    /// Histogram of training epochs, seconds.
    pub const EPOCH_SECONDS: &str = "marble_epoch_duration_seconds";
    /// Counter of jobs this process started running, by `how` (`claimed`, `taken_over`).
    pub const JOBS_STARTED: &str = "marble_jobs_started_total";
    /// Gauge of this process's worker threads still running.
    pub const WORKERS_ALIVE: &str = "marble_workers_alive";
    /// Counter of failed calls to the job and dataset store, by `backend`.
    pub const STORE_ERRORS: &str = "marble_store_errors_total";
}

/// A job ended in `state` after `seconds` in this process.
pub(crate) fn job_finished(state: &'static str, seconds: f64) {
    #[cfg(feature = "server")]
    metrics::histogram!(names::JOB_SECONDS, "state" => state).record(seconds);
    #[cfg(not(feature = "server"))]
    let _ = (state, seconds);
}

/// A worker of this process began a job (`how`: `claimed` or `taken_over`).
pub(crate) fn job_started(how: &'static str) {
    #[cfg(feature = "server")]
    metrics::counter!(names::JOBS_STARTED, "how" => how).increment(1);
    #[cfg(not(feature = "server"))]
    let _ = how;
}

/// One epoch of a job took `seconds`.
pub(crate) fn epoch(seconds: f64) {
    #[cfg(feature = "server")]
    metrics::histogram!(names::EPOCH_SECONDS).record(seconds);
    #[cfg(not(feature = "server"))]
    let _ = seconds;
}

/// A worker thread started (`+1`) or stopped (`-1`).
pub(crate) fn workers(delta: f64) {
    #[cfg(feature = "server")]
    metrics::gauge!(names::WORKERS_ALIVE).increment(delta);
    #[cfg(not(feature = "server"))]
    let _ = delta;
}

/// A call to the store failed (the database, not the caller: a missing id is no error here).
pub(crate) fn store_error(backend: &'static str) {
    #[cfg(feature = "server")]
    metrics::counter!(names::STORE_ERRORS, "backend" => backend).increment(1);
    #[cfg(not(feature = "server"))]
    let _ = backend;
}
