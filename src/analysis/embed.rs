//! Low-dimensional views of an embedding: PCA, classical MDS of a distance matrix, and UMAP.

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kmeans::check_points;
use crate::error::{Error, Result};
use crate::geometry::linalg::symmetric_eigen;
use crate::geometry::neighbours::NeighbourIndex;
use crate::seed::{Stream, rng_for};

/// Eigenpairs of a symmetric matrix, largest eigenvalue first, each eigenvector signed so its
/// largest-magnitude entry is positive (so results do not depend on the solver's signs).
fn leading_eigen(m: &Array2<f64>, k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let e = symmetric_eigen(m.nrows(), |i, j| m[[i, j]]);
    let order: Vec<usize> = (0..e.values.len()).rev().take(k).collect();
    let values = order.iter().map(|&i| e.values[i]).collect();
    let vectors = order
        .iter()
        .map(|&i| {
            let v = e.vectors.column(i);
            let big = v.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            let s = if big < 0.0 { -1.0 } else { 1.0 };
            v.iter().map(|x| s * x).collect()
        })
        .collect();
    (values, vectors)
}

/// Principal component analysis fitted to a point set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Column means that were subtracted (d).
    pub mean: Array1<f64>,
    /// Principal axes as rows (k x d), orthonormal, by decreasing variance.
    pub components: Array2<f64>,
    /// Variance along each axis (k), with the n - 1 denominator.
    pub explained_variance: Array1<f64>,
    /// Fraction of the total variance along each axis (k).
    pub explained_variance_ratio: Array1<f64>,
}

impl Pca {
    /// Fit `k` components to the rows of `x` (n x d), from the d x d covariance matrix.
    pub fn fit(x: ArrayView2<f64>, k: usize) -> Result<Pca> {
        check_points(x, "points")?;
        let (n, d) = x.dim();
        if k == 0 || k > d {
            return Err(Error::argument("components", format!("is {k} but the data have {d} columns; use 1..={d}")));
        }
        let mean = x.mean_axis(Axis(0)).expect("n >= 1");
        let centred = &x - &mean;
        let cov = centred.t().dot(&centred) / (n.max(2) - 1) as f64;
        let total = cov.diag().sum();
        let (values, vectors) = leading_eigen(&cov, k);
        let components = Array2::from_shape_fn((k, d), |(r, c)| vectors[r][c]);
        let explained_variance = Array1::from_iter(values.iter().map(|v| v.max(0.0)));
        let explained_variance_ratio = if total > 0.0 { &explained_variance / total } else { Array1::zeros(k) };
        Ok(Pca { mean, components, explained_variance, explained_variance_ratio })
    }

    /// Coordinates of the rows of `x` on the principal axes (n x k).
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::argument(
                "points",
                format!("has {} columns but the PCA was fitted on {}", x.ncols(), self.mean.len()),
            ));
        }
        Ok((&x - &self.mean).dot(&self.components.t()))
    }
}

/// Classical (Torgerson) multidimensional scaling: coordinates in `dim` dimensions whose
/// Euclidean distances best match `distances` (a symmetric C x C matrix with zero diagonal).
/// Negative eigenvalues of the doubly centred matrix (non-Euclidean parts) are dropped.
/// [`mds`] also says how much of the distances each axis explains.
pub fn classical_mds(distances: ArrayView2<f64>, dim: usize) -> Result<Array2<f64>> {
    Ok(mds(distances, dim)?.points)
}

/// A classical MDS map and what its axes explain.
#[derive(Clone, Debug, PartialEq)]
pub struct Mds {
    /// Coordinates (C x dim), centred on the origin.
    pub points: Array2<f64>,
    /// Fraction of the variance along each axis (dim): its eigenvalue of the doubly
    /// centred matrix B = -J D^2 J / 2 over the sum of B's positive eigenvalues (0 for a
    /// negative one, and all 0 when every distance is 0). Near 1 for the first axis when
    /// the conditions lie on a line; the axes together explain at most 1.
    pub explained: Vec<f64>,
}

