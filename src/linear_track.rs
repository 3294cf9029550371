//! A second real-data experiment: rat hippocampus on a linear track (tetrode-sorted units,
//! `../shared/data/rat_linear_track`). Reads the spike counts, smooths them into rates, keeps
//! the bins where the rat runs, reduces the rates by PCA, and makes one condition of the
//! running trajectories; then trains MARBLE and decodes position and running direction from
//! the latents against PCA at the same dimension. Used by `examples/rat_linear_track.rs` and
//! the tests; measured figures are in `docs/experiments.md`.
//!
//! All running bins make one condition, so that running direction is something to decode
//! rather than the label the conditions were cut by.

use std::path::Path;

use ndarray::{Array1, Array2, Axis, s};

use crate::analysis::{Decoding, Pca};
use crate::dataset::io::read_named_table;
use crate::dataset::{Condition, Conditions};
use crate::error::{Error, Result};
use crate::params::{Params, ValidParams};
use crate::reaching::{fit_and_decode, smooth_within_trials};

/// Half-width, in bins, of the central difference that gives running speed (4 bins = 100 ms
/// either side at 25 ms bins: long enough to average out the tracker's pixel jitter).
const SPEED_HALF_WIDTH: usize = 4;

/// How the recording is turned into points.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Gaussian width (bins) the spike counts are smoothed with; units fire at about
    /// 0.5 Hz, so single bins are nearly all zero.
    pub smooth: f64,
    /// Principal components the rates are reduced to (the space MARBLE works in).
    pub dim: usize,
    /// Keep every `stride`-th bin of a segment: smoothed rates change little within
    /// `smooth` bins, and fewer points make the graph cheaper.
    pub stride: usize,
    /// Bins slower than this (pixels per second) are not running and are dropped.
    pub min_speed: f64,
    /// Running segments shorter than this many bins are dropped.
    pub min_len: usize,
    /// Read only the first this many bins (a quick run for tests); `None` reads all.
    pub max_bins: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { smooth: 8.0, dim: 5, stride: 2, min_speed: 20.0, min_len: 20, max_bins: None }
    }
}

/// The linear-track recording prepared for MARBLE.
#[derive(Clone, Debug)]
pub struct LinearTrack {
    /// One condition, "running": anchors x[t] and vectors x[t + stride] - x[t] of the
    /// PCA-reduced rates, one trajectory per running segment.
    pub conditions: Conditions,
    /// Position along the track (pixels) at each anchor, rows in the condition's order.
    pub position: Array1<f64>,
    /// Running direction at each anchor: 1 towards increasing position, else 0.
    pub direction: Array1<f64>,
    /// Running segment of each anchor, for cross-validation grouped by segment.
    pub segment: Vec<usize>,
    /// The PCA of the smoothed rates of the running bins.
    pub pca: Pca,
    /// Bins read from the file.
    pub bins: usize,
}

/// The columns of the file: time (s), position (px), direction (0/1) and counts (T x units).
struct Recording {
    t: Vec<f64>,
    position: Vec<f64>,
    direction: Vec<f64>,
    counts: Array2<f64>,
}

