//! The engine: a store (SQLite embedded, or PostgreSQL shared by many processes), the
//! artifact folder, and worker threads that claim fits from the store under a lease, one at a
//! time each. The server wraps one of these; `marble worker` runs only its workers, and
//! `marble serve --workers 0` only its API.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ndarray::Array2;

use super::artifacts::Artifacts;
use super::lock::FolderLock;
use super::store::Store;
use super::*;
use crate::Dataset;
use crate::dataset::io;
use crate::fsio;
use crate::model::store as files;
use crate::model::{Cancel, EpochReport, Observer};
use crate::progress::Silent;
use crate::run::{self, Run};

/// Settings of a [`LocalEngine`].
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// Folder of the artifacts (and of the SQLite store): every process of a deployment must
    /// see the same one.
    pub data_dir: PathBuf,
    /// The store: `None` for SQLite in `data_dir`, or a `postgres://` URL.
    pub store: Option<String>,
    /// An S3-compatible object store (`s3://BUCKET/PREFIX`) that holds the artifacts, with
    /// `data_dir` as this process's local copy; `None` when `data_dir` is all there is.
    pub artifacts: Option<String>,
    /// Fits run at the same time in this process (0: this process runs none).
    pub workers: usize,
    /// Jobs waiting at most; more are refused with [`Error::QueueFull`].
    pub max_queued: usize,
    /// How long a claimed job stays this process's without a heartbeat (heartbeats come
    /// every third of it); a job whose worker died is taken over after this.
    pub lease: Duration,
    /// How often idle workers look for jobs queued by other processes.
    pub poll: Duration,
    /// Writes (uploads, fits, transforms, analyses) are refused with [`Error::DiskFull`]
    /// when the data folder's disk has less free space than this, in MiB.
    pub min_free_mib: u64,
}

impl LocalOptions {
    /// Defaults ([`defaults`]): SQLite, one worker, 16 queued jobs, 30-second leases, polls
    /// every 0.5 s, writes refused below 64 MiB free.
    pub fn new(data_dir: impl Into<PathBuf>) -> LocalOptions {
        LocalOptions {
            data_dir: data_dir.into(),
            store: None,
            artifacts: None,
            workers: defaults::WORKERS,
            max_queued: defaults::MAX_QUEUED,
            lease: Duration::from_secs_f64(defaults::LEASE_S),
            poll: Duration::from_millis(defaults::POLL_MS),
            min_free_mib: defaults::MIN_FREE_MIB,
        }
    }
}

struct Inner {
    store: Box<dyn Store>,
    artifacts: Artifacts,
    /// The data folder's lock, with the embedded store (see [`super::lock`]).
    _lock: Option<Arc<FolderLock>>,
    /// Wakes idle workers when this process queues a job.
    /// Shared with the workers apart from the engine, so that an idle worker waits without
    /// keeping the engine (and the data folder's lock) alive once its users are gone.
    wake: Arc<(Mutex<()>, Condvar)>,
    /// Fits running in this process, to cancel them without waiting for a heartbeat.
    cancels: Mutex<HashMap<String, Cancel>>,
    max_queued: usize,
    lease: Duration,
    poll: Duration,
    /// This process's name in leases (`host-pid-random`, unique even where every container
    /// is pid 1 on one host name); worker threads add their number.
    name: String,
    shutdown: AtomicBool,
    /// Worker threads still running.
    running: AtomicUsize,
}

/// The engine in this process. Cloning shares it.
#[derive(Clone)]
pub struct LocalEngine {
    inner: Arc<Inner>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
        // Idle workers find the engine gone at once.
        self.wake.1.notify_all();
    }
}

struct JobObserver<'a> {
    store: &'a dyn Store,
    artifacts: &'a Artifacts,
    checkpoint: PathBuf,
    id: &'a str,
    worker: &'a str,
    lost: &'a AtomicBool,
    /// The job's epochs in all, for the log's milestones.
    epochs: usize,
}

impl run::FitEvents for JobObserver<'_> {}

