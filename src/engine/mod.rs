//! The one API users program against. [`LocalEngine`] runs everything in-process (with the
//! same embedded store and job worker the server uses); [`HttpEngine`] speaks to `marble
//! serve` and returns the same types. A notebook switches between them with one line.
//!
//! Resources, in the order a user meets them: datasets (conditions plus the parameters to
//! build them), jobs (a fit of a dataset; its model has the job's id), embeddings (a model
//! applied to a dataset), analyses (distances, clusters, 2-D views), decodings and plots.

pub(crate) mod artifacts;
pub(crate) mod http;
pub(crate) mod local;
pub(crate) mod lock;
pub(crate) mod store;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use http::HttpEngine;
pub use local::{LocalEngine, LocalOptions};

pub use crate::plot::PlotKind;

/// The defaults of a deployment, written once: [`LocalOptions::new`],
/// [`crate::server::ServerOptions::new`], the notebook's `engine!()` and the flags of `marble
/// serve` and `marble worker` all take them from here.
pub mod defaults {
    /// The data folder (artifacts and the SQLite store) when none is named.
    pub const DATA_DIR: &str = "marble-data";
    /// Fits run at the same time in one process.
    pub const WORKERS: usize = 1;
    /// Jobs that may wait; more are refused (429 over HTTP).
    pub const MAX_QUEUED: usize = 16;
    /// Seconds a claimed job stays its worker's without a heartbeat.
    pub const LEASE_S: f64 = 30.0;
    /// Milliseconds between idle workers' looks for jobs queued by other processes.
    pub const POLL_MS: u64 = 500;
    /// Writes are refused while the data folder's disk has less free space than this, MiB.
    pub const MIN_FREE_MIB: u64 = 64;
    /// Largest request body, MiB: an .npz upload, which the server streams to the data
    /// folder, so this bounds disk, not memory.
    pub const MAX_BODY_MIB: usize = 4096;
    /// Largest JSON body, MiB (a JSON upload is read whole into memory; at most
    /// [`MAX_BODY_MIB`] too).
    pub const MAX_JSON_MIB: usize = 512;
    /// Request timeout, seconds (event streams excepted).
    pub const TIMEOUT_S: u64 = 600;
    /// After SIGTERM, seconds the server waits for requests in flight before it stops.
    pub const SHUTDOWN_TIMEOUT_S: u64 = 30;
}

use crate::analysis::{AnalysisParams, DistanceKind};
use crate::dataset::Summary;
use crate::error::{Error, Result};
use crate::model::Losses;
use crate::params::Params;

pub use crate::dataset::io::{ConditionData, Rows};
pub use crate::run::RunArray;

/// A new dataset: conditions as arrays, and the parameters that build (and later fit) it.
/// What every way in gives the engine: the REST API's JSON body and `.npz` upload, files
/// the CLI reads, and arrays from Rust or Python, all validated by [`crate::Conditions`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "NewDatasetJson", into = "NewDatasetJson")]
pub struct NewDataset {
    /// A name for listings.
    pub name: Option<String>,
    /// The conditions, validated.
    pub conditions: crate::Conditions,
    /// Parameters (defaults for missing keys).
    pub params: Option<Params>,
}

impl NewDataset {
    /// A request that takes the conditions over: their arrays reach the build uncopied.
    pub fn new(name: Option<&str>, conditions: crate::Conditions, params: Option<Params>) -> NewDataset {
        NewDataset { name: name.map(str::to_string), conditions, params }
    }

    /// A request from borrowed conditions (one copy of their arrays; [`NewDataset::new`]
    /// makes none).
    pub fn from_conditions(name: Option<&str>, conditions: &crate::Conditions, params: Option<Params>) -> NewDataset {
        NewDataset::new(name, conditions.clone(), params)
    }
}