/// Classical MDS as [`classical_mds`], with the fraction of variance each axis explains.
/// Cost: one dense C x C symmetric eigendecomposition, O(C^3).
/// Reference: the condition embedding of `postprocessing` (`embed` with `MDS`).
pub fn mds(distances: ArrayView2<f64>, dim: usize) -> Result<Mds> {
    let c = distances.nrows();
    if distances.ncols() != c || c == 0 {
        return Err(Error::argument(
            "distances",
            format!("is {} x {}; give a square, non-empty matrix", c, distances.ncols()),
        ));
    }
    if let Some(((i, j), v)) = distances.indexed_iter().find(|(_, v)| !v.is_finite() || **v < 0.0) {
        return Err(Error::argument(
            "distances",
            format!("entry ({i}, {j}) is {v}; distances must be finite and >= 0"),
        ));
    }
    let scale = distances.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    for i in 0..c {
        for j in 0..c {
            if (distances[[i, j]] - distances[[j, i]]).abs() > 1e-9 * scale {
                return Err(Error::argument(
                    "distances",
                    format!("entries ({i}, {j}) and ({j}, {i}) differ; the matrix must be symmetric"),
                ));
            }
        }
    }
    if dim == 0 {
        return Err(Error::argument("dim", "must be at least 1"));
    }
    let sq = distances.mapv(|d| d * d);
    let row = sq.mean_axis(Axis(1)).expect("c >= 1");
    let all = row.mean().expect("c >= 1");
    let b = Array2::from_shape_fn((c, c), |(i, j)| -0.5 * (sq[[i, j]] - row[i] - row[j] + all));
    let (mut values, vectors) = leading_eigen(&b, c);
    // Eigenvalues within rounding of 0 (a line's second axis) are 0.
    let floor = 1e-10 * values[0].abs().max(f64::MIN_POSITIVE);
    values.iter_mut().filter(|l| l.abs() <= floor).for_each(|l| *l = 0.0);
    let total: f64 = values.iter().map(|l| l.max(0.0)).sum();
    let mut points = Array2::zeros((c, dim));
    let mut explained = vec![0.0; dim];
    for (k, (l, v)) in values.iter().zip(&vectors).take(dim).enumerate() {
        let s = l.max(0.0).sqrt();
        for i in 0..c {
            points[[i, k]] = s * v[i];
        }
        // Rounding leaves tiny eigenvalues of an all-zero matrix; they explain nothing.
        if total > 1e-12 * scale * scale {
            explained[k] = l.max(0.0) / total;
        }
    }
    Ok(Mds { points, explained })
}

/// Settings for [`umap`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UmapParams {
    /// Neighbours per point in the fuzzy graph.
    pub n_neighbors: usize,
    /// Smallest distance between embedded points (sets the curve's a and b).
    pub min_dist: f64,
    /// Scale of the embedded clusters.
    pub spread: f64,
    /// Optimisation epochs; `None` is 500 up to 10,000 points and 200 above.
    pub n_epochs: Option<usize>,
    /// Negative samples per positive sample.
    pub negative_samples: usize,
    /// Initial learning rate (decays linearly to 0).
    pub learning_rate: f64,
    /// Above this many points, a seeded uniform subsample is embedded (see
    /// [`Embedding2d::index`]).
    pub max_points: usize,
    /// Seed for subsampling and negative sampling.
    pub seed: u64,
}

impl Default for UmapParams {
    fn default() -> Self {
        UmapParams {
            n_neighbors: 15,
            min_dist: 0.1,
            spread: 1.0,
            n_epochs: None,
            negative_samples: 5,
            learning_rate: 1.0,
            max_points: 20_000,
            seed: 0,
        }
    }
}

/// A 2-D (or low-dimensional) view of some of the rows of an embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embedding2d {
    /// Coordinates (m x dim).
    pub points: Array2<f64>,
    /// Which input rows the coordinates belong to (m, increasing); all rows unless subsampled.
    pub index: Vec<usize>,
    /// What was computed, e.g. "umap" or "umap of a seeded subsample of 20000 of 81000 points".
    pub method: String,
}

