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
use crate::geometry::sparse::wide_simd;

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

/// Normalise each row of `v` (width w, two lanes per column: value and t-derivative) to
/// unit length, carrying the derivative along: d(v/|v|) = (dv - u (u . dv)) / |v|.
fn normalise_rows(v: &mut [f64], w: usize) {
    for row in v.chunks_mut(2 * w) {
        let norm = row.iter().step_by(2).map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        row.iter_mut().step_by(2).for_each(|x| *x /= norm);
        let udv: f64 = row.chunks(2).map(|p| p[0] * p[1]).sum();
        for p in row.chunks_mut(2) {
            p[1] = (p[1] - p[0] * udv) / norm;
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

/// Where the neighbours of a point are: a batch's neighbourhood lists, or the whole graph.
pub(crate) enum Edges<'a> {
    /// (local neighbour, CSR entry) pairs per local point.
    Hood(&'a [Vec<(u32, usize)>]),
    /// Every stored entry of the dataset's adjacency; points are global indices.
    Graph(&'a crate::geometry::sparse::CsrMatrix),
}

/// One order of directional derivatives, for `out.len() / (w_in m lanes)` points from
/// `first` on. Every column carries `lanes` numbers that the operators act on independently
/// (value and t-derivative for a batch; one coefficient per exponential for the
/// precomputed features), so `cur` is (points x w_in x lanes) and `out` likewise with
/// w_in m columns. Vector mode: column (g m + a) m + b of the output is the derivative
/// along a of component b of vector g, neighbour vectors transported by R_ij in local mode;
/// scalar mode: column c m + a is the derivative of channel c along a.
pub(crate) fn derive(
    data: &Dataset,
    layout: &FeatureLayout,
    edges: &Edges,
    cur: &[f64],
    w_in: usize,
    lanes: usize,
    first: usize,
    out: &mut [f64],
) {
    let m = layout.n_dirs;
    let op = Derive {
        coeffs: &data.gradient.coeffs,
        conn: data.connections.as_ref().filter(|_| layout.local),
        vector_mode: layout.vector_mode,
        edges,
        cur,
        m,
        w_in,
        lanes,
    };
    let wide = wide_simd();
    out.par_chunks_mut(w_in * lanes * m)
        .enumerate()
        .with_min_len(PAR_MIN_POINTS / 8)
        .for_each(|(k, o)| if wide { op.point_wide(first + k, o) } else { op.point(first + k, o) });
}

/// What [`derive`] applies at every point.
struct Derive<'a> {
    coeffs: &'a ndarray::Array2<f64>,
    conn: Option<&'a crate::geometry::connection::Connections>,
    vector_mode: bool,
    edges: &'a Edges<'a>,
    cur: &'a [f64],
    m: usize,
    w_in: usize,
    lanes: usize,
}

impl Derive<'_> {
    /// The derivatives at point `l`, added into `o` (w_in m lanes).
    #[inline(always)]
    fn point(&self, l: usize, o: &mut [f64]) {
        let row = self.w_in * self.lanes;
        let xi = &self.cur[l * row..(l + 1) * row];
        let mut scratch = (vec![0.0; self.m * self.lanes], vec![0.0; self.lanes]);
        // Plain loops rather than `Edges::for_each`, so that the edge's work is inlined into
        // (and compiled with the features of) `point_wide`.
        match self.edges {
            Edges::Hood(lists) => {
                for &(j, e) in &lists[l] {
                    self.edge(xi, j as usize, e, &mut scratch, o);
                }
            }
            Edges::Graph(a) => {
                for e in a.indptr[l]..a.indptr[l + 1] {
                    self.edge(xi, a.indices[e] as usize, e, &mut scratch, o);
                }
            }
        }
    }

    /// Edge e from point i (values `xi`) to point j: adds f_e (x_j, transported, - x_i).
    #[inline(always)]
    fn edge(&self, xi: &[f64], j: usize, e: usize, (moved, diff): &mut (Vec<f64>, Vec<f64>), o: &mut [f64]) {
        let (m, w_in, lanes) = (self.m, self.w_in, self.lanes);
        let row = w_in * lanes;
        let xj = &self.cur[j * row..(j + 1) * row];
        let fe = self.coeffs.row(e);
        let fe = fe.as_slice().expect("contiguous rows");
        if self.vector_mode {
            let r = self.conn.map(|c| c.block(e));
            for g in 0..w_in / m {
                let vj = &xj[g * m * lanes..(g + 1) * m * lanes];
                match r {
                    Some(r) => transport(r, vj, m, lanes, moved),
                    None => moved.copy_from_slice(vj),
                }
                for b in 0..m {
                    let vi = &xi[(g * m + b) * lanes..(g * m + b + 1) * lanes];
                    for ((d, t), v) in diff.iter_mut().zip(&moved[b * lanes..(b + 1) * lanes]).zip(vi) {
                        *d = t - v;
                    }
                    for (a, &f) in fe.iter().enumerate() {
                        let at = ((g * m + a) * m + b) * lanes;
                        for (o, d) in o[at..at + lanes].iter_mut().zip(diff.iter()) {
                            *o += f * d;
                        }
                    }
                }
            }
        } else {
            for ch in 0..w_in {
                let (vj, vi) = (&xj[ch * lanes..(ch + 1) * lanes], &xi[ch * lanes..(ch + 1) * lanes]);
                for ((d, t), v) in diff.iter_mut().zip(vj).zip(vi) {
                    *d = t - v;
                }
                for (a, &f) in fe.iter().enumerate() {
                    let at = (ch * m + a) * lanes;
                    for (o, d) in o[at..at + lanes].iter_mut().zip(diff.iter()) {
                        *o += f * d;
                    }
                }
            }
        }
    }

    /// [`Derive::point`] compiled for AVX2: four lanes per instruction instead of SSE2's
    /// two. The same operations in the same order on every lane (Rust fuses no multiply
    /// and add), so the same numbers bit for bit.
    fn point_wide(&self, l: usize, o: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2,fma")]
            fn avx2(op: &Derive, l: usize, o: &mut [f64]) {
                op.point(l, o)
            }
            // SAFETY: only called after `wide_simd()` confirmed AVX2 and FMA on this CPU.
            unsafe { avx2(self, l, o) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.point(l, o)
    }
}

/// `moved` = R `v` for the m x m transport `r` and the m x lanes vector `v`, both row-major:
/// a row of R at a time, lanes innermost (contiguous, so vectorised), each sum taken over
/// c = 0, 1, ... in order as `Iterator::sum` would, so the result is the same bit for bit.
#[inline(always)]
fn transport(r: &[f64], v: &[f64], m: usize, lanes: usize, moved: &mut [f64]) {
    for (b, out) in moved.chunks_exact_mut(lanes).enumerate() {
        let rb = &r[b * m..(b + 1) * m];
        out.iter_mut().zip(&v[..lanes]).for_each(|(o, x)| *o = rb[0] * x);
        for c in 1..m {
            let f = rb[c];
            out.iter_mut().zip(&v[c * lanes..(c + 1) * lanes]).for_each(|(o, x)| *o += f * x);
        }
    }
}

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
    let need = |k: usize| hood.hop_end[layout.order - k];
    layered(data, layout, &hood.points, &Edges::Hood(&hood.edges), &need, &hood.target_local, t)
}

/// Features of every point of the dataset in one pass over the whole graph (for
/// `transform`).
pub fn all_features(data: &Dataset, layout: &FeatureLayout, t: f64) -> FeatureBatch {
    let all: Vec<usize> = (0..data.n_points()).collect();
    layered(data, layout, &all, &Edges::Graph(&data.adjacency), &|_| all.len(), &all, t)
}

/// The features of `rows` (local indices into `points`), order by order: the signal at
/// every local point, then order k at the first `need(k)` local points from `edges`.
fn layered(
    data: &Dataset,
    layout: &FeatureLayout,
    points: &[usize],
    edges: &Edges,
    need: &dyn Fn(usize) -> usize,
    rows: &[usize],
    t: f64,
) -> FeatureBatch {
    let n_local = points.len();
    let sw = layout.signal_width();
    let m = layout.n_dirs;
    // Order 0 at every local point, value and t-derivative interleaved (two lanes).
    let decay = data.diffusion.as_ref().filter(|_| layout.diffusion).map_or_else(Vec::new, |d| d.decays(t));
    // Points are independent below, so they are spread over threads; each point's
    // arithmetic is unchanged, so results do not depend on the thread count.
    let mut cur = vec![0.0; n_local * sw * 2];
    cur.par_chunks_mut(sw * 2).zip(points.par_iter()).with_min_len(PAR_MIN_POINTS).for_each(|(out, &i)| {
        let (mut v, mut dv) = (vec![0.0; sw], vec![0.0; sw]);
        signal_at(data, layout, i, &decay, &mut v, &mut dv);
        for c in 0..sw {
            out[2 * c] = v[c];
            out[2 * c + 1] = dv[c];
        }
    });
    if layout.vec_norm {
        normalise_rows(&mut cur, sw);
    }
    let width = layout.width();
    let mut values = vec![0.0; rows.len() * width];
    let mut dt = vec![0.0; rows.len() * width];
    let mut col = 0;
    let mut place = |block: &[f64], w: usize, col: &mut usize| {
        for (r, &l) in rows.iter().enumerate() {
            for c in 0..w {
                values[r * width + *col + c] = block[(l * w + c) * 2];
                dt[r * width + *col + c] = block[(l * w + c) * 2 + 1];
            }
        }
        *col += w;
    };
    if layout.include_self {
        place(&cur, sw, &mut col);
    }
    let mut w_in = sw;
    for k in 1..=layout.order {
        let w_out = w_in * m;
        let mut next = vec![0.0; n_local * w_out * 2];
        derive(data, layout, edges, &cur, w_in, 2, 0, &mut next[..need(k) * w_out * 2]);
        if layout.vec_norm {
            normalise_rows(&mut next, w_out);
        }
        place(&next, w_out, &mut col);
        cur = next;
        w_in = w_out;
    }
    debug_assert_eq!(col, width);
    FeatureBatch { rows: rows.len(), width, values, dt }
}
