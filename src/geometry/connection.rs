//! Discrete parallel transport between neighbouring frames.
//!
//! Reference: `compute_connections`. For an edge (i, j) the connection R_ij is the
//! orthogonal matrix nearest to T_i^T T_j (the polar factor U V^T of its SVD): it maps a
//! vector's coordinates in j's frame to coordinates in i's frame. One m x m matrix per
//! stored edge, computed once per undirected edge so that R_ji = R_ij^T holds exactly.

use rayon::prelude::*;

use crate::geometry::frames::Frames;
use crate::geometry::linalg::polar_factor_svd;
use crate::geometry::sparse::CsrMatrix;

/// One m x m orthogonal matrix per stored entry of the adjacency, row-major, in CSR order.
#[derive(Clone, Debug, PartialEq)]
pub struct Connections {
    /// Size of each block (the manifold dimension).
    pub dim: usize,
    /// `nnz * dim * dim` values: the block of entry e starts at `e * dim * dim`.
    pub blocks: Vec<f64>,
}

impl Connections {
    /// The block of stored entry `e`, row-major m x m.
    pub fn block(&self, e: usize) -> &[f64] {
        let m2 = self.dim * self.dim;
        &self.blocks[e * m2..(e + 1) * m2]
    }
}

/// The orthogonal polar factor of a square row-major matrix (nearest orthogonal matrix in
/// Frobenius norm). Closed forms for m = 1, 2; an SVD otherwise.
pub fn polar_factor(m: &[f64], dim: usize) -> Vec<f64> {
    match dim {
        1 => vec![if m[0] < 0.0 { -1.0 } else { 1.0 }],
        2 => {
            let (a, b, c, d) = (m[0], m[1], m[2], m[3]);
            // Best rotation maximises tr(Q^T M) = p(a + d) + q(c - b); best reflection
            // p(a - d) + q(b + c). The larger of the two wins (sign of det M).
            let (rp, rq) = (a + d, c - b);
            let (fp, fq) = (a - d, b + c);
            if rp.hypot(rq) >= fp.hypot(fq) {
                let h = rp.hypot(rq);
                let (p, q) = if h > 0.0 { (rp / h, rq / h) } else { (1.0, 0.0) };
                vec![p, -q, q, p]
            } else {
                let h = fp.hypot(fq);
                let (p, q) = (fp / h, fq / h);
                vec![p, q, q, -p]
            }
        }
        _ => polar_factor_svd(m, dim),
    }
}

/// Connections R_ij for every stored edge of `adj`, from local frames (n x D x m).
pub fn compute_connections(adj: &CsrMatrix, frames: &Frames) -> Connections {
    let dim = frames.n_dirs();
    let m2 = dim * dim;
    let local = match frames {
        Frames::Local(f) => f,
        Frames::Global { .. } => {
            // Identity frames: every connection is the identity.
            let mut blocks = vec![0.0; adj.nnz() * m2];
            for e in 0..adj.nnz() {
                for a in 0..dim {
                    blocks[e * m2 + a * dim + a] = 1.0;
                }
            }
            return Connections { dim, blocks };
        }
    };
    let d_emb = local.shape()[1];
    let mut blocks = vec![0.0; adj.nnz() * m2];
    blocks.par_chunks_mut(m2).enumerate().for_each_init(
        || vec![0.0; m2],
        |tt, (e, out)| {
            // Row of entry e: the last row whose start is <= e.
            let i = adj.indptr.partition_point(|&p| p <= e) - 1;
            let j = adj.indices[e] as usize;
            let (lo, hi) = if i < j { (i, j) } else { (j, i) };
            for a in 0..dim {
                for b in 0..dim {
                    tt[a * dim + b] = (0..d_emb).map(|d| local[[lo, d, a]] * local[[hi, d, b]]).sum();
                }
            }
            let r = polar_factor(tt, dim);
            if i < j {
                out.copy_from_slice(&r);
            } else {
                for a in 0..dim {
                    for b in 0..dim {
                        out[a * dim + b] = r[b * dim + a];
                    }
                }
            }
        },
    );
    Connections { dim, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_2x2_matches_svd() {
        for m in [
            [0.9, -0.3, 0.2, 1.1],
            [0.5, 0.8, 0.7, -0.4], // det < 0: a reflection
            [-1.0, 0.1, 0.0, -2.0],
            [0.0, 1.0, 1.0, 0.0],
        ] {
            let a = polar_factor(&m, 2);
            let b = polar_factor_svd(&m, 2);
            for k in 0..4 {
                assert!((a[k] - b[k]).abs() < 1e-12, "{m:?}: {a:?} vs {b:?}");
            }
        }
    }
}