// The JSON form of `NewDataset`: the REST API's JSON body, read by serde straight into
// flat arrays (no JSON value per number).
/// A new dataset: conditions and the parameters that build (and later fit) it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NewDataset)]
#[serde(deny_unknown_fields)]
pub struct NewDatasetJson {
    /// A name for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The conditions.
    #[schema(min_items = 1)]
    pub conditions: Vec<ConditionData>,
    // Kept as JSON, so that the server reads them as it reads every parameter object.
    /// Parameters (defaults for missing keys; unknown keys are errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Params>)]
    pub params: Option<serde_json::Value>,
}

impl TryFrom<NewDatasetJson> for NewDataset {
    type Error = Error;
    fn try_from(j: NewDatasetJson) -> Result<NewDataset> {
        let params = j
            .params
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| Error::ParamsParse { source_name: "params".into(), message: e.to_string() })?;
        let conditions = crate::dataset::io::conditions_from_data(j.conditions, "conditions")?;
        Ok(NewDataset { name: j.name, conditions, params })
    }
}

impl From<NewDataset> for NewDatasetJson {
    fn from(d: NewDataset) -> NewDatasetJson {
        NewDatasetJson {
            name: d.name,
            conditions: d.conditions.as_slice().iter().map(ConditionData::from_condition).collect(),
            params: d.params.map(|p| serde_json::to_value(p).expect("parameters are plain data")),
        }
    }
}

/// A stored dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasetInfo {
    /// Id.
    pub id: String,
    /// Name given at creation.
    pub name: Option<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created: u64,
    /// The parameters it was built with.
    pub params: Params,
    /// What stage 1 found.
    pub summary: Summary,
}

/// Start a fit of a dataset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// The dataset's id.
    pub dataset: String,
    /// Parameters; the dataset's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
}

/// State of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Training.
    Running,
    /// Finished; its model is available.
    Succeeded,
    /// Stopped with an error (see `error`).
    Failed,
    /// Cancelled by a user.
    Cancelled,
}

impl JobState {
    /// Whether the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state a store wrote as [`JobState::as_str`]; anything else is a damaged store,
    /// said as such rather than read as a failed job.
    pub(crate) fn parse(s: &str) -> Result<JobState> {
        [JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled]
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| Error::ModelFile {
                path: std::path::PathBuf::from("store"),
                message: format!("unknown job state `{s}`; expected queued, running, succeeded, failed or cancelled"),
            })
    }
}

/// A fit job and its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobInfo {
    /// Id (also the id of the model it makes).
    pub id: String,
    /// The dataset being fitted.
    pub dataset: String,
    /// State.
    pub state: JobState,
    /// Epochs finished.
    pub epoch: usize,
    /// Epochs asked for.
    pub epochs: usize,
    /// Latest training loss.
    pub train_loss: Option<f64>,
    /// Latest validation loss.
    pub val_loss: Option<f64>,
    /// Why it failed, or how it was recovered after a restart.
    pub message: Option<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created: u64,
    /// The worker holding the job, or that held it last (`host-pid-n`), once claimed.
    #[serde(default)]
    pub worker: Option<String>,
    /// Times a worker claimed it: more than 1 after a takeover or a restart.
    #[serde(default)]
    pub attempts: usize,
}

/// A trained model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// Id (the job's).
    pub id: String,
    /// The dataset it was trained on.
    pub dataset: String,
    /// Parameters it was trained with.
    pub params: Params,
    /// Loss curves.
    pub losses: Losses,
    /// Learned diffusion time.
    pub diffusion_time: f64,
}

/// An embedding: latents of every point of a dataset under a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EmbeddingInfo {
    /// Id.
    pub id: String,
    /// Model used.
    pub model: String,
    /// Dataset embedded.
    pub dataset: String,
    /// Latents, one row per point.
    pub embedding: Vec<Vec<f32>>,
    /// Condition of each point.
    pub condition: Vec<usize>,
}

/// Embed a dataset with a model.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransformRequest {
    /// The model (a finished job's id).
    pub model: String,
    /// The dataset to embed.
    pub dataset: String,
}

/// Whether an engine accepts writes (uploads, fits, transforms, analyses): `GET /readyz`'s
/// body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// Whether writes are accepted now.
    pub writable: bool,
    /// Free space of the data folder's disk, MiB.
    pub free_mib: u64,
    /// Writes are refused below this, MiB (`--min-free-mib`).
    pub min_free_mib: u64,
}

