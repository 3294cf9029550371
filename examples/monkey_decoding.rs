//! Decode hand velocity from MARBLE latents of macaque M1 activity during centre-out
//! reaching, against PCA of the activity at the same dimension.
//!
//! ```text
//! cargo run --release --example monkey_decoding -- [FILE.npz] [RECORDING] [EPOCHS] [OUT_CHANNELS] [SMOOTH] [PARAMS]
//! ```
//! FILE defaults to ../shared/data/monkey_m1_centre_out/mihi.npz, RECORDING to `a`, EPOCHS to
//! 100, OUT_CHANNELS to 3 and SMOOTH (Gaussian width in bins; use 2 for Chewie's spike
//! counts) to 0. Training uses the reference's macaque settings
//! ([`marble::reaching::params`]: k = 30, delta = 1.5, 100 hidden channels) unless
//! PARAMS, a .json or .toml parameters file, is given instead.

use std::path::PathBuf;

use marble::Params;
use marble::reaching;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/monkey_m1_centre_out/mihi.npz")
    });
    if !path.exists() {
        println!("skipped: {} is absent (the recordings live in ../shared/data, see its README)", path.display());
        return Ok(());
    }
    let recording = args.get(1).map_or("a", String::as_str);
    let epochs = args.get(2).map_or(Ok(100), |e| e.parse())?;
    let out_channels = args.get(3).map_or(Ok(3), |e| e.parse())?;
    let smooth = args.get(4).map_or(Ok(0.0), |e| e.parse())?;
    let r = reaching::read(&path, recording, 5, smooth)?;
    println!(
        "{} recording {recording}: {} targets, {} trials, {} points, activity reduced to 5 PCs",
        path.display(),
        r.targets.len(),
        r.trial.iter().max().map_or(0, |t| t + 1),
        r.conditions.n_points()
    );
    let base = match args.get(5) {
        Some(file) => Params::from_file(std::path::Path::new(file))?,
        None => reaching::params(epochs),
    };
    let p = Params { epochs, out_channels, ..base }.check()?;
    let d = reaching::decode(&r, &p, 5)?;
    println!("hand velocity R^2 (5-fold, grouped by trial), x and y:");
    println!(
        "  MARBLE latents ({} dims): {:.3} {:.3} (mean {:.3})",
        d.marble.predictors, d.marble.r2[0], d.marble.r2[1], d.marble.r2_mean
    );
    println!(
        "  PCA of activity ({} dims): {:.3} {:.3} (mean {:.3})",
        d.pca.predictors, d.pca.r2[0], d.pca.r2[1], d.pca.r2_mean
    );
    Ok(())
}