impl Observer for JobObserver<'_> {
    fn epoch(&mut self, r: &EpochReport) {
        // The checkpoint goes out first, so the epoch the store reports can be resumed from
        // on another machine. Both are advisory: a failed write must not stop training (a
        // takeover would resume from an older checkpoint).
        if self.lost.load(Ordering::SeqCst) {
            return;
        }
        crate::telemetry::epoch(r.seconds);
        let (job, done, of) = (self.id, r.epoch + 1, self.epochs.max(1));
        // The first, the last, and each tenth of the way in the log; every epoch at debug.
        if done == 1 || done >= of || done * 10 / of > (done - 1) * 10 / of {
            tracing::info!(
                job,
                epoch = done,
                epochs = of,
                train_loss = r.train_loss,
                val_loss = r.val_loss,
                "job epoch"
            );
        } else {
            tracing::debug!(
                job,
                epoch = done,
                epochs = of,
                train_loss = r.train_loss,
                val_loss = r.val_loss,
                "job epoch"
            );
        }
        let _ = self.artifacts.publish(&self.checkpoint);
        let _ = self.store.set_progress(self.id, self.worker, r.epoch + 1, r.train_loss, r.val_loss);
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

impl LocalEngine {
    /// Open the store and the artifact folder and start `options.workers` workers. With the
    /// embedded SQLite store, a job that was running when the process stopped is queued again
    /// and resumes from its last checkpoint (its message says so); with PostgreSQL, other
    /// processes may be running jobs, so a dead worker's job is taken over when its lease
    /// expires instead.
    pub fn open(options: LocalOptions) -> Result<LocalEngine> {
        if options.lease < Duration::from_millis(300) {
            return Err(Error::argument("lease", "must be at least 0.3 s (heartbeats come every third of it)"));
        }
        let artifacts =
            Artifacts::open(&options.data_dir, options.artifacts.as_deref())?.with_min_free(options.min_free_mib);
        let name = format!("{}-{}-{:04x}", host_name(), std::process::id(), rand::random::<u16>());
        // The embedded store belongs to one process: lock its folder before the recovery
        // below takes every running job for an orphan.
        let embedded = options.store.as_deref().map(str::trim).is_none_or(|s| s.is_empty() || s == "sqlite");
        let lock = match embedded {
            true => {
                let owner = format!("pid {} on host {} (worker name {name})", std::process::id(), host_name());
                Some(FolderLock::acquire(&options.data_dir, &owner)?)
            }
            false => None,
        };
        // On a full disk the embedded store needs the reserve's room to open: SQLite creates
        // its write-ahead log and shared-memory files again after a clean close.
        if embedded {
            artifacts.release_reserve_if_full();
        }
        let store = super::store::open(options.store.as_deref(), &options.data_dir)?;
        store.expire_leases()?;
        artifacts.ensure_reserve();
        let engine = LocalEngine {
            inner: Arc::new(Inner {
                store,
                artifacts,
                _lock: lock,
                wake: Arc::new((Mutex::new(()), Condvar::new())),
                cancels: Mutex::new(HashMap::new()),
                max_queued: options.max_queued,
                lease: options.lease,
                poll: options.poll,
                name,
                shutdown: AtomicBool::new(false),
                running: AtomicUsize::new(0),
            }),
        };
        for n in 0..options.workers {
            let weak = Arc::downgrade(&engine.inner);
            let name = format!("{}-{n}", engine.inner.name);
            engine.inner.running.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || worker(weak, name));
        }
        Ok(engine)
    }

    /// Store checked conditions as a dataset, building it once to validate and summarise.
    fn create_dataset_from(
        &self,
        conditions: &crate::Conditions,
        name: Option<String>,
        params: Option<crate::Params>,
    ) -> Result<DatasetInfo> {
        let params = params.unwrap_or_default();
        self.inner.artifacts.check_room()?;
        let data = Dataset::build(conditions, &params.clone().check()?, &Silent)?;
        let info = DatasetInfo { id: new_id("ds"), name, created: now(), params, summary: data.summary };
        let file = self.inner.artifacts.dataset_file(&info.id);
        // No partial file stays behind (a full disk, say).
        fsio::write_atomic(&file, |tmp| io::write_npz(tmp, conditions))?;
        self.inner.artifacts.publish(&file)?;
        self.inner.store.insert_dataset(&info)?;
        Ok(info)
    }

    /// The artifact folder (for the server's file downloads).
    pub fn artifacts(&self) -> &Artifacts {
        &self.inner.artifacts
    }

    /// This process's name in job leases (`host-pid-random`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The store's backend: "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.inner.store.backend()
    }

    /// Stop the workers after their current step, and wait until they have: a fit in
    /// progress is left to its lease (another worker, or the next start, resumes it from its
    /// checkpoint).
    pub fn shutdown(&self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        self.inner.wake.1.notify_all();
        for c in self.inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).values() {
            c.cancel();
        }
        while self.inner.running.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn succeeded_run(&self, model: &str) -> Result<PathBuf> {
        let job = self.inner.store.job(model).map_err(|_| Error::NotFound { kind: "model", id: model.to_string() })?;
        if job.state != JobState::Succeeded {
            return Err(Error::Conflict(format!(
                "model {model} is not ready: its job is {}{}",
                job.state.as_str(),
                job.message.map(|m| format!(" ({m})")).unwrap_or_default()
            )));
        }
        let dir = self.inner.artifacts.run_dir(model);
        // Reading a finished model needs no checkpoint, the largest file of the folder.
        self.inner.artifacts.fetch_dir(&dir, &["checkpoint.json"])?;
        Ok(dir)
    }
}

