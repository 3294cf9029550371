//! The lowest eigenpairs of a normalised (connection) Laplacian.
//!
//! Reference: `compute_eigendecomposition`, which takes a dense eigendecomposition of the
//! whole stacked graph (O(n^3) time, O(n^2) memory). Here each condition's operator
//! L = I - A (A = D^-1/2 W D^-1/2, or its connection version) is solved on its own, keeping
//! the `k` lowest eigenpairs:
//! - small operators (at most [`DENSE_MAX`] rows, or `k` >= rows) by a dense symmetric
//!   eigendecomposition;
//! - larger ones by Chebyshev-filtered subspace iteration (Zhou & Saad 2007): a block of
//!   `k` plus guard vectors is repeatedly multiplied by a Chebyshev polynomial of L that
//!   damps the unwanted part of the spectrum [cutoff, 2], orthonormalised, and rotated by a
//!   Rayleigh-Ritz step, until every wanted pair has residual |L v - lambda v| below the
//!   tolerance. Being a block method it resolves clustered and repeated eigenvalues (one
//!   zero eigenvalue per condition, the m-fold copies of a flat connection Laplacian).
//!   Cost per iteration O(degree nnz b + n b^2), memory O(n b).

use faer::{Mat, Side};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::geometry::sparse::CsrMatrix;

/// Operators with at most this many rows are solved densely.
pub const DENSE_MAX: usize = 800;

/// Eigenpairs of L = I - A, eigenvalues ascending, eigenvectors orthonormal.
#[derive(Clone, Debug, PartialEq)]
pub struct Eigenpairs {
    /// Eigenvalues of L, ascending, in [0, 2].
    pub values: Vec<f64>,
    /// Eigenvectors as columns (dim x k).
    pub vectors: Array2<f64>,
    /// True when these are all the eigenpairs of the operator (diffusion is then exact).
    pub complete: bool,
    /// Largest residual |L v - lambda v| over the pairs kept.
    pub max_residual: f64,
    /// Subspace iterations used (0 for the dense path).
    pub iterations: usize,
}

/// Why the iterative solver stopped without converging.
#[derive(Clone, Debug, PartialEq)]
pub struct NotConverged {
    /// Iterations run.
    pub iterations: usize,
    /// Largest residual among the wanted pairs.
    pub residual: f64,
}

/// The `k` lowest eigenpairs of L = I - A for a symmetric A with spectrum in [-1, 1].
pub fn lowest_eigenpairs(a: &CsrMatrix, k: usize, tol: f64, seed: u64) -> Result<Eigenpairs, NotConverged> {
    let n = a.n_rows;
    let k = k.min(n);
    if k >= n || n <= DENSE_MAX {
        return Ok(dense(a, k));
    }
    chebyshev_subspace(a, k, tol, seed, 500)
}

fn dense(a: &CsrMatrix, k: usize) -> Eigenpairs {
    let n = a.n_rows;
    let l = Mat::<f64>::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - a.get(i, j));
    let eig = l.self_adjoint_eigen(Side::Lower).expect("dense symmetric eigendecomposition converges");
    let s = eig.S().column_vector();
    let u = eig.U();
    let values: Vec<f64> = (0..k).map(|c| s[c].clamp(0.0, 2.0)).collect();
    let vectors = Array2::from_shape_fn((n, k), |(i, c)| u[(i, c)]);
    let max_residual = residuals(a, &vectors, &values).into_iter().fold(0.0, f64::max);
    Eigenpairs { values, vectors, complete: k == n, max_residual, iterations: 0 }
}

/// |L v_c - lambda_c v_c| for each column.
pub fn residuals(a: &CsrMatrix, vectors: &Array2<f64>, values: &[f64]) -> Vec<f64> {
    let (n, k) = vectors.dim();
    let x: Vec<f64> = vectors.iter().copied().collect(); // row-major n x k
    let mut ax = vec![0.0; n * k];
    a.mul_block_into(&x, k, &mut ax);
    (0..k)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let lv = x[i * k + c] - ax[i * k + c];
                    (lv - values[c] * x[i * k + c]).powi(2)
                })
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

/// Columns `from..` of a faer matrix as a row-major block.
fn to_row_major(m: &Mat<f64>, from: usize, out: &mut Vec<f64>) {
    let (n, b) = (m.nrows(), m.ncols() - from);
    out.resize(n * b, 0.0);
    for c in 0..b {
        for (i, v) in m.col(from + c).iter().enumerate() {
            out[i * b + c] = *v;
        }
    }
}