/// The parameters a and b of UMAP's curve 1 / (1 + a d^(2b)), fitted by Levenberg-Marquardt
/// to the target exp(-(d - min_dist) / spread) beyond `min_dist` and 1 below it.
pub fn fit_ab(min_dist: f64, spread: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * spread * i as f64 / 299.0).collect();
    let target: Vec<f64> =
        xs.iter().map(|&x| if x < min_dist { 1.0 } else { (-(x - min_dist) / spread).exp() }).collect();
    let residuals = |a: f64, b: f64| -> f64 {
        xs.iter().zip(&target).map(|(&x, &t)| (1.0 / (1.0 + a * x.powf(2.0 * b)) - t).powi(2)).sum()
    };
    let (mut a, mut b, mut lambda) = (1.0, 1.0, 1e-3);
    let mut current = residuals(a, b);
    for _ in 0..200 {
        // Normal equations J^T J and J^T r of the 2-parameter problem.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &t) in xs.iter().zip(&target) {
            if x <= 0.0 {
                continue;
            }
            let p = x.powf(2.0 * b);
            let g = 1.0 / (1.0 + a * p);
            let da = -p * g * g;
            let db = -a * p * 2.0 * x.ln() * g * g;
            let r = g - t;
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let (m11, m22) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
        let det = m11 * m22 - jab * jab;
        if det.abs() < 1e-300 {
            break;
        }
        let step_a = -(m22 * ga - jab * gb) / det;
        let step_b = -(m11 * gb - jab * ga) / det;
        let (na, nb) = (a + step_a, b + step_b);
        let next = if na > 0.0 && nb > 0.0 { residuals(na, nb) } else { f64::INFINITY };
        if next < current {
            let converged = (current - next) < 1e-15 * current.max(1e-300);
            (a, b, current, lambda) = (na, nb, next, lambda * 0.3);
            if converged {
                break;
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e12 {
                break;
            }
        }
    }
    (a, b)
}

fn check_umap(p: &UmapParams) -> Result<()> {
    if p.n_neighbors < 2 {
        return Err(Error::argument("n_neighbors", "must be at least 2"));
    }
    if !(p.spread > 0.0 && p.spread.is_finite()) {
        return Err(Error::argument("spread", format!("is {}; use a positive value", p.spread)));
    }
    if !(p.min_dist >= 0.0 && p.min_dist < p.spread) {
        return Err(Error::argument(
            "min_dist",
            format!("is {}; use 0 <= min_dist < spread ({})", p.min_dist, p.spread),
        ));
    }
    if !(p.learning_rate > 0.0 && p.learning_rate.is_finite()) {
        return Err(Error::argument("learning_rate", format!("is {}; use a positive value", p.learning_rate)));
    }
    if p.n_epochs == Some(0) {
        return Err(Error::argument("n_epochs", "must be at least 1"));
    }
    if p.max_points < 3 {
        return Err(Error::argument("max_points", "must be at least 3"));
    }
    Ok(())
}

