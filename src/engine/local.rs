//! The in-process engine: the embedded store plus worker threads that run fits one at a
//! time (by default). The server wraps one of these.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use ndarray::Array2;

use super::store::Store;
use super::*;
use crate::analysis::{self, DecodeParams};
use crate::dataset::io;
use crate::model::store as files;
use crate::model::{Cancel, EpochReport, FitOptions, Observer};
use crate::progress::Silent;
use crate::run::Run;
use crate::{Dataset, ValidParams};

/// Settings of a [`LocalEngine`].
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// Folder of the store and artifacts.
    pub data_dir: PathBuf,
    /// Fits run at the same time.
    pub workers: usize,
    /// Jobs waiting at most; more are refused with [`Error::QueueFull`].
    pub max_queued: usize,
}

impl LocalOptions {
    /// Defaults: one worker, 16 queued jobs.
    pub fn new(data_dir: impl Into<PathBuf>) -> LocalOptions {
        LocalOptions { data_dir: data_dir.into(), workers: 1, max_queued: 16 }
    }
}

struct Inner {
    store: Store,
    queue: Mutex<VecDeque<String>>,
    wake: Condvar,
    cancels: Mutex<HashMap<String, Cancel>>,
    max_queued: usize,
    shutdown: AtomicBool,
}

/// The engine in this process. Cloning shares it.
#[derive(Clone)]
pub struct LocalEngine {
    inner: Arc<Inner>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }
}

struct JobObserver<'a> {
    store: &'a Store,
    id: &'a str,
}

impl Observer for JobObserver<'_> {
    fn epoch(&mut self, r: &EpochReport) {
        // Progress is advisory: a failed write must not stop training.
        let _ = self.store.set_progress(self.id, r.epoch + 1, r.train_loss, r.val_loss);
    }
}

impl LocalEngine {
    /// Open the store in `options.data_dir`, recover unfinished jobs and start the workers.
    /// A job that was running when the process stopped resumes from its last checkpoint
    /// (or starts again when it had none); its message says so.
    pub fn open(options: LocalOptions) -> Result<LocalEngine> {
        if options.workers == 0 {
            return Err(Error::argument("workers", "must be at least 1"));
        }
        let store = Store::open(&options.data_dir)?;
        let mut queue = VecDeque::new();
        for job in store.jobs_in(JobState::Running)? {
            let ck = store.run_dir(&job.id).join("checkpoint.json");
            let message = if ck.exists() {
                format!(
                    "the server stopped during epoch {}; resumed from the checkpoint of epoch {}",
                    job.epoch + 1,
                    job.epoch
                )
            } else {
                "the server stopped before the first checkpoint; started again".to_string()
            };
            store.set_state(&job.id, JobState::Queued, Some(&message))?;
            queue.push_back(job.id);
        }
        for job in store.jobs_in(JobState::Queued)? {
            if !queue.contains(&job.id) {
                queue.push_back(job.id);
            }
        }
        let engine = LocalEngine {
            inner: Arc::new(Inner {
                store,
                queue: Mutex::new(queue),
                wake: Condvar::new(),
                cancels: Mutex::new(HashMap::new()),
                max_queued: options.max_queued,
                shutdown: AtomicBool::new(false),
            }),
        };
        for _ in 0..options.workers {
            let weak = Arc::downgrade(&engine.inner);
            std::thread::spawn(move || worker(weak));
        }
        Ok(engine)
    }

    /// Store checked conditions as a dataset, building it once to validate and summarise.
    pub fn create_dataset_from(
        &self,
        conditions: crate::Conditions,
        name: Option<String>,
        params: Option<crate::Params>,
    ) -> Result<DatasetInfo> {
        let params = params.unwrap_or_default();
        let data = Dataset::build(&conditions, &params.clone().check()?, &Silent)?;
        let info = DatasetInfo { id: new_id("ds"), name, created: now(), params, summary: data.summary };
        let file = self.inner.store.dataset_file(&info.id);
        let tmp = file.with_extension("tmp");
        io::write_npz(&tmp, &conditions)?;
        std::fs::rename(&tmp, &file).map_err(|e| Error::io("cannot write", &file, e))?;
        self.inner.store.insert_dataset(&info)?;
        Ok(info)
    }

    /// The store (for the server's file downloads).
    pub fn store(&self) -> &Store {
        &self.inner.store
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
        Ok(self.inner.store.run_dir(model))
    }
}

