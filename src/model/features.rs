//! Stage 2, first half: the features of a point from the signal on its neighbourhood.
//!
//! Reference: the diffusion, `AnisoConv` and `vec_norm` parts of `net.forward`. For a batch
//! of target points, only their `order`-hop neighbourhood is touched, so the cost of a
//! training step depends on the batch and k, not on the number of points.
//!
//! Features are computed in f64 together with their derivative with respect to the
//! diffusion time t (every operation is linear in the diffused signal, or differentiated by
//! hand where it is not: `vec_norm` and the local-frame magnitude rescaling), so the network
//! can learn t by the chain rule dL/dt = sum dL/dF dF/dt.
//!
//! Layout. In *vector mode* (signal dimension = number of frame directions m, always true
//! with local frames) the signal is an m-vector per point and order k adds m^k vectors:
//! the directional derivatives D_a of every vector of order k-1, each again an m-vector
//! (neighbour values transported by R_ij in local mode). Vector v of order k occupies
//! columns v*m .. (v+1)*m of that order's block. In *scalar mode* every signal channel is
//! differentiated separately and order k has S m^k channels (channel c, direction a at
//! c*m + a), as in the reference.

use std::collections::HashMap;

use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::geometry::diffusion::Decay;

/// How a dataset's signal turns into features; fixed at model creation, checked on reuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureLayout {
    /// Embedding dimension D of the anchors.
    pub embedding_dim: usize,
    /// Signal dimension S.
    pub signal_dim: usize,
    /// Frame directions m (D in global mode, the manifold dimension in local mode).
    pub n_dirs: usize,
    /// Local frames in use.
    pub local: bool,
    /// Vector mode (see the module docs): the signal is one m-vector per point.
    pub vector_mode: bool,
    /// Derivative order.
    pub order: usize,
    /// Whether the signal itself is among the features.
    pub include_self: bool,
    /// Whether the signal is diffused first.
    pub diffusion: bool,
    /// Normalise each order to unit length.
    pub vec_norm: bool,
}

impl FeatureLayout {
    /// The layout for a dataset under the network parameters in `p`.
    pub fn new(data: &Dataset, p: &crate::params::Params) -> Self {
        let m = data.manifold_dim();
        let local = data.local_gauges();
        FeatureLayout {
            embedding_dim: data.embedding_dim(),
            signal_dim: data.signal_dim(),
            n_dirs: m,
            local,
            vector_mode: local || data.signal_dim() == m,
            order: p.order,
            include_self: p.include_self,
            diffusion: p.diffusion,
            vec_norm: p.vec_norm,
        }
    }

    /// Components per point of the (possibly projected) signal: m in vector mode, S else.
    pub fn signal_width(&self) -> usize {
        if self.vector_mode { self.n_dirs } else { self.signal_dim }
    }

    /// Width of derivative order k: (signal width) m^k.
    pub fn order_width(&self, k: usize) -> usize {
        self.signal_width() * self.n_dirs.pow(k as u32)
    }

    /// Total feature columns: S (1 + m + ... + m^order), minus S without `include_self`.
    pub fn width(&self) -> usize {
        let start = usize::from(!self.include_self);
        (start..=self.order).map(|k| self.order_width(k)).sum()
    }

    /// Components of each vector that inner products are taken over (m in vector mode, 1
    /// in scalar mode).
    pub fn vector_size(&self) -> usize {
        if self.vector_mode { self.n_dirs } else { 1 }
    }
}

/// Features of a set of points and their derivative in t, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureBatch {
    /// Rows (points).
    pub rows: usize,
    /// Columns (`FeatureLayout::width`).
    pub width: usize,
    /// Values, rows x width.
    pub values: Vec<f64>,
    /// d values / dt, rows x width (zero without diffusion).
    pub dt: Vec<f64>,
}

/// Per-point lists of neighbours (local indices) and their CSR entries, for one batch.
struct Hood {
    /// Global index of every local point, by hop distance from the targets.
    points: Vec<usize>,
    /// For the points within order - 1 hops, their (local neighbour, CSR entry) pairs.
    edges: Vec<Vec<(u32, usize)>>,
    /// `hop_end[h]`: number of local points within h hops of the targets.
    hop_end: Vec<usize>,
    /// Local index of each target, in the order given (targets may repeat).
    target_local: Vec<usize>,
}

/// Chooses a subset of neighbours per point during training (`frac_sampled_nb`).
pub struct NeighbourSampler<'r, R: Rng> {
    /// Fraction of neighbours kept (at least one).
    pub fraction: f64,
    /// Random source.
    pub rng: &'r mut R,
}