/// Read `linear_track_run_25ms.csv` (columns `t_s`, `linpos_px`, `dir_pos`, then one count
/// column per unit) and prepare it as [`Settings`] say: smooth within contiguous stretches
/// of time, keep running segments, reduce by PCA, and make one condition of the segments.
pub fn read(path: &Path, settings: &Settings) -> Result<LinearTrack> {
    check_settings(settings)?;
    let mut rec = read_columns(path, settings.max_bins)?;
    let stretches = contiguous(&rec.t);
    smooth_within_trials(&mut rec.counts, &stretches, settings.smooth);
    let segments = running_segments(&rec, &stretches, settings);
    if segments.is_empty() {
        return Err(Error::format(path.display().to_string(), "no running segment is long and fast enough"));
    }
    let kept: Vec<usize> = segments.iter().flat_map(|&(a, b)| (a..b).step_by(settings.stride)).collect();
    let pca = Pca::fit(rec.counts.select(Axis(0), &kept).view(), settings.dim)?;
    let mut trajectories = Vec::new();
    let (mut rows, mut segment): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for (id, &(a, b)) in segments.iter().enumerate() {
        let bins: Vec<usize> = (a..b).step_by(settings.stride).collect();
        if bins.len() < 2 {
            continue;
        }
        trajectories.push(pca.transform(rec.counts.select(Axis(0), &bins).view())?);
        rows.extend(&bins[..bins.len() - 1]);
        segment.extend(std::iter::repeat_n(id, bins.len() - 1));
    }
    let views: Vec<_> = trajectories.iter().map(|t| t.view()).collect();
    let condition = Condition::from_trajectories(&views)?.with_name("running");
    Ok(LinearTrack {
        conditions: Conditions::new(vec![condition])?,
        position: rows.iter().map(|&i| rec.position[i]).collect(),
        direction: rows.iter().map(|&i| rec.direction[i]).collect(),
        segment,
        pca,
        bins: rec.t.len(),
    })
}

/// Errors for settings that cannot make points, naming the field.
fn check_settings(s: &Settings) -> Result<()> {
    if !(s.smooth > 0.0 && s.smooth.is_finite()) {
        return Err(Error::argument("smooth", format!("is {}; give a width in bins > 0", s.smooth)));
    }
    if s.dim == 0 {
        return Err(Error::argument("dim", "give at least 1 principal component"));
    }
    if s.stride == 0 {
        return Err(Error::argument("stride", "give a step of at least 1 bin"));
    }
    if !(s.min_speed >= 0.0 && s.min_speed.is_finite()) {
        return Err(Error::argument("min_speed", format!("is {}; give a speed >= 0", s.min_speed)));
    }
    if s.min_len < 2 * s.stride {
        return Err(Error::argument("min_len", "must be at least twice stride, for one vector per segment"));
    }
    Ok(())
}

/// The file's columns by name, checked: times increasing, directions 0 or 1, counts >= 0.
fn read_columns(path: &Path, max_bins: Option<usize>) -> Result<Recording> {
    let (table, header) = read_named_table(path)?;
    let origin = path.display().to_string();
    let column = |name: &str| -> Result<usize> {
        header.iter().position(|h| h == name).ok_or_else(|| Error::format(&origin, format!("has no column `{name}`")))
    };
    let (ti, pi, di) = (column("t_s")?, column("linpos_px")?, column("dir_pos")?);
    let units: Vec<usize> = (0..header.len()).filter(|&j| header[j].starts_with('u')).collect();
    if units.is_empty() {
        return Err(Error::format(&origin, "has no unit columns (`u0`, `u1`, ...)"));
    }
    let n = max_bins.map_or(table.nrows(), |m| m.min(table.nrows()));
    let table = table.slice(s![..n, ..]);
    let t: Vec<f64> = table.column(ti).to_vec();
    if let Some(i) = (1..n).find(|&i| t[i] <= t[i - 1]) {
        return Err(Error::format(&origin, format!("column `t_s` does not increase at row {i}")));
    }
    let direction: Vec<f64> = table.column(di).to_vec();
    if let Some(i) = direction.iter().position(|&d| d != 0.0 && d != 1.0) {
        return Err(Error::format(&origin, format!("column `dir_pos` is {} at row {i}; give 0 or 1", direction[i])));
    }
    let counts = table.select(Axis(1), &units);
    if let Some(((i, j), v)) = counts.indexed_iter().find(|(_, v)| **v < 0.0) {
        return Err(Error::format(
            &origin,
            format!("column `{}` is {v} at row {i}; counts are >= 0", header[units[j]]),
        ));
    }
    Ok(Recording { t, position: table.column(pi).to_vec(), direction, counts })
}

/// Stretches of contiguous bins, as (first, end): a new one starts where time jumps by more
/// than 1.5 times the median bin width (the recording keeps only running periods).
fn contiguous(t: &[f64]) -> Vec<(usize, usize)> {
    if t.len() < 2 {
        return vec![(0, t.len())];
    }
    let mut gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    let bin = gaps[gaps.len() / 2];
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=t.len() {
        if i == t.len() || t[i] - t[i - 1] > 1.5 * bin {
            out.push((start, i));
            start = i;
        }
    }
    out
}