/// Claim jobs until the engine shuts down or its last user is gone.
fn worker(inner: std::sync::Weak<Inner>, name: String) {
    let Some(wake) = inner.upgrade().map(|s| s.wake.clone()) else { return };
    crate::telemetry::workers(1.0);
    loop {
        let Some(strong) = inner.upgrade() else {
            crate::telemetry::workers(-1.0);
            return;
        };
        if strong.shutdown.load(Ordering::SeqCst) || Arc::strong_count(&strong) == 1 {
            // Shut down, or only this worker holds the engine: its users are gone.
            strong.running.fetch_sub(1, Ordering::SeqCst);
            crate::telemetry::workers(-1.0);
            return;
        }
        match strong.store.claim(&name, strong.lease) {
            Ok(Some(job)) => run_job(&strong, &job, &name),
            Ok(None) | Err(_) => {
                // Wait without holding the engine: dropped meanwhile, it releases the data
                // folder at once (a process reopening it must not find it still held).
                let poll = strong.poll;
                drop(strong);
                let (lock, cv) = &*wake;
                let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let _ = cv.wait_timeout(guard, poll).unwrap_or_else(|p| p.into_inner());
            }
        }
    }
}

/// Run a claimed job, heartbeating its lease; the heartbeat also carries cancel requests
/// from other processes. The worker fences itself: when its lease was taken, or it could not
/// renew it for a whole lease (cut off from the store), it stops the fit and writes nothing
/// more, since another worker may own the job by now.
fn run_job(inner: &Inner, job: &JobInfo, worker: &str) {
    let started = log_start(job, worker);
    let id = job.id.as_str();
    let store = inner.store.as_ref();
    let cancel = Cancel::new();
    let lost = Arc::new(AtomicBool::new(false));
    inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), cancel.clone());
    if inner.shutdown.load(Ordering::SeqCst) {
        // Claimed while shutting down: give it back at once rather than leave it to the lease.
        cancel.cancel();
    }
    let finished = Arc::new(AtomicBool::new(false));
    let outcome = std::thread::scope(|scope| {
        let (beat_cancel, beat_lost, beat_finished) = (cancel.clone(), lost.clone(), finished.clone());
        scope.spawn(move || heartbeat(inner, id, worker, &beat_cancel, &beat_lost, &beat_finished));
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fit_job(inner, id, worker, &cancel, &lost)))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into());
                    Err(Error::Internal(format!("the fit panicked: {what}")))
                });
        finished.store(true, Ordering::SeqCst);
        outcome
    });
    inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    if lost.load(Ordering::SeqCst) {
        // Another worker has it now: it decides how the job ends.
        tracing::warn!(job = id, worker, "job lease lost: another worker has taken the job over");
        return;
    }
    // Stopped by a shutdown, not by a user: back in the queue for the next worker.
    let requeue = inner.shutdown.load(Ordering::SeqCst) && !store.cancel_requested(id).unwrap_or(false);
    log_end(id, &outcome, requeue, started);
    let message = store.job(id).ok().and_then(|j| j.message);
    let record = || match &outcome {
        Ok(true) => store.finish(id, worker, JobState::Succeeded, message.as_deref()),
        Ok(false) if requeue => store.requeue(id, worker),
        Ok(false) => store.finish(id, worker, JobState::Cancelled, Some("cancelled by a user")),
        Err(e) => store.finish(id, worker, JobState::Failed, Some(&format!("{} ({})", e, e.code()))),
    };
    if let Err(e) = record() {
        // A full disk may refuse the store's write too: give it the reserve's room and
        // record the end once more, so the job cannot stay `running` for ever.
        tracing::warn!(job = id, code = e.code(), "cannot record the job's end ({e}); trying once more");
        inner.artifacts.release_reserve_if_full();
        let _ = record();
    }
}

