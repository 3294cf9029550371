//! Decode position and running direction from MARBLE latents of rat hippocampal units on a
//! linear track, against PCA of the smoothed rates at the same dimension.
//!
//! ```text
//! cargo run --release --example rat_linear_track -- [FILE.csv] [EPOCHS] [SMOOTH] [STRIDE] [MAX_BINS]
//! ```
//! FILE defaults to ../shared/data/rat_linear_track/linear_track_run_25ms.csv, EPOCHS to 50,
//! SMOOTH (Gaussian width in bins) to 8, STRIDE (bins between points) to 2 and MAX_BINS to
//! all. Training uses [`marble::linear_track::params`] (the macaque settings: k = 30,
//! delta = 1.5, 100 hidden channels, 3 latents).

use std::path::PathBuf;
use std::time::Instant;

use marble::linear_track::{self, Settings};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/rat_linear_track/linear_track_run_25ms.csv")
    });
    if !path.exists() {
        println!("skipped: {} is absent (the recordings live in ../shared/data, see its README)", path.display());
        return Ok(());
    }
    let epochs = args.get(1).map_or(Ok(50), |e| e.parse())?;
    let defaults = Settings::default();
    let settings = Settings {
        smooth: args.get(2).map_or(Ok(defaults.smooth), |e| e.parse())?,
        stride: args.get(3).map_or(Ok(defaults.stride), |e| e.parse())?,
        max_bins: args.get(4).map(|e| e.parse()).transpose()?,
        ..defaults
    };
    println!("settings: {settings:?}, epochs {epochs}");
    let start = Instant::now();
    let track = linear_track::read(&path, &settings)?;
    let n_segments = track.segment.iter().max().map_or(0, |s| s + 1);
    println!(
        "read {} bins -> {} running segments, {} points in {} PCs ({:.1} s)",
        track.bins,
        n_segments,
        track.conditions.n_points(),
        settings.dim,
        start.elapsed().as_secs_f64()
    );
    let p = linear_track::params(epochs).check()?;
    let start = Instant::now();
    let d = linear_track::decode(&track, &p, 5)?;
    println!("build, fit {} epochs, transform and decode: {:.1} s", d.epochs, start.elapsed().as_secs_f64());
    println!("5-fold ridge, grouped by segment: position R^2, direction R^2, direction accuracy");
    for (name, dec, acc) in [("MARBLE latents", &d.marble, d.marble_accuracy), ("PCA of rates", &d.pca, d.pca_accuracy)]
    {
        println!("  {name} ({} dims): {:.3} {:.3} {:.3}", dec.predictors, dec.r2[0], dec.r2[1], acc);
    }
    println!("  direction chance (majority share): {:.3}", d.chance);
    Ok(())
}
