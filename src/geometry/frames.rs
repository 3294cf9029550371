//! Local frames (gauges) and the manifold dimension.
//!
//! Reference: `compute_gauges` / `tangent_frames` and `manifold_dimension`. Each point's
//! frame comes from a local PCA of its geodesic neighbourhood: the `n_nb` points nearest to
//! it *along the graph* (Dijkstra with edge lengths |x_i - x_j|), itself included, centred.
//! Cost O(n (n_nb k log + n_nb D min(D, n_nb))), parallel over points, O(n D r) memory.

use ndarray::{Array2, Array3, ArrayView2, Axis, s};
use rayon::prelude::*;

use crate::geometry::linalg::symmetric_eigen;
use crate::geometry::sparse::CsrMatrix;

/// A frame per point: either the identity of R^D (global mode) or fitted local frames.
#[derive(Clone, Debug, PartialEq)]
pub enum Frames {
    /// The standard basis of R^D at every point.
    Global {
        /// Number of points.
        n: usize,
        /// Embedding dimension D.
        dim: usize,
    },
    /// Orthonormal frames, `frames[[i, .., a]]` the a-th frame vector at point i (n x D x m).
    Local(Array3<f64>),
}

impl Frames {
    /// Number of frame vectors per point (D in global mode, m in local mode).
    pub fn n_dirs(&self) -> usize {
        match self {
            Frames::Global { dim, .. } => *dim,
            Frames::Local(f) => f.shape()[2],
        }
    }

    /// Coordinates of the ambient vector `v` in the frame of point `i`: out[a] = <v, e_a(i)>.
    pub fn project(&self, i: usize, v: &[f64], out: &mut [f64]) {
        match self {
            Frames::Global { .. } => out.copy_from_slice(&v[..out.len()]),
            Frames::Local(f) => {
                let fi = f.slice(s![i, .., ..]);
                for (a, o) in out.iter_mut().enumerate() {
                    *o = fi.column(a).iter().zip(v).map(|(e, x)| e * x).sum();
                }
            }
        }
    }

    /// The frame of point i as a D x m matrix.
    pub fn at(&self, i: usize) -> Array2<f64> {
        match self {
            Frames::Global { dim, .. } => Array2::eye(*dim),
            Frames::Local(f) => f.slice(s![i, .., ..]).to_owned(),
        }
    }
}

/// Result of the local PCA at every point.
#[derive(Clone, Debug)]
pub struct LocalPca {
    /// Principal directions, n x D x r with r = min(D, n_nb); columns by decreasing variance.
    pub frames: Array3<f64>,
    /// Singular values of each centred neighbourhood, n x r, decreasing.
    pub singular_values: Array2<f64>,
    /// Points in each neighbourhood: `n_nb`, or fewer when the point's connected component
    /// is smaller than that.
    pub sizes: Vec<usize>,
}

