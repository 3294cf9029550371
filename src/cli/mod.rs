//! The commands of `marble`, one file each, over the library (the same functions the engine
//! calls); what several commands share is here: the input, store and analysis flags, the
//! progress bars and `say!`.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use marble::analysis::{AnalysisParams, DistanceKind, EmbedMethod};
use marble::dataset::io;
use marble::engine::defaults;
use marble::progress::Progress;
use marble::{Conditions, Params, ValidParams, examples};

/// Print to stdout, quietly stopping when the reader has gone (e.g. `marble ... | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub mod analyze;
pub mod bench;
pub mod dataset;
pub mod doctor;
pub mod example;
pub mod fit;
pub mod kernel;
pub mod log;
pub mod openapi;
pub mod prepare;
pub mod serve;
pub mod transform;
pub mod worker;

#[derive(clap::Args)]
pub struct DataArgs {
    /// Input: an .npz, .json or .csv file (repeat --data for one CSV per condition), or the
    /// anchors .npy of a pair (with --vectors).
    #[arg(long, required_unless_present = "example", conflicts_with = "example")]
    data: Vec<PathBuf>,
    /// Use a built-in example instead of a file (see `marble example --list`).
    #[arg(long)]
    example: Option<String>,
    /// Vectors .npy file, when --data is an anchors .npy file.
    #[arg(long)]
    vectors: Option<PathBuf>,
    /// Leading columns that are anchors, for CSV files without a header.
    #[arg(long)]
    anchor_dim: Option<usize>,
    /// Parameters, as a .json or .toml file.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Names of the conditions, in order, comma-separated or repeated (`--names "mu = -1"
    /// --names "mu = 1"`); they replace names from the input (`name_<c>` in .npz, `name`
    /// in JSON, the file stem of a CSV) in figures, tables and analysis.json.
    #[arg(long, value_delimiter = ',')]
    names: Vec<String>,
    /// Values of the conditions, in order, comma-separated (`--values -1,-0.5,0,0.5,1`): the
    /// number each was recorded under (mu, a gain, a reach angle). They replace values from
    /// the input (`value_<c>` in .npz, `value` in JSON), are kept in summary.json and
    /// analysis.json, and colour the conditions on a continuous scale in the figures.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    values: Vec<f64>,
    /// Groups of the conditions, in order, comma-separated (`--groups-of-conditions
    /// mihi,mihi,chewie,chewie`): the animal, session or network each was recorded in. They
    /// replace groups from the input (`group_<c>` in .npz, `group` in JSON), are kept in
    /// summary.json and analysis.json, mark the groups in the figures, and make the analysis
    /// compare the groups (matching conditions across them). Groups recorded in different
    /// dimensions (neuron counts) go through `marble prepare` first.
    #[arg(long, value_delimiter = ',')]
    groups_of_conditions: Vec<String>,
}

impl DataArgs {
    /// The conditions of the input, renamed by --names and valued by --values.
    fn conditions(&self) -> Result<Conditions> {
        let mut conds = self.read()?;
        if !self.names.is_empty() {
            conds = conds.with_names(&self.names)?;
        }
        if !self.values.is_empty() {
            conds = conds.with_values(&self.values)?;
        }
        if !self.groups_of_conditions.is_empty() {
            conds = conds.with_groups(&self.groups_of_conditions)?;
        }
        Ok(conds)
    }

    fn read(&self) -> Result<Conditions> {
        if let Some(name) = &self.example {
            return Ok(examples::by_name(name, None, 0)?);
        }
        Ok(io::read_input(&self.data, self.vectors.as_deref(), self.anchor_dim)?)
    }

    /// The checked parameters of --params, or the defaults.
    fn params(&self) -> Result<ValidParams> {
        let p = match &self.params {
            Some(p) => Params::from_file(p)?,
            None => Params::default(),
        };
        Ok(p.check()?)
    }
}

#[derive(clap::Args)]
pub struct StoreArgs {
    /// Folder of the artifacts (datasets, runs, embeddings), and of the SQLite store: with
    /// several machines, a folder all of them mount.
    #[arg(long, default_value = defaults::DATA_DIR)]
    data_dir: PathBuf,
    /// The job and dataset store: a postgres://USER@HOST:PORT/DB URL shared by several
    /// processes, or SQLite in --data-dir when absent.
    #[arg(long, env = "MARBLE_STORE")]
    store: Option<String>,
    /// Keep the artifacts in an S3-compatible object store, s3://BUCKET/PREFIX (endpoint and
    /// credentials from AWS_* variables), with --data-dir as this process's local copy: then
    /// the machines need no shared folder.
    #[arg(long, env = "MARBLE_ARTIFACTS")]
    artifacts: Option<String>,
    /// Seconds a fit stays its worker's without a heartbeat; a dead worker's fit is taken
    /// over after this.
    #[arg(long, default_value_t = defaults::LEASE_S)]
    lease_s: f64,
    /// Refuse writes (uploads, fits, transforms, analyses) with 507 while the data folder's
    /// disk has less free space than this, MiB; reads and deletes still work.
    #[arg(long, default_value_t = defaults::MIN_FREE_MIB)]
    min_free_mib: u64,
}