fn neighbourhood<R: Rng>(
    data: &Dataset,
    targets: &[usize],
    order: usize,
    mut sampler: Option<&mut NeighbourSampler<R>>,
) -> Hood {
    let adj = &data.adjacency;
    // A fixed (unseeded) fast hasher: the keys are point indices, not untrusted input.
    let mut index: HashMap<usize, u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(targets.len() * 8, foldhash::fast::FixedState::default());
    let mut points = Vec::with_capacity(targets.len());
    let target_local = targets
        .iter()
        .map(|&i| {
            *index.entry(i).or_insert_with(|| {
                points.push(i);
                (points.len() - 1) as u32
            }) as usize
        })
        .collect();
    let mut edges: Vec<Vec<(u32, usize)>> = Vec::new();
    let mut hop_end = vec![points.len()];
    let mut frontier = 0..points.len();
    for _ in 0..order {
        let end = points.len();
        for local in frontier.clone() {
            let i = points[local];
            let mut entries: Vec<usize> = (adj.indptr[i]..adj.indptr[i + 1]).collect();
            if let Some(s) = sampler.as_deref_mut() {
                let keep = ((s.fraction * entries.len() as f64).ceil() as usize).clamp(1, entries.len());
                entries.shuffle(s.rng);
                entries.truncate(keep);
                entries.sort_unstable();
            }
            let list = entries
                .into_iter()
                .map(|e| {
                    let j = adj.indices[e] as usize;
                    let lj = *index.entry(j).or_insert_with(|| {
                        points.push(j);
                        (points.len() - 1) as u32
                    });
                    (lj, e)
                })
                .collect();
            if edges.len() <= local {
                edges.resize_with(local + 1, Vec::new);
            }
            edges[local] = list;
        }
        frontier = end..points.len();
        hop_end.push(points.len());
    }
    Hood { points, edges, hop_end, target_local }
}

/// Normalise each row of `v` (width w) to unit length, carrying the derivative along:
/// d(v/|v|) = (dv - u (u . dv)) / |v|.
fn normalise_rows(v: &mut [f64], dv: &mut [f64], w: usize) {
    for (row, drow) in v.chunks_mut(w).zip(dv.chunks_mut(w)) {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        row.iter_mut().for_each(|x| *x /= norm);
        let udv: f64 = row.iter().zip(drow.iter()).map(|(u, d)| u * d).sum();
        for (d, u) in drow.iter_mut().zip(row.iter()) {
            *d = (*d - u * udv) / norm;
        }
    }
}

/// The (diffused) signal at point i and its t-derivative, in the layout's signal width.
fn signal_at(
    data: &Dataset,
    layout: &FeatureLayout,
    i: usize,
    decay: &[Vec<Decay>],
    out: &mut [f64],
    dout: &mut [f64],
) {
    match data.diffusion.as_ref().filter(|_| layout.diffusion) {
        Some(diff) => diff.point(data.condition[i], i, decay, out, dout),
        None => {
            let v = data.vector.row(i);
            if layout.local {
                data.frames.project(i, v.as_slice().expect("contiguous rows"), out);
            } else {
                out.copy_from_slice(v.as_slice().expect("contiguous rows"));
            }
            dout.iter_mut().for_each(|d| *d = 0.0);
        }
    }
}

/// Below this many points per thread, a batch's work is not split further.
const PAR_MIN_POINTS: usize = 512;