/// Complete the first `keep` columns of `frame` (D x m, orthonormal) to an orthonormal
/// frame with the standard basis vectors, by Gram-Schmidt, in order e_1, e_2, ...
///
/// For points whose connected component is too small to span m directions (an isolated
/// point has none): no neighbour can be differenced along the added directions, so they
/// only serve to express the point's own vector in m local coordinates.
pub fn complete_frame(mut frame: ndarray::ArrayViewMut2<f64>, keep: usize) {
    let (dim, m) = frame.dim();
    let mut filled = keep;
    for e in 0..dim {
        if filled == m {
            break;
        }
        let mut v = vec![0.0; dim];
        v[e] = 1.0;
        // Twice, for numerical orthogonality.
        for _ in 0..2 {
            for c in 0..filled {
                let dot: f64 = (0..dim).map(|d| v[d] * frame[[d, c]]).sum();
                (0..dim).for_each(|d| v[d] -= dot * frame[[d, c]]);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-6 {
            (0..dim).for_each(|d| frame[[d, filled]] = v[d] / norm);
            filled += 1;
        }
    }
}

/// The `n_nb` nearest nodes to `source` along the graph (itself first), by path length
/// with edge length 1 / w_ij. `dist` and `touched` are scratch space of size n, reset on exit.
pub fn geodesic_neighbourhood(
    adj: &CsrMatrix,
    source: usize,
    n_nb: usize,
    dist: &mut [f64],
    touched: &mut Vec<usize>,
) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Key(f64);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0)
        }
    }
    let mut heap = BinaryHeap::new();
    let mut out = Vec::with_capacity(n_nb);
    dist[source] = 0.0;
    touched.push(source);
    heap.push(Reverse((Key(0.0), source)));
    while let Some(Reverse((Key(d), i))) = heap.pop() {
        if dist[i].is_nan() || d > dist[i] {
            continue;
        }
        // Mark as settled with NaN so later relaxations skip it.
        dist[i] = f64::NAN;
        out.push(i);
        if out.len() == n_nb {
            break;
        }
        let (cols, w) = adj.row(i);
        for (&j, &wij) in cols.iter().zip(w) {
            let j = j as usize;
            let nd = d + 1.0 / wij;
            if dist[j].is_nan() {
                continue;
            }
            if nd < dist[j] {
                if dist[j] == f64::INFINITY {
                    touched.push(j);
                }
                dist[j] = nd;
                heap.push(Reverse((Key(nd), j)));
            }
        }
    }
    for &t in touched.iter() {
        dist[t] = f64::INFINITY;
    }
    touched.clear();
    out
}

/// Orient a unit vector so its largest-magnitude component is positive (a deterministic
/// choice of the sign that PCA leaves free).
fn orient(v: &mut [f64]) {
    let big = v.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
    if big < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}

/// Orient every frame from the data (the `canonical_frames` option): at point i, axis e_a
/// is flipped unless the signal summed over i and its graph neighbours j has a positive
/// component along it, sum_j <v_j, e_a> > 0; where that sum vanishes (below 1e-9 of
/// sum_j |v_j|) the third moment of the neighbours' offsets, sum_j <x_j - x_i, e_a>^3,
/// decides, and where that vanishes too the sign is kept. Every quantity turns with the
/// data, so a rotated copy of the anchors and signal gets the rotated frames (unlike
/// [`orient`], which reads the ambient axes). Cost O(n k D m), parallel over points.
pub fn orient_by_data(frames: &mut Array3<f64>, x: ArrayView2<f64>, v: ArrayView2<f64>, adj: &CsrMatrix) {
    frames.axis_iter_mut(Axis(0)).into_par_iter().enumerate().for_each(|(i, mut frame)| {
        let (cols, _) = adj.row(i);
        let around = || std::iter::once(i).chain(cols.iter().map(|&j| j as usize));
        for mut e in frame.axis_iter_mut(Axis(1)) {
            let flow: f64 = around().map(|j| v.row(j).dot(&e)).sum();
            let flow_scale: f64 = around().map(|j| v.row(j).dot(&v.row(j)).sqrt()).sum();
            let sign = if flow.abs() > 1e-9 * flow_scale {
                flow.signum()
            } else {
                let offset = |j: usize| &x.row(j) - &x.row(i);
                let skew: f64 = around().map(|j| offset(j).dot(&e).powi(3)).sum();
                let skew_scale: f64 = around().map(|j| offset(j).dot(&offset(j)).powf(1.5)).sum();
                if skew.abs() > 1e-9 * skew_scale { skew.signum() } else { 1.0 }
            };
            if sign < 0.0 {
                e.mapv_inplace(|c| -c);
            }
        }
    });
}

