//! The `marble` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use marble::analysis::{self, AnalysisParams};
use marble::dataset::io;
use marble::progress::Progress;
use marble::run::Run;
use marble::{Conditions, Dataset, Params, examples};

#[derive(Parser)]
#[command(name = "marble", version, about = "MARBLE: latent representations of dynamics on manifolds")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DataArgs {
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
}

#[derive(clap::Args)]
struct StoreArgs {
    /// Folder of the artifacts (datasets, runs, embeddings), and of the SQLite store: with
    /// several machines, a folder all of them mount.
    #[arg(long, default_value = "marble-data")]
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
    #[arg(long, default_value_t = 30.0)]
    lease_s: f64,
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
                format!("store: {} (artifacts in {})", marble::engine::store::redact(url), self.artifacts_place())
            }
            None => format!("store: {}", self.artifacts_place()),
        }
    }
}

#[derive(clap::Args)]
struct AnalysisArgs {
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

#[derive(Subcommand)]
enum Command {
    /// Write an example input (seeded) as .npz.
    Example {
        /// Example name (see --list).
        name: Option<String>,
        /// Output file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Points per condition (trajectories per mu for vanderpol).
        #[arg(long)]
        n: Option<usize>,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// List the examples.
        #[arg(long)]
        list: bool,
    },
    /// Build the dataset (stage 1), print a summary and write DIR/summary.json and
    /// DIR/dataset.npz.
    Dataset {
        #[command(flatten)]
        input: DataArgs,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Build the dataset and train a network (stages 1-3); write the embedding, the
    /// model and its losses to DIR.
    Fit {
        #[command(flatten)]
        input: DataArgs,
        /// Output folder: embedding.npy, condition.npy, sample_index.npy, anchor.npy,
        /// vector.npy, summary.json, params.json, losses.json, model.json, model.npz,
        /// checkpoint.json, and the analysis (distances.npy, clusters.npy, *.svg, ...).
        #[arg(long)]
        out: PathBuf,
        /// Continue from DIR/checkpoint.json for `epochs` more epochs.
        #[arg(long)]
        resume: bool,
        /// Skip the analysis (distances.npy, clusters.npy, figures) after training.
        #[arg(long, conflicts_with_all = ["clusters", "distance", "view", "analysis_params"])]
        no_analysis: bool,
        #[command(flatten)]
        analysis: AnalysisArgs,
    },
    /// Analyse a fitted run again: clusters, distances between conditions, 2-D views and
    /// figures, and (with --behaviour) linear decoding against a PCA baseline.
    Analyze {
        /// Folder written by `marble fit`.
        #[arg(long)]
        run: PathBuf,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// Behaviour to decode (.npy or .csv with a header): one row per point, or one row
        /// per input row of all conditions stacked.
        #[arg(long)]
        behaviour: Option<PathBuf>,
        /// Cross-validation groups: `condition`, or an integer .npy/.csv (trial ids) aligned
        /// like --behaviour. Without it, folds are contiguous blocks of rows.
        #[arg(long)]
        groups: Option<String>,
        /// Cross-validation folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
    /// Embed a dataset with a trained model.
    Transform {
        /// Folder written by `marble fit`.
        #[arg(long)]
        model: PathBuf,
        #[command(flatten)]
        input: DataArgs,
        /// Output .npy (n x out_channels, float32).
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve the REST API (OpenAPI at /openapi.json, docs at /docs) with an embedded store.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        store: StoreArgs,
        /// Fits run at the same time in this process; 0 serves the API only (with
        /// `marble worker` processes on the same store running the fits).
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Jobs that may wait; more get 429.
        #[arg(long, default_value_t = 16)]
        max_queued: usize,
        /// Largest request body, MiB.
        #[arg(long, default_value_t = 512)]
        max_body_mib: usize,
        /// Request timeout, seconds (event streams excepted).
        #[arg(long, default_value_t = 600)]
        timeout_s: u64,
    },
    /// Run fits queued on a shared store, without serving the API (see README, "More than
    /// one machine"). Stops on Ctrl-C or SIGTERM; a fit it was running is taken over by
    /// another worker when its lease expires.
    Worker {
        #[command(flatten)]
        store: StoreArgs,
        /// Fits run at the same time in this process.
        #[arg(long, default_value_t = 1)]
        workers: usize,
    },
    /// Print the OpenAPI document of the REST API.
    Openapi,
    /// The Jupyter kernel "MARBLE (Rust)" (evcxr with this crate preloaded).
    Kernel {
        #[command(subcommand)]
        what: KernelCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum KernelCommand {
    /// Install the kernel spec (needs `cargo install evcxr_jupyter --locked` and Jupyter).
    Install {
        /// Into the user's Jupyter folder (the default).
        #[arg(long, conflicts_with = "prefix")]
        user: bool,
        /// Into PREFIX/share/jupyter (e.g. a virtual environment).
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// The marble source folder the kernel loads (default: this build's).
        #[arg(long)]
        crate_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Time and peak memory of dataset construction on 2-manifolds in R^3 (local frames)
    /// and R^5 (global frames), each size in a fresh process.
    Dataset {
        /// Points per condition.
        #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 4000, 16000, 64000])]
        sizes: Vec<usize>,
        /// Number of conditions.
        #[arg(long, default_value_t = 4)]
        conditions: usize,
        /// Surfaces: r3 (local frames), r5 (global frames).
        #[arg(long, value_delimiter = ',', default_values_t = ["r3".to_string(), "r5".to_string()])]
        surfaces: Vec<String>,
        /// Also write the table as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Train on an example and print one JSON line: mean epoch time, the device, and how
    /// well the embedding separates the conditions (5-nearest-neighbour accuracy).
    Fit {
        /// A named workload, which sets the example, its size and the parameters:
        /// `reaching` (8 x 2,200 points in R^5, k = 30, delta = 1.5, order 2, hidden 100,
        /// out 3, the macaque settings), `planar-512`, `planar-16k`, `planar-250k` (4 planar
        /// fields of that many points each, default parameters with out_channels 5).
        #[arg(long, conflicts_with_all = ["example", "n"])]
        workload: Option<String>,
        /// Example name (see `marble example --list`).
        #[arg(long, default_value = "planar-fields")]
        example: String,
        /// Points per condition.
        #[arg(long, default_value_t = 16000)]
        n: usize,
        /// Parameters file (.json or .toml); `--epochs`, `--order` and `--batch-size`
        /// override it.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Epochs.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// Derivative order of the features (default: the workload's, else 2).
        #[arg(long)]
        order: Option<usize>,
        /// Batch size (default: the parameters').
        #[arg(long)]
        batch_size: Option<usize>,
    },
    /// One run of the dataset benchmark (used by `bench dataset`; prints one JSON line).
    #[command(hide = true)]
    DatasetRun {
        #[arg(long)]
        surface: String,
        #[arg(long)]
        n: usize,
        #[arg(long)]
        conditions: usize,
    },
}

/// Progress bars on stderr, one per step.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
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

/// Print to stdout, quietly stopping when the reader has gone (e.g. `marble ... | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

fn read_input(args: &DataArgs) -> Result<Conditions> {
    let conds = read_conditions(args)?;
    if args.names.is_empty() {
        return Ok(conds);
    }
    Ok(conds.with_names(&args.names)?)
}

fn read_conditions(args: &DataArgs) -> Result<Conditions> {
    if let Some(name) = &args.example {
        return Ok(examples::by_name(name, None, 0)?);
    }
    let first = &args.data[0];
    let ext = first.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let conds = match (ext.as_str(), &args.vectors) {
        ("npy", Some(v)) => io::read_npy_pair(first, v)?,
        (_, Some(_)) => bail!("--vectors goes with an anchors .npy file in --data"),
        ("csv", None) => io::read_csv(&args.data, args.anchor_dim)?,
        _ if args.data.len() > 1 => bail!("several --data files are read only as CSV, one per condition"),
        _ => io::read_conditions(first)?,
    };
    Ok(conds)
}

fn read_params(path: Option<&Path>) -> Result<marble::ValidParams> {
    let p = match path {
        Some(p) => Params::from_file(p)?,
        None => Params::default(),
    };
    Ok(p.check()?)
}

fn write_dataset_npz(path: &Path, d: &Dataset) -> Result<()> {
    use ndarray::{Array1, Array2};
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut npz = ndarray_npy::NpzWriter::new_compressed(file);
    npz.add_array("anchor", &d.anchor)?;
    npz.add_array("vector", &d.vector)?;
    npz.add_array("label", &d.label)?;
    npz.add_array("mask", &d.mask)?;
    npz.add_array("condition", &Array1::from_iter(d.condition.iter().map(|&c| c as i64)))?;
    npz.add_array("sample_index", &Array1::from_iter(d.sample_index.iter().map(|&c| c as i64)))?;
    let split = Array1::from_iter(d.split.iter().map(|s| match s {
        marble::dataset::Split::Train => 0u8,
        marble::dataset::Split::Val => 1,
        marble::dataset::Split::Test => 2,
    }));
    npz.add_array("split", &split)?;
    let a = &d.adjacency;
    let mut edges = Array2::<i64>::zeros((2, a.nnz()));
    for i in 0..a.n_rows {
        for e in a.indptr[i]..a.indptr[i + 1] {
            edges[[0, e]] = i as i64;
            edges[[1, e]] = a.indices[e] as i64;
        }
    }
    npz.add_array("edge_index", &edges)?;
    npz.add_array("edge_weight", &Array1::from_vec(a.values.clone()))?;
    for (c, sp) in d.spectra.iter().flatten().enumerate() {
        npz.add_array(format!("eigenvalues_{c}"), &Array1::from_vec(sp.values.clone()))?;
    }
    if let marble::geometry::frames::Frames::Local(f) = &d.frames {
        npz.add_array("gauges", f)?;
    }
    npz.finish()?;
    Ok(())
}

/// Shows training progress: one bar over epochs, with the latest losses and learning rate.
struct TrainBar {
    bar: ProgressBar,
}

impl marble::model::Observer for TrainBar {
    fn epoch(&mut self, r: &marble::model::EpochReport) {
        self.bar.set_message(format!(
            "epoch {} train {:.4} val {:.4} lr {:.2e} t {:.3}{}",
            r.epoch,
            r.train_loss,
            r.val_loss,
            r.lr,
            r.diffusion_time,
            if r.best { " *" } else { "" }
        ));
        self.bar.inc(1);
    }
}

fn analysis_params(args: &AnalysisArgs, n_points: usize) -> Result<AnalysisParams> {
    fn choice<T: serde::de::DeserializeOwned>(flag: &str, value: &str, choices: &str) -> Result<T> {
        serde_json::from_value(serde_json::Value::String(value.to_string()))
            .map_err(|_| anyhow::anyhow!("--{flag} {value}: choose one of {choices}"))
    }
    let mut p = match &args.analysis_params {
        None => AnalysisParams::for_points(n_points),
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext == "toml" {
                toml::from_str(&text).with_context(|| format!("{}", path.display()))?
            } else {
                serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?
            }
        }
    };
    if let Some(k) = args.clusters {
        p.n_clusters = k;
    }
    if let Some(d) = &args.distance {
        p.distance = choice("distance", d, "points, clusters")?;
    }
    if let Some(v) = &args.view {
        p.embed = choice("view", v, "umap, pca")?;
    }
    Ok(p)
}

fn analyze_run(run: &Run, args: &AnalysisArgs) -> Result<()> {
    let p = analysis_params(args, run.embedding.nrows())?;
    let a = analysis::analyze(run.embedding.view(), &run.condition, run.n_conditions(), &p)?;
    let record = run.write_analysis(&a, &p)?;
    say!(
        "distances between conditions ({}, {}):",
        serde_json::to_value(p.distance)?.as_str().unwrap_or(""),
        a.distances.method
    );
    let width = record.condition_names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (row, name) in a.distances.matrix.rows().into_iter().zip(&record.condition_names) {
        say!("  {name:>width$} {}", row.iter().map(|v| format!("{v:8.4}")).collect::<Vec<_>>().join(" "));
    }
    say!("wrote {} files in {}: {}", record.files.len(), run.dir.display(), record.files.join(", "));
    say!("{}", marble::dataset::StepTime::line(&record.timings));
    Ok(())
}

/// A numeric table from .npy (float or integer, 1-D or 2-D) or .csv (header row).
fn read_table(path: &Path) -> Result<ndarray::Array2<f64>> {
    use ndarray::{Array1, Array2, Axis};
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let table: Array2<f64> = if ext == "csv" {
        let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut rows = Vec::new();
        let mut width = None;
        for (i, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: line {}", path.display(), i + 2))?;
            let row: Vec<f64> = rec
                .iter()
                .map(|f| f.trim().parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .with_context(|| format!("{}: line {} holds a non-number", path.display(), i + 2))?;
            if *width.get_or_insert(row.len()) != row.len() {
                bail!(
                    "{}: line {} has {} values, earlier lines {}",
                    path.display(),
                    i + 2,
                    row.len(),
                    width.unwrap_or(0)
                );
            }
            rows.extend(row);
        }
        let w = width.unwrap_or(0);
        Array2::from_shape_vec((rows.len() / w.max(1), w), rows)?
    } else {
        let read = |p: &Path| -> Option<Array2<f64>> {
            use ndarray_npy::read_npy;
            read_npy::<_, Array2<f64>>(p)
                .ok()
                .or_else(|| read_npy::<_, Array2<f32>>(p).ok().map(|a| a.mapv(f64::from)))
                .or_else(|| read_npy::<_, Array1<f64>>(p).ok().map(|a| a.insert_axis(Axis(1))))
                .or_else(|| read_npy::<_, Array1<f32>>(p).ok().map(|a| a.mapv(f64::from).insert_axis(Axis(1))))
                .or_else(|| read_npy::<_, Array1<i64>>(p).ok().map(|a| a.mapv(|v| v as f64).insert_axis(Axis(1))))
                .or_else(|| read_npy::<_, Array2<i64>>(p).ok().map(|a| a.mapv(|v| v as f64)))
        };
        read(path).with_context(|| {
            format!("{}: not a 1-D or 2-D .npy of float32, float64 or int64 (or a .csv)", path.display())
        })?
    };
    if let Some(((i, j), v)) = table.indexed_iter().find(|(_, v)| !v.is_finite()) {
        bail!("{}: row {i}, column {j} is {v}; remove or interpolate non-finite values", path.display());
    }
    Ok(table)
}

fn analyze(
    run_dir: &Path,
    args: &AnalysisArgs,
    behaviour: Option<&Path>,
    groups: Option<&str>,
    folds: usize,
) -> Result<()> {
    let run = Run::read(run_dir)?;
    analyze_run(&run, args)?;
    let Some(path) = behaviour else {
        if groups.is_some() {
            bail!("--groups applies to decoding: give --behaviour too");
        }
        return Ok(());
    };
    let y = run.align(read_table(path)?, "behaviour")?;
    let groups: Option<Vec<usize>> = match groups {
        None => None,
        Some("condition") => Some(run.condition.clone()),
        Some(file) => {
            let g = run.align(read_table(Path::new(file))?, "groups")?;
            if g.ncols() != 1 || g.iter().any(|v| *v < 0.0 || v.fract() != 0.0) {
                bail!("--groups {file}: give one non-negative integer per row");
            }
            Some(g.iter().map(|&v| v as usize).collect())
        }
    };
    let p = analysis::DecodeParams { folds, ..Default::default() };
    let (latents, baseline) = run.decode(&y, groups.as_deref(), &p)?;
    let fmt = |d: &analysis::Decoding| d.r2.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(", ");
    say!(
        "decoding {} behaviour column(s), {folds}-fold {}:",
        y.ncols(),
        if latents.grouped { "grouped cross-validation" } else { "cross-validation over contiguous blocks" }
    );
    say!("  MARBLE latents ({} dims): R^2 {} (mean {:.3})", latents.predictors, fmt(&latents), latents.r2_mean);
    if let Some(b) = &baseline {
        say!("  PCA of the input ({} dims): R^2 {} (mean {:.3})", b.predictors, fmt(b), b.r2_mean);
    }
    let record = serde_json::json!({
        "behaviour": path.display().to_string(),
        "folds": folds,
        "grouped": latents.grouped,
        "latents": { "dims": latents.predictors, "r2": latents.r2, "r2_mean": latents.r2_mean, "alphas": latents.alphas },
        "pca_baseline": baseline.as_ref().map(|b| serde_json::json!({
            "dims": b.predictors, "r2": b.r2, "r2_mean": b.r2_mean, "alphas": b.alphas })),
    });
    marble::model::store::write_json(&run.dir.join("decoding.json"), &record)?;
    marble::model::store::write_npy(&run.dir.join("decoding_predictions.npy"), &latents.predictions)?;
    say!("wrote {} and decoding_predictions.npy", run.dir.join("decoding.json").display());
    Ok(())
}

fn fit(input: &DataArgs, out: &Path, resume: bool, analysis: Option<&AnalysisArgs>) -> Result<()> {
    use marble::model::{Cancel, FitOptions, store};
    let conds = read_input(input)?;
    let params = read_params(input.params.as_deref())?;
    let bars = Bars { bar: Mutex::new(None) };
    let data = Dataset::build(&conds, &params, &bars)?;
    say!("{}", data.summary.to_string().trim_end());
    let bar = ProgressBar::new(params.epochs as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]").expect("valid template"));
    let mut observer = TrainBar { bar };
    let options = FitOptions { checkpoint_dir: Some(out.to_path_buf()), resume, ..FitOptions::default() };
    let fitted = marble::model::fit(&data, &params, &options, &mut observer, &Cancel::new())?;
    observer.bar.finish();
    let emb = fitted.model.transform(&data)?;
    store::save(out, &fitted.model, &params, &fitted.losses)?;
    Run::write_embedding(out, &data, &emb)?;
    say!("{}", fitted.feature_path);
    say!(
        "trained {} epochs (best {}), diffusion time {:.4}, test loss {}",
        fitted.epochs,
        fitted.best_epoch,
        fitted.model.diffusion_time(),
        fitted.losses.test_loss.first().map_or("n/a".to_string(), |l| format!("{l:.4}"))
    );
    say!("wrote {} ({} x {})", out.join("embedding.npy").display(), data.output_rows().point.len(), emb.ncols());
    if let Some(args) = analysis {
        analyze_run(&Run::read(out)?, args)?;
    }
    Ok(())
}

fn transform(model_dir: &Path, input: &DataArgs, out: &Path) -> Result<()> {
    use marble::model::store;
    if input.params.is_some() {
        bail!("--params does not apply to transform: the dataset is built with the model's own params.json");
    }
    let (model, params) = store::load(model_dir)?;
    let params = params.check()?;
    let conds = read_input(input)?;
    let data = Dataset::build(&conds, &params, &Bars { bar: Mutex::new(None) })?;
    let emb = data.output_rows().spread(&model.transform(&data)?);
    store::write_npy_f32(out, &emb)?;
    say!("wrote {} ({} x {})", out.display(), emb.nrows(), emb.ncols());
    Ok(())
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench_dataset(sizes: &[usize], conditions: usize, surfaces: &[String], out: Option<&Path>) -> Result<()> {
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    say!("| surface | frames | conditions x n | points | edges | seconds | peak MiB | steps |");
    say!("|---|---|---|---|---|---|---|---|");
    for s in surfaces {
        for &n in sizes {
            let output = std::process::Command::new(&exe)
                .args([
                    "bench",
                    "dataset-run",
                    "--surface",
                    s,
                    "--n",
                    &n.to_string(),
                    "--conditions",
                    &conditions.to_string(),
                ])
                .output()?;
            if !output.status.success() {
                bail!("benchmark run {s} n={n} failed: {}", String::from_utf8_lossy(&output.stderr));
            }
            let row: serde_json::Value = serde_json::from_slice(&output.stdout)?;
            let steps = row["steps"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|t| {
                            format!("{} {:.2}", t["step"].as_str().unwrap_or("?"), t["seconds"].as_f64().unwrap_or(0.0))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            say!(
                "| {s} | {} | {conditions} x {n} | {} | {} | {:.2} | {:.0} | {steps} |",
                row["frames"].as_str().unwrap_or("?"),
                row["points"],
                row["edges"],
                row["seconds"].as_f64().unwrap_or(f64::NAN),
                row["peak_rss_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
            );
            rows.push(row);
        }
    }
    if let Some(path) = out {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

fn bench_dataset_run(surface: &str, n: usize, conditions: usize) -> Result<()> {
    let (surf, local) = match surface {
        "r3" => (examples::Surface::ParaboloidR3, true),
        "r5" => (examples::Surface::SheetR5, false),
        other => bail!("unknown surface `{other}`; use r3 or r5"),
    };
    let conds = examples::surface_fields(surf, n, 0);
    let conds = Conditions::new(conds.into_vec().into_iter().take(conditions).collect())?;
    let params = Params { local_gauges: local, ..Params::default() }.check()?;
    let start = std::time::Instant::now();
    let d = Dataset::build(&conds, &params, &marble::progress::Silent)?;
    let seconds = start.elapsed().as_secs_f64();
    let row = serde_json::json!({
        "surface": surface,
        "frames": if d.local_gauges() { "local" } else { "global" },
        "conditions": conditions,
        "n": n,
        "points": d.n_points(),
        "edges": d.summary.n_edges,
        "manifold_dim": d.manifold_dim(),
        "seconds": seconds,
        "steps": d.summary.timings,
        "peak_rss_kib": peak_rss_kib(),
        "threads": rayon::current_num_threads(),
        "peak_rss_mib": peak_rss_kib().map(|k| k / 1024),
    });
    say!("{row}");
    Ok(())
}

/// Records the seconds of every epoch.
struct EpochTimes(Vec<f64>);

impl marble::model::Observer for EpochTimes {
    fn epoch(&mut self, r: &marble::model::EpochReport) {
        self.0.push(r.seconds);
    }
}

/// Example, points per condition and parameters of a named `bench fit` workload.
fn workload(name: &str) -> Result<(&'static str, usize, Params)> {
    let planar = Params { out_channels: 5, ..Params::default() };
    Ok(match name {
        "reaching" => ("reaching-like", 2200, examples::reaching_params(10)),
        "planar-512" => ("planar-fields", 512, planar),
        "planar-16k" => ("planar-fields", 16_000, planar),
        "planar-250k" => ("planar-fields", 250_000, planar),
        _ => bail!("unknown workload `{name}`; choose reaching, planar-512, planar-16k or planar-250k"),
    })
}

struct BenchFit<'a> {
    workload: Option<&'a str>,
    example: &'a str,
    n: usize,
    params: Option<&'a Path>,
    epochs: usize,
    order: Option<usize>,
    batch_size: Option<usize>,
}

fn bench_fit(b: &BenchFit) -> Result<()> {
    use marble::geometry::neighbours::NeighbourIndex;
    let (example, n, defaults) = match b.workload {
        Some(w) => {
            let (e, n, p) = workload(w)?;
            (e.to_string(), n, p)
        }
        None => (b.example.to_string(), b.n, Params { out_channels: 5, ..Params::default() }),
    };
    let conds = examples::by_name(&example, Some(n), 0)?;
    let base = match b.params {
        Some(p) => Params::from_file(p)?,
        None => defaults,
    };
    let p = Params {
        epochs: b.epochs,
        order: b.order.unwrap_or(base.order),
        batch_size: b.batch_size.unwrap_or(base.batch_size),
        ..base
    }
    .check()?;
    let start = std::time::Instant::now();
    let data = Dataset::build(&conds, &p, &marble::progress::Silent)?;
    let dataset_seconds = start.elapsed().as_secs_f64();
    let mut times = EpochTimes(Vec::new());
    let start = std::time::Instant::now();
    let options = marble::model::FitOptions::default();
    let fitted = marble::model::fit(&data, &p, &options, &mut times, &marble::model::Cancel::new())?;
    let train_seconds = start.elapsed().as_secs_f64();
    let z = fitted.model.transform(&data)?.mapv(f64::from);
    // On a seeded sample of at most 20,000 points: constant fields embed all their points
    // at one spot, where a k-d tree cannot prune and each query would scan them all.
    let sample: Vec<usize> = if z.nrows() <= 20_000 {
        (0..z.nrows()).collect()
    } else {
        use rand::{SeedableRng, seq::index};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut s = index::sample(&mut rng, z.nrows(), 20_000).into_vec();
        s.sort_unstable();
        s
    };
    let zs = z.select(ndarray::Axis(0), &sample);
    let index = NeighbourIndex::new(zs.view());
    let hits = (0..zs.nrows())
        .filter(|&i| {
            let nb = index.nearest_others(i, 5);
            let cond = |k: usize| data.condition[sample[k]];
            let same = nb.iter().filter(|b| cond(b.index as usize) == cond(i)).count();
            2 * same > nb.len()
        })
        .count();
    let row = serde_json::json!({
        "device": if cfg!(feature = "cuda") { "cuda" } else { "cpu" },
        "workload": b.workload,
        "example": example,
        "points": data.n_points(),
        "order": p.order,
        "batch_size": p.batch_size,
        "dataset_seconds": dataset_seconds,
        "features": fitted.feature_path,
        "epochs": times.0.len(),
        "epoch_seconds": times.0,
        "mean_epoch_seconds": times.0.iter().sum::<f64>() / times.0.len().max(1) as f64,
        "train_seconds": train_seconds,
        "condition_accuracy_5nn": hits as f64 / zs.nrows() as f64,
        "accuracy_points": zs.nrows(),
        "threads": rayon::current_num_threads(),
        "peak_rss_mib": peak_rss_kib().map(|k| k / 1024),
    });
    say!("{row}");
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Example { name, out, n, seed, list } => {
            if list || name.is_none() {
                for (name, what) in examples::NAMES {
                    say!("{name:>16}  {what}");
                }
                return Ok(());
            }
            let name = name.expect("checked");
            let Some(out) = out else { bail!("--out FILE.npz is required") };
            let conds = examples::by_name(&name, n, seed)?;
            io::write_npz(&out, &conds)?;
            say!("wrote {} ({} conditions, {} points)", out.display(), conds.len(), conds.n_points());
        }
        Command::Dataset { input, out } => {
            let conds = read_input(&input)?;
            let params = read_params(input.params.as_deref())?;
            let bars = Bars { bar: Mutex::new(None) };
            let d = Dataset::build(&conds, &params, &bars)?;
            say!("{}", d.summary.to_string().trim_end());
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let summary = out.join("summary.json");
            std::fs::write(&summary, serde_json::to_string_pretty(&d.summary)?)
                .with_context(|| format!("cannot write {}", summary.display()))?;
            write_dataset_npz(&out.join("dataset.npz"), &d)?;
            say!("wrote {} and {}", summary.display(), out.join("dataset.npz").display());
        }
        Command::Fit { input, out, resume, no_analysis, analysis } => {
            fit(&input, &out, resume, (!no_analysis).then_some(&analysis))?
        }
        Command::Analyze { run, analysis, behaviour, groups, folds } => {
            analyze(&run, &analysis, behaviour.as_deref(), groups.as_deref(), folds)?
        }
        Command::Transform { model, input, out } => transform(&model, &input, &out)?,
        Command::Serve { addr, store, workers, max_queued, max_body_mib, timeout_s } => {
            if workers == 0 && store.store.is_none() {
                bail!(
                    "--workers 0 leaves the fits to `marble worker` processes, which need a shared store: \
                     give --store postgres://... too"
                );
            }
            let mut options = marble::server::ServerOptions::new(&store.data_dir);
            options.engine = store.engine(workers)?;
            options.engine.max_queued = max_queued;
            options.max_body = max_body_mib << 20;
            options.timeout = std::time::Duration::from_secs(timeout_s);
            let auth = if options.token.is_some() { "bearer token from MARBLE_TOKEN required" } else { "no token" };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(marble::server::serve(addr, options, |a| {
                say!("listening on http://{a} (docs at http://{a}/docs, OpenAPI at http://{a}/openapi.json; {auth})");
                say!("{}", store.describe());
            }))?;
        }
        Command::Worker { store, workers } => {
            if workers == 0 {
                bail!("--workers must be at least 1 for a worker");
            }
            if store.store.is_none() {
                bail!(
                    "a worker needs a store shared with the API process: give --store postgres://... \
                     (the embedded SQLite store belongs to one `marble serve`)"
                );
            }
            let engine = marble::engine::LocalEngine::open(store.engine(workers)?)?;
            say!("worker {} running {workers} fit(s) at a time; {}", engine.name(), store.describe());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(marble::server::shutdown_signal());
            say!("stopping: a fit in progress resumes elsewhere when its lease expires");
            engine.shutdown();
        }
        Command::Kernel { what: KernelCommand::Install { user: _, prefix, crate_dir } } => {
            use marble::kernel::{Location, install};
            let location = prefix.map_or(Location::User, Location::Prefix);
            let done = install(&location, crate_dir.as_deref())?;
            say!(
                "installed the kernel \"MARBLE (Rust)\" ({}) in {}",
                marble::kernel::KERNEL_NAME,
                done.spec_dir.display()
            );
            say!(
                "it runs {}; the first cell compiles the crate (a few minutes, cached afterwards)",
                done.evcxr.display()
            );
        }
        Command::Openapi => {
            say!("{}", marble::server::openapi().to_pretty_json()?);
        }
        Command::Bench { what } => match what {
            Bench::Dataset { sizes, conditions, surfaces, out } => {
                bench_dataset(&sizes, conditions, &surfaces, out.as_deref())?
            }
            Bench::DatasetRun { surface, n, conditions } => bench_dataset_run(&surface, n, conditions)?,
            Bench::Fit { workload, example, n, params, epochs, order, batch_size } => {
                let params = params.as_deref();
                bench_fit(&BenchFit {
                    workload: workload.as_deref(),
                    example: &example,
                    n,
                    params,
                    epochs,
                    order,
                    batch_size,
                })?
            }
        },
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
