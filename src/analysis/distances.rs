//! Distances between conditions: earth mover's distances between their distributions in
//! latent space, either between cluster histograms (centroid distances as ground cost) or
//! between the point clouds themselves.

use ndarray::{Array2, Array4, ArrayView2, Axis, s};
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kmeans::check_points;
use super::transport::{emd, emd_points, euclidean_distance};
use crate::error::{Error, Result};
use crate::seed::{Stream, rng_for};

/// Which distributions are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DistanceKind {
    /// The conditions' point clouds, each point weighted equally (the reference's default).
    #[default]
    Points,
    /// The conditions' histograms over k-means clusters, with centroid distances as ground
    /// cost.
    Clusters,
}

/// A C x C matrix of distances between conditions, and how it was computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distances {
    /// Symmetric, zero diagonal (C x C).
    pub matrix: Array2<f64>,
    /// What was compared.
    pub kind: DistanceKind,
    /// "exact", or what was done instead (e.g. seeded subsampling), in words.
    pub method: String,
    /// Points per condition that entered the transport problems.
    pub points_used: Vec<usize>,
    /// For point clouds: over all pairs of conditions, the largest bound on how much a
    /// distance can exceed the exact optimum, from the check of its plan and dual potentials
    /// over all pairs of points ([`super::transport::Certificate::excess_bound`]); the
    /// simplex stops within 1e-12 of the largest ground cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_bound: Option<f64>,
    /// For cluster histograms: the optimal plans, plans[[a, b, k, l]] = mass moved from
    /// cluster k of condition a to cluster l of condition b.
    pub plans: Option<Array4<f64>>,
}

fn euclidean(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
    Array2::from_shape_fn((a.nrows(), b.nrows()), |(i, j)| {
        let slice = "rows of a standard-layout array are contiguous";
        euclidean_distance(a.row(i).to_slice().expect(slice), b.row(j).to_slice().expect(slice))
    })
}

/// Fill a symmetric matrix from a function of pairs a < b, computed in parallel.
fn pairwise<T: Send>(c: usize, f: impl Fn(usize, usize) -> Result<T> + Sync) -> Result<Vec<((usize, usize), T)>> {
    let pairs: Vec<(usize, usize)> = (0..c).flat_map(|a| (a + 1..c).map(move |b| (a, b))).collect();
    pairs.into_par_iter().map(|(a, b)| f(a, b).map(|t| ((a, b), t))).collect()
}

/// Earth mover's distances between the rows of `histograms` (C x K, counts or weights),
/// with the Euclidean distances between `centroids` (K x d) as ground cost.
pub fn cluster_distances(histograms: ArrayView2<f64>, centroids: ArrayView2<f64>) -> Result<Distances> {
    check_points(centroids, "centroids")?;
    let (c, k) = histograms.dim();
    if k != centroids.nrows() {
        return Err(Error::argument(
            "histograms",
            format!("has {k} columns but there are {} centroids; give one column per cluster", centroids.nrows()),
        ));
    }
    let cost = euclidean(centroids, centroids);
    let solved = pairwise(c, |a, b| {
        emd(histograms.row(a), histograms.row(b), cost.view())
            .map_err(|e| Error::argument(format!("histograms row {a} or {b}"), e.to_string()))
    })?;
    let mut matrix = Array2::zeros((c, c));
    let mut plans = Array4::zeros((c, c, k, k));
    for ((a, b), t) in solved {
        matrix[[a, b]] = t.cost;
        matrix[[b, a]] = t.cost;
        plans.slice_mut(s![a, b, .., ..]).assign(&t.plan);
        plans.slice_mut(s![b, a, .., ..]).assign(&t.plan.t());
    }
    for a in 0..c {
        let h = histograms.row(a);
        let total = h.sum();
        for i in 0..k {
            plans[[a, a, i, i]] = h[i] / total;
        }
    }
    let points_used = histograms.rows().into_iter().map(|r| r.sum().round() as usize).collect();
    Ok(Distances {
        matrix,
        kind: DistanceKind::Clusters,
        method: "exact".into(),
        points_used,
        excess_bound: None,
        plans: Some(plans),
    })
}

/// Earth mover's distances between the point clouds of the conditions (rows of `points`
/// with `condition[i]` in `0..n_conditions`), each point weighted equally, Euclidean ground
/// cost, each pair solved by [`emd_points`] and certified exact over all pairs of points.
/// Exact when every condition has at most `max_points` points; larger conditions are
/// replaced by a seeded uniform subsample of `max_points` points, and `method` says so.
pub fn point_cloud_distances(
    points: ArrayView2<f64>,
    condition: &[usize],
    n_conditions: usize,
    max_points: usize,
    seed: u64,
) -> Result<Distances> {
    check_points(points, "points")?;
    if condition.len() != points.nrows() {
        return Err(Error::argument(
            "condition",
            format!("has {} entries for {} points; give one condition per point", condition.len(), points.nrows()),
        ));
    }
    if max_points == 0 {
        return Err(Error::argument("max_points", "must be at least 1"));
    }
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n_conditions];
    for (i, &c) in condition.iter().enumerate() {
        rows.get_mut(c)
            .ok_or_else(|| {
                Error::argument("condition", format!("entry {i} is {c} but there are {n_conditions} conditions"))
            })?
            .push(i);
    }
    if let Some(empty) = rows.iter().position(Vec::is_empty) {
        return Err(Error::argument("condition", format!("condition {empty} has no points")));
    }
    let mut subsampled = false;
    for (c, r) in rows.iter_mut().enumerate() {
        if r.len() > max_points {
            let mut rng = rng_for(seed, Stream::OtSubsample, c as u64);
            let mut keep: Vec<usize> = sample(&mut rng, r.len(), max_points).into_iter().map(|i| r[i]).collect();
            keep.sort_unstable();
            *r = keep;
            subsampled = true;
        }
    }
    let clouds: Vec<Array2<f64>> = rows.iter().map(|r| points.select(Axis(0), r)).collect();
    let solved = pairwise(n_conditions, |a, b| emd_points(clouds[a].view(), clouds[b].view()))?;
    let mut matrix = Array2::zeros((n_conditions, n_conditions));
    let mut excess_bound = 0.0f64;
    for ((a, b), t) in solved {
        matrix[[a, b]] = t.cost;
        matrix[[b, a]] = t.cost;
        excess_bound = excess_bound.max(t.certificate.excess_bound());
    }
    let method = if subsampled {
        format!("exact on seeded uniform subsamples of at most {max_points} points per condition")
    } else {
        "exact".to_string()
    };
    Ok(Distances {
        matrix,
        kind: DistanceKind::Points,
        method,
        points_used: rows.iter().map(Vec::len).collect(),
        excess_bound: Some(excess_bound),
        plans: None,
    })
}
