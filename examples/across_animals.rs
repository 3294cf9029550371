//! Two monkeys in one model: macaque M1 activity during centre-out reaching from Mihi and
//! Chewie, each reduced by its own PCA, fitted together in the embedding-agnostic mode; then
//! each reach target of one monkey matched to its nearest condition in the other, and hand
//! velocity and speed decoded across monkeys against the same transfer on each monkey's PCA.
//!
//! ```text
//! cargo run --release --example across_animals -- [EPOCHS] [RECORDING] [OUT] [MODE]
//! ```
//! EPOCHS defaults to 20, RECORDING to `a`, OUT (the engine's data folder, kept for a look
//! at the figures; `-` for a temporary folder) to a temporary folder, MODE to `agnostic`
//! (local frames and inner-product features); `canonical` adds `canonical_frames`;
//! `default` fits the default mode instead, for comparison. The data live in ../shared/data (see its README).
//! `docs/experiments.md` records the figures this prints.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use marble::analysis::AnalysisParams;
use marble::engine::{DecodeRequest, Engine, FitRequest, JobState, LocalEngine, LocalOptions, NewDataset};
use marble::{Params, reaching};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let epochs = args.first().map_or(Ok(20), |e| e.parse())?;
    let recording = args.get(1).map_or("a", String::as_str);
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/monkey_m1_centre_out");
    let (mihi, chewie) = (folder.join("mihi.npz"), folder.join("chewie.npz"));
    if !mihi.exists() || !chewie.exists() {
        println!("skipped: {} is absent (the recordings live in ../shared/data, see its README)", folder.display());
        return Ok(());
    }
    let start = Instant::now();
    // Chewie's recordings are spike counts: smoothed within trials, as for one monkey.
    let r = reaching::read_groups(&[(&mihi, recording, 0.0, "mihi"), (&chewie, recording, 2.0, "chewie")], 5)?;
    println!(
        "recording {recording} of both monkeys: {} conditions, {} points, each reduced to 5 PCs of its own",
        r.conditions.len(),
        r.conditions.n_points()
    );
    let mode = args.get(3).map_or("agnostic", String::as_str);
    let params = match mode {
        "agnostic" => Params { local_gauges: true, inner_product_features: true, ..reaching::params(epochs) },
        "canonical" => Params {
            local_gauges: true,
            inner_product_features: true,
            canonical_frames: true,
            ..reaching::params(epochs)
        },
        "default" => reaching::params(epochs),
        other => anyhow::bail!("MODE is {other:?}; give `agnostic`, `canonical` or `default`"),
    };
    let tmp = tempfile::tempdir()?;
    let dir = args.get(2).filter(|d| *d != "-").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let engine = LocalEngine::open(LocalOptions::new(&dir))?;
    let ds = engine.create_dataset(&NewDataset::new(Some("mihi and chewie"), r.conditions.clone(), Some(params)))?;
    let job = engine.start_fit(&FitRequest { dataset: ds.id.clone(), params: None })?;
    let done = engine.wait(&job.id, Duration::from_secs(3600))?;
    anyhow::ensure!(done.state == JobState::Succeeded, "the fit failed: {:?}", done.message);
    println!("fitted {epochs} epochs ({mode} mode) in {:.1} s", start.elapsed().as_secs_f64());
    let a = engine.analyze(&job.id, &AnalysisParams::default())?;
    println!("nearest condition in the other monkey (same target?):");
    for line in a.matching.as_ref().map(|m| m.lines()).unwrap_or_default() {
        println!("  {line}");
    }
    // Velocity has a direction, which inner-product features do not see; speed has none.
    let speed = r.velocity.map_axis(ndarray::Axis(1), |v| v.dot(&v).sqrt()).insert_axis(ndarray::Axis(1));
    for (what, behaviour) in [("hand velocity, mean R^2 over x and y", &r.velocity), ("hand speed", &speed)] {
        let req = DecodeRequest { behaviour: behaviour.clone().into(), groups: Some(r.trial.clone()), folds: None };
        let d = engine.decode(&job.id, &req)?;
        println!("{what} (folds grouped by trial):");
        println!("  both monkeys, cross-validated: latents {:.3}, PCA {:.3}", d.r2_mean, d.baseline_r2_mean);
        for line in d.transfer.as_ref().map(|t| t.lines()).unwrap_or_default() {
            println!("  {line}");
        }
    }
    println!("total {:.1} s; model folder {}", start.elapsed().as_secs_f64(), dir.join("runs").join(&job.id).display());
    Ok(())
}