/// Renew a running job's lease every third of it until `finished`; cancel the fit when a
/// user asks (from any process), or when the lease is lost or cannot be renewed for a whole
/// lease (`lost` says so then).
fn heartbeat(inner: &Inner, id: &str, worker: &str, cancel: &Cancel, lost: &AtomicBool, finished: &AtomicBool) {
    let store = inner.store.as_ref();
    let period = inner.lease / 3;
    let mut last_renewed = std::time::Instant::now();
    let mut waited = Duration::ZERO;
    while !finished.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
        waited += Duration::from_millis(20);
        if waited < period {
            continue;
        }
        waited = Duration::ZERO;
        match store.heartbeat(id, worker, inner.lease) {
            Ok(beat) if !beat.owned => {
                lost.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
            Ok(beat) => {
                last_renewed = std::time::Instant::now();
                if beat.cancel {
                    cancel.cancel();
                }
            }
            Err(_) if last_renewed.elapsed() >= inner.lease => {
                lost.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
            Err(_) => {}
        }
    }
}

/// Log a claimed job's start (a takeover of a stopped worker's job says so); the time it
/// started, for its duration.
fn log_start(job: &JobInfo, worker: &str) -> std::time::Instant {
    let (id, attempt, epoch) = (job.id.as_str(), job.attempts, job.epoch);
    let message = job.message.as_deref().unwrap_or("");
    // The store's takeover message (`takeover_message`) names the worker that stopped.
    if attempt > 1 && (message.contains("stopped during epoch") || message.contains("stopped before the first")) {
        crate::telemetry::job_started("taken_over");
        tracing::info!(job = id, worker, attempt, epoch, reason = message, "job taken over");
    } else {
        crate::telemetry::job_started("claimed");
        tracing::info!(job = id, worker, attempt, epoch, "job started");
    }
    std::time::Instant::now()
}

/// Log how a job's run in this process ended, and time it.
fn log_end(id: &str, outcome: &Result<bool>, requeued: bool, started: std::time::Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let state = match outcome {
        Ok(true) => {
            tracing::info!(job = id, seconds, "job succeeded");
            "succeeded"
        }
        Ok(false) if requeued => {
            tracing::info!(
                job = id,
                seconds,
                "job queued again: this process is stopping; it resumes from its checkpoint"
            );
            "requeued"
        }
        Ok(false) => {
            tracing::info!(job = id, seconds, "job cancelled");
            "cancelled"
        }
        Err(e) => {
            tracing::error!(job = id, seconds, code = e.code(), error = %e, "job failed");
            "failed"
        }
    };
    crate::telemetry::job_finished(state, seconds);
}

/// Train, save and analyse through [`run::fit_run`] (as `marble fit` does); `Ok(false)`
/// when cancelled.
fn fit_job(inner: &Inner, id: &str, worker: &str, cancel: &Cancel, lost: &AtomicBool) -> Result<bool> {
    let store = inner.store.as_ref();
    let job = store.job(id)?;
    let params = store.job_params(id)?.check()?;
    let dataset_file = inner.artifacts.dataset_file(&job.dataset);
    inner.artifacts.fetch(&dataset_file)?;
    let conditions = io::read_npz(&dataset_file)?;
    let dir = inner.artifacts.run_dir(id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    // A job taken over from another machine resumes from the checkpoint it published.
    inner.artifacts.fetch_dir(&dir, &[])?;
    let checkpoint = dir.join("checkpoint.json");
    let (resume, done) = if checkpoint.exists() && job.epoch > 0 {
        let ck: crate::model::checkpoint::Checkpoint = fsio::read_json(&checkpoint)?;
        (true, ck.epochs_done)
    } else {
        (false, 0)
    };
    let plan = run::FitPlan {
        dir: &dir,
        params: &params,
        resume,
        // A job taken over after its last epoch trains no more: it restores the best model.
        epochs: params.epochs.saturating_sub(done),
        analysis: Some(&AnalysisParams::for_points),
    };
    let mut observer = JobObserver {
        store,
        artifacts: &inner.artifacts,
        checkpoint: checkpoint.clone(),
        id,
        worker,
        lost,
        epochs: params.epochs,
    };
    // A lost lease cancels too, so nothing is written after the checkpoint then.
    if run::fit_run(&conditions, &plan, &Silent, &mut observer, cancel)?.is_none() {
        return Ok(false);
    }
    if lost.load(Ordering::SeqCst) {
        // Written locally, but the job is another worker's now: publish nothing.
        return Ok(false);
    }
    inner.artifacts.publish_dir(&dir)?;
    Ok(true)
}

fn embedding_info(id: &str, model: &str, dataset: &str, emb: &Array2<f32>, condition: Vec<usize>) -> EmbeddingInfo {
    EmbeddingInfo { id: id.into(), model: model.into(), dataset: dataset.into(), embedding: rows(emb), condition }
}

impl Engine for LocalEngine {
    fn create_dataset(&self, req: &NewDataset) -> Result<DatasetInfo> {
        self.create_dataset_from(&req.conditions, req.name.clone(), req.params.clone())
    }

    fn list_datasets(&self) -> Result<Vec<DatasetInfo>> {
        self.inner.store.datasets()
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        self.inner.store.dataset(id)
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        // On a full disk the store needs the reserve's room to record the delete.
        self.inner.artifacts.release_reserve_if_full();
        self.inner.store.delete_dataset(id)?;
        self.inner.artifacts.remove(&self.inner.artifacts.dataset_file(id))?;
        self.inner.artifacts.ensure_reserve();
        Ok(())
    }

    fn start_fit(&self, req: &FitRequest) -> Result<JobInfo> {
        let dataset = self.inner.store.dataset(&req.dataset)?;
        let params = req.params.clone().unwrap_or(dataset.params);
        params.clone().check()?;
        self.inner.artifacts.check_room()?;
        let job = JobInfo {
            id: new_id("job"),
            dataset: req.dataset.clone(),
            state: JobState::Queued,
            epoch: 0,
            epochs: params.epochs,
            train_loss: None,
            val_loss: None,
            message: None,
            created: now(),
            worker: None,
            attempts: 0,
        };
        self.inner.store.insert_job(&job, &params, self.inner.max_queued)?;
        tracing::info!(job = %job.id, dataset = %job.dataset, epochs = job.epochs, "job queued");
        self.inner.wake.1.notify_one();
        Ok(job)
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        self.inner.store.job(id)
    }

    fn list_jobs(&self) -> Result<Vec<JobInfo>> {
        self.inner.store.jobs()
    }

    fn resume_job(&self, id: &str) -> Result<JobInfo> {
        self.inner.artifacts.check_room()?;
        let job = self.inner.store.resume(id, self.inner.max_queued)?;
        tracing::info!(job = %job.id, epoch = job.epoch, "job queued again: resumed by a user");
        self.inner.wake.1.notify_one();
        Ok(job)
    }

    fn cancel_job(&self, id: &str) -> Result<JobInfo> {
        let job = self.inner.store.request_cancel(id)?;
        tracing::info!(job = id, "job cancel requested");
        // A fit running in this process stops at once; elsewhere, at its next heartbeat.
        if let Some(c) = self.inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            c.cancel();
        }
        Ok(job)
    }

    fn model(&self, id: &str) -> Result<ModelInfo> {
        let dir = self.succeeded_run(id)?;
        let (model, params) = files::load(&dir)?;
        let losses = files::read_losses(&dir)?;
        let job = self.inner.store.job(id)?;
        Ok(ModelInfo { id: id.into(), dataset: job.dataset, params, losses, diffusion_time: model.diffusion_time() })
    }

    fn model_weights(&self, id: &str) -> Result<Vec<u8>> {
        let path = self.succeeded_run(id)?.join("model.npz");
        std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))
    }

    fn transform(&self, req: &TransformRequest) -> Result<EmbeddingInfo> {
        self.inner.artifacts.check_room()?;
        let dir = self.succeeded_run(&req.model)?;
        self.inner.store.dataset(&req.dataset)?;
        let dataset_file = self.inner.artifacts.dataset_file(&req.dataset);
        self.inner.artifacts.fetch(&dataset_file)?;
        let conditions = io::read_npz(&dataset_file)?;
        let run::Embedded { embedding: emb, condition } = run::transform(&dir, &conditions, &Silent)?;
        let id = new_id("emb");
        let (values, cond) = self.inner.artifacts.embedding_files(&id);
        fsio::write_npy_f32(&values, &emb)?;
        fsio::write_npy_i64(&cond, &condition)?;
        self.inner.artifacts.publish(&values)?;
        self.inner.artifacts.publish(&cond)?;
        self.inner.store.insert_embedding(&id, &req.model, &req.dataset)?;
        Ok(embedding_info(&id, &req.model, &req.dataset, &emb, condition))
    }

    fn embedding(&self, id: &str) -> Result<EmbeddingInfo> {
        let (model, dataset) = self.inner.store.embedding(id)?;
        let (values, cond) = self.inner.artifacts.embedding_files(id);
        self.inner.artifacts.fetch(&values)?;
        self.inner.artifacts.fetch(&cond)?;
        let emb: Array2<f32> = fsio::read_npy(&values)?;
        let condition: ndarray::Array1<i64> = fsio::read_npy(&cond)?;
        Ok(embedding_info(id, &model, &dataset, &emb, condition.iter().map(|&c| c as usize).collect()))
    }

    fn analyze(&self, model: &str, p: &AnalysisParams) -> Result<AnalysisInfo> {
        self.inner.artifacts.check_room()?;
        let run = Run::read(&self.succeeded_run(model)?)?;
        let (a, record) = run.analyze(p)?;
        self.inner.artifacts.publish_dir(&run.dir)?;
        Ok(AnalysisInfo {
            condition_names: record.condition_names,
            condition_values: record.condition_values,
            condition_groups: record.condition_groups,
            matching: record.matching,
            condition_map_explained: record.condition_map_explained,
            colour_by: record.colour_by,
            model: model.into(),
            params: record.params,
            distances: rows(&a.distances.matrix),
            distance_kind: a.distances.kind,
            distance_method: a.distances.method.clone(),
            clusters: a.clusters.labels.clone(),
            centroids: rows(&a.clusters.centroids),
            histograms: rows(&a.histograms),
            condition_map: rows(&a.condition_map),
            view: rows(&a.view.points),
            view_index: a.view.index.clone(),
            view_method: a.view.method.clone(),
        })
    }

    fn decode(&self, model: &str, req: &DecodeRequest) -> Result<DecodeInfo> {
        self.inner.artifacts.check_room()?;
        let run = Run::read(&self.succeeded_run(model)?)?;
        let behaviour = req.behaviour.clone().into_array("behaviour")?;
        let run::DecodeOutcome { latents, baseline, transfer, written, .. } =
            run.decode_and_write(behaviour, req.groups.as_deref(), req.folds, "request")?;
        self.inner.artifacts.publish(&written)?;
        self.inner.artifacts.publish(&run.dir.join("decoding_predictions.npy"))?;
        Ok(DecodeInfo {
            r2: latents.r2,
            r2_mean: latents.r2_mean,
            baseline_r2: baseline.r2,
            baseline_r2_mean: baseline.r2_mean,
            grouped: latents.grouped,
            transfer,
        })
    }

    fn create_dataset_npz(
        &self,
        npz: &[u8],
        name: Option<&str>,
        params: Option<&crate::Params>,
    ) -> Result<DatasetInfo> {
        let conditions = io::read_npz_bytes(npz, "the uploaded body")?;
        self.create_dataset_from(&conditions, name.map(str::to_string), params.cloned())
    }

    fn create_dataset_npz_file(
        &self,
        path: &std::path::Path,
        name: Option<&str>,
        params: Option<&crate::Params>,
    ) -> Result<DatasetInfo> {
        // The stored file is written anew from the arrays (uncompressed, only the arrays it
        // needs), as from bytes; the given file stays the caller's.
        let conditions = io::read_npz(path)?;
        self.create_dataset_from(&conditions, name.map(str::to_string), params.cloned())
    }

    fn embedding_npy(&self, id: &str) -> Result<Vec<u8>> {
        self.inner.store.embedding(id)?;
        let (values, _) = self.inner.artifacts.embedding_files(id);
        self.inner.artifacts.fetch(&values)?;
        std::fs::read(&values).map_err(|e| Error::io("cannot read", &values, e))
    }

    fn model_array(&self, model: &str, array: RunArray) -> Result<Vec<u8>> {
        let path = self.succeeded_run(model)?.join(array.file());
        if !path.exists() {
            return Err(Error::NotFound { kind: "array", id: format!("{model}/{}", array.file()) });
        }
        std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))
    }

    fn readiness(&self) -> Result<Readiness> {
        let room = self.inner.artifacts.room()?;
        Ok(Readiness { writable: room.writable(), free_mib: room.free_mib, min_free_mib: room.min_free_mib })
    }

    fn plot(&self, model: &str, kind: PlotKind) -> Result<String> {
        let path = self.succeeded_run(model)?.join(kind.file());
        if !path.exists() {
            return Err(Error::NotFound { kind: "plot", id: format!("{model}/{}", kind.file()) });
        }
        std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))
    }
}
