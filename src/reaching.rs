//! The paper's real-data experiment: macaque motor cortex during centre-out reaches. Reads a
//! recording into one condition per reach target (activity reduced by PCA, one trajectory
//! per trial), trains MARBLE with the reference's settings for it, and decodes hand velocity
//! from the latents against PCA of the activity at the same dimension. Used by
//! `examples/monkey_decoding.rs`, notebook 5 and the tests; measured figures are in
//! `docs/experiments.md`.

use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Axis, Ix2, IxDyn, OwnedRepr, s};
use ndarray_npy::NpzReader;

use crate::analysis::{DecodeParams, Decoding, Pca, ridge_cv};
use crate::dataset::{Condition, Conditions, Dataset};
use crate::error::{Error, Result};
use crate::model::{Cancel, FitOptions, NoObserver, fit};
use crate::params::{Params, ValidParams};
use crate::progress::Silent;

/// Reaching data prepared for MARBLE: one condition per reach target, one trajectory per
/// trial, in the shape the paper's macaque analysis uses.
#[derive(Clone, Debug)]
pub struct Reaching {
    /// Conditions in increasing target order; anchors x[t] and vectors x[t+1] - x[t] of the
    /// PCA-reduced activity of each trial.
    pub conditions: Conditions,
    /// The target of each condition.
    pub targets: Vec<i64>,
    /// Hand velocity at each anchor (rows of all conditions stacked, in input order).
    pub velocity: Array2<f64>,
    /// Trial of each anchor (same rows), for grouped cross-validation.
    pub trial: Vec<usize>,
    /// The PCA of the activity the anchors live in (the first recording's, for
    /// [`read_groups`]).
    pub pca: Pca,
}

/// One recording's arrays, T bins each.
struct Recording {
    /// Activity, T x N units.
    activity: Array2<f64>,
    /// Hand velocity, T x 2.
    velocity: Array2<f64>,
    /// Reach target of each bin.
    target: Vec<i64>,
}

/// Read a recording of the macaque centre-out data (`../shared/data/monkey_m1_centre_out`,
/// arrays `activity_<r>`, `velocity_<r>`, `target_<r>`), reduce the activity to `dim`
/// principal components, and cut it into trials where the target changes. Trials shorter
/// than 3 bins are dropped. `smooth` > 0 convolves each unit with a Gaussian of that width
/// (in bins) within each trial first, which spike counts benefit from (Chewie's
/// recordings): raw counts repeat states exactly, and repeated anchors are merged into one
/// point each (`duplicates`).
pub fn read(path: &Path, recording: &str, dim: usize, smooth: f64) -> Result<Reaching> {
    let Recording { mut activity, velocity, target } = read_arrays(path, recording)?;
    let runs = trials(&target);
    if smooth > 0.0 {
        smooth_within_trials(&mut activity, &runs, smooth);
    }
    let pca = Pca::fit(activity.view(), dim)?;
    let x = pca.transform(activity.view())?;
    let mut targets: Vec<i64> = runs.iter().map(|r| target[r.0]).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut conditions = Vec::new();
    let mut rows = Vec::new();
    let mut trial = Vec::new();
    for (c, &tg) in targets.iter().enumerate() {
        let mine: Vec<(usize, &(usize, usize))> = runs.iter().enumerate().filter(|(_, r)| target[r.0] == tg).collect();
        let trajectories: Vec<_> = mine.iter().map(|(_, r)| x.slice(s![r.0..r.1, ..])).collect();
        conditions.push(Condition::from_trajectories_of(c, &trajectories)?.with_name(format!("target {tg}")));
        for (id, r) in mine {
            rows.extend(r.0..r.1 - 1);
            trial.extend(std::iter::repeat_n(id, r.1 - 1 - r.0));
        }
    }
    Ok(Reaching {
        conditions: Conditions::new(conditions)?,
        targets,
        velocity: velocity.select(Axis(0), &rows),
        trial,
        pca,
    })
}

