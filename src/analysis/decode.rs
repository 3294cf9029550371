//! Linear decoding of behaviour from latents: ridge regression scored by cross-validated R^2.
//!
//! Folds are contiguous blocks of rows (time series leak across neighbouring samples, so a
//! random split would flatter the decoder) or, when groups (trials, conditions) are given,
//! whole groups. The ridge strength is chosen inside each training set by leave-one-fold-out
//! over the remaining folds. Every fit works from per-fold sums (sum x, x x^T, x y^T, ...), so
//! the cost is one pass over the data plus small d x d solves.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::embed::Pca;
use super::kmeans::check_points;
use crate::error::{Error, Result};
use crate::geometry::linalg::solve_symmetric;
use crate::seed::{Stream, rng_for};

/// Settings for [`ridge_cv`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeParams {
    /// Number of cross-validation folds.
    pub folds: usize,
    /// Candidate ridge strengths, relative to standardised predictors (the penalty is
    /// alpha * n_train * |w|^2 on z-scored columns).
    pub alphas: Vec<f64>,
    /// Seed for dealing groups into folds.
    pub seed: u64,
}

impl Default for DecodeParams {
    fn default() -> Self {
        DecodeParams { folds: 5, alphas: vec![1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], seed: 0 }
    }
}

/// Cross-validated decoding scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decoding {
    /// R^2 of each behavioural output on held-out rows (1 - SSE / total sum of squares).
    pub r2: Vec<f64>,
    /// Mean of `r2` over outputs.
    pub r2_mean: f64,
    /// Out-of-fold predictions (n x outputs).
    pub predictions: Array2<f64>,
    /// Fold of each row.
    pub fold: Vec<usize>,
    /// Ridge strength chosen in each fold.
    pub alphas: Vec<f64>,
    /// Whether folds follow the given groups.
    pub grouped: bool,
    /// Number of predictor columns.
    pub predictors: usize,
}

/// Assign rows to `folds` folds: contiguous blocks, or whole groups dealt (after a seeded
/// shuffle) to the currently smallest fold, largest groups first.
pub fn assign_folds(n: usize, groups: Option<&[usize]>, folds: usize, seed: u64) -> Result<Vec<usize>> {
    if folds < 2 {
        return Err(Error::argument("folds", format!("is {folds}; cross-validation needs at least 2")));
    }
    match groups {
        None => {
            if n < folds {
                return Err(Error::argument("folds", format!("is {folds} but there are only {n} rows")));
            }
            Ok((0..n).map(|i| i * folds / n).collect())
        }
        Some(g) => {
            if g.len() != n {
                return Err(Error::argument(
                    "groups",
                    format!("has {} entries for {n} rows; give one group per row", g.len()),
                ));
            }
            let mut ids: Vec<usize> = g.to_vec();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() < folds {
                return Err(Error::argument(
                    "groups",
                    format!(
                        "has {} distinct groups but {folds} folds were asked for; use folds <= {}",
                        ids.len(),
                        ids.len()
                    ),
                ));
            }
            let mut size = std::collections::HashMap::new();
            for &x in g {
                *size.entry(x).or_insert(0usize) += 1;
            }
            ids.shuffle(&mut rng_for(seed, Stream::Folds, 0));
            ids.sort_by_key(|id| std::cmp::Reverse(size[id]));
            let mut load = vec![0usize; folds];
            let mut fold_of = std::collections::HashMap::new();
            for id in ids {
                let f = (0..folds).min_by_key(|&f| load[f]).expect("folds >= 2");
                load[f] += size[&id];
                fold_of.insert(id, f);
            }
            Ok(g.iter().map(|x| fold_of[x]).collect())
        }
    }
}

/// Sufficient statistics of a set of rows.
#[derive(Clone)]
struct Stats {
    n: f64,
    sx: Array1<f64>,
    sxx: Array2<f64>,
    sy: Array1<f64>,
    sxy: Array2<f64>,
    syy: Array1<f64>,
}

impl Stats {
    fn zero(d: usize, b: usize) -> Stats {
        Stats {
            n: 0.0,
            sx: Array1::zeros(d),
            sxx: Array2::zeros((d, d)),
            sy: Array1::zeros(b),
            sxy: Array2::zeros((d, b)),
            syy: Array1::zeros(b),
        }
    }