/// Symmetrised fuzzy k-nearest-neighbour graph of UMAP as directed edges (both directions).
fn fuzzy_graph(x: ArrayView2<f64>, k: usize) -> Vec<(u32, u32, f64)> {
    let n = x.nrows();
    let index = NeighbourIndex::new(x);
    let target = (k as f64).log2();
    let mut weights: HashMap<(u32, u32), f64> = HashMap::with_capacity(n * k);
    for i in 0..n {
        let nb = index.nearest_others(i, k);
        let rho = nb.iter().map(|b| b.distance).find(|&d| d > 0.0).unwrap_or(0.0);
        let mean = nb.iter().map(|b| b.distance).sum::<f64>() / nb.len().max(1) as f64;
        let mass = |s: f64| nb.iter().map(|b| (-(b.distance - rho).max(0.0) / s).exp()).sum::<f64>();
        let (mut lo, mut hi, mut sigma) = (0.0, f64::INFINITY, 1.0);
        for _ in 0..64 {
            let m = mass(sigma);
            if (m - target).abs() < 1e-5 {
                break;
            }
            if m > target {
                hi = sigma;
                sigma = 0.5 * (lo + hi);
            } else {
                lo = sigma;
                sigma = if hi.is_infinite() { 2.0 * sigma } else { 0.5 * (lo + hi) };
            }
        }
        let sigma = sigma.max(1e-3 * mean).max(f64::MIN_POSITIVE);
        for b in nb {
            let w = (-(b.distance - rho).max(0.0) / sigma).exp();
            weights.insert((i as u32, b.index), w);
        }
    }
    let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(2 * weights.len());
    for (&(i, j), &w) in &weights {
        let back = weights.get(&(j, i)).copied().unwrap_or(0.0);
        let union = w + back - w * back;
        edges.push((i, j, union));
        if back == 0.0 {
            edges.push((j, i, union));
        }
    }
    edges.sort_by_key(|e| (e.0, e.1));
    edges
}

/// UMAP (McInnes, Healy and Melville 2018) of the rows of `x` into `dim` dimensions: fuzzy
/// k-nearest-neighbour graph, PCA initialisation, and seeded SGD with negative sampling in
/// which every point moves (in parallel) against the others' positions at the start of each
/// epoch, so the result is the same for the same seed on any number of threads.
pub fn umap(x: ArrayView2<f64>, dim: usize, p: &UmapParams) -> Result<Embedding2d> {
    check_points(x, "points")?;
    check_umap(p)?;
    if dim == 0 {
        return Err(Error::argument("dim", "must be at least 1"));
    }
    let total = x.nrows();
    if total < 3 {
        return Err(Error::argument("points", format!("has {total} rows; UMAP needs at least 3 points")));
    }
    let mut rng = rng_for(p.seed, Stream::Umap, 0);
    let (index, method) = if total > p.max_points {
        let mut idx = sample(&mut rng, total, p.max_points).into_vec();
        idx.sort_unstable();
        (idx, format!("umap of a seeded subsample of {} of {total} points", p.max_points))
    } else {
        ((0..total).collect(), "umap".to_string())
    };
    let x = x.select(Axis(0), &index);
    let graph = UmapGraph::new(x.view(), p);
    let y = initial_layout(x.view(), dim, &mut rng)?;
    let y = optimise_layout(y, &graph, p);
    Ok(Embedding2d { points: y, index, method })
}

/// UMAP's graph with its sampling schedule and the curve that turns distances into
/// similarities.
struct UmapGraph {
    /// Directed edges (both directions of each), sorted by head, with their weights.
    edges: Vec<(u32, u32, f64)>,
    /// Edges of point i: `starts[i]..starts[i + 1]`.
    starts: Vec<usize>,
    /// Edge e is pulled every `per_sample[e]` epochs.
    per_sample: Vec<f64>,
    n_epochs: usize,
    /// The curve 1 / (1 + a d^2b) fitted to `min_dist` and `spread`.
    a: f64,
    b: f64,
}

