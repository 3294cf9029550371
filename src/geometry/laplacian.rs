//! Graph Laplacians: random-walk, symmetric normalised, and their connection versions.
//!
//! Reference: `compute_laplacian` and `compute_connection_laplacian`. With W the weighted
//! adjacency and D its degree matrix:
//! - L_rw = I - D^-1 W (rows sum to zero), used for diffusion;
//! - L_sym = I - D^-1/2 W D^-1/2 = D^1/2 L_rw D^-1/2, symmetric with the same spectrum in
//!   [0, 2], so exp(-t L_rw) = D^-1/2 exp(-t L_sym) D^1/2 exactly;
//! - connection versions replace w_ij by the m x m block w_ij R_ij (n m x n m operators).
//!
//! An isolated node (no edge, degree 0) has no neighbour to exchange with: its row of every
//! Laplacian is zero, so diffusion leaves its signal unchanged. Its degree is taken as 1 in
//! the normalisations (see [`diffusion_degrees`]), which keeps exp(-t L_rw) =
//! D^-1/2 exp(-t L_sym) D^1/2 exact on graphs with isolated nodes.
//!
//! All are sparse: O(nnz m^2) memory.

use crate::geometry::connection::Connections;
use crate::geometry::sparse::CsrMatrix;

/// Weighted degree of every node: d_i = sum_j w_ij.
pub fn degrees(adj: &CsrMatrix) -> Vec<f64> {
    adj.row_sums()
}

/// Degrees for the normalisations: d_i, or 1 for an isolated node (d_i = 0), whose rows
/// carry no off-diagonal entry to scale.
pub fn diffusion_degrees(adj: &CsrMatrix) -> Vec<f64> {
    degrees(adj).into_iter().map(|d| if d > 0.0 { d } else { 1.0 }).collect()
}

/// The diagonal of an operator at node i: `diag` (of the identity part), `isolated` when i has
/// no edge.
fn diagonal(adj: &CsrMatrix, i: usize, diag: f64, isolated: f64) -> f64 {
    if adj.indptr[i] == adj.indptr[i + 1] { isolated } else { diag }
}

fn scaled(adj: &CsrMatrix, diag: f64, isolated: f64, scale: impl Fn(usize, usize) -> f64) -> CsrMatrix {
    let mut t = Vec::with_capacity(adj.nnz() + adj.n_rows);
    for i in 0..adj.n_rows {
        let diag = diagonal(adj, i, diag, isolated);
        if diag != 0.0 {
            t.push((i as u32, i as u32, diag));
        }
        let (cols, w) = adj.row(i);
        for (&j, &wij) in cols.iter().zip(w) {
            t.push((i as u32, j, wij * scale(i, j as usize)));
        }
    }
    CsrMatrix::from_triplets(adj.n_rows, adj.n_cols, t)
}

/// L_rw = I - D^-1 W (a zero row for an isolated node).
pub fn random_walk_laplacian(adj: &CsrMatrix) -> CsrMatrix {
    let d = degrees(adj);
    scaled(adj, 1.0, 0.0, |i, _| -1.0 / d[i])
}

/// D^-1/2 W D^-1/2, so that L_sym = I minus this (1 on the diagonal of an isolated node, so
/// its row of L_sym is zero). Its spectrum lies in [-1, 1].
pub fn normalized_adjacency(adj: &CsrMatrix) -> CsrMatrix {
    let d = degrees(adj);
    scaled(adj, 0.0, 1.0, |i, j| 1.0 / (d[i] * d[j]).sqrt())
}

fn block_expand(
    adj: &CsrMatrix,
    conn: &Connections,
    diag: f64,
    isolated: f64,
    scale: impl Fn(usize, usize) -> f64,
) -> CsrMatrix {
    let m = conn.dim;
    let n = adj.n_rows;
    let mut t = Vec::with_capacity((adj.nnz() + n) * m * m);
    for i in 0..n {
        let diag = diagonal(adj, i, diag, isolated);
        if diag != 0.0 {
            for a in 0..m {
                t.push(((i * m + a) as u32, (i * m + a) as u32, diag));
            }
        }
        for e in adj.indptr[i]..adj.indptr[i + 1] {
            let j = adj.indices[e] as usize;
            let s = adj.values[e] * scale(i, j);
            let r = conn.block(e);
            for a in 0..m {
                for b in 0..m {
                    t.push(((i * m + a) as u32, (j * m + b) as u32, s * r[a * m + b]));
                }
            }
        }
    }
    CsrMatrix::from_triplets(n * m, n * m, t)
}

/// Connection Laplacian I - D^-1 [w_ij R_ij] (n m x n m; zero rows for an isolated node).
pub fn connection_laplacian(adj: &CsrMatrix, conn: &Connections) -> CsrMatrix {
    let d = degrees(adj);
    block_expand(adj, conn, 1.0, 0.0, |i, _| -1.0 / d[i])
}

/// D^-1/2 [w_ij R_ij] D^-1/2 (n m x n m), symmetric since R_ji = R_ij^T.
pub fn normalized_connection_adjacency(adj: &CsrMatrix, conn: &Connections) -> CsrMatrix {
    let d = degrees(adj);
    block_expand(adj, conn, 0.0, 1.0, |i, j| 1.0 / (d[i] * d[j]).sqrt())
}
