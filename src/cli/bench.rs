//! `marble bench`: time dataset construction (each size in a fresh process, for its peak
//! memory) and training, printing JSON lines (the criterion benches in `benches/` time the
//! stages one by one).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use marble::{Conditions, Dataset, Params, examples};

#[derive(clap::Subcommand)]
pub enum Bench {
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
        /// The embedding-agnostic mode: local frames and inner-product features on top of
        /// the workload's (or the file's) parameters.
        #[arg(long)]
        agnostic: bool,
    },
    /// Time the analysis (clusters, distances, condition map, 2-D view) of a fitted
    /// embedding and print one JSON line: seconds per step, the view's quality
    /// (trustworthiness and 10-nearest-neighbour preservation on a seeded sample of 1,000
    /// points) and, for a run folder, how the distances and the view compare with the
    /// folder's own `distances.npy` and `view_2d.npy`.
    Analysis {
        /// A run folder written by `marble fit` (its embedding.npy and condition.npy).
        #[arg(long, conflicts_with = "workload")]
        run: Option<PathBuf>,
        /// Or a named workload, fitted first: `reaching` (`reaching-like`, 8 x 2,200
        /// points, the macaque settings, 40 epochs) or `vanderpol` (default parameters).
        #[arg(long, required_unless_present = "run")]
        workload: Option<String>,
        /// Analyse this many times and report each step's fastest time.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
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

pub fn run(what: Bench) -> Result<()> {
    match what {
        Bench::Dataset { sizes, conditions, surfaces, out } => {
            bench_dataset(&sizes, conditions, &surfaces, out.as_deref())
        }
        Bench::DatasetRun { surface, n, conditions } => bench_dataset_run(&surface, n, conditions),
        Bench::Analysis { run, workload, repeat } => bench_analysis(run.as_deref(), workload.as_deref(), repeat),
        Bench::Fit { workload, example, n, params, epochs, order, batch_size, agnostic } => bench_fit(&BenchFit {
            workload: workload.as_deref(),
            example: &example,
            n,
            params: params.as_deref(),
            epochs,
            order,
            batch_size,
            agnostic,
        }),
    }
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
        "reaching" => ("reaching-like", 2200, marble::reaching::params(10)),
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
    agnostic: bool,
}

fn bench_fit(b: &BenchFit) -> Result<()> {
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
        local_gauges: base.local_gauges || b.agnostic,
        inner_product_features: base.inner_product_features || b.agnostic,
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
    let (accuracy, accuracy_points) = condition_accuracy_5nn(&z, &data.condition);
    let row = serde_json::json!({
        "device": if cfg!(feature = "cuda") { "cuda" } else { "cpu" },
        "workload": b.workload,
        "agnostic": p.local_gauges && p.inner_product_features,
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
        "condition_accuracy_5nn": accuracy,
        "accuracy_points": accuracy_points,
        "threads": rayon::current_num_threads(),
        "peak_rss_mib": peak_rss_kib().map(|k| k / 1024),
    });
    say!("{row}");
    Ok(())
}

/// How often the majority of a point's 5 nearest neighbours in the embedding `z` share its
/// condition, and on how many points.
fn condition_accuracy_5nn(z: &ndarray::Array2<f64>, condition: &[usize]) -> (f64, usize) {
    use marble::internals::geometry::neighbours::NeighbourIndex;
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
            let cond = |k: usize| condition[sample[k]];
            let same = nb.iter().filter(|b| cond(b.index as usize) == cond(i)).count();
            2 * same > nb.len()
        })
        .count();
    (hits as f64 / zs.nrows() as f64, zs.nrows())
}

/// Latents and conditions of a named `bench analysis` workload, trained here.
fn analysis_workload(name: &str) -> Result<(ndarray::Array2<f64>, Vec<usize>, usize)> {
    let (example, n, p) = match name {
        "reaching" => ("reaching-like", Some(2200), marble::reaching::params(40)),
        "vanderpol" => ("vanderpol", None, Params::default()),
        _ => bail!("unknown analysis workload `{name}`; choose reaching or vanderpol"),
    };
    let conds = examples::by_name(example, n, 0)?;
    let p = p.check()?;
    let data = Dataset::build(&conds, &p, &marble::progress::Silent)?;
    let options = marble::model::FitOptions::default();
    let mut times = EpochTimes(Vec::new());
    let fitted = marble::model::fit(&data, &p, &options, &mut times, &marble::model::Cancel::new())?;
    let z = fitted.model.transform(&data)?.mapv(f64::from);
    Ok((z, data.condition.clone(), conds.len()))
}

