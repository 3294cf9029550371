//! The signal's diffusion exp(-t L) x for a [`Dataset`](crate::dataset::Dataset): per
//! condition, the spectra (for `spectral`) and the sums of exponentials that evaluate it at
//! any t.

use ndarray::Array2;
use rand::Rng;

use crate::error::{Error, Result};
use crate::geometry::connection::Connections;
use crate::geometry::diffusion::{Decay, ExpSum, krylov_expsum, spectral_expsum};
use crate::geometry::frames::Frames;
use crate::geometry::laplacian;
use crate::geometry::sparse::CsrMatrix;
use crate::geometry::spectrum::{Eigenpairs, lowest_eigenpairs};
use crate::params::{DiffusionMethod, ValidParams};
use crate::seed::{Stream, rng_for};

/// The input signal's diffusion exp(-t L) x, as sums of exponentials per condition, ready
/// to evaluate at any t in O(terms) per point.
///
/// Global frames: `parts[c][s]` diffuses channel s of condition c with the scalar Laplacian.
/// Local frames: `parts[c][0]` diffuses the signal in local coordinates (m per point) with
/// the connection Laplacian and `parts[c][1]` its magnitude with the scalar Laplacian; the
/// diffused vectors are rescaled to the diffused magnitude (reference: `vector_diffusion`
/// with `normalise=True`; exp(-t L_rw) 1 = 1, so no further division is needed).
#[derive(Clone, Debug)]
pub struct SignalDiffusion {
    /// How the exponential sums were obtained.
    pub method: DiffusionMethod,
    /// Whether the signal lives in local frames.
    pub local: bool,
    /// sqrt(d_i) per point: exp(-t L_rw) x = D^-1/2 exp(-t L_sym) D^1/2 x.
    pub sqrt_degree: Vec<f64>,
    /// Exponential sums of D^1/2 x, per condition.
    pub parts: Vec<Vec<ExpSum>>,
    /// Condition c holds points `offsets[c]..offsets[c + 1]`.
    pub offsets: Vec<usize>,
}

impl SignalDiffusion {
    /// Components per point of the diffused signal: S (global) or m (local coordinates).
    pub fn width(&self) -> usize {
        if self.local {
            self.parts[0][0].weights.nrows() / (self.offsets[1] - self.offsets[0])
        } else {
            self.parts[0].len()
        }
    }

    /// Decay factors of every exponential sum at time t, for [`SignalDiffusion::point`].
    pub fn decays(&self, t: f64) -> Vec<Vec<Decay>> {
        self.parts.iter().map(|parts| parts.iter().map(|e| e.at_time(t)).collect()).collect()
    }

    /// The diffused signal at point i and its derivative in t, written to `out` and `dout`
    /// (each [`SignalDiffusion::width`] long).
    pub fn point(&self, condition: usize, i: usize, decay: &[Vec<Decay>], out: &mut [f64], dout: &mut [f64]) {
        let (c, row, s) = (condition, i - self.offsets[condition], self.sqrt_degree[i]);
        let w = out.len();
        if !self.local {
            for ch in 0..w {
                let (f, df) = self.parts[c][ch].row_at(row, &decay[c][ch]);
                out[ch] = f / s;
                dout[ch] = df / s;
            }
            return;
        }
        // Direction from the connection diffusion, length from the scalar one.
        let (mut v, mut dv) = (vec![0.0; w], vec![0.0; w]);
        for b in 0..w {
            (v[b], dv[b]) = self.parts[c][0].row_at(row * w + b, &decay[c][0]);
        }
        let (mag, dmag) = self.parts[c][1].row_at(row, &decay[c][1]);
        let (mag, dmag) = (mag / s, dmag / s);
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            out.iter_mut().chain(dout.iter_mut()).for_each(|x| *x = 0.0);
            return;
        }
        let vdv: f64 = v.iter().zip(&dv).map(|(a, b)| a * b).sum();
        for b in 0..w {
            out[b] = v[b] * mag / norm;
            dout[b] = dv[b] * mag / norm + v[b] * (dmag / norm - mag * vdv / norm.powi(3));
        }
    }

    /// The diffused signal at time t: n x S (global) or n x m in local coordinates (local).
    pub fn at(&self, t: f64) -> Array2<f64> {
        let n = *self.offsets.last().expect("at least one condition");
        let w = self.width();
        let decay = self.decays(t);
        let mut out = Array2::zeros((n, w));
        let mut dout = vec![0.0; w];
        for c in 0..self.parts.len() {
            for i in self.offsets[c]..self.offsets[c + 1] {
                let row = out.row_mut(i).into_slice().expect("contiguous rows");
                self.point(c, i, &decay, row, &mut dout);
            }
        }
        out
    }
}