fn worker(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let id = {
            let mut q = strong.queue.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if strong.shutdown.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(id) = q.pop_front() {
                    break id;
                }
                let (guard, _) = strong
                    .wake
                    .wait_timeout(q, std::time::Duration::from_millis(200))
                    .unwrap_or_else(|p| p.into_inner());
                q = guard;
                if Arc::strong_count(&strong) == 1 {
                    // Only this worker holds the engine: its users are gone.
                    return;
                }
            }
        };
        run_job(&strong, &id);
    }
}

fn run_job(inner: &Inner, id: &str) {
    let store = &inner.store;
    match store.job(id) {
        Ok(j) if j.state == JobState::Queued => {}
        _ => return,
    }
    let cancel = Cancel::new();
    inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), cancel.clone());
    let _ = store.set_state(id, JobState::Running, store.job(id).ok().and_then(|j| j.message).as_deref());
    let outcome = fit_job(store, id, &cancel);
    inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    let _ = match outcome {
        Ok(true) => store.set_state(id, JobState::Succeeded, None),
        Ok(false) => store.set_state(id, JobState::Cancelled, Some("cancelled by a user")),
        Err(e) => store.set_state(id, JobState::Failed, Some(&format!("{} ({})", e, e.code()))),
    };
}

/// Train, save and analyse; `Ok(false)` when cancelled.
fn fit_job(store: &Store, id: &str, cancel: &Cancel) -> Result<bool> {
    let job = store.job(id)?;
    let params = store.job_params(id)?;
    let conditions = io::read_npz(&store.dataset_file(&job.dataset))?;
    let valid = params.clone().check()?;
    let data = Dataset::build(&conditions, &valid, &Silent)?;
    let dir = store.run_dir(id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    let checkpoint = dir.join("checkpoint.json");
    let (resume, done) = if checkpoint.exists() && job.epoch > 0 {
        let ck: crate::model::train::Checkpoint = files::read_json(&checkpoint)?;
        (true, ck.epochs_done)
    } else {
        (false, 0)
    };
    let remaining = params.epochs.saturating_sub(done);
    let run_params: ValidParams = crate::Params { epochs: remaining, ..params.clone() }.check().unwrap_or(valid);
    let options = FitOptions { checkpoint_dir: Some(dir.clone()), resume, ..FitOptions::default() };
    let mut observer = JobObserver { store, id };
    let fitted = crate::model::fit(&data, &run_params, &options, &mut observer, cancel)?;
    if fitted.cancelled || cancel.is_cancelled() {
        return Ok(false);
    }
    let emb = fitted.model.transform(&data)?;
    files::save(&dir, &fitted.model, &params, &fitted.losses)?;
    Run::write_embedding(&dir, &data, &emb)?;
    let run = Run::read(&dir)?;
    let p = AnalysisParams::for_points(data.n_points());
    let a = analysis::analyze(run.embedding.view(), &run.condition, run.n_conditions(), &p)?;
    run.write_analysis(&a, &p)?;
    Ok(true)
}

fn embedding_info(id: &str, model: &str, dataset: &str, emb: &Array2<f32>, condition: Vec<usize>) -> EmbeddingInfo {
    EmbeddingInfo { id: id.into(), model: model.into(), dataset: dataset.into(), embedding: rows(emb), condition }
}

impl Engine for LocalEngine {
    fn create_dataset(&self, req: &NewDataset) -> Result<DatasetInfo> {
        let value = serde_json::json!({ "conditions": req.conditions });
        let conditions = io::conditions_from_json(&value, "conditions")?;
        self.create_dataset_from(conditions, req.name.clone(), req.params.clone())
    }

    fn list_datasets(&self) -> Result<Vec<DatasetInfo>> {
        self.inner.store.datasets()
    }

    fn dataset(&self, id: &str) -> Result<DatasetInfo> {
        self.inner.store.dataset(id)
    }

    fn delete_dataset(&self, id: &str) -> Result<()> {
        self.inner.store.delete_dataset(id)
    }

    fn start_fit(&self, req: &FitRequest) -> Result<JobInfo> {
        let dataset = self.inner.store.dataset(&req.dataset)?;
        let params = req.params.clone().unwrap_or(dataset.params);
        params.clone().check()?;
        let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= self.inner.max_queued {
            return Err(Error::QueueFull { queued: q.len() });
        }
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
        };
        self.inner.store.insert_job(&job, &params)?;
        q.push_back(job.id.clone());
        self.inner.wake.notify_one();
        Ok(job)
    }

    fn job(&self, id: &str) -> Result<JobInfo> {
        self.inner.store.job(id)
    }

    fn list_jobs(&self) -> Result<Vec<JobInfo>> {
        self.inner.store.jobs()
    }

    fn cancel_job(&self, id: &str) -> Result<JobInfo> {
        let job = self.inner.store.job(id)?;
        if job.state.is_terminal() {
            return Ok(job);
        }
        {
            let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(pos) = q.iter().position(|j| j == id) {
                q.remove(pos);
                self.inner.store.set_state(id, JobState::Cancelled, Some("cancelled by a user before it started"))?;
            }
        }
        if let Some(c) = self.inner.cancels.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            c.cancel();
        }
        self.inner.store.job(id)
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
        let dir = self.succeeded_run(&req.model)?;
        self.inner.store.dataset(&req.dataset)?;
        let (model, params) = files::load(&dir)?;
        let conditions = io::read_npz(&self.inner.store.dataset_file(&req.dataset))?;
        let data = Dataset::build(&conditions, &params.check()?, &Silent)?;
        // One row per kept input row: merged repeated anchors share their point's row.
        let rows = data.output_rows();
        let emb = rows.spread(&model.transform(&data)?);
        let condition = rows.condition;
        let id = new_id("emb");
        let (values, cond) = self.inner.store.embedding_files(&id);
        files::write_npy_f32(&values, &emb)?;
        files::write_npy_i64(&cond, &condition)?;
        self.inner.store.insert_embedding(&id, &req.model, &req.dataset)?;
        Ok(embedding_info(&id, &req.model, &req.dataset, &emb, condition))
    }

    fn embedding(&self, id: &str) -> Result<EmbeddingInfo> {
        let (model, dataset) = self.inner.store.embedding(id)?;
        let (values, cond) = self.inner.store.embedding_files(id);
        let read =
            |p: &std::path::Path| Error::ModelFile { path: p.to_path_buf(), message: "unreadable embedding".into() };
        let emb: Array2<f32> = ndarray_npy::read_npy(&values).map_err(|_| read(&values))?;
        let condition: ndarray::Array1<i64> = ndarray_npy::read_npy(&cond).map_err(|_| read(&cond))?;
        Ok(embedding_info(id, &model, &dataset, &emb, condition.iter().map(|&c| c as usize).collect()))
    }

    fn analyze(&self, model: &str, p: &AnalysisParams) -> Result<AnalysisInfo> {
        let run = Run::read(&self.succeeded_run(model)?)?;
        let a = analysis::analyze(run.embedding.view(), &run.condition, run.n_conditions(), p)?;
        let record = run.write_analysis(&a, p)?;
        Ok(AnalysisInfo {
            condition_names: record.condition_names,
            model: model.into(),
            params: p.clone(),
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
        let run = Run::read(&self.succeeded_run(model)?)?;
        let y = run.align(matrix(&req.behaviour, "behaviour")?, "behaviour")?;
        let groups = match &req.groups {
            None => None,
            Some(g) => {
                let col = Array2::from_shape_fn((g.len(), 1), |(i, _)| g[i] as f64);
                Some(run.align(col, "groups")?.iter().map(|&v| v as usize).collect::<Vec<_>>())
            }
        };
        let p = DecodeParams { folds: req.folds.unwrap_or(5), ..DecodeParams::default() };
        let (latents, baseline) = run.decode(&y, groups.as_deref(), &p)?;
        let baseline =
            baseline.ok_or_else(|| Error::Conflict("this run has no anchor.npy for the PCA baseline".into()))?;
        Ok(DecodeInfo {
            r2: latents.r2,
            r2_mean: latents.r2_mean,
            baseline_r2: baseline.r2,
            baseline_r2_mean: baseline.r2_mean,
            grouped: latents.grouped,
        })
    }

    fn plot(&self, model: &str, kind: PlotKind) -> Result<String> {
        let path = self.succeeded_run(model)?.join(kind.file());
        if !path.exists() {
            return Err(Error::NotFound { kind: "plot", id: format!("{model}/{}", kind.file()) });
        }
        std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))
    }
}
