//! Heat diffusion x -> exp(-t L_rw) x.
//!
//! exp(-t L_rw) = D^-1/2 exp(-t L_sym) D^1/2 holds exactly, so the symmetric operator serves
//! the random-walk one without approximation (the reference instead symmetrises L_rw by
//! reading its lower triangle). For a fixed signal y = D^1/2 x, every method here writes
//! exp(-t L_sym) y as a sum of decaying exponentials per row, an [`ExpSum`]:
//! f_i(t) = sum_r w_ir e^{-t theta_r} (+ rest_i e^{-t theta_rest}). Evaluating it at a point
//! costs O(r) whatever the size of the graph, and d/dt is exact.
//! - [`krylov_expsum`] (default): Lanczos on L_sym started from y. The Ritz pairs of the
//!   Krylov space give exp(-tL)y to the tolerance for all t <= [`KRYLOV_T_MAX`] with about
//!   sqrt(t_max log(1/tol)) matrix products; no eigensolver is needed.
//! - [`spectral_expsum`]: from kept eigenpairs (V, lambda) of L_sym:
//!   V e^{-t lambda} V^T y + e^{-t lambda_max} (y - V V^T y). Exact when all eigenpairs are
//!   kept, exact on the span of V and at t = 0; the unresolved high frequencies decay at
//!   the slowest rate they could have.
//! - [`chebyshev_expm`]: a Chebyshev expansion for one t, exact to rounding, O(deg nnz)
//!   with deg about t + 10 sqrt(t) + 30. Used to check the others.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::geometry::linalg::symmetric_eigen;
use crate::geometry::sparse::CsrMatrix;
use crate::geometry::spectrum::Eigenpairs;

/// e^{-t} I_j(t) for j = 0..=deg (exponentially scaled modified Bessel functions of the
/// first kind), by Miller's backward recurrence normalised with
/// e^{-t} (I_0(t) + 2 sum_j I_j(t)) = 1.
pub fn scaled_bessel(t: f64, deg: usize) -> Vec<f64> {
    if t == 0.0 {
        let mut c = vec![0.0; deg + 1];
        c[0] = 1.0;
        return c;
    }
    let start = deg + 32 + (2.0 * t).sqrt() as usize;
    let mut vals = vec![0.0; start + 2];
    vals[start] = 1e-300;
    for j in (1..=start).rev() {
        vals[j - 1] = vals[j + 1] + (2.0 * j as f64 / t) * vals[j];
        if vals[j - 1] > 1e250 {
            for v in vals.iter_mut().skip(j - 1) {
                *v *= 1e-250;
            }
        }
    }
    let norm = vals[0] + 2.0 * vals[1..].iter().sum::<f64>();
    vals.truncate(deg + 1);
    vals.iter_mut().for_each(|v| *v /= norm);
    vals
}

/// Chebyshev degree that brings the truncation error of exp(-tL) below about 1e-15.
pub fn chebyshev_degree(t: f64) -> usize {
    (t + 10.0 * (t + 1.0).sqrt() + 30.0).ceil() as usize
}

/// exp(-t (I - A)) Y for a symmetric A with spectrum in [-1, 1] and a row-major block Y
/// (n x b), via exp(-t(I - A)) = e^{-t} [I_0(t) + 2 sum_j I_j(t) T_j(A)].
pub fn chebyshev_expm(a: &CsrMatrix, t: f64, y: ArrayView2<f64>) -> Array2<f64> {
    let (n, b) = y.dim();
    let y0: Vec<f64> = y.iter().copied().collect();
    if t == 0.0 {
        return y.to_owned();
    }
    let deg = chebyshev_degree(t);
    let c = scaled_bessel(t, deg);
    let mut out: Vec<f64> = y0.iter().map(|v| c[0] * v).collect();
    let mut prev = y0; // T_0 y
    let mut cur = vec![0.0; n * b];
    a.mul_block_into(&prev, b, &mut cur); // T_1 y
    let mut next = vec![0.0; n * b];
    for (j, &cj) in c.iter().enumerate().skip(1) {
        for (o, v) in out.iter_mut().zip(&cur) {
            *o += 2.0 * cj * v;
        }
        if j == deg {
            break;
        }
        // T_{j+1} y = 2 A T_j y - T_{j-1} y
        a.mul_block_into(&cur, b, &mut next);
        for (nv, pv) in next.iter_mut().zip(&prev) {
            *nv = 2.0 * *nv - pv;
        }
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut cur, &mut next);
    }
    Array2::from_shape_vec((n, b), out).expect("shape kept")
}

