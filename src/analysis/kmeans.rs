//! k-means clustering of the embedding: k-means++ seeding, Lloyd iterations, several seeded
//! restarts, and labels renumbered so that nearby centroids get nearby numbers.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::seed::{Stream, rng_for};

/// Settings for [`kmeans`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansParams {
    /// Number of clusters (the reference's default is 15).
    pub n_clusters: usize,
    /// Independent k-means++ starts; the one with the lowest inertia is kept.
    pub restarts: usize,
    /// Lloyd iterations per start, at most.
    pub max_iter: usize,
    /// Stop when the centroids move less than this, relative to the data's variance.
    pub tolerance: f64,
    /// Seed of the k-means++ draws.
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams { n_clusters: 15, restarts: 10, max_iter: 300, tolerance: 1e-4, seed: 0 }
    }
}

/// A clustering of n points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clusters {
    /// Cluster of each point (n), numbered along a nearest-neighbour path through the
    /// centroids.
    pub labels: Vec<usize>,
    /// Centroids (k x d), row c for label c.
    pub centroids: Array2<f64>,
    /// Sum of squared distances of points to their centroid.
    pub inertia: f64,
    /// Lloyd iterations of the kept start.
    pub iterations: usize,
}

impl Clusters {
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// Point counts per group and cluster (groups x k), for `group[i]` in `0..n_groups`.
    pub fn histograms(&self, group: &[usize], n_groups: usize) -> Array2<f64> {
        let mut h = Array2::zeros((n_groups, self.n_clusters()));
        for (&g, &l) in group.iter().zip(&self.labels) {
            h[[g, l]] += 1.0;
        }
        h
    }
}

pub(crate) fn check_points(x: ArrayView2<f64>, field: &str) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::argument(
            field,
            format!("is {} x {}; give at least one point and one column", x.nrows(), x.ncols()),
        ));
    }
    if let Some(((i, j), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::argument(field, format!("entry ({i}, {j}) is {v}; remove non-finite rows first")));
    }
    Ok(())
}

fn squared(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Nearest centroid of each point and its squared distance.
fn assign(x: ArrayView2<f64>, c: &Array2<f64>) -> Vec<(usize, f64)> {
    x.axis_iter(Axis(0))
        .into_par_iter()
        .map(|p| {
            c.axis_iter(Axis(0))
                .map(|q| squared(p, q))
                .enumerate()
                .fold((0, f64::INFINITY), |best, (k, d)| if d < best.1 { (k, d) } else { best })
        })
        .collect()
}

fn plus_plus(x: ArrayView2<f64>, k: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let n = x.nrows();
    let mut centres = Array2::zeros((k, x.ncols()));
    centres.row_mut(0).assign(&x.row(rng.random_range(0..n)));
    let mut d2: Vec<f64> = x.axis_iter(Axis(0)).map(|p| squared(p, centres.row(0))).collect();
    for c in 1..k {
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            d2.iter()
                .position(|&d| {
                    r -= d;
                    r < 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.random_range(0..n)
        };
        centres.row_mut(c).assign(&x.row(pick));
        let new = centres.row(c);
        d2.par_iter_mut().zip(x.axis_iter(Axis(0)).into_par_iter()).for_each(|(d, p)| *d = d.min(squared(p, new)));
    }
    centres
}

fn lloyd(
    x: ArrayView2<f64>,
    mut c: Array2<f64>,
    p: &KMeansParams,
    scale: f64,
) -> (Vec<usize>, Array2<f64>, f64, usize) {
    let (n, k) = (x.nrows(), c.nrows());
    let mut iterations = 0;
    loop {
        let a = assign(x, &c);
        iterations += 1;
        let mut sums = Array2::<f64>::zeros(c.dim());
        let mut counts = vec![0usize; k];
        for (p, &(l, _)) in x.axis_iter(Axis(0)).zip(&a) {
            sums.row_mut(l).scaled_add(1.0, &p);
            counts[l] += 1;
        }
        // An empty cluster takes the point farthest from its centroid.
        let mut far: Vec<usize> = Vec::new();
        if counts.contains(&0) {
            far = (0..n).collect();
            far.sort_by(|&i, &j| a[j].1.total_cmp(&a[i].1));
        }
        let mut far = far.into_iter();
        let mut next = c.clone();
        for (l, &count) in counts.iter().enumerate() {
            if count > 0 {
                next.row_mut(l).assign(&(&sums.row(l) / count as f64));
            } else if let Some(i) = far.next() {
                next.row_mut(l).assign(&x.row(i));
            }
        }
        let shift: f64 = c.iter().zip(next.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        c = next;
        if shift <= p.tolerance * scale || iterations >= p.max_iter {
            let a = assign(x, &c);
            let inertia = a.iter().map(|t| t.1).sum();
            return (a.into_iter().map(|t| t.0).collect(), c, inertia, iterations);
        }
    }
}

/// Order centroids along a greedy nearest-neighbour path that starts at the centroid farthest
/// from their mean, so that consecutive labels are close in the embedding.
fn proximity_order(c: &Array2<f64>) -> Vec<usize> {
    let k = c.nrows();
    let mean = c.mean_axis(Axis(0)).expect("k >= 1");
    let start = (0..k)
        .max_by(|&a, &b| squared(c.row(a), mean.view()).total_cmp(&squared(c.row(b), mean.view())))
        .expect("k >= 1");
    let mut order = vec![start];
    let mut used = vec![false; k];
    used[start] = true;
    while order.len() < k {
        let last = *order.last().expect("non-empty");
        let next = (0..k)
            .filter(|&j| !used[j])
            .min_by(|&a, &b| squared(c.row(last), c.row(a)).total_cmp(&squared(c.row(last), c.row(b))))
            .expect("an unused centroid remains");
        used[next] = true;
        order.push(next);
    }
    order
}

/// Cluster the rows of `x` (n x d) into `p.n_clusters` groups.
pub fn kmeans(x: ArrayView2<f64>, p: &KMeansParams) -> Result<Clusters> {
    check_points(x, "points")?;
    let n = x.nrows();
    if p.n_clusters == 0 || p.n_clusters > n {
        return Err(Error::argument(
            "n_clusters",
            format!("is {} but there are {n} points; use 1 <= n_clusters <= {n}", p.n_clusters),
        ));
    }
    if p.restarts == 0 || p.max_iter == 0 {
        return Err(Error::argument("restarts", "restarts and max_iter must be at least 1"));
    }
    if !(p.tolerance >= 0.0 && p.tolerance.is_finite()) {
        return Err(Error::argument("tolerance", format!("is {}; use a finite value >= 0", p.tolerance)));
    }
    let variance = x.var_axis(Axis(0), 0.0).sum().max(f64::MIN_POSITIVE);
    let mut best: Option<(Vec<usize>, Array2<f64>, f64, usize)> = None;
    for r in 0..p.restarts {
        let mut rng = rng_for(p.seed, Stream::KMeans, r as u64);
        let run = lloyd(x, plus_plus(x, p.n_clusters, &mut rng), p, variance);
        if best.as_ref().is_none_or(|b| run.2 < b.2) {
            best = Some(run);
        }
    }
    let (labels, centroids, inertia, iterations) = best.expect("restarts >= 1");
    let order = proximity_order(&centroids);
    let mut rank = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    let centroids = centroids.select(Axis(0), &order);
    let labels = labels.into_iter().map(|l| rank[l]).collect();
    Ok(Clusters { labels, centroids, inertia, iterations })
}
