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
    /// Above this many embedded points, the layout is optimised on a seeded subsample of
    /// this many, stratified by group (see [`stratified_sample`]), and the other points are
    /// placed by UMAP's transform (see [`Embedding2d::optimised`]).
    pub max_optimised: usize,
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
            // As many as are shown: the layout of every shown point is optimised, as before.
            // 3,000 halved the view's time on 6,000 to 17,600 points (before the SGD ran in
            // vector lanes, which did not change its quality) but lowered its
            // trustworthiness (vanderpol 0.9988 -> 0.9974) and k-NN preservation
            // (0.651 -> 0.531), which the view must not lose; so it is a setting, not the
            // default. Fewer epochs lose quality too: 300 or 400 instead of umap-learn's 500
            // gave vanderpol a mean trustworthiness of 0.99852 and 0.99864 (seeds 0 to 2),
            // against 0.99872 at 500 (seeds 0 to 15).
            max_optimised: 20_000,
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
    /// The input rows whose coordinates were optimised (increasing, a subset of `index`);
    /// UMAP placed the others by its transform. All of `index` for views computed in one go.
    #[serde(default)]
    pub optimised: Vec<usize>,
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
    if p.max_optimised < 3 {
        return Err(Error::argument("max_optimised", "must be at least 3"));
    }
    Ok(())
}

/// UMAP's fuzzy memberships of a point's neighbours at `distances` (ascending):
/// exp(-(d - rho) / sigma), with rho the nearest non-zero distance and sigma found by
/// bisection so that the memberships sum to log2(k) (k = number of neighbours).
/// Reference: umap-learn's `smooth_knn_dist`.
fn memberships(distances: &[f64]) -> Vec<f64> {
    let target = (distances.len() as f64).log2();
    let rho = distances.iter().copied().find(|&d| d > 0.0).unwrap_or(0.0);
    let mean = distances.iter().sum::<f64>() / distances.len().max(1) as f64;
    let mass = |s: f64| distances.iter().map(|d| (-(d - rho).max(0.0) / s).exp()).sum::<f64>();
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
    distances.iter().map(|d| (-(d - rho).max(0.0) / sigma).exp()).collect()
}