/// The analysis of a model's training embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AnalysisInfo {
    /// The model analysed.
    pub model: String,
    /// Parameters used.
    pub params: AnalysisParams,
    /// Distances between conditions (C x C).
    pub distances: Vec<Vec<f64>>,
    /// What the distances compare.
    pub distance_kind: DistanceKind,
    /// "exact" or the approximation used.
    pub distance_method: String,
    /// k-means cluster of each point.
    pub clusters: Vec<usize>,
    /// Cluster centroids (K x out_channels).
    pub centroids: Vec<Vec<f64>>,
    /// Points per condition and cluster (C x K).
    pub histograms: Vec<Vec<f64>>,
    /// The conditions in 2-D by classical MDS of the distances (C x 2).
    pub condition_map: Vec<Vec<f64>>,
    /// Fraction of the distances' variance along each of the two axes of `condition_map`
    /// (positive eigenvalues of the doubly centred squared distances).
    #[serde(default)]
    pub condition_map_explained: Vec<f64>,
    /// 2-D view of the points (m x 2).
    pub view: Vec<Vec<f64>>,
    /// Rows shown in `view`.
    pub view_index: Vec<usize>,
    /// How `view` was made.
    pub view_method: String,
    /// The name of each condition, in the order of the rows of `distances` (the
    /// dataset's names; "condition c" for an unnamed one).
    #[serde(default)]
    pub condition_names: Vec<String>,
    /// The value of each condition (e.g. mu), in the same order; null for a condition
    /// without one.
    #[serde(default)]
    pub condition_values: Vec<Option<f64>>,
    /// The group (animal, session or network) of each condition, in the same order, when
    /// the conditions were given groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_groups: Option<Vec<String>>,
    /// With two or more groups: each condition's nearest condition in every other group by
    /// `distances`, and how often it carries the same value (or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<crate::analysis::Matching>,
    /// What the embedding and vector-field figures were coloured by instead of the
    /// conditions (the request's `colour_by_name`), when the request gave `colour_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_by: Option<String>,
}

/// Decode behaviour from a model's latents.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecodeRequest {
    /// Behaviour, one row per point (or per input row).
    #[schema(value_type = Vec<Vec<f64>>, min_items = 1)]
    pub behaviour: Rows,
    /// Cross-validation groups (trial ids), one per row of `behaviour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<usize>>,
    /// Folds (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 2)]
    pub folds: Option<usize>,
}

/// Cross-validated R^2 from the latents and from the PCA baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecodeInfo {
    /// R^2 per behaviour column from the latents.
    pub r2: Vec<f64>,
    /// Mean of `r2`.
    pub r2_mean: f64,
    /// R^2 per column from PCA of the input at the latents' dimension.
    pub baseline_r2: Vec<f64>,
    /// Mean of `baseline_r2`.
    pub baseline_r2_mean: f64,
    /// Whether folds followed the groups.
    pub grouped: bool,
    /// With two or more groups of conditions (animals, sessions): decoders trained on one
    /// group's latents and scored on another's behaviour, against the same transfer on
    /// each group's own PCA, and cross-validated decoding within each group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<crate::analysis::TransferDecoding>,
}