/// PCA of the centred rows of `nb` (n_nb x D): directions (D x r) and singular values (r).
fn local_pca(nb: &Array2<f64>) -> (Vec<Vec<f64>>, Vec<f64>) {
    let (rows, dim) = nb.dim();
    let c = nb - &nb.mean_axis(Axis(0)).expect("a neighbourhood holds its own point");
    let r = dim.min(rows);
    let mut pairs: Vec<(f64, Vec<f64>)> = if dim <= rows {
        let cov = c.t().dot(&c);
        let eig = symmetric_eigen(dim, |i, j| cov[[i, j]]);
        (0..dim).map(|k| (eig.values[k], eig.vectors.column(k).to_vec())).collect()
    } else {
        // Fewer neighbours than dimensions: diagonalise the Gram matrix instead.
        let gram = c.dot(&c.t());
        let eig = symmetric_eigen(rows, |i, j| gram[[i, j]]);
        (0..rows)
            .map(|k| {
                let v = c.t().dot(&eig.vectors.column(k));
                let norm = v.dot(&v).sqrt();
                let v = if norm > 0.0 { v / norm } else { v };
                (eig.values[k], v.to_vec())
            })
            .collect()
    };
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    pairs.truncate(r);
    let sv = pairs.iter().map(|p| p.0.max(0.0).sqrt()).collect();
    let dirs = pairs
        .into_iter()
        .map(|(_, mut v)| {
            orient(&mut v);
            v
        })
        .collect();
    (dirs, sv)
}

/// Local PCA over the geodesic neighbourhood of every point. `on_progress` is called with
/// the number of points finished, in chunks.
pub fn fit_local_frames(
    x: ArrayView2<f64>,
    adj: &CsrMatrix,
    n_nb: usize,
    on_progress: &(dyn Fn(usize) + Sync),
) -> LocalPca {
    let (n, dim) = x.dim();
    let r = dim.min(n_nb);
    let mut frames = Array3::zeros((n, dim, r));
    let mut sv = Array2::zeros((n, r));
    let mut sizes = vec![0; n];
    const CHUNK: usize = 512;
    frames
        .axis_chunks_iter_mut(ndarray::Axis(0), CHUNK)
        .into_par_iter()
        .zip(sv.axis_chunks_iter_mut(ndarray::Axis(0), CHUNK))
        .zip(sizes.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each_init(
            || (vec![f64::INFINITY; n], Vec::new()),
            |(dist, touched), (chunk, ((mut fchunk, mut schunk), size_chunk))| {
                for local in 0..fchunk.shape()[0] {
                    let i = chunk * CHUNK + local;
                    let nb = geodesic_neighbourhood(adj, i, n_nb, dist, touched);
                    size_chunk[local] = nb.len();
                    let m = Array2::from_shape_fn((nb.len(), dim), |(a, d)| x[[nb[a], d]]);
                    let (dirs, s) = local_pca(&m);
                    for (a, v) in dirs.iter().enumerate() {
                        for d in 0..dim {
                            fchunk[[local, d, a]] = v[d];
                        }
                        schunk[[local, a]] = s[a];
                    }
                }
                on_progress(fchunk.shape()[0]);
            },
        );
    LocalPca { frames, singular_values: sv, sizes }
}

/// Mean minus standard deviation (over points) of the cumulative explained-variance
/// fraction of the local PCA, for 1, 2, ..., r components.
pub fn explained_variance_curve(singular_values: ArrayView2<f64>) -> Vec<f64> {
    let (n, r) = singular_values.dim();
    let mut cum = Array2::<f64>::zeros((n, r));
    for i in 0..n {
        let total: f64 = singular_values.row(i).iter().map(|s| s * s).sum();
        let mut acc = 0.0;
        for k in 0..r {
            acc += singular_values[[i, k]].powi(2);
            cum[[i, k]] = if total > 0.0 { acc / total } else { 1.0 };
        }
    }
    (0..r)
        .map(|k| {
            let col = cum.column(k);
            let mean = col.mean().unwrap_or(0.0);
            let var = if n > 1 { col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
            mean - var.sqrt()
        })
        .collect()
}

/// Manifold dimension from local singular values: the smallest m at which the mean minus
/// the standard deviation (over points) of the cumulative explained-variance fraction
/// reaches `var_explained`. Reference: `manifold_dimension`.
pub fn manifold_dimension(singular_values: ArrayView2<f64>, var_explained: f64) -> usize {
    let r = singular_values.ncols();
    if var_explained >= 1.0 {
        return r;
    }
    let curve = explained_variance_curve(singular_values);
    curve.iter().position(|&v| v >= var_explained).map_or(r, |k| k + 1)
}