/// Maximal runs, within each stretch, of bins at least `min_speed` fast (central difference
/// of position over [`SPEED_HALF_WIDTH`] bins each side, clipped at the stretch's ends), at
/// least `min_len` bins long.
fn running_segments(rec: &Recording, stretches: &[(usize, usize)], s: &Settings) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for &(a, b) in stretches {
        let fast: Vec<bool> = (a..b)
            .map(|i| {
                let (lo, hi) = (i.saturating_sub(SPEED_HALF_WIDTH).max(a), (i + SPEED_HALF_WIDTH).min(b - 1));
                hi > lo && ((rec.position[hi] - rec.position[lo]) / (rec.t[hi] - rec.t[lo])).abs() >= s.min_speed
            })
            .collect();
        let mut start = None;
        for (k, &f) in fast.iter().chain(std::iter::once(&false)).enumerate() {
            match (f, start) {
                (true, None) => start = Some(k),
                (false, Some(st)) => {
                    if k - st >= s.min_len {
                        out.push((a + st, a + k));
                    }
                    start = None;
                }
                _ => {}
            }
        }
    }
    out
}

/// Decoding of position and running direction from MARBLE latents and from PCA of the
/// rates at the same dimension.
#[derive(Clone, Debug)]
pub struct TrackDecoding {
    /// Cross-validated ridge decoding from the latents (folds grouped by running segment);
    /// outputs position and direction (0/1), in that order.
    pub marble: Decoding,
    /// The same decoder on the first principal components, as many as latents.
    pub pca: Decoding,
    /// Share of rows whose out-of-fold direction prediction, cut at 0.5, is right: latents.
    pub marble_accuracy: f64,
    /// The same for PCA.
    pub pca_accuracy: f64,
    /// Share of the more common direction: the accuracy of always guessing it.
    pub chance: f64,
    /// Latents of every point (n x out_channels).
    pub latents: Array2<f64>,
    /// Training epochs run.
    pub epochs: usize,
}

/// Training parameters: those of the macaque experiment ([`crate::reaching::params`]: a
/// denser graph than the defaults, k = 30 and delta = 1.5, 100 hidden channels, 3 latent
/// dimensions, no inner-product features), with `epochs` as given. The track's running
/// points are a few thousand in one condition, dense enough for that graph.
pub fn params(epochs: usize) -> Params {
    crate::reaching::params(epochs)
}

/// Train MARBLE on `track` with `p` and decode position and direction from the latents and
/// from the PCA baseline, with `folds`-fold cross-validation grouped by running segment.
pub fn decode(track: &LinearTrack, p: &ValidParams, folds: usize) -> Result<TrackDecoding> {
    let mut behaviour = Array2::zeros((track.position.len(), 2));
    behaviour.column_mut(0).assign(&track.position);
    behaviour.column_mut(1).assign(&track.direction);
    let d = fit_and_decode(&track.conditions, p, &behaviour, &track.segment, folds)?;
    let truth = d.behaviour.column(1);
    let share = truth.mean().unwrap_or(0.0);
    Ok(TrackDecoding {
        marble_accuracy: accuracy(&d.marble, truth),
        pca_accuracy: accuracy(&d.pca, truth),
        chance: share.max(1.0 - share),
        marble: d.marble,
        pca: d.pca,
        latents: d.latents,
        epochs: d.epochs,
    })
}

/// Share of rows where the out-of-fold direction prediction (column 1), cut at 0.5,
/// matches the 0/1 truth.
fn accuracy(d: &Decoding, truth: ndarray::ArrayView1<f64>) -> f64 {
    let right = d.predictions.column(1).iter().zip(truth).filter(|(p, t)| (**p >= 0.5) == (**t == 1.0)).count();
    right as f64 / truth.len().max(1) as f64
}