/// The MARBLE pipeline as a service: in-process ([`LocalEngine`]) or over HTTP
/// ([`HttpEngine`]), with the same types and errors.
pub trait Engine: Send + Sync {
    /// Store conditions and build the dataset (stage 1) to check them and summarise.
    fn create_dataset(&self, req: &NewDataset) -> Result<DatasetInfo>;
    /// All datasets, newest first.
    fn list_datasets(&self) -> Result<Vec<DatasetInfo>>;
    /// One dataset.
    fn dataset(&self, id: &str) -> Result<DatasetInfo>;
    /// Delete a dataset (refused while a job uses it).
    fn delete_dataset(&self, id: &str) -> Result<()>;
    /// Queue a fit; returns at once.
    fn start_fit(&self, req: &FitRequest) -> Result<JobInfo>;
    /// One job.
    fn job(&self, id: &str) -> Result<JobInfo>;
    /// All jobs, newest first.
    fn list_jobs(&self) -> Result<Vec<JobInfo>>;
    /// Ask a job to stop (it stops between batches).
    fn cancel_job(&self, id: &str) -> Result<JobInfo>;
    /// Queue a failed or cancelled job again; it resumes from its last checkpoint (a fit
    /// stopped by a full disk, once space is freed).
    fn resume_job(&self, id: &str) -> Result<JobInfo>;
    /// A trained model.
    fn model(&self, id: &str) -> Result<ModelInfo>;
    /// The model's weights as the `model.npz` file.
    fn model_weights(&self, id: &str) -> Result<Vec<u8>>;
    /// Embed a dataset with a model, and keep the result.
    fn transform(&self, req: &TransformRequest) -> Result<EmbeddingInfo>;
    /// A kept embedding.
    fn embedding(&self, id: &str) -> Result<EmbeddingInfo>;
    /// Analyse a model's training embedding (and refresh its figures; `params.colour_by`
    /// colours the embedding and vector-field figures by a per-point variable).
    fn analyze(&self, model: &str, params: &AnalysisParams) -> Result<AnalysisInfo>;
    /// Decode behaviour from a model's latents, against the PCA baseline.
    fn decode(&self, model: &str, req: &DecodeRequest) -> Result<DecodeInfo>;
    /// A figure of a model, as SVG text.
    fn plot(&self, model: &str, kind: PlotKind) -> Result<String>;
    /// Store a dataset from the bytes of an .npz (`anchor_<c>` and `vector_<c>`, or
    /// `trajectory_<c>_<j>`, with optional `label_<c>`, `mask_<c>`, `name_<c>` and
    /// `value_<c>`), as `POST /v1/datasets` with `application/octet-stream` does: the arrays
    /// arrive as bytes, never as JSON numbers.
    fn create_dataset_npz(&self, npz: &[u8], name: Option<&str>, params: Option<&Params>) -> Result<DatasetInfo>;
    /// Store a dataset from an .npz that is already a file (as [`Engine::create_dataset_npz`]),
    /// never holding its bytes in memory: [`LocalEngine`] reads the arrays from the file and
    /// [`HttpEngine`] streams it as the request body. The file is left as it is; messages
    /// about its content name it by `path`.
    fn create_dataset_npz_file(
        &self,
        path: &std::path::Path,
        name: Option<&str>,
        params: Option<&Params>,
    ) -> Result<DatasetInfo>;
    /// A kept embedding's latents as the bytes of an .npy (float32, n x out_channels), as
    /// `GET /v1/embeddings/{id}?format=npy`.
    fn embedding_npy(&self, id: &str) -> Result<Vec<u8>>;
    /// One array of a model's run folder as the bytes of its `.npy` (embedding, distances,
    /// clusters, 2-D view, decoding predictions, ...), as
    /// `GET /v1/models/{id}/arrays/{name}`: results as arrays, never as JSON numbers.
    fn model_array(&self, model: &str, array: RunArray) -> Result<Vec<u8>>;
    /// Whether writes are accepted now: the data folder's free space against its floor, as
    /// `GET /readyz` reports it.
    fn readiness(&self) -> Result<Readiness>;

    /// Poll a job until it is terminal or `timeout` passes.
    fn wait(&self, id: &str, timeout: Duration) -> Result<JobInfo> {
        let start = Instant::now();
        loop {
            let job = self.job(id)?;
            if job.state.is_terminal() {
                return Ok(job);
            }
            if start.elapsed() > timeout {
                return Err(Error::Timeout {
                    what: format!("job {id} is still {}", job.state.as_str()),
                    seconds: timeout.as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub(crate) fn new_id(prefix: &str) -> String {
    use rand::Rng;
    let bits: u64 = rand::rng().random();
    format!("{prefix}_{bits:016x}")
}

pub(crate) fn rows<T: Clone>(a: &ndarray::Array2<T>) -> Vec<Vec<T>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}