/// Several recordings in one set of conditions, for a model across animals or sessions:
/// each recording read by [`read`] (its own PCA to `dim` components, as the paper reduces
/// each animal separately), its conditions put in group `group`. Target codes are the
/// recording's own (Mihi's are 3, 4, 5, 7 and Chewie's 0 to 3), so each condition's value is
/// its reach direction instead: the angle of its mean hand velocity, rounded to the nearest
/// 45 degrees, and its name says it ("angle = -45", in degrees; short, so figures print it whole). Matching across groups then
/// compares directions. Rows (velocity, trial) follow the conditions in order, recording
/// after recording; trial ids are made distinct across recordings.
pub fn read_groups(recordings: &[(&Path, &str, f64, &str)], dim: usize) -> Result<Reaching> {
    let mut conditions = Vec::new();
    let (mut velocity, mut trial, mut targets): (Vec<Array2<f64>>, Vec<usize>, Vec<i64>) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut pca = None;
    for &(path, recording, smooth, group) in recordings {
        let r = read(path, recording, dim, smooth)?;
        let offset = trial.iter().max().map_or(0, |t| t + 1);
        trial.extend(r.trial.iter().map(|t| t + offset));
        let mut first = 0;
        for (c, &tg) in r.conditions.as_slice().iter().zip(&r.targets) {
            let rows = r.velocity.slice(s![first..first + c.len(), ..]);
            first += c.len();
            let mean = rows.mean_axis(Axis(0)).expect("a condition has rows");
            let angle = 45.0 * (mean[1].atan2(mean[0]).to_degrees() / 45.0).round();
            let angle = if angle == -180.0 { 180.0 } else { angle };
            let named = c.clone().with_name(format!("angle = {angle:.0}"));
            conditions.push(named.with_group(group).with_value(angle));
            targets.push(tg);
        }
        velocity.push(r.velocity);
        pca.get_or_insert(r.pca);
    }
    let views: Vec<_> = velocity.iter().map(|v| v.view()).collect();
    let velocity = ndarray::concatenate(Axis(0), &views)
        .map_err(|e| Error::argument("recordings", format!("velocities do not stack: {e}")))?;
    Ok(Reaching {
        conditions: Conditions::new(conditions)?,
        targets,
        velocity,
        trial,
        pca: pca.ok_or_else(|| Error::argument("recordings", "give at least one recording"))?,
    })
}

/// The activity, velocity and target arrays of one recording, checked to have as many bins.
fn read_arrays(path: &Path, recording: &str) -> Result<Recording> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut npz = NpzReader::new(file).map_err(|e| Error::format(path.display().to_string(), e.to_string()))?;
    let mut get = |name: String| -> Result<ArrayD<f64>> {
        if let Ok(a) = npz.by_name::<OwnedRepr<f64>, IxDyn>(&name) {
            return Ok(a);
        }
        npz.by_name::<OwnedRepr<i64>, IxDyn>(&name)
            .map(|a| a.mapv(|v| v as f64))
            .map_err(|e| Error::format(format!("{}: {name}", path.display()), e.to_string()))
    };
    let activity = get(format!("activity_{recording}"))?.into_dimensionality::<Ix2>().map_err(|e| {
        Error::format(format!("{}: activity_{recording}", path.display()), format!("expected T x N: {e}"))
    })?;
    let velocity = get(format!("velocity_{recording}"))?.into_dimensionality::<Ix2>().map_err(|e| {
        Error::format(format!("{}: velocity_{recording}", path.display()), format!("expected T x 2: {e}"))
    })?;
    let target = get(format!("target_{recording}"))?;
    let t_len = activity.nrows();
    if velocity.nrows() != t_len || target.len() != t_len {
        return Err(Error::format(
            path.display().to_string(),
            "activity, velocity and target disagree on the number of bins",
        ));
    }
    let target: Vec<i64> = target.iter().map(|&v| v as i64).collect();
    Ok(Recording { activity, velocity, target })
}

/// Trials: maximal runs of one target, as (first bin, end bin), at least 3 bins long.
fn trials(target: &[i64]) -> Vec<(usize, usize)> {
    let t_len = target.len();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for t in 1..=t_len {
        if t == t_len || target[t] != target[start] {
            if t - start >= 3 {
                runs.push((start, t));
            }
            start = t;
        }
    }
    runs
}