pub(super) type ConditionDiffusion = (Option<Eigenpairs>, Option<Eigenpairs>, Vec<ExpSum>);

/// Spectra (for `spectral`) and exponential sums for condition c.
#[allow(clippy::too_many_arguments)]
pub(super) fn diffusion_of_condition(
    c: usize,
    offsets: &[usize],
    adjacency: &CsrMatrix,
    connections: Option<&Connections>,
    frames: &Frames,
    vector: &Array2<f64>,
    sqrt_degree: &[f64],
    p: &ValidParams,
) -> Result<ConditionDiffusion> {
    if !p.diffusion {
        return Ok((None, None, Vec::new()));
    }
    let (lo, hi) = (offsets[c], offsets[c + 1]);
    let sub = adjacency.diagonal_block(lo, hi);
    let a = laplacian::normalized_adjacency(&sub);
    let solve = |a: &CsrMatrix, which: u64, operator: &'static str| -> Result<Eigenpairs> {
        let seed = rng_for(p.seed, Stream::Eigen, 2 * c as u64 + which).random();
        lowest_eigenpairs(a, p.n_eigenpairs, p.diffusion_tolerance, seed).map_err(|e| Error::EigenNotConverged {
            operator,
            condition: c,
            iterations: e.iterations,
            residual: e.residual,
            tolerance: p.diffusion_tolerance,
        })
    };
    let spectral = p.diffusion_method == DiffusionMethod::Spectral;
    let scalar_spectrum = if spectral { Some(solve(&a, 0, "Laplacian")?) } else { None };
    let expsum = |a: &CsrMatrix, pairs: Option<&Eigenpairs>, y: &[f64]| match pairs {
        Some(pairs) => spectral_expsum(pairs, y),
        None => krylov_expsum(a, y, p.n_eigenpairs, p.diffusion_tolerance),
    };
    let s = |i: usize| sqrt_degree[lo + i];
    let n_c = hi - lo;
    match connections {
        None => {
            let parts = (0..vector.ncols())
                .map(|ch| {
                    let y: Vec<f64> = (0..n_c).map(|i| vector[[lo + i, ch]] * s(i)).collect();
                    expsum(&a, scalar_spectrum.as_ref(), &y)
                })
                .collect();
            Ok((scalar_spectrum, None, parts))
        }
        Some(conn) => {
            let m = conn.dim;
            let (e0, e1) = (adjacency.indptr[lo], adjacency.indptr[hi]);
            let sub_conn = Connections { dim: m, blocks: conn.blocks[e0 * m * m..e1 * m * m].to_vec() };
            let ac = laplacian::normalized_connection_adjacency(&sub, &sub_conn);
            let conn_spectrum = if spectral { Some(solve(&ac, 1, "connection Laplacian")?) } else { None };
            let mut local = vec![0.0; n_c * m];
            let mut magnitude = vec![0.0; n_c];
            for i in 0..n_c {
                let v = vector.row(lo + i);
                let v = v.as_slice().expect("contiguous rows");
                frames.project(lo + i, v, &mut local[i * m..(i + 1) * m]);
                let norm = local[i * m..(i + 1) * m].iter().map(|x| x * x).sum::<f64>().sqrt();
                magnitude[i] = norm * s(i);
                local[i * m..(i + 1) * m].iter_mut().for_each(|x| *x *= s(i));
            }
            let parts =
                vec![expsum(&ac, conn_spectrum.as_ref(), &local), expsum(&a, scalar_spectrum.as_ref(), &magnitude)];
            Ok((scalar_spectrum, conn_spectrum, parts))
        }
    }
}