/// A row-major block back into columns `from..` of a faer matrix.
fn from_row_major(x: &[f64], m: &mut Mat<f64>, from: usize) {
    let b = m.ncols() - from;
    for c in 0..b {
        for (i, v) in m.col_mut(from + c).iter_mut().enumerate() {
            *v = x[i * b + c];
        }
    }
}

/// Y = L X = X - A X for row-major blocks.
fn apply_l(a: &CsrMatrix, x: &[f64], b: usize, y: &mut [f64]) {
    a.mul_block_into(x, b, y);
    for (yv, xv) in y.iter_mut().zip(x) {
        *yv = xv - *yv;
    }
}

/// Scaled Chebyshev filter of degree `deg` damping [cut, 2] and amplifying [0, cut):
/// replaces X by p(L) X, normalised so that eigenvalue 0 maps to about 1.
fn filter(a: &CsrMatrix, x: &mut Vec<f64>, b: usize, deg: usize, cut: f64, scratch: &mut [Vec<f64>; 2]) {
    let upper = 2.0;
    let e = (upper - cut) / 2.0;
    let c = (upper + cut) / 2.0;
    let mut sigma = e / (0.0 - c);
    let tau = 2.0 / sigma;
    let [y, ynew] = scratch;
    y.resize(x.len(), 0.0);
    ynew.resize(x.len(), 0.0);
    // y = (L x - c x) sigma / e
    apply_l(a, x, b, y);
    for (yv, xv) in y.iter_mut().zip(x.iter()) {
        *yv = (*yv - c * xv) * sigma / e;
    }
    for _ in 2..=deg {
        let sigma2 = 1.0 / (tau - sigma);
        apply_l(a, y, b, ynew);
        for ((nv, yv), xv) in ynew.iter_mut().zip(y.iter()).zip(x.iter()) {
            *nv = (*nv - c * yv) * 2.0 * sigma2 / e - sigma * sigma2 * xv;
        }
        std::mem::swap(x, y);
        std::mem::swap(y, ynew);
        sigma = sigma2;
    }
    std::mem::swap(x, y);
}

fn chebyshev_subspace(
    a: &CsrMatrix,
    k: usize,
    tol: f64,
    seed: u64,
    max_iter: usize,
) -> Result<Eigenpairs, NotConverged> {
    let n = a.n_rows;
    let b = (k + (k / 4).max(12)).min(n);
    let deg = 20;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut x = Mat::<f64>::from_fn(n, b, |_, _| StandardNormal.sample(&mut rng));
    let mut buf = Vec::new();
    let mut lbuf = vec![0.0; n * b];
    let mut scratch = [Vec::new(), Vec::new()];
    let mut locked = 0;
    let mut worst = f64::INFINITY;
    for iter in 1..=max_iter {
        // Orthonormalise (locked columns first, so their span is kept), then Rayleigh-Ritz.
        let q = x.qr().compute_thin_Q();
        to_row_major(&q, 0, &mut buf);
        apply_l(a, &buf, b, &mut lbuf);
        let mut lq = Mat::<f64>::zeros(n, b);
        from_row_major(&lbuf, &mut lq, 0);
        let h = q.transpose() * &lq;
        let h = Mat::from_fn(b, b, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
        let eig = h.self_adjoint_eigen(Side::Lower).expect("small symmetric eigendecomposition converges");
        let theta: Vec<f64> = (0..b).map(|c| eig.S().column_vector()[c]).collect();
        x = &q * eig.U();
        let lx = &lq * eig.U();
        let res: Vec<f64> = (0..k)
            .map(|c| lx.col(c).iter().zip(x.col(c).iter()).map(|(l, v)| (l - theta[c] * v).powi(2)).sum::<f64>().sqrt())
            .collect();
        worst = res.iter().copied().fold(0.0, f64::max);
        locked = res.iter().take_while(|&&r| r <= tol).count().max(locked.min(k));
        if worst <= tol {
            let values = theta[..k].iter().map(|v| v.clamp(0.0, 2.0)).collect();
            let vectors = Array2::from_shape_fn((n, k), |(i, c)| x[(i, c)]);
            return Ok(Eigenpairs { values, vectors, complete: false, max_residual: worst, iterations: iter });
        }
        // Filter the unconverged columns, damping everything above the block's largest
        // Ritz value.
        let cut = theta[b - 1].min(1.999).max(theta[k - 1] + 1e-12);
        to_row_major(&x, locked, &mut buf);
        filter(a, &mut buf, b - locked, deg, cut, &mut scratch);
        from_row_major(&buf, &mut x, locked);
    }
    Err(NotConverged { iterations: max_iter, residual: worst })
}
