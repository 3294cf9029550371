//! `GET /metrics`: the Prometheus text format, rendered by metrics-rs's exporter from what
//! this process recorded (requests here, jobs and workers in the engine, see
//! `crate::telemetry`) plus gauges read from the engine at each scrape (jobs by state, the
//! queue, the data folder's free space against its floor).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::observe::InFlight;
use super::problem::blocking;
use crate::engine::{Engine, JobState};
use crate::telemetry::names::{self, REQUEST_SECONDS, REQUESTS};

/// The process's recorder, installed by the first server built in it (later ones, e.g. in
/// tests, share it); `None` when another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    const FAST: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
    const SLOW: &[f64] = &[1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0];
    let builder = [(REQUEST_SECONDS, FAST), (names::EPOCH_SECONDS, FAST), (names::JOB_SECONDS, SLOW)]
        .into_iter()
        .try_fold(PrometheusBuilder::new(), |b, (name, buckets)| {
            b.set_buckets_for_metric(Matcher::Full(name.into()), buckets)
        })
        .ok()?;
    let handle = builder.install_recorder().ok()?;
    describe();
    // Histograms keep their samples until drained: drain them now and then between scrapes.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("marble-metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .ok()?;
    Some(handle)
}

/// The HELP lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "Requests answered, by method, route template and status.");
    describe_histogram!(REQUEST_SECONDS, Unit::Seconds, "Time to answer a request (to its headers).");
    describe_histogram!(names::JOB_SECONDS, Unit::Seconds, "Jobs run in this process, by how they ended.");
    describe_histogram!(names::EPOCH_SECONDS, Unit::Seconds, "Training epochs run in this process.");
    describe_counter!(names::JOBS_STARTED, "Jobs this process's workers started (claimed, or taken over).");
    describe_gauge!(names::WORKERS_ALIVE, "Worker threads of this process that are running.");
    describe_counter!(names::STORE_ERRORS, "Failed calls to the job and dataset store.");
    describe_gauge!(JOBS, "Jobs in the store, by state.");
    describe_gauge!(QUEUE, "Jobs waiting for a worker.");
    describe_gauge!(FREE, Unit::Bytes, "Free space on the data folder's disk.");
    describe_gauge!(MIN_FREE, Unit::Bytes, "The floor below which writes are refused (--min-free-mib).");
    describe_gauge!(WRITABLE, "1 while writes are taken, 0 while the disk is below the floor.");
    describe_gauge!(IN_FLIGHT, "Requests being answered now (event streams until they end).");
}

const JOBS: &str = "marble_jobs";
const QUEUE: &str = "marble_queue_length";
const FREE: &str = "marble_disk_free_bytes";
const MIN_FREE: &str = "marble_disk_min_free_bytes";
const WRITABLE: &str = "marble_writable";
const IN_FLIGHT: &str = "marble_http_requests_in_flight";

/// Installs the recorder (before the engine starts, so that its workers are counted).
pub(super) fn init() {
    let _ = handle();
}

/// What `/metrics` reads.
#[derive(Clone)]
pub(super) struct Scrape {
    pub(super) engine: Arc<dyn Engine>,
    pub(super) in_flight: Arc<InFlight>,
}

/// `GET /metrics`.
pub(super) async fn metrics(State(s): State<Scrape>) -> Response {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "another metrics recorder is installed in this process\n")
            .into_response();
    };
    let engine = s.engine.clone();
    // A store or disk that cannot be read leaves its gauges as they were and counts the error.
    let read = blocking(move || Ok((engine.list_jobs(), engine.readiness()))).await;
    if let Ok((jobs, ready)) = read {
        if let Ok(jobs) = jobs {
            use JobState::*;
            for state in [Queued, Running, Succeeded, Failed, Cancelled] {
                let n = jobs.iter().filter(|j| j.state == state).count();
                metrics::gauge!(JOBS, "state" => state.as_str()).set(n as f64);
            }
            metrics::gauge!(QUEUE).set(jobs.iter().filter(|j| j.state == JobState::Queued).count() as f64);
        }
        if let Ok(r) = ready {
            metrics::gauge!(FREE).set((r.free_mib << 20) as f64);
            metrics::gauge!(MIN_FREE).set((r.min_free_mib << 20) as f64);
            metrics::gauge!(WRITABLE).set(if r.writable { 1.0 } else { 0.0 });
        }
    }
    metrics::gauge!(IN_FLIGHT).set(s.in_flight.count() as f64);
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], handle.render()).into_response()
}