/// Symmetrised fuzzy k-nearest-neighbour graph of UMAP as directed edges (both directions).
fn fuzzy_graph(x: ArrayView2<f64>, k: usize) -> Vec<(u32, u32, f64)> {
    let n = x.nrows();
    let index = NeighbourIndex::new(x);
    // Each point's neighbours and memberships in parallel, gathered in row order.
    let rows: Vec<Vec<(u32, f64)>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let nb = index.nearest_others(i, k);
            let distances: Vec<f64> = nb.iter().map(|b| b.distance).collect();
            nb.iter().map(|b| b.index).zip(memberships(&distances)).collect()
        })
        .collect();
    let mut weights: HashMap<(u32, u32), f64> = HashMap::with_capacity(n * k);
    for (i, row) in rows.into_iter().enumerate() {
        for (j, w) in row {
            weights.insert((i as u32, j), w);
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

/// UMAP (McInnes, Healy and Melville 2018) of the rows of `x` into `dim` (1 to 8) dimensions: fuzzy
/// k-nearest-neighbour graph, PCA initialisation, and seeded SGD with negative sampling in
/// which every point moves (in parallel) against the others' positions at the start of each
/// epoch, so the result is the same for the same seed on any number of threads. Above
/// `p.max_optimised` points, see [`umap_by_group`] (here with one group).
pub fn umap(x: ArrayView2<f64>, dim: usize, p: &UmapParams) -> Result<Embedding2d> {
    umap_by_group(x, &[], dim, p)
}

/// [`umap`] of the rows of `x` (n x d) in groups (`group[i]` for row i, e.g. the condition;
/// empty for one group). Up to `p.max_optimised` points, the layout of all of them is
/// optimised. Above, it is optimised on [`stratified_sample`] of `p.max_optimised` points
/// and each other point is placed as in umap-learn's `transform`: its fuzzy memberships to
/// its `n_neighbors` nearest optimised points start it at their weighted mean of positions,
/// then a third of the epochs (100 up to 10,000 placed points, 30 above; a quarter of the
/// learning rate) pull it towards them and push it from random optimised points, which do
/// not move. Cost: O(s k epochs) for s optimised points, plus O((n - s) k (log s + epochs / 3)).
pub fn umap_by_group(x: ArrayView2<f64>, group: &[usize], dim: usize, p: &UmapParams) -> Result<Embedding2d> {
    check_points(x, "points")?;
    check_umap(p)?;
    if dim == 0 || dim > MAX_DIM {
        return Err(Error::argument("dim", format!("is {dim}; UMAP embeds in 1 to {MAX_DIM} dimensions")));
    }
    let total = x.nrows();
    if total < 3 {
        return Err(Error::argument("points", format!("has {total} rows; UMAP needs at least 3 points")));
    }
    if total.min(p.max_points) >= PULLS as usize {
        return Err(Error::argument("max_points", "must be below 2^31: UMAP indexes its points by 31 bits"));
    }
    if !group.is_empty() && group.len() != total {
        return Err(Error::argument("group", format!("has {} entries for {total} points", group.len())));
    }
    let mut rng = rng_for(p.seed, Stream::Umap, 0);
    let (index, mut method) = if total > p.max_points {
        let mut idx = sample(&mut rng, total, p.max_points).into_vec();
        idx.sort_unstable();
        (idx, format!("umap of a seeded subsample of {} of {total} points", p.max_points))
    } else {
        ((0..total).collect(), "umap".to_string())
    };
    let x = x.select(Axis(0), &index);
    let n = x.nrows();
    let fit: Vec<usize> = if n > p.max_optimised {
        let shown: Vec<usize> = index.iter().map(|&i| group.get(i).copied().unwrap_or(0)).collect();
        method += &format!(
            ", optimised on {} points stratified by condition and the rest placed by transform",
            p.max_optimised
        );
        stratified_sample(&shown, p.max_optimised, p.seed)?
    } else {
        (0..n).collect()
    };
    let xf = x.select(Axis(0), &fit);
    let graph = UmapGraph::new(xf.view(), p);
    let y = initial_layout(xf.view(), dim, &mut rng)?;
    let fitted = optimise_layout(y, &graph, p, None);
    let mut points = Array2::zeros((n, dim));
    let mut placed = vec![true; n];
    for (r, &i) in fit.iter().enumerate() {
        points.row_mut(i).assign(&fitted.row(r));
        placed[i] = false;
    }
    let rest: Vec<usize> = (0..n).filter(|&i| placed[i]).collect();
    if !rest.is_empty() {
        let y = place(xf.view(), fitted.view(), x.select(Axis(0), &rest).view(), (graph.a, graph.b), p);
        for (r, &i) in rest.iter().enumerate() {
            points.row_mut(i).assign(&y.row(r));
        }
    }
    let optimised = fit.iter().map(|&i| index[i]).collect();
    Ok(Embedding2d { points, index, method, optimised })
}

/// A seeded subsample of `size` of the rows (all when there are at most `size`), stratified
/// by `group` (row i in group `group[i]`): each group gets its share size n_g / n, rounded
/// down, and the rows left over go to the groups with the largest remainders (the lower
/// group first on ties); each group's rows are drawn uniformly with its own seeded stream,
/// so one group's draw does not depend on the others'. Sorted.
pub fn stratified_sample(group: &[usize], size: usize, seed: u64) -> Result<Vec<usize>> {
    let n = group.len();
    if size >= n {
        return Ok((0..n).collect());
    }
    let groups = group.iter().max().map_or(0, |g| g + 1);
    if groups > n {
        return Err(Error::argument("group", format!("holds group {} for {n} points; number groups 0..", groups - 1)));
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    for (i, &g) in group.iter().enumerate() {
        members[g].push(i);
    }
    let share = |g: usize| (size * members[g].len()) as f64 / n as f64;
    let mut quota: Vec<usize> = (0..groups).map(|g| share(g).floor() as usize).collect();
    let mut by_remainder: Vec<usize> = (0..groups).collect();
    by_remainder
        .sort_by(|&g, &h| (share(h) - share(h).floor()).total_cmp(&(share(g) - share(g).floor())).then(g.cmp(&h)));
    let left = size - quota.iter().sum::<usize>();
    for &g in by_remainder.iter().take(left) {
        quota[g] += 1;
    }
    let mut rows: Vec<usize> = Vec::with_capacity(size);
    for (g, rows_g) in members.iter().enumerate() {
        let mut rng = rng_for(seed, Stream::ViewSample, g as u64);
        rows.extend(sample(&mut rng, rows_g.len(), quota[g]).into_iter().map(|k| rows_g[k]));
    }
    rows.sort_unstable();
    Ok(rows)
}

/// Place the points `new` (n x d) in a fitted layout (`fitted_x` optimised to `fitted_y`),
/// as umap-learn's `transform` (see [`umap_by_group`]).
fn place(
    fitted_x: ArrayView2<f64>,
    fitted_y: ArrayView2<f64>,
    new: ArrayView2<f64>,
    (a, b): (f64, f64),
    p: &UmapParams,
) -> Array2<f64> {
    let index = NeighbourIndex::new(fitted_x);
    let k = p.n_neighbors.min(fitted_x.nrows());
    let rows: Vec<Vec<(u32, f64)>> = new
        .axis_iter(Axis(0))
        .into_par_iter()
        .map(|q| {
            let q = q.to_vec();
            let nb = index.nearest(&q, k);
            let distances: Vec<f64> = nb.iter().map(|b| b.distance).collect();
            nb.iter().map(|b| b.index).zip(memberships(&distances)).collect()
        })
        .collect();
    let mut y = Array2::zeros((new.nrows(), fitted_y.ncols()));
    for (mut me, row) in y.axis_iter_mut(Axis(0)).zip(&rows) {
        let total: f64 = row.iter().map(|e| e.1).sum();
        for &(j, w) in row {
            me.scaled_add(w / total, &fitted_y.row(j as usize));
        }
    }
    let edges: Vec<(u32, u32, f64)> =
        rows.iter().enumerate().flat_map(|(i, row)| row.iter().map(move |&(j, w)| (i as u32, j, w))).collect();
    let n_epochs = p.n_epochs.map_or(if new.nrows() <= 10_000 { 100 } else { 30 }, |e| (e / 3).max(1));
    let graph = UmapGraph::from_edges(edges, new.nrows(), n_epochs, (a, b));
    optimise_layout(y, &graph, p, Some(fitted_y))
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
        let n_epochs = p.n_epochs.unwrap_or(if n <= 10_000 { 500 } else { 200 });
        UmapGraph::from_edges(fuzzy_graph(x, k), n, n_epochs, fit_ab(p.min_dist, p.spread))
    }

    /// The graph of the directed `edges` (sorted by head) out of `n` heads, with the curve
    /// (a, b), sampled over `n_epochs`.
    fn from_edges(mut edges: Vec<(u32, u32, f64)>, n: usize, n_epochs: usize, (a, b): (f64, f64)) -> UmapGraph {
        let max_w = edges.iter().map(|e| e.2).fold(0.0, f64::max);
        edges.retain(|e| e.2 >= max_w / n_epochs as f64);
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
/// With `fixed`, the graph's tails and the negative samples are rows of `fixed`, which do
/// not move, and each pull moves its head once at a quarter of the learning rate (umap-learn's
/// `transform`). The steps are computed in single precision, as umap-learn's are (see
/// [`Lanes`]): the layout is stored in double but rounded to single each epoch.
fn optimise_layout(
    mut y: Array2<f64>,
    graph: &UmapGraph,
    p: &UmapParams,
    fixed: Option<ArrayView2<f64>>,
) -> Array2<f64> {
    if !y.is_standard_layout() {
        y = y.as_standard_layout().into_owned();
    }
    let (n, dim) = y.dim();
    let n_epochs = graph.n_epochs;
    let stream = if fixed.is_some() { Stream::ViewPlace } else { Stream::Umap };
    let first = u64::from(fixed.is_none());
    let mut rngs: Vec<ChaCha8Rng> = (0..n).map(|i| rng_for(p.seed, stream, first + i as u64)).collect();
    let (rate, pull) = if fixed.is_some() { (p.learning_rate / 4.0, 1.0) } else { (p.learning_rate, 2.0) };
    let fixed = fixed.map(|f| f.as_standard_layout().into_owned());
    // Epoch at which each edge is next pulled (umap-learn's `epoch_of_next_sample`); each
    // point owns the entries of its edges, so the points can move in parallel.
    let mut next_pull = graph.per_sample.clone();
    let mut owned: Vec<&mut [f64]> = Vec::with_capacity(n);
    let mut rest = next_pull.as_mut_slice();
    for i in 0..n {
        let (mine, after) = rest.split_at_mut(graph.starts[i + 1] - graph.starts[i]);
        owned.push(mine);
        rest = after;
    }
    let mut next = y.clone();
    for epoch in 0..n_epochs {
        let step = Step {
            alpha: rate * (1.0 - epoch as f64 / n_epochs as f64),
            pull,
            epoch: epoch as f64,
            moving: fixed.is_none(),
        };
        let now = y.as_slice().expect("an owned standard-layout array");
        let others = fixed.as_ref().map_or(now, |f| f.as_slice().expect("standard layout"));
        next.as_slice_mut()
            .expect("an owned standard-layout array")
            .par_chunks_mut(CHUNK * dim)
            .zip(rngs.par_chunks_mut(CHUNK))
            .zip(owned.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each_init(Lanes::default, |lanes, (c, ((me, rngs), next_pull))| {
                let from = c * CHUNK;
                me.copy_from_slice(&now[from * dim..from * dim + me.len()]);
                lanes.plan(&step, from, others.len() / dim, graph, p, next_pull, rngs);
                lanes.run(&step, dim, me, others, (graph.a, graph.b));
            });
        std::mem::swap(&mut y, &mut next);
    }
    y
}

/// Most dimensions of a UMAP layout (the SGD is compiled for each).
const MAX_DIM: usize = 8;

/// Points per parallel task of an epoch.
const CHUNK: usize = 128;

/// Points moved side by side, one per lane, so that the arithmetic (the power d^2b above all,
/// half the work when done one point at a time) runs in vector registers: eight single-
/// precision lanes fill an AVX2 register.
const LANES: usize = 8;

/// Marks a pull along an edge among a point's moves (else a push from a negative sample);
/// rows are below 2^31 ([`umap_by_group`] checks).
const PULLS: u32 = 1 << 31;

/// One epoch's settings of UMAP's SGD.
struct Step {
    /// Learning rate this epoch.
    alpha: f64,
    /// Multiple of the attractive step (2 when both directions of each edge move their head).
    pull: f64,
    epoch: f64,
    /// Whether the rows pushed from are the moving points themselves (so a point never
    /// repels itself).
    moving: bool,
}

/// A task's moves and the lanes that make them.
#[derive(Default)]
struct Lanes {
    /// Each point's moves in order: a row of the others, with [`PULLS`] for a pull.
    moves: Vec<u32>,
    /// Point c's moves are `moves[starts[c]..starts[c + 1]]`.
    starts: Vec<usize>,
}

impl Lanes {
    /// The moves this epoch of the task's points (`first` on, one per entry of `rngs`) among
    /// `rows` rows, in the order of umap-learn's SGD: each edge due (`next_pull`, the epoch
    /// at which each of its edges is next pulled) is a pull, followed by `negative_samples`
    /// pushes from uniformly drawn rows (a moving point drawing itself skips that push).
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        step: &Step,
        first: usize,
        rows: usize,
        graph: &UmapGraph,
        p: &UmapParams,
        next_pull: &mut [&mut [f64]],
        rngs: &mut [ChaCha8Rng],
    ) {
        self.moves.clear();
        self.starts.clear();
        self.starts.push(0);
        for (c, (due, rng)) in next_pull.iter_mut().zip(rngs).enumerate() {
            let i = first + c;
            let edges = graph.starts[i]..graph.starts[i + 1];
            let schedule = graph.per_sample[edges.clone()].iter().zip(due.iter_mut());
            for (edge, (every, due)) in graph.edges[edges].iter().zip(schedule) {
                if *due > step.epoch {
                    continue;
                }
                *due += every;
                self.moves.push(edge.1 | PULLS);
                for _ in 0..p.negative_samples {
                    let o = draw(rng, rows);
                    if !(step.moving && o == i) {
                        self.moves.push(o as u32);
                    }
                }
            }
            self.starts.push(self.moves.len());
        }
    }

    /// Make the planned moves of the points at `me` (flat, `dim` columns) against rows of
    /// `others`, [`LANES`] points at a time: a lane that finishes its point takes the next,
    /// so each point's moves are made in order, as one at a time would make them.
    fn run(&self, step: &Step, dim: usize, me: &mut [f64], others: &[f64], curve: (f64, f64)) {
        match dim {
            1 => self.run_in::<1>(step, me, others, curve),
            2 => self.run_in::<2>(step, me, others, curve),
            3 => self.run_in::<3>(step, me, others, curve),
            4 => self.run_in::<4>(step, me, others, curve),
            5 => self.run_in::<5>(step, me, others, curve),
            6 => self.run_in::<6>(step, me, others, curve),
            7 => self.run_in::<7>(step, me, others, curve),
            8 => self.run_in::<8>(step, me, others, curve),
            _ => unreachable!("umap_by_group allows 1 to {MAX_DIM} dimensions"),
        }
    }

    /// [`Lanes::run`] in `D` dimensions, with AVX2 where the CPU has it.
    fn run_in<const D: usize>(&self, step: &Step, me: &mut [f64], others: &[f64], curve: (f64, f64)) {
        #[cfg(target_arch = "x86_64")]
        if crate::geometry::sparse::wide_simd() {
            #[target_feature(enable = "avx2,fma")]
            fn avx2<const D: usize>(lanes: &Lanes, step: &Step, me: &mut [f64], others: &[f64], curve: (f64, f64)) {
                lanes.run_lanes::<D>(step, me, others, curve)
            }
            // SAFETY: only called after `wide_simd()` confirmed AVX2 and FMA on this CPU.
            return unsafe { avx2::<D>(self, step, me, others, curve) };
        }
        self.run_lanes::<D>(step, me, others, curve)
    }

    /// [`Lanes::run`]'s loop, inlined into each of its compilations (the same arithmetic in
    /// each: Rust fuses no multiply-adds, so results agree bit for bit across CPUs).
    #[inline(always)]
    fn run_lanes<const D: usize>(&self, step: &Step, me: &mut [f64], others: &[f64], (a, b): (f64, f64)) {
        const IDLE: usize = usize::MAX;
        let count = self.starts.len() - 1;
        let (a, b, alpha, pull) = (a as f32, b as f32, step.alpha as f32, step.pull as f32);
        let mut point = [IDLE; LANES];
        let (mut at, mut end) = ([0usize; LANES], [0usize; LANES]);
        let mut taken = 0;
        // Coordinates by dimension, then lane.
        let mut pos = [[0.0f32; LANES]; D];
        loop {
            let mut start = [0usize; LANES];
            let mut pulls = [false; LANES];
            let mut busy = false;
            for l in 0..LANES {
                while at[l] == end[l] {
                    if point[l] != IDLE {
                        for (k, x) in pos.iter().enumerate() {
                            me[point[l] * D + k] = f64::from(x[l]);
                        }
                        point[l] = IDLE;
                    }
                    if taken == count {
                        break;
                    }
                    (point[l], at[l], end[l]) = (taken, self.starts[taken], self.starts[taken + 1]);
                    for (k, x) in pos.iter_mut().enumerate() {
                        x[l] = me[taken * D + k] as f32;
                    }
                    taken += 1;
                }
                // An idle lane computes on row 0 and its result is never stored.
                let row = if point[l] == IDLE {
                    0
                } else {
                    let m = self.moves[at[l]];
                    at[l] += 1;
                    busy = true;
                    pulls[l] = m & PULLS != 0;
                    (m & !PULLS) as usize
                };
                start[l] = row * D;
            }
            if !busy {
                return;
            }
            let rows: [&[f64; D]; LANES] =
                std::array::from_fn(|l| others[start[l]..start[l] + D].try_into().expect("D columns"));
            let other: [[f32; LANES]; D] = std::array::from_fn(|k| std::array::from_fn(|l| rows[l][k] as f32));
            let mut d2 = [0.0f32; LANES];
            for (x, o) in pos.iter().zip(&other) {
                for l in 0..LANES {
                    d2[l] += (x[l] - o[l]) * (x[l] - o[l]);
                }
            }
            // Gradient coefficients: -2ab d^(2b-2) / (1 + a d^2b) to pull,
            // 2b / ((0.001 + d^2)(1 + a d^2b)) to push; both clipped to [-4, 4] per coordinate.
            let (mut coef, mut rate, mut coincident) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
            for l in 0..LANES {
                let pb = pow_b(d2[l], b);
                let q = a * pb + 1.0;
                let (num, den) = if pulls[l] { (-2.0 * a * b * pb, d2[l] * q) } else { (2.0 * b, (0.001 + d2[l]) * q) };
                coef[l] = num / den;
                rate[l] = if pulls[l] { pull * alpha } else { alpha };
                // A push from a point at the same place moves by 4 alpha; a pull, not at all.
                coincident[l] = if pulls[l] { 0.0 } else { 4.0 * alpha };
            }
            for (x, o) in pos.iter_mut().zip(&other) {
                for l in 0..LANES {
                    let g = (coef[l] * (x[l] - o[l])).clamp(-4.0, 4.0) * rate[l];
                    x[l] += if d2[l] > 0.0 { g } else { coincident[l] };
                }
            }
        }
    }
}

/// A row in `0..rows` (below 2^32) drawn by Lemire's multiply-shift of 32 random bits: no
/// division or rejection loop, and a bias below rows / 2^32 (1e-6 at 6,000 rows), nothing
/// to negative sampling.
#[inline(always)]
fn draw(rng: &mut ChaCha8Rng, rows: usize) -> usize {
    use rand::RngCore;
    ((u64::from(rng.next_u32()) * rows as u64) >> 32) as usize
}

/// x^b for x > 0 (x below the smallest normal counts as it) in single precision, within
/// 1e-7 (4 + |b ln x|) relative (the rounding of b ln x, then a few units), in arithmetic
/// that vectorises: x = 2^k m with m in [1/sqrt 2, sqrt 2), ln m = 2 atanh t for
/// t = (m - 1) / (m + 1) (|t| < 0.172, series to t^7), then e^y for y = b ln x (clamped to
/// +-87) as 2^n e^r with |r| <= ln 2 / 2 (Taylor series to r^7).
#[inline(always)]
fn pow_b(x: f32, b: f32) -> f32 {
    const SQRT_HALF: u32 = 0x3F35_04F3;
    const TWO_23: f32 = 8_388_608.0;
    const ROUND: f32 = 1.5 * TWO_23;
    // ln 2 split so that n ln2_hi is exact for |n| < 2^8 (Cephes' constants).
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let bits = x.max(f32::MIN_POSITIVE).to_bits();
    // k + 128 in the top bits: bits - SQRT_HALF is above -2^30 for every normal x.
    let biased = bits.wrapping_sub(SQRT_HALF).wrapping_add(1 << 30) >> 23;
    let k = f32::from_bits(0x4B00_0000 | biased) - (TWO_23 + 128.0);
    let m = f32::from_bits(bits.wrapping_sub(biased.wrapping_sub(128) << 23));
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0)));
    let ln = k * LN2_HI + (k * LN2_LO + 2.0 * t * series);
    let y = (b * ln).clamp(-87.0, 87.0);
    let z = y * std::f32::consts::LOG2_E + ROUND;
    let nf = z - ROUND;
    let r = (y - nf * LN2_HI) - nf * LN2_LO;
    let mut e = 1.0 / 5_040.0;
    for f in [720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0] {
        e = e * r + 1.0 / f;
    }
    e * f32::from_bits(z.to_bits().wrapping_add(127) << 23)
}

/// How well a low-dimensional view `y` (n x dim) keeps the neighbourhoods of `x` (n x d),
/// measured from `sample` query rows (all rows when `sample` is empty).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewQuality {
    /// Trustworthiness T(k) = 1 - 2 / (s k (2n - 3k - 1)) sum_i sum_{j in V_k(i)} max(0, r(i, j) - k)
    /// over the s query rows i, where V_k(i) are i's k nearest neighbours in the view and
    /// r(i, j) is j's rank among i's neighbours in `x` (1 = nearest). 1 when every view
    /// neighbour is a true neighbour. Reference: `sklearn.manifold.trustworthiness`.
    pub trustworthiness: f64,
    /// Mean fraction of each query row's k view neighbours that are among its k nearest in `x`.
    pub knn_preserved: f64,
    /// The k used.
    pub k: usize,
    /// Query rows used.
    pub queries: usize,
}