/// exp(-t L) y for one fixed y, as a sum of decaying exponentials per row.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpSum {
    /// Decay rates theta_r >= 0 (Ritz values or eigenvalues of L).
    pub rates: Vec<f64>,
    /// Weights w_ir (rows x r).
    pub weights: Array2<f64>,
    /// Optional remainder rest_i decaying at one common rate.
    pub rest: Option<(Array1<f64>, f64)>,
    /// Estimated error of f(t) relative to |y|, for t in [0, KRYLOV_T_MAX] (0 when exact).
    pub error_estimate: f64,
}

impl ExpSum {
    /// Number of exponentials.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    /// True when there are no exponentials.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// f(t) at every row.
    pub fn eval(&self, t: f64) -> Array1<f64> {
        let e = Array1::from_iter(self.rates.iter().map(|r| (-t * r).exp()));
        let mut out = self.weights.dot(&e);
        if let Some((rest, rate)) = &self.rest {
            out.scaled_add((-t * rate).exp(), rest);
        }
        out
    }

    /// The decay factors e^{-t theta_r} (and the remainder's) at time t, to evaluate many
    /// rows with [`ExpSum::row_at`] without recomputing exponentials.
    pub fn at_time(&self, t: f64) -> Decay {
        Decay {
            t,
            factors: self.rates.iter().map(|r| (-t * r).exp()).collect(),
            rest: self.rest.as_ref().map_or(0.0, |(_, r)| (-t * r).exp()),
        }
    }

    /// f(t) and df/dt at row i, with the decay factors of [`ExpSum::at_time`].
    pub fn row_at(&self, i: usize, decay: &Decay) -> (f64, f64) {
        let (mut f, mut df) = (0.0, 0.0);
        for ((w, r), e) in self.weights.row(i).iter().zip(&self.rates).zip(&decay.factors) {
            let v = w * e;
            f += v;
            df -= r * v;
        }
        if let Some((rest, rate)) = &self.rest {
            let v = rest[i] * decay.rest;
            f += v;
            df -= rate * v;
        }
        (f, df)
    }

    /// f(t) and df/dt at row i.
    pub fn eval_row(&self, i: usize, t: f64) -> (f64, f64) {
        self.row_at(i, &self.at_time(t))
    }
}

/// Decay factors of an [`ExpSum`] at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct Decay {
    /// The time.
    pub t: f64,
    /// e^{-t theta_r}.
    pub factors: Vec<f64>,
    /// e^{-t theta_rest}.
    pub rest: f64,
}

/// Largest diffusion time for which [`krylov_expsum`] guarantees its tolerance.
pub const KRYLOV_T_MAX: f64 = 100.0;

/// Diffusion times at which the Lanczos error estimate is checked.
const CHECK_TIMES: [f64; 5] = [0.3, 1.0, 3.0, 10.0, KRYLOV_T_MAX];

