//! Small dense linear algebra on faer, for the places that need a whole decomposition of a
//! small matrix: local PCA and the Lanczos tridiagonal (symmetric eigenproblems), the
//! connection's polar factor (an SVD), and the decoder's ridge solve (Cholesky, with a
//! pseudo-inverse when the system is singular).
//!
//! faer already solves the dense spectra (`spectrum`), so one library serves every
//! decomposition; nalgebra is not needed. That matters beyond the build: nalgebra's
//! manifest lists optional conversions to eighteen versions of glam, which `cargo metadata`
//! reports as dependencies, and rust-analyzer (inside the notebook kernel) analyses each.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::linalg::solvers::Solve;
use faer::{Mat, Par, Side};
use ndarray::{Array1, Array2};

/// Eigenpairs of a real symmetric matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns (n x n), in the order of `values`.
    pub vectors: Array2<f64>,
}

/// Eigendecomposition of the symmetric n x n matrix with entries `f(i, j)`. Only the lower
/// triangle (i >= j) is read.
///
/// Sequential: the callers are small problems, often one per point inside a parallel loop,
/// where faer's own threading would only add overhead.
///
/// Panics if the matrix has non-finite entries (callers check their inputs first).
pub fn symmetric_eigen(n: usize, f: impl Fn(usize, usize) -> f64) -> SymmetricEigen {
    let a = Mat::<f64>::from_fn(n, n, |i, j| if i >= j { f(i, j) } else { 0.0 });
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let par = Par::Seq;
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, par, Default::default()));
    self_adjoint_evd(a.as_ref(), s.as_mut(), Some(u.as_mut()), par, MemStack::new(&mut buf), Default::default())
        .expect("symmetric eigendecomposition of finite entries converges");
    let s = s.column_vector();
    SymmetricEigen {
        values: (0..n).map(|k| s[k]).collect(),
        vectors: Array2::from_shape_fn((n, n), |(i, k)| u[(i, k)]),
    }
}

/// The orthogonal matrix nearest to the square matrix `m` (row-major, dim x dim) in the
/// Frobenius norm: the polar factor U V^T of its SVD, row-major.
pub fn polar_factor_svd(m: &[f64], dim: usize) -> Vec<f64> {
    let a = Mat::<f64>::from_fn(dim, dim, |i, j| m[i * dim + j]);
    let svd = a.svd().expect("SVD of finite entries converges");
    let r = svd.U() * svd.V().transpose();
    (0..dim * dim).map(|k| r[(k / dim, k % dim)]).collect()
}

/// Solves A X = B for a symmetric positive semi-definite A (n x n): by Cholesky when A is
/// positive definite, else with the pseudo-inverse of A (eigenvalues of magnitude at most
/// `1e-12` treated as zero), which gives the least-squares solution of least norm.
pub fn solve_symmetric(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let fa = Mat::<f64>::from_fn(n, n, |i, j| a[[i, j]]);
    let fb = Mat::<f64>::from_fn(n, b.ncols(), |i, k| b[[i, k]]);
    if let Ok(llt) = fa.llt(Side::Lower) {
        let x = llt.solve(&fb);
        return Array2::from_shape_fn((n, b.ncols()), |(i, k)| x[(i, k)]);
    }
    let eig = symmetric_eigen(n, |i, j| a[[i, j]]);
    let v = &eig.vectors;
    let inv: Array1<f64> = eig.values.iter().map(|&l| if l.abs() > 1e-12 { 1.0 / l } else { 0.0 }).collect();
    // X = V diag(1/lambda) V^T B
    let vtb = v.t().dot(b);
    let scaled = &vtb * &inv.insert_axis(ndarray::Axis(1));
    v.dot(&scaled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, -1)/sqrt2 and (1, 1)/sqrt2.
        let a = [[2.0, 1.0], [1.0, 2.0]];
        let e = symmetric_eigen(2, |i, j| a[i][j]);
        assert!(close(e.values[0], 1.0, 1e-12) && close(e.values[1], 3.0, 1e-12), "{:?}", e.values);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(close(e.vectors[[0, 0]].abs(), h, 1e-12) && close(e.vectors[[0, 0]], -e.vectors[[1, 0]], 1e-12));
        assert!(close(e.vectors[[0, 1]].abs(), h, 1e-12) && close(e.vectors[[0, 1]], e.vectors[[1, 1]], 1e-12));
    }

    #[test]
    fn eigen_reconstructs_the_matrix() {
        let n = 6;
        let f = |i: usize, j: usize| ((i * 7 + j * 7 + i * j) % 11) as f64 - 5.0 + if i == j { 3.0 } else { 0.0 };
        let e = symmetric_eigen(n, f);
        assert!(e.values.windows(2).all(|w| w[0] <= w[1]), "ascending: {:?}", e.values);
        let v = &e.vectors;
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n).map(|k| v[[i, k]] * e.values[k] * v[[j, k]]).sum();
                assert!(close(r, f(i.max(j), i.min(j)), 1e-10), "({i}, {j}): {r}");
                let g: f64 = (0..n).map(|k| v[[k, i]] * v[[k, j]]).sum();
                assert!(close(g, if i == j { 1.0 } else { 0.0 }, 1e-12));
            }
        }
    }

    #[test]
    fn svd_polar_factor_of_a_scaled_rotation_is_the_rotation() {
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        // A scaled rotation 3 R has polar factor R.
        let r = [c, -s, s, c];
        let m: Vec<f64> = r.iter().map(|x| 3.0 * x).collect();
        let p = polar_factor_svd(&m, 2);
        for k in 0..4 {
            assert!(close(p[k], r[k], 1e-12), "{p:?}");
        }
        // A reflection stays a reflection (det -1): diag(2, -1) -> diag(1, -1).
        let p = polar_factor_svd(&[2.0, 0.0, 0.0, -1.0], 2);
        assert!(close(p[0], 1.0, 1e-12) && close(p[3], -1.0, 1e-12) && close(p[1], 0.0, 1e-12));
    }

    #[test]
    fn solve_definite_and_singular() {
        let a = ndarray::array![[4.0, 1.0], [1.0, 3.0]];
        let b = ndarray::array![[1.0], [2.0]];
        let x = solve_symmetric(&a, &b);
        // 4x + y = 1, x + 3y = 2: x = 1/11, y = 7/11.
        assert!(close(x[[0, 0]], 1.0 / 11.0, 1e-12) && close(x[[1, 0]], 7.0 / 11.0, 1e-12));
        // Singular [[1, 1], [1, 1]] x = [2, 2]: the least-norm solution is (1, 1).
        let a = ndarray::array![[1.0, 1.0], [1.0, 1.0]];
        let b = ndarray::array![[2.0], [2.0]];
        let x = solve_symmetric(&a, &b);
        assert!(close(x[[0, 0]], 1.0, 1e-12) && close(x[[1, 0]], 1.0, 1e-12), "{x:?}");
    }
}