/// Features of `targets` at diffusion time `t` (ignored without diffusion), computed from
/// their `order`-hop neighbourhoods only. With a sampler, each point's derivatives use a
/// random subset of its neighbours (training); without, all of them.
pub fn features<R: Rng>(
    data: &Dataset,
    layout: &FeatureLayout,
    targets: &[usize],
    t: f64,
    sampler: Option<&mut NeighbourSampler<R>>,
) -> FeatureBatch {
    let hood = neighbourhood(data, targets, layout.order, sampler);
    let n_local = hood.points.len();
    let sw = layout.signal_width();
    let m = layout.n_dirs;
    // Order 0 at every local point.
    let decay = data.diffusion.as_ref().filter(|_| layout.diffusion).map_or_else(Vec::new, |d| d.decays(t));
    // Points are independent below, so they are spread over threads; each point's
    // arithmetic is unchanged, so results do not depend on the thread count.
    let mut cur = vec![0.0; n_local * sw];
    let mut dcur = vec![0.0; n_local * sw];
    cur.par_chunks_mut(sw)
        .zip(dcur.par_chunks_mut(sw))
        .zip(hood.points.par_iter())
        .with_min_len(PAR_MIN_POINTS)
        .for_each(|((out, dout), &i)| signal_at(data, layout, i, &decay, out, dout));
    if layout.vec_norm {
        normalise_rows(&mut cur, &mut dcur, sw);
    }
    let n_targets = targets.len();
    let width = layout.width();
    let mut values = vec![0.0; n_targets * width];
    let mut dt = vec![0.0; n_targets * width];
    let mut col = 0;
    let target_rows = &hood.target_local;
    let mut place = |block: &[f64], dblock: &[f64], w: usize, col: &mut usize| {
        for (r, &l) in target_rows.iter().enumerate() {
            values[r * width + *col..r * width + *col + w].copy_from_slice(&block[l * w..(l + 1) * w]);
            dt[r * width + *col..r * width + *col + w].copy_from_slice(&dblock[l * w..(l + 1) * w]);
        }
        *col += w;
    };
    if layout.include_self {
        place(&cur, &dcur, sw, &mut col);
    }
    let coeffs = &data.gradient.coeffs;
    let conn = data.connections.as_ref();
    let mut w_in = sw;
    for k in 1..=layout.order {
        // Order k is needed within order - k hops of the targets.
        let n_need = hood.hop_end[layout.order - k];
        let w_out = w_in * m;
        let mut next = vec![0.0; n_local * w_out];
        let mut dnext = vec![0.0; n_local * w_out];
        let (cur_ref, dcur_ref) = (&cur, &dcur);
        next[..n_need * w_out]
            .par_chunks_mut(w_out)
            .zip(dnext[..n_need * w_out].par_chunks_mut(w_out))
            .enumerate()
            .with_min_len(PAR_MIN_POINTS / 8)
            .for_each(|(l, (o, d_o))| {
                let list = &hood.edges[l];
                let (xi, dxi) = (&cur_ref[l * w_in..(l + 1) * w_in], &dcur_ref[l * w_in..(l + 1) * w_in]);
                for &(lj, e) in list {
                    let lj = lj as usize;
                    let (xj, dxj) = (&cur_ref[lj * w_in..(lj + 1) * w_in], &dcur_ref[lj * w_in..(lj + 1) * w_in]);
                    if layout.vector_mode {
                        // Groups of m components; transport neighbour vectors in local mode.
                        let r = conn.filter(|_| layout.local).map(|c| c.block(e));
                        for g in 0..w_in / m {
                            let (vj, dvj) = (&xj[g * m..(g + 1) * m], &dxj[g * m..(g + 1) * m]);
                            for b in 0..m {
                                let (tv, tdv) = match r {
                                    Some(r) => (
                                        (0..m).map(|c| r[b * m + c] * vj[c]).sum::<f64>(),
                                        (0..m).map(|c| r[b * m + c] * dvj[c]).sum::<f64>(),
                                    ),
                                    None => (vj[b], dvj[b]),
                                };
                                let (diff, ddiff) = (tv - xi[g * m + b], tdv - dxi[g * m + b]);
                                for a in 0..m {
                                    let f = coeffs[[e, a]];
                                    o[(g * m + a) * m + b] += f * diff;
                                    d_o[(g * m + a) * m + b] += f * ddiff;
                                }
                            }
                        }
                    } else {
                        for ch in 0..w_in {
                            let (diff, ddiff) = (xj[ch] - xi[ch], dxj[ch] - dxi[ch]);
                            for a in 0..m {
                                let f = coeffs[[e, a]];
                                o[ch * m + a] += f * diff;
                                d_o[ch * m + a] += f * ddiff;
                            }
                        }
                    }
                }
            });
        if layout.vec_norm {
            normalise_rows(&mut next, &mut dnext, w_out);
        }
        place(&next, &dnext, w_out, &mut col);
        cur = next;
        dcur = dnext;
        w_in = w_out;
    }
    debug_assert_eq!(col, width);
    FeatureBatch { rows: n_targets, width, values, dt }
}

/// Features of every point of the dataset, in chunks (for `transform`).
pub fn all_features(data: &Dataset, layout: &FeatureLayout, t: f64) -> FeatureBatch {
    use rayon::prelude::*;
    let n = data.n_points();
    let chunk = 512;
    let parts: Vec<FeatureBatch> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let targets: Vec<usize> = (c * chunk..((c + 1) * chunk).min(n)).collect();
            features::<rand_chacha::ChaCha8Rng>(data, layout, &targets, t, None)
        })
        .collect();
    let width = layout.width();
    let mut values = Vec::with_capacity(n * width);
    let mut dt = Vec::with_capacity(n * width);
    for p in parts {
        values.extend(p.values);
        dt.extend(p.dt);
    }
    FeatureBatch { rows: n, width, values, dt }
}