impl StoreArgs {
    fn engine(&self, workers: usize) -> Result<marble::engine::LocalOptions> {
        if !(self.lease_s.is_finite() && self.lease_s > 0.0) {
            bail!("--lease-s must be a positive number of seconds");
        }
        let mut o = marble::engine::LocalOptions::new(&self.data_dir);
        o.store = self.store.clone();
        o.artifacts = self.artifacts.clone();
        o.workers = workers;
        o.lease = std::time::Duration::from_secs_f64(self.lease_s);
        o.min_free_mib = self.min_free_mib;
        Ok(o)
    }

    fn artifacts_place(&self) -> String {
        match &self.artifacts {
            Some(url) => format!("{url}, local copy in {}", self.data_dir.display()),
            None => self.data_dir.display().to_string(),
        }
    }

    fn describe(&self) -> String {
        match &self.store {
            Some(url) => {
                format!(
                    "store: {} (artifacts in {})",
                    marble::internals::engine::store::redact(url),
                    self.artifacts_place()
                )
            }
            None => format!("store: {}", self.artifacts_place()),
        }
    }
}

#[derive(clap::Args)]
pub struct AnalysisArgs {
    /// k-means clusters (default 15, capped at the number of points).
    #[arg(long)]
    clusters: Option<usize>,
    /// Distances between conditions: `points` (optimal transport between the point clouds,
    /// the default) or `clusters` (between cluster histograms, with transport plans).
    #[arg(long)]
    distance: Option<String>,
    /// 2-D view of the embedding: `umap` (default) or `pca`.
    #[arg(long)]
    view: Option<String>,
    /// Analysis parameters as a .json or .toml file (keys of AnalysisParams); the flags
    /// above override it.
    #[arg(long)]
    analysis_params: Option<PathBuf>,
}

/// The analysis the flags ask for, read and checked before any work.
struct AnalysisChoice {
    file: Option<AnalysisParams>,
    clusters: Option<usize>,
    distance: Option<DistanceKind>,
    view: Option<EmbedMethod>,
}

impl AnalysisArgs {
    fn choice(&self) -> Result<AnalysisChoice> {
        fn choice<T: serde::de::DeserializeOwned>(flag: &str, value: &str, choices: &str) -> Result<T> {
            serde_json::from_value(serde_json::Value::String(value.to_string()))
                .map_err(|_| anyhow::anyhow!("--{flag} {value}: choose one of {choices}"))
        }
        Ok(AnalysisChoice {
            file: self.analysis_params.as_deref().map(marble::params::read_settings).transpose()?,
            clusters: self.clusters,
            distance: self.distance.as_deref().map(|d| choice("distance", d, "points, clusters")).transpose()?,
            view: self.view.as_deref().map(|v| choice("view", v, "umap, pca")).transpose()?,
        })
    }
}

impl AnalysisChoice {
    /// The parameters for `n_points` points: the file's, or the defaults for that many
    /// points, with the flags over them.
    fn params(&self, n_points: usize) -> AnalysisParams {
        let mut p = self.file.clone().unwrap_or_else(|| AnalysisParams::for_points(n_points));
        if let Some(k) = self.clusters {
            p.n_clusters = k;
        }
        if let Some(d) = self.distance {
            p.distance = d;
        }
        if let Some(v) = self.view {
            p.embed = v;
        }
        p
    }
}

/// Progress bars on stderr, one per step.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        Bars { bar: Mutex::new(None) }
    }
}

impl Progress for Bars {
    fn begin(&self, step: &str, total: u64) {
        let bar = if total > 0 { ProgressBar::new(total) } else { ProgressBar::new_spinner() };
        bar.set_style(
            ProgressStyle::with_template("{msg:>20} [{bar:30}] {pos}/{len} {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(step.to_string());
        *self.bar.lock().expect("progress lock") = Some(bar);
    }
    fn advance(&self, n: u64) {
        if let Some(b) = self.bar.lock().expect("progress lock").as_ref() {
            b.inc(n);
        }
    }
    fn end(&self, _step: &str, _seconds: f64) {
        if let Some(b) = self.bar.lock().expect("progress lock").take() {
            b.finish_and_clear();
        }
    }
}

/// An error and its causes, each said once: a cause whose text the message before it
/// already holds (an OS error our message quotes) is left out.
pub fn causes(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_cause_is_said_once() {
        let os = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = anyhow::Error::new(std::io::Error::new(os.kind(), os.to_string())).context("cannot read x.npz");
        let e = e.context(format!("cannot read x.npz: {os}"));
        assert_eq!(super::causes(&e), format!("cannot read x.npz: {os}"));
        let distinct = anyhow::anyhow!("disk full").context("cannot save the model");
        assert_eq!(super::causes(&distinct), "cannot save the model: disk full");
    }
}