/// exp(-t (I - A)) y via Lanczos on L = I - A started from y, with full
/// reorthogonalisation, for a symmetric A with spectrum in [-1, 1]. Stops when the
/// a-posteriori error estimate beta_j |e_j^T exp(-t T_j) e_1| (relative to |y|) falls below `tol` for
/// t up to [`KRYLOV_T_MAX`], when the Krylov space becomes invariant (exact), or after
/// `max_dim` steps. Cost O(max_dim nnz + n max_dim^2), memory O(n max_dim).
pub fn krylov_expsum(a: &CsrMatrix, y: &[f64], max_dim: usize, tol: f64) -> ExpSum {
    let n = y.len();
    let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm == 0.0 || n == 0 {
        return ExpSum { rates: vec![0.0], weights: Array2::zeros((n, 1)), rest: None, error_estimate: 0.0 };
    }
    let max_dim = max_dim.clamp(1, n);
    let mut q: Vec<Vec<f64>> = vec![y.iter().map(|v| v / norm).collect()];
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; n];
    loop {
        let j = q.len() - 1;
        a.mul_block_into(&q[j], 1, &mut w);
        w.par_iter_mut().zip(&q[j]).for_each(|(wv, qv)| *wv = qv - *wv); // w = L q_j
        let aj = dot(&w, &q[j]);
        alpha.push(aj);
        // Full reorthogonalisation, twice (classical Gram-Schmidt, "twice is enough").
        for _ in 0..2 {
            let dots: Vec<f64> = q.par_iter().map(|qk| qk.iter().zip(&w).map(|(a, b)| a * b).sum()).collect();
            w.par_iter_mut().enumerate().for_each(|(i, wv)| {
                *wv -= q.iter().zip(&dots).map(|(qk, d)| d * qk[i]).sum::<f64>();
            });
        }
        let bj = dot(&w, &w).sqrt();
        let dim = alpha.len();
        let invariant = bj <= 1e-12;
        if invariant || dim >= max_dim || dim % 4 == 0 {
            let (theta, u) = tridiagonal_eigen(&alpha, &beta);
            let error_estimate = if invariant {
                0.0
            } else {
                CHECK_TIMES
                    .iter()
                    .map(|t| {
                        let last: f64 = (0..dim).map(|r| u[(dim - 1, r)] * (-t * theta[r]).exp() * u[(0, r)]).sum();
                        bj * last.abs()
                    })
                    .fold(0.0, f64::max)
            };
            if invariant || dim >= max_dim || error_estimate <= tol {
                // Ritz vectors V = Q U, weights w_ir = V_ir (|y| U_0r).
                let mut weights = Array2::zeros((n, dim));
                weights.axis_iter_mut(ndarray::Axis(0)).into_par_iter().enumerate().for_each(|(i, mut row)| {
                    for r in 0..dim {
                        let v: f64 = (0..dim).map(|k| q[k][i] * u[(k, r)]).sum();
                        row[r] = v * norm * u[(0, r)];
                    }
                });
                let rates = theta.iter().map(|t| t.max(0.0)).collect();
                return ExpSum { rates, weights, rest: None, error_estimate };
            }
        }
        beta.push(bj);
        q.push(w.iter().map(|v| v / bj).collect());
    }
}

/// Dot product summed in fixed chunks, so the result does not depend on the thread count.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let partial: Vec<f64> =
        a.par_chunks(4096).zip(b.par_chunks(4096)).map(|(x, y)| x.iter().zip(y).map(|(u, v)| u * v).sum()).collect();
    partial.iter().sum()
}

/// Eigenvalues and eigenvectors (columns) of the symmetric tridiagonal matrix with diagonal
/// `alpha` and off-diagonal `beta`.
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> (Vec<f64>, Array2<f64>) {
    let e = symmetric_eigen(alpha.len(), |i, j| {
        if i == j {
            alpha[i]
        } else if j + 1 == i {
            beta[j]
        } else {
            0.0
        }
    });
    (e.values, e.vectors)
}

/// exp(-t L_sym) y from eigenpairs of L_sym, with the complement decaying at the largest
/// kept eigenvalue's rate (exact when the eigenpairs are complete).
pub fn spectral_expsum(pairs: &Eigenpairs, y: &[f64]) -> ExpSum {
    let v = &pairs.vectors;
    let y = ndarray::ArrayView1::from(y);
    let coef = v.t().dot(&y);
    let weights = v * &coef.view().insert_axis(ndarray::Axis(0));
    let rest = if pairs.complete {
        None
    } else {
        let rate = pairs.values.last().copied().unwrap_or(0.0);
        Some((&y - &v.dot(&coef), rate))
    };
    ExpSum { rates: pairs.values.clone(), weights, rest, error_estimate: 0.0 }
}

/// exp(-t L_rw) X exactly (Chebyshev), from the weighted adjacency W: D^-1/2 exp(-t L_sym) D^1/2 X.
pub fn diffuse_exact(adj: &CsrMatrix, t: f64, x: ArrayView2<f64>) -> Array2<f64> {
    let d: Vec<f64> = crate::geometry::laplacian::diffusion_degrees(adj).iter().map(|v| v.sqrt()).collect();
    let a = crate::geometry::laplacian::normalized_adjacency(adj);
    let mut y = x.to_owned();
    for (mut row, s) in y.rows_mut().into_iter().zip(&d) {
        row.mapv_inplace(|v| v * s);
    }
    let mut out = chebyshev_expm(&a, t, y.view());
    for (mut row, s) in out.rows_mut().into_iter().zip(&d) {
        row.mapv_inplace(|v| v / s);
    }
    out
}