/// Convolve each unit with a Gaussian of width `smooth` bins, within each trial (the kernel
/// renormalised where it reaches past the trial's ends).
pub(crate) fn smooth_within_trials(activity: &mut Array2<f64>, runs: &[(usize, usize)], smooth: f64) {
    let reach = (3.0 * smooth).ceil() as isize;
    let kernel: Vec<f64> = (-reach..=reach).map(|d| (-0.5 * (d as f64 / smooth).powi(2)).exp()).collect();
    for &(a, b) in runs {
        let raw = activity.slice(s![a..b, ..]).to_owned();
        for t in a..b {
            let (mut acc, mut weight) = (Array1::<f64>::zeros(raw.ncols()), 0.0);
            for (k, w) in kernel.iter().enumerate() {
                let u = t as isize + k as isize - reach;
                if u >= a as isize && u < b as isize {
                    acc.scaled_add(*w, &raw.row(u as usize - a));
                    weight += w;
                }
            }
            activity.row_mut(t).assign(&(acc / weight));
        }
    }
}

/// Decoding of hand velocity from MARBLE latents and from PCA of the activity at the same
/// dimension, as `examples/monkey_decoding.rs` and the notebook run it.
#[derive(Clone, Debug)]
pub struct ReachingDecoding {
    /// Cross-validated decoding from the latents (folds grouped by trial).
    pub marble: Decoding,
    /// The same decoder on PCA of the activity with as many components as latents.
    pub pca: Decoding,
    /// Latents of every point (n x out_channels).
    pub latents: Array2<f64>,
    /// Training epochs run.
    pub epochs: usize,
}

/// The parameters the reference's macaque reaching example trains with (`run_marble.py`):
/// a denser graph than the defaults (k = 30, delta = 1.5), 100 hidden channels, 3 latent
/// dimensions, no inner-product features, diffusion on; `epochs` as given. The defaults'
/// graph is too sparse on a few hundred points per target (`docs/experiments.md`).
pub fn params(epochs: usize) -> Params {
    Params {
        k: 30,
        delta: 1.5,
        hidden_channels: vec![100],
        out_channels: 3,
        inner_product_features: false,
        diffusion: true,
        order: 2,
        epochs,
        ..Params::default()
    }
}

/// Train MARBLE on `r` with `p` and decode hand velocity from the latents and from the PCA
/// baseline, with `folds`-fold cross-validation grouped by trial.
pub fn decode(r: &Reaching, p: &ValidParams, folds: usize) -> Result<ReachingDecoding> {
    let d = fit_and_decode(&r.conditions, p, &r.velocity, &r.trial, folds)?;
    Ok(ReachingDecoding { marble: d.marble, pca: d.pca, latents: d.latents, epochs: d.epochs })
}

/// The real-data experiments' decoding step: build and fit `conditions` with `p`, then
/// decode `behaviour` (one row per input row, all conditions stacked) by ridge regression,
/// `folds` folds grouped by `trial` (one id per input row), from the latents and from the
/// first principal components of the input at the latents' dimension (the anchors are
/// principal-component scores already, and PCA's components are nested, so those are the
/// anchors' first columns).
pub(crate) fn fit_and_decode(
    conditions: &Conditions,
    p: &ValidParams,
    behaviour: &Array2<f64>,
    trial: &[usize],
    folds: usize,
) -> Result<FittedDecoding> {
    let data = Dataset::build(conditions, p, &Silent)?;
    let fitted = fit(&data, p, &FitOptions::default(), &mut NoObserver, &Cancel::new())?;
    let latents = fitted.model.transform(&data)?.mapv(f64::from);
    let rows = data.input_rows();
    let y = behaviour.select(Axis(0), &rows);
    let trial: Vec<usize> = rows.iter().map(|&i| trial[i]).collect();
    let dp = DecodeParams { folds, ..DecodeParams::default() };
    let marble = ridge_cv(latents.view(), y.view(), Some(&trial), &dp)?;
    let dim = latents.ncols().min(data.anchor.ncols());
    let pca = ridge_cv(data.anchor.slice(s![.., ..dim]), y.view(), Some(&trial), &dp)?;
    Ok(FittedDecoding { marble, pca, latents, behaviour: y, epochs: fitted.epochs })
}

/// What [`fit_and_decode`] found.
pub(crate) struct FittedDecoding {
    /// Decoding from the latents.
    pub marble: Decoding,
    /// Decoding from the first principal components.
    pub pca: Decoding,
    /// Latents of every point.
    pub latents: Array2<f64>,
    /// The behaviour decoded, one row per point.
    pub behaviour: Array2<f64>,
    /// Epochs trained.
    pub epochs: usize,
}