/// The [`ViewQuality`] of the view `y` of `x` at `k` neighbours, from the query rows
/// `sample` (all rows when empty). Cost: O(s n (d + k)) for s query rows (ranks in `x` by
/// a scan per query) plus a k-d tree over `y`.
pub fn view_quality(x: ArrayView2<f64>, y: ArrayView2<f64>, k: usize, sample: &[usize]) -> Result<ViewQuality> {
    check_points(x, "points")?;
    check_points(y, "view")?;
    let n = x.nrows();
    if y.nrows() != n {
        return Err(Error::argument("view", format!("has {} rows for {n} points; give one per point", y.nrows())));
    }
    if k == 0 || 2 * n < 3 * k + 2 {
        return Err(Error::argument("k", format!("is {k}; use 1 <= k with 3k + 2 <= 2n ({n} points)")));
    }
    if let Some(&i) = sample.iter().find(|&&i| i >= n) {
        return Err(Error::argument("sample", format!("holds row {i} but there are {n} points")));
    }
    let all: Vec<usize>;
    let rows = if sample.is_empty() {
        all = (0..n).collect();
        &all
    } else {
        sample
    };
    let view = NeighbourIndex::new(y);
    let sq = |i: usize, j: usize| x.row(i).iter().zip(x.row(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let (penalty, kept) = rows
        .par_iter()
        .map(|&i| {
            let distances: Vec<f64> = (0..n).map(|j| sq(i, j)).collect();
            let mut penalty = 0.0;
            let mut kept = 0usize;
            for nb in view.nearest_others(i, k) {
                let dij = distances[nb.index as usize];
                // Rank of j among i's neighbours in x: 1 + those strictly nearer (i excluded).
                let rank = distances.iter().enumerate().filter(|&(l, &d)| l != i && d < dij).count() + 1;
                penalty += rank.saturating_sub(k) as f64;
                kept += usize::from(rank <= k);
            }
            (penalty, kept)
        })
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let s = rows.len() as f64;
    let (nf, kf) = (n as f64, k as f64);
    Ok(ViewQuality {
        trustworthiness: 1.0 - 2.0 / (s * kf * (2.0 * nf - 3.0 * kf - 1.0)) * penalty,
        knn_preserved: kept as f64 / (s * kf),
        k,
        queries: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_optimised_subsample_is_seeded_and_stratified() {
        // Groups of 700, 200 and 100 rows, interleaved.
        let group: Vec<usize> = (0..1000)
            .map(|i| {
                if i % 10 < 7 {
                    0
                } else if i % 10 < 9 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let s = stratified_sample(&group, 95, 3).unwrap();
        assert_eq!(s, stratified_sample(&group, 95, 3).unwrap());
        assert_ne!(s, stratified_sample(&group, 95, 4).unwrap());
        assert!(s.windows(2).all(|w| w[0] < w[1]) && s.len() == 95);
        // Shares 66.5, 19 and 9.5: floors 66, 19 and 9, and the one row left goes to the
        // largest remainder (0.5 for groups 0 and 2: the lower group).
        let count = |g: usize| s.iter().filter(|&&i| group[i] == g).count();
        assert_eq!((count(0), count(1), count(2)), (67, 19, 9));
        assert_eq!(stratified_sample(&group, 1000, 0).unwrap(), (0..1000).collect::<Vec<_>>());
    }

    /// Two blobs in R^4, 300 points each, 10 apart.
    fn blobs() -> (Array2<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x =
            Array2::from_shape_fn((600, 4), |(i, k)| rng.random::<f64>() + if k == 0 && i >= 300 { 10.0 } else { 0.0 });
        (x, (0..600).map(|i| i / 300).collect())
    }

    #[test]
    fn points_beyond_the_optimised_ones_are_placed_beside_their_neighbours() {
        let (x, group) = blobs();
        let p = UmapParams { max_optimised: 120, n_epochs: Some(60), ..UmapParams::default() };
        let e = umap_by_group(x.view(), &group, 2, &p).unwrap();
        assert_eq!(e.optimised, stratified_sample(&group, 120, p.seed).unwrap());
        assert_eq!((e.points.nrows(), e.index.len()), (600, 600));
        assert!(e.points.iter().all(|v| v.is_finite()));
        // Each placed point is nearer the optimised points of its own blob than the other's.
        let mean = |g: usize| {
            let rows: Vec<usize> = e.optimised.iter().copied().filter(|&i| group[i] == g).collect();
            e.points.select(Axis(0), &rows).mean_axis(Axis(0)).unwrap()
        };
        let centres = [mean(0), mean(1)];
        for i in (0..600).filter(|i| !e.optimised.contains(i)) {
            let d = |c: &Array1<f64>| (&e.points.row(i) - c).mapv(|v| v * v).sum();
            assert!(d(&centres[group[i]]) < d(&centres[1 - group[i]]), "point {i}");
        }
        // And the view keeps most neighbourhoods.
        assert!(view_quality(x.view(), e.points.view(), 10, &[]).unwrap().trustworthiness > 0.8);
    }

    #[test]
    fn view_quality_is_one_for_the_data_and_lower_for_a_shuffle() {
        let (x, _) = blobs();
        let same = view_quality(x.view(), x.view(), 10, &[]).unwrap();
        assert!((same.trustworthiness - 1.0).abs() < 1e-12 && (same.knn_preserved - 1.0).abs() < 1e-12);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let order = sample(&mut rng, 600, 600).into_vec();
        let shuffled = x.select(Axis(0), &order);
        let q = view_quality(x.view(), shuffled.view(), 10, &[0, 5, 300, 599]).unwrap();
        assert!(q.trustworthiness < 0.7 && q.knn_preserved < 0.2 && q.queries == 4, "{q:?}");
        assert!(view_quality(x.view(), x.view(), 0, &[]).unwrap_err().to_string().contains("k"));
    }

    #[test]
    fn the_power_matches_powf_in_single_precision() {
        for b in [0.5f32, 0.79, 0.895, 1.0, 1.58] {
            for i in 0..=4000 {
                let x = 10f64.powf(-12.0 + 20.0 * f64::from(i) / 4000.0) as f32;
                let (got, want) = (f64::from(pow_b(x, b)), f64::from(x).powf(f64::from(b)));
                // Single precision (2^-23 is 1.2e-7): the rounding of y = b ln x, whose
                // absolute error is the result's relative error, and a few units more.
                let y = f64::from(b) * f64::from(x).ln();
                let bound = 1e-7 * (4.0 + y.abs());
                assert!(((got - want) / want).abs() < bound, "{x}^{b}: {got} against {want}");
            }
        }
        assert_eq!(pow_b(1.0, 0.9), 1.0);
        // Zero counts as the smallest normal; overflowing powers saturate instead of wrapping.
        assert!(pow_b(0.0, 0.9) > 0.0 && pow_b(0.0, 0.9) < 1e-30);
        assert!(pow_b(1e30, 3.0).is_finite() && pow_b(1e30, 3.0) > 1e37);
    }

    /// The graph of `edges` (i, j, weight; both directions) among `n` points: an edge of
    /// weight w is pulled every 1 / w epochs when the largest weight is 1.
    fn graph_of(edges: &[(u32, u32, f64)], n: usize, n_epochs: usize) -> UmapGraph {
        let mut directed: Vec<(u32, u32, f64)> = edges.iter().flat_map(|&(i, j, w)| [(i, j, w), (j, i, w)]).collect();
        directed.sort_by_key(|e| (e.0, e.1));
        UmapGraph::from_edges(directed, n, n_epochs, fit_ab(0.1, 1.0))
    }

    #[test]
    fn an_edge_pulls_each_end_by_umaps_gradient() {
        // Two points 2 apart on one edge, no negative samples. An edge of the largest weight
        // is first pulled in epoch 1 (as umap-learn's schedule), at learning rate 1 (1 - 1/2)
        // of 2 epochs: each end moves by 2 alpha clip(-2ab d^(2b-2) / (1 + a d^2b) (y_i - y_j))
        // towards the other (both directions of the edge, each moving its head twice).
        let graph = graph_of(&[(0, 1, 1.0)], 2, 2);
        let (a, b) = (graph.a, graph.b);
        let p = UmapParams { negative_samples: 0, ..UmapParams::default() };
        let y = ndarray::array![[0.0, 0.0], [2.0, 0.0]];
        let moved = optimise_layout(y, &graph, &p, None);
        let d2: f64 = 4.0;
        let coef = -2.0 * a * b * d2.powf(b - 1.0) / (1.0 + a * d2.powf(b));
        let step = 2.0 * 0.5 * (coef * -2.0).clamp(-4.0, 4.0);
        assert!(step > 0.0 && step < 4.0);
        // The SGD runs in single precision.
        assert!((moved[[0, 0]] - step).abs() < 1e-6 && (moved[[1, 0]] - (2.0 - step)).abs() < 1e-6, "{moved}");
        assert_eq!((moved[[0, 1]], moved[[1, 1]]), (0.0, 0.0));
    }

    /// UMAP's SGD one point at a time, as [`Lanes`] must reproduce it bit for bit.
    #[allow(clippy::needless_range_loop)]
    fn one_at_a_time(mut y: Array2<f64>, graph: &UmapGraph, p: &UmapParams) -> Array2<f64> {
        let (n, dim) = y.dim();
        let mut rngs: Vec<ChaCha8Rng> = (0..n).map(|i| rng_for(p.seed, Stream::Umap, 1 + i as u64)).collect();
        let mut due = graph.per_sample.clone();
        for epoch in 0..graph.n_epochs {
            let alpha = (p.learning_rate * (1.0 - epoch as f64 / graph.n_epochs as f64)) as f32;
            let (a, b) = (graph.a as f32, graph.b as f32);
            let now = y.mapv(|v| v as f32);
            for i in 0..n {
                let mut me: Vec<f32> = now.row(i).to_vec();
                for e in graph.starts[i]..graph.starts[i + 1] {
                    if due[e] > epoch as f64 {
                        continue;
                    }
                    due[e] += graph.per_sample[e];
                    let mut moves = vec![(graph.edges[e].1 as usize, true)];
                    for _ in 0..p.negative_samples {
                        let o = draw(&mut rngs[i], n);
                        if o != i {
                            moves.push((o, false));
                        }
                    }
                    for (o, pulls) in moves {
                        let d2: f32 = (0..dim).map(|k| (me[k] - now[[o, k]]) * (me[k] - now[[o, k]])).sum();
                        let pb = pow_b(d2, b);
                        let q = a * pb + 1.0;
                        let coef = if pulls { -2.0 * a * b * pb / (d2 * q) } else { 2.0 * b / ((0.001 + d2) * q) };
                        let rate = if pulls { 2.0 * alpha } else { alpha };
                        for k in 0..dim {
                            me[k] += if d2 > 0.0 {
                                (coef * (me[k] - now[[o, k]])).clamp(-4.0, 4.0) * rate
                            } else if pulls {
                                0.0
                            } else {
                                4.0 * alpha
                            };
                        }
                    }
                }
                y.row_mut(i).assign(&Array1::from_iter(me.into_iter().map(f64::from)));
            }
        }
        y
    }

    #[test]
    fn the_lanes_make_each_points_moves_in_order() {
        // More points than a task holds, uneven degrees (a chain plus a hub) and weights (edges
        // due every 1, 2.5 or 4 epochs), three points without edges (no moves), and point 4 on
        // point 3 (a pull across distance 0), so lanes take new points mid-epoch and finish at
        // different times.
        let n = 2 * CHUNK + 37;
        let mut edges: Vec<(u32, u32, f64)> =
            (1..n as u32).map(|i| (i - 1, i, if i % 2 == 0 { 1.0 } else { 0.4 })).collect();
        edges.extend((2..n as u32).step_by(7).map(|i| (0, i, 0.25)));
        for dim in [1, 2, 3] {
            let mut rng = ChaCha8Rng::seed_from_u64(dim as u64);
            let mut y = Array2::from_shape_fn((n + 3, dim), |_| 10.0 * rng.random::<f64>());
            let copy = y.row(3).to_owned();
            y.row_mut(4).assign(&copy);
            let graph = graph_of(&edges, n + 3, 7);
            let p = UmapParams::default();
            let fast = optimise_layout(y.clone(), &graph, &p, None);
            assert_eq!(fast, one_at_a_time(y, &graph, &p), "dim {dim}");
        }
        let (x, _) = blobs();
        let error = umap(x.view(), MAX_DIM + 1, &UmapParams::default()).unwrap_err().to_string();
        assert!(error.contains("dim") && error.contains("1 to 8"), "{error}");
    }

    #[test]
    fn the_vector_and_baseline_compilations_agree_bit_for_bit() {
        // run_in takes AVX2 where the CPU has it; run_lanes called here is the baseline's.
        let n = 300;
        let edges: Vec<(u32, u32, f64)> = (1..n as u32).map(|i| (i - 1, i, 1.0)).collect();
        let graph = graph_of(&edges, n, 5);
        let p = UmapParams::default();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let now: Vec<f64> = (0..2 * n).map(|_| 10.0 * rng.random::<f64>()).collect();
        let mut rngs: Vec<ChaCha8Rng> = (0..n).map(|i| rng_for(0, Stream::Umap, i as u64)).collect();
        let mut due: Vec<Vec<f64>> =
            (0..n).map(|i| graph.per_sample[graph.starts[i]..graph.starts[i + 1]].to_vec()).collect();
        let mut owned: Vec<&mut [f64]> = due.iter_mut().map(Vec::as_mut_slice).collect();
        let mut lanes = Lanes::default();
        let step = Step { alpha: 0.7, pull: 2.0, epoch: 3.0, moving: true };
        lanes.plan(&step, 0, n, &graph, &p, &mut owned, &mut rngs);
        let (mut wide, mut baseline) = (now.clone(), now.clone());
        lanes.run_in::<2>(&step, &mut wide, &now, (graph.a, graph.b));
        lanes.run_lanes::<2>(&step, &mut baseline, &now, (graph.a, graph.b));
        assert_eq!(wide, baseline);
        assert!(wide.iter().zip(&now).filter(|(a, b)| a != b).count() > n);
    }
}