impl UmapGraph {
    /// The fuzzy graph of `x` without edges too weak to be sampled in `n_epochs`, and how
    /// often each edge is sampled.
    fn new(x: ArrayView2<f64>, p: &UmapParams) -> UmapGraph {
        let n = x.nrows();
        let k = p.n_neighbors.min(n - 1);
        let mut edges = fuzzy_graph(x, k);
        let n_epochs = p.n_epochs.unwrap_or(if n <= 10_000 { 500 } else { 200 });
        let max_w = edges.iter().map(|e| e.2).fold(0.0, f64::max);
        edges.retain(|e| e.2 >= max_w / n_epochs as f64);
        let (a, b) = fit_ab(p.min_dist, p.spread);
        // Sampling: edge e is pulled every max_w / w_e epochs, each pull with
        // `negative_samples` pushes away from uniformly drawn points.
        let per_sample: Vec<f64> = edges.iter().map(|e| max_w / e.2).collect();
        let mut starts = vec![0usize; n + 1];
        for e in &edges {
            starts[e.0 as usize + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        UmapGraph { edges, starts, per_sample, n_epochs, a, b }
    }
}

/// PCA initialisation (n x dim), scaled to a box of half-width 10 as UMAP's spectral start
/// is, with a tiny seeded jitter.
fn initial_layout(x: ArrayView2<f64>, dim: usize, rng: &mut ChaCha8Rng) -> Result<Array2<f64>> {
    let (n, d) = x.dim();
    let mut y = Array2::<f64>::zeros((n, dim));
    let pcs = Pca::fit(x, dim.min(d))?.transform(x)?;
    y.slice_mut(ndarray::s![.., ..pcs.ncols()]).assign(&pcs);
    let extent = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if extent > 0.0 {
        y *= 10.0 / extent;
    }
    for v in y.iter_mut() {
        // A tiny jitter separates duplicates and fills unused dimensions.
        *v += 1e-4 * (rng.random::<f64>() - 0.5);
    }
    Ok(y)
}

/// UMAP's SGD from `y`. Each epoch every point moves against the others' positions at the
/// epoch's start, so the points move in parallel and the result does not depend on the
/// number of threads. The graph holds both directions of every edge and each moves only its
/// head, by twice the step, as the sequential form moves both ends of each direction once.
fn optimise_layout(mut y: Array2<f64>, graph: &UmapGraph, p: &UmapParams) -> Array2<f64> {
    let (n, dim) = y.dim();
    let (a, b, n_epochs) = (graph.a, graph.b, graph.n_epochs);
    let mut rngs: Vec<ChaCha8Rng> = (0..n).map(|i| rng_for(p.seed, Stream::Umap, 1 + i as u64)).collect();
    let mut next = y.clone();
    let clip = |g: f64| g.clamp(-4.0, 4.0);
    for epoch in 0..n_epochs {
        let alpha = p.learning_rate * (1.0 - epoch as f64 / n_epochs as f64);
        let sampled = |e: usize| {
            let s = graph.per_sample[e];
            epoch >= 1 && (epoch as f64 / s).floor() > ((epoch - 1) as f64 / s).floor()
        };
        let now = y.view();
        next.axis_iter_mut(Axis(0)).into_par_iter().zip(rngs.par_iter_mut()).enumerate().for_each(
            |(i, (mut me, rng))| {
                me.assign(&now.row(i));
                for e in (graph.starts[i]..graph.starts[i + 1]).filter(|&e| sampled(e)) {
                    let j = graph.edges[e].1 as usize;
                    let other = now.row(j);
                    let d2: f64 = me.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum();
                    if d2 > 0.0 {
                        // d2^b in f32: single precision is ample for the SGD step, and
                        // glibc's powf is several times faster than pow, which dominated.
                        let pb = f64::from((d2 as f32).powf(b as f32));
                        let coef = -2.0 * a * b * (pb / d2) / (a * pb + 1.0);
                        for c in 0..dim {
                            me[c] += 2.0 * clip(coef * (me[c] - other[c])) * alpha;
                        }
                    }
                    for _ in 0..p.negative_samples {
                        let o = rng.random_range(0..n);
                        if o == i {
                            continue;
                        }
                        let other = now.row(o);
                        let d2: f64 = me.iter().zip(other).map(|(a, b)| (a - b) * (a - b)).sum();
                        let coef = if d2 > 0.0 {
                            2.0 * b / ((0.001 + d2) * (a * f64::from((d2 as f32).powf(b as f32)) + 1.0))
                        } else {
                            0.0
                        };
                        for c in 0..dim {
                            me[c] += alpha * if d2 > 0.0 { clip(coef * (me[c] - other[c])) } else { 4.0 };
                        }
                    }
                }
            },
        );
        std::mem::swap(&mut y, &mut next);
    }
    y
}