    fn add_row(&mut self, x: ArrayView1<f64>, y: ArrayView1<f64>) {
        let (d, b) = (x.len(), y.len());
        self.n += 1.0;
        for i in 0..d {
            self.sx[i] += x[i];
            for j in 0..d {
                self.sxx[[i, j]] += x[i] * x[j];
            }
            for k in 0..b {
                self.sxy[[i, k]] += x[i] * y[k];
            }
        }
        for k in 0..b {
            self.sy[k] += y[k];
            self.syy[k] += y[k] * y[k];
        }
    }

    fn add(&mut self, o: &Stats) {
        self.n += o.n;
        self.sx += &o.sx;
        self.sxx += &o.sxx;
        self.sy += &o.sy;
        self.sxy += &o.sxy;
        self.syy += &o.syy;
    }

    /// Ridge weights (d x b) and intercepts (b) on z-scored predictors.
    fn fit(&self, alpha: f64) -> (Array2<f64>, Array1<f64>) {
        let n = self.n;
        let mx = &self.sx / n;
        let my = &self.sy / n;
        let outer =
            |a: &Array1<f64>, b: &Array1<f64>| a.view().insert_axis(Axis(1)).dot(&b.view().insert_axis(Axis(0)));
        let cov = &self.sxx / n - outer(&mx, &mx);
        let cxy = &self.sxy / n - outer(&mx, &my);
        let d = mx.len();
        let scale = Array1::from_shape_fn(d, |i| {
            let v = cov[[i, i]];
            if v > 1e-12 * (1.0 + mx[i] * mx[i]) { v.sqrt() } else { 1.0 }
        });
        let mut a = Array2::from_shape_fn((d, d), |(i, j)| cov[[i, j]] / (scale[i] * scale[j]));
        for i in 0..d {
            a[[i, i]] += alpha;
        }
        let rhs = Array2::from_shape_fn((d, cxy.ncols()), |(i, k)| cxy[[i, k]] / scale[i]);
        let ws = solve_symmetric(&a, &rhs);
        let w = Array2::from_shape_fn((d, ws.ncols()), |(i, k)| ws[[i, k]] / scale[i]);
        let c = &my - &w.t().dot(&mx);
        (w, c)
    }

    /// Summed squared error of the linear map (w, c) over these rows, from the sums alone.
    fn sse(&self, w: &Array2<f64>, c: &Array1<f64>) -> f64 {
        (0..c.len())
            .map(|k| {
                let wk = w.column(k);
                self.syy[k] - 2.0 * wk.dot(&self.sxy.column(k)) - 2.0 * c[k] * self.sy[k]
                    + wk.dot(&self.sxx.dot(&wk))
                    + 2.0 * c[k] * wk.dot(&self.sx)
                    + self.n * c[k] * c[k]
            })
            .sum()
    }
}

/// Ridge regression of `y` (n x b) on `x` (n x d) with cross-validation; `groups` (one id
/// per row: trial or condition) keeps each group inside one fold.
pub fn ridge_cv(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    groups: Option<&[usize]>,
    p: &DecodeParams,
) -> Result<Decoding> {
    let (fold, stats) = fold_stats(x, y, groups, p)?;
    let (n, d) = x.dim();
    let b = y.ncols();
    let mut predictions = Array2::zeros((n, b));
    let mut chosen = Vec::with_capacity(p.folds);
    for test in 0..p.folds {
        let alpha = best_alpha(&stats, &[test], p);
        chosen.push(alpha);
        let (w, c) = sum_except(&stats, &[test]).fit(alpha);
        for (i, _) in fold.iter().enumerate().filter(|(_, f)| **f == test) {
            for k in 0..b {
                predictions[[i, k]] = c[k] + (0..d).map(|j| x[[i, j]] * w[[j, k]]).sum::<f64>();
            }
        }
    }
    let r2 = r2_scores(y, predictions.view());
    let r2_mean = r2.iter().sum::<f64>() / b as f64;
    Ok(Decoding { r2, r2_mean, predictions, fold, alphas: chosen, grouped: groups.is_some(), predictors: d })
}

