//! Directional-derivative (gradient) operators.
//!
//! Reference: `gradient_op` (after Beaini et al. 2021). For each frame direction a and edge
//! (i, j): F_a(i, j) = <x_j - x_i, e_a(i)> / sum_j |<x_j - x_i, e_a(i)>|, and
//! (K_a f)(i) = sum_j F_a(i, j) (f_j - f_i). For a linear field f(x) = g . x this gives
//! exactly g . sum_j d_ij <d_ij, e_a(i)> / sum_j |<d_ij, e_a(i)>| with d_ij = x_j - x_i.
//! In local mode vector signals are m-vectors in each point's frame, and neighbour values
//! are transported into i's frame first: (K_a f)(i) = sum_j F_a(i, j) (R_ij f_j - f_i).
//! O(nnz m) memory; applying costs O(nnz m channels).

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::geometry::connection::Connections;
use crate::geometry::frames::Frames;
use crate::geometry::sparse::CsrMatrix;

/// Normalised projections F_a(i, j), one row per stored adjacency entry, one column per
/// direction a.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientOperator {
    /// `coeffs[[e, a]]` = F_a(i, j) for stored entry e = (i, j).
    pub coeffs: Array2<f64>,
}

impl GradientOperator {
    /// Build from positions (n x D), the adjacency and the frames.
    pub fn new(x: ArrayView2<f64>, adj: &CsrMatrix, frames: &Frames) -> Self {
        let m = frames.n_dirs();
        let dim = x.ncols();
        let mut coeffs = Array2::zeros((adj.nnz(), m));
        let rows: Vec<Array2<f64>> = (0..adj.n_rows)
            .into_par_iter()
            .map(|i| {
                let (cols, _) = adj.row(i);
                let mut out = Array2::zeros((cols.len(), m));
                let mut d = vec![0.0; dim];
                let mut p = vec![0.0; m];
                for (k, &j) in cols.iter().enumerate() {
                    for c in 0..dim {
                        d[c] = x[[j as usize, c]] - x[[i, c]];
                    }
                    frames.project(i, &d, &mut p);
                    for a in 0..m {
                        out[[k, a]] = p[a];
                    }
                }
                for a in 0..m {
                    let norm: f64 = out.column(a).iter().map(|v| v.abs()).sum();
                    if norm > 0.0 {
                        out.column_mut(a).mapv_inplace(|v| v / norm);
                    }
                }
                out
            })
            .collect();
        for (i, r) in rows.into_iter().enumerate() {
            coeffs.slice_mut(ndarray::s![adj.indptr[i]..adj.indptr[i + 1], ..]).assign(&r);
        }
        GradientOperator { coeffs }
    }

    /// Number of directions m.
    pub fn n_dirs(&self) -> usize {
        self.coeffs.ncols()
    }

    /// Apply every K_a to every scalar channel of `f` (n x C). Output n x (C m), column
    /// `c * m + a` holding K_a f_c.
    pub fn apply(&self, adj: &CsrMatrix, f: ArrayView2<f64>) -> Array2<f64> {
        let (n, ch) = f.dim();
        let m = self.n_dirs();
        let mut out = Array2::zeros((n, ch * m));
        out.axis_iter_mut(ndarray::Axis(0)).into_par_iter().enumerate().for_each(|(i, mut o)| {
            for e in adj.indptr[i]..adj.indptr[i + 1] {
                let j = adj.indices[e] as usize;
                for c in 0..ch {
                    let df = f[[j, c]] - f[[i, c]];
                    for a in 0..m {
                        o[c * m + a] += self.coeffs[[e, a]] * df;
                    }
                }
            }
        });
        out
    }

    /// Apply every K_a to groups of m-vectors in local frames, transporting neighbours
    /// with R_ij. `f` is n x (G m): group g occupies columns g m .. (g + 1) m. Output
    /// n x (G m m): for group g and direction a, the m-vector sum_j F_a(i,j)(R_ij f_j - f_i)
    /// at columns (g m + a) m .. (g m + a + 1) m.
    pub fn apply_transported(&self, adj: &CsrMatrix, conn: &Connections, f: ArrayView2<f64>) -> Array2<f64> {
        let (n, cols) = f.dim();
        let m = self.n_dirs();
        assert_eq!(conn.dim, m, "connections and gradient directions disagree");
        assert_eq!(cols % m, 0, "columns must be groups of m-vectors");
        let groups = cols / m;
        let mut out = Array2::zeros((n, groups * m * m));
        out.axis_iter_mut(ndarray::Axis(0)).into_par_iter().enumerate().for_each(|(i, mut o)| {
            let mut moved = vec![0.0; m];
            for e in adj.indptr[i]..adj.indptr[i + 1] {
                let j = adj.indices[e] as usize;
                let r = conn.block(e);
                for g in 0..groups {
                    for b in 0..m {
                        moved[b] = (0..m).map(|c| r[b * m + c] * f[[j, g * m + c]]).sum::<f64>() - f[[i, g * m + b]];
                    }
                    for a in 0..m {
                        let w = self.coeffs[[e, a]];
                        for b in 0..m {
                            o[(g * m + a) * m + b] += w * moved[b];
                        }
                    }
                }
            }
        });
        out
    }

    /// K_a as a sparse n x n matrix (off-diagonal F_a(i, j), diagonal -sum_j F_a(i, j)), the
    /// reference's form.
    pub fn matrix(&self, adj: &CsrMatrix, a: usize) -> CsrMatrix {
        let mut t = Vec::with_capacity(adj.nnz() + adj.n_rows);
        for i in 0..adj.n_rows {
            let mut diag = 0.0;
            for e in adj.indptr[i]..adj.indptr[i + 1] {
                t.push((i as u32, adj.indices[e], self.coeffs[[e, a]]));
                diag -= self.coeffs[[e, a]];
            }
            t.push((i as u32, i as u32, diag));
        }
        CsrMatrix::from_triplets(adj.n_rows, adj.n_cols, t)
    }
}
