//! Three van der Pol flows (mu = -1, 0, 1) and their copies rotated by 2 rad, in one
//! embedding-agnostic model, with the reference's frames and with `canonical_frames`: how far
//! each point's latent lies from its copy's, how far each condition lies from its copy
//! against the other flows, and how well a decoder of the flow's speed and divergence
//! trained on the originals transfers to the copies.
//!
//! ```text
//! cargo run --release --example rotated_copies -- [EPOCHS] [DIFFUSION]
//! ```
//! EPOCHS defaults to 20; DIFFUSION (`off`, the default, or `on`) sets `diffusion`.
//! Spacing is 0, so every point has an exact rotated copy. `docs/experiments.md` records
//! the figures this prints.

use std::time::Instant;

use marble::analysis::{DecodeParams, point_cloud_distances, transfer_decoding};
use marble::model::{Cancel, FitOptions, NoObserver, fit};
use marble::{Dataset, Params, examples};
use ndarray::{Array2, Axis, s};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let epochs = args.first().map_or(Ok(20), |e| e.parse())?;
    let diffusion = args.get(1).is_some_and(|d| d == "on");
    let vdp = examples::VanDerPol { mus: vec![-1.0, 0.0, 1.0], n_trajectories: 25, ..Default::default() };
    let conds = vdp.with_rotated_copies(0, 2.0);
    println!("3 van der Pol flows and their copies rotated by 2 rad, {epochs} epochs, diffusion {diffusion}");
    for canonical in [false, true] {
        let start = Instant::now();
        let p = Params {
            k: 10,
            epochs,
            diffusion,
            local_gauges: true,
            inner_product_features: true,
            canonical_frames: canonical,
            ..Params::default()
        }
        .check()?;
        let data = Dataset::build(&conds, &p, &marble::progress::Silent)?;
        let fitted = fit(&data, &p, &FitOptions::default(), &mut NoObserver, &Cancel::new())?;
        let z = fitted.model.transform(&data)?.mapv(f64::from);
        let (points, seconds) = (data.n_points(), start.elapsed().as_secs_f64());
        let frames = data.summary.frames_kind();
        println!("canonical_frames = {canonical}: {points} points, {frames} frames, fitted in {seconds:.1} s");
        report(&data, &z)?;
    }
    Ok(())
}

/// Per-point gaps to the copies, condition distances and the decoding transfer.
fn report(data: &Dataset, z: &Array2<f64>) -> anyhow::Result<()> {
    let o = &data.offsets;
    let scale = z.std_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    let mut gaps = Vec::new();
    for c in 0..3 {
        let (a, b) = (z.slice(s![o[c]..o[c + 1], ..]), z.slice(s![o[c + 3]..o[c + 4], ..]));
        anyhow::ensure!(a.nrows() == b.nrows(), "condition {c} and its copy kept different points");
        gaps.extend(a.rows().into_iter().zip(b.rows()).map(|(x, y)| (&x - &y).mapv(|v| v * v).sum().sqrt()));
    }
    let max = gaps.iter().copied().fold(0.0, f64::max);
    println!("  latent gap to the copy: median {:.2e}, max {:.2e} (latent scale {scale:.2})", median(gaps), max);
    let d = point_cloud_distances(z.view(), &data.condition, 6, 2500, 0)?.matrix;
    for c in 0..3 {
        let others: Vec<String> = (3..6).filter(|&k| k != c + 3).map(|k| format!("{:.3}", d[[c, k]])).collect();
        println!(
            "  mu = {}: distance to its copy {:.3}, to the other copies {}",
            c as f64 - 1.0,
            d[[c, c + 3]],
            others.join(", ")
        );
    }
    // Two quantities a rotation leaves alone, the same for a point and its copy: the flow's
    // speed and its divergence mu (1 - x^2) at the original position.
    let half = o[3];
    let behaviour = Array2::from_shape_fn((2 * half, 2), |(i, j)| {
        let at = i % half;
        let mu = data.condition[at] as f64 - 1.0;
        let x = data.anchor[[at, 0]];
        if j == 0 { data.vector.row(at).dot(&data.vector.row(at)).sqrt() } else { mu * (1.0 - x * x) }
    });
    let group: Vec<usize> = (0..2 * half).map(|i| usize::from(i >= half)).collect();
    let names = ["original".to_string(), "rotated".to_string()];
    // Folds: blocks of 50 rows dealt round five folds, so each fold spans all three flows.
    let folds: Vec<usize> = (0..2 * half).map(|i| (i / 50) % 5).collect();
    let p = DecodeParams::default();
    let t = transfer_decoding(z.view(), data.anchor.view(), behaviour.view(), &group, &names, Some(&folds), &p)?;
    println!("  decoding speed and divergence (mean R^2 of the two):");
    for line in t.lines() {
        println!("    {line}");
    }
    Ok(())
}