/// Check the decoder's inputs, deal the rows into folds and sum each fold's statistics.
fn fold_stats(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    groups: Option<&[usize]>,
    p: &DecodeParams,
) -> Result<(Vec<usize>, Vec<Stats>)> {
    check_points(x, "latents")?;
    check_points(y, "behaviour")?;
    let (n, d) = x.dim();
    if y.nrows() != n {
        return Err(Error::argument(
            "behaviour",
            format!("has {} rows but the latents have {n}; give one row per point", y.nrows()),
        ));
    }
    if p.alphas.is_empty() || p.alphas.iter().any(|a| !(*a >= 0.0 && a.is_finite())) {
        return Err(Error::argument("alphas", "give at least one finite ridge strength >= 0"));
    }
    for (k, col) in y.columns().into_iter().enumerate() {
        if col.iter().all(|v| *v == col[0]) {
            return Err(Error::argument("behaviour", format!("column {k} is constant, so R^2 is undefined; drop it")));
        }
    }
    let fold = assign_folds(n, groups, p.folds, p.seed)?;
    let mut stats = vec![Stats::zero(d, y.ncols()); p.folds];
    for (i, &f) in fold.iter().enumerate() {
        stats[f].add_row(x.row(i), y.row(i));
    }
    Ok((fold, stats))
}

/// The statistics of every fold but those in `skip`.
fn sum_except(stats: &[Stats], skip: &[usize]) -> Stats {
    let mut s = Stats::zero(stats[0].sx.len(), stats[0].sy.len());
    for (f, st) in stats.iter().enumerate() {
        if !skip.contains(&f) {
            s.add(st);
        }
    }
    s
}

/// The ridge strength with the least leave-one-fold-out error over the folds not in `held`.
fn best_alpha(stats: &[Stats], held: &[usize], p: &DecodeParams) -> f64 {
    p.alphas
        .iter()
        .copied()
        .map(|a| {
            let err: f64 = (0..stats.len())
                .filter(|f| !held.contains(f))
                .map(|inner| {
                    let mut skip = held.to_vec();
                    skip.push(inner);
                    let (w, c) = sum_except(stats, &skip).fit(a);
                    stats[inner].sse(&w, &c)
                })
                .sum();
            (a, err)
        })
        .min_by(|l, r| l.1.total_cmp(&r.1))
        .expect("alphas non-empty")
        .0
}

/// R^2 of each column of `predicted` against `y` (1 - SSE / total sum of squares about
/// `y`'s own mean).
pub(crate) fn r2_scores(y: ArrayView2<f64>, predicted: ArrayView2<f64>) -> Vec<f64> {
    (0..y.ncols())
        .map(|k| {
            let col = y.column(k);
            let mean = col.mean().expect("n >= 1");
            let sst: f64 = col.iter().map(|v| (v - mean).powi(2)).sum();
            let sse: f64 = col.iter().zip(predicted.column(k)).map(|(v, q)| (v - q).powi(2)).sum();
            1.0 - sse / sst
        })
        .collect()
}

/// A ridge decoder fitted on all rows, to apply to other data.
#[derive(Clone, Debug)]
pub(crate) struct Ridge {
    /// Weights (d x b).
    w: Array2<f64>,
    /// Intercepts (b).
    c: Array1<f64>,
}

impl Ridge {
    /// Predictions for the rows of `x` (n x d).
    pub(crate) fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        x.dot(&self.w) + &self.c
    }
}

/// Ridge regression of `y` on `x` over all rows, its strength chosen by leave-one-fold-out
/// cross-validation (`groups` as in [`ridge_cv`]).
pub(crate) fn fit_ridge(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    groups: Option<&[usize]>,
    p: &DecodeParams,
) -> Result<Ridge> {
    let (_, stats) = fold_stats(x, y, groups, p)?;
    let alpha = best_alpha(&stats, &[], p);
    let (w, c) = sum_except(&stats, &[]).fit(alpha);
    Ok(Ridge { w, c })
}

/// The baseline the paper compares against: the same decoder on the first `dim` principal
/// components of the input (PCA fitted on all rows, as MARBLE's embedding is).
pub fn pca_baseline(
    input: ArrayView2<f64>,
    y: ArrayView2<f64>,
    dim: usize,
    groups: Option<&[usize]>,
    p: &DecodeParams,
) -> Result<Decoding> {
    let pca = Pca::fit(input, dim.min(input.ncols()))?;
    ridge_cv(pca.transform(input)?.view(), y, groups, p)
}