/// The largest difference between two distance matrices, relative to the larger entry of
/// each pair (absolute below 1e-300).
fn max_relative_difference(a: &ndarray::Array2<f64>, b: &ndarray::Array2<f64>) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-300)).fold(0.0, f64::max)
}

fn bench_analysis(run: Option<&Path>, workload: Option<&str>, repeat: usize) -> Result<()> {
    use marble::analysis::{AnalysisParams, analyze, view_quality};
    let folder = run.map(marble::run::Run::read).transpose()?;
    let (z, condition, n_conditions) = match (&folder, workload) {
        (Some(r), _) => (r.embedding.clone(), r.condition.clone(), r.n_conditions()),
        (None, Some(w)) => analysis_workload(w)?,
        (None, None) => bail!("give --run DIR or --workload NAME"),
    };
    let p = AnalysisParams::for_points(z.nrows());
    let mut best: Vec<marble::dataset::StepTime> = Vec::new();
    let mut analysis = None;
    for _ in 0..repeat.max(1) {
        let start = std::time::Instant::now();
        let a = analyze(z.view(), &condition, n_conditions, &p)?;
        let total = marble::dataset::StepTime { step: "analysis".into(), seconds: start.elapsed().as_secs_f64() };
        let times: Vec<_> = a.timings.iter().cloned().chain([total]).collect();
        best = if best.is_empty() {
            times
        } else {
            best.into_iter().zip(times).map(|(b, t)| if t.seconds < b.seconds { t } else { b }).collect()
        };
        analysis = Some(a);
    }
    let a = analysis.expect("at least one repeat");
    // View quality on a seeded sample of the rows the view shows.
    let shown = z.select(ndarray::Axis(0), &a.view.index);
    let sample = quality_sample(shown.nrows());
    let quality = view_quality(shown.view(), a.view.points.view(), 10, &sample)?;
    let mut row = serde_json::json!({
        "points": z.nrows(),
        "conditions": n_conditions,
        "dimensions": z.ncols(),
        "seconds": best.iter().map(|t| (t.step.clone(), serde_json::Value::from(t.seconds))).collect::<serde_json::Map<_, _>>(),
        "distance_method": a.distances.method,
        "points_used": a.distances.points_used,
        "view_method": a.view.method,
        "view_quality": quality,
        "threads": rayon::current_num_threads(),
    });
    if let Some(r) = &folder {
        compare_with_folder(r, &a, &mut row)?;
    }
    say!("{row}");
    Ok(())
}

/// A seeded sample of at most 1,000 of `n` rows, for the view's quality.
fn quality_sample(n: usize) -> Vec<usize> {
    use rand::{SeedableRng, seq::index};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut s = index::sample(&mut rng, n, n.min(1000)).into_vec();
    s.sort_unstable();
    s
}

/// Add how `a` compares with the distances and the view stored in the run folder `r`.
fn compare_with_folder(
    r: &marble::run::Run,
    a: &marble::analysis::Analysis,
    row: &mut serde_json::Value,
) -> Result<()> {
    use marble::fsio::read_npy;
    let stored = r.dir.join("distances.npy");
    if stored.exists() {
        let d: ndarray::Array2<f64> = read_npy(&stored)?;
        if d.dim() == a.distances.matrix.dim() {
            row["distances_max_relative_difference"] = max_relative_difference(&d, &a.distances.matrix).into();
        }
    }
    let (view, index) = (r.dir.join("view_2d.npy"), r.dir.join("view_2d_index.npy"));
    if view.exists() && index.exists() {
        let y: ndarray::Array2<f64> = read_npy(&view)?;
        let rows: Vec<usize> = read_npy::<i64, ndarray::Ix1>(&index)?.iter().map(|&i| i as usize).collect();
        let shown = r.embedding.select(ndarray::Axis(0), &rows);
        let quality = marble::analysis::view_quality(shown.view(), y.view(), 10, &quality_sample(rows.len()))?;
        row["stored_view_quality"] = serde_json::to_value(quality)?;
    }
    Ok(())
}
