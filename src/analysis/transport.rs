//! Exact optimal transport (earth mover's distance) between two discrete measures.
//!
//! The transportation problem min <P, C> subject to P 1 = a, P^T 1 = b, P >= 0 is solved by
//! the primal network simplex (Ahuja, Magnanti and Orlin, *Network Flows*, ch. 11), the
//! method of POT's `ot.emd` (Reference: `ot.emd`, which wraps LEMON's `NetworkSimplex`):
//!
//! - Nodes are the m sources, the n sinks and an artificial root; arc (i, j) carries mass
//!   from source i to sink j at cost C_ij. The basis is a spanning tree; non-tree arcs carry
//!   no mass. The first tree joins every node to the root by an artificial arc of cost
//!   M = 2 max |C_ij|, high enough that no optimum keeps mass on two of them.
//! - Node potentials pi make every tree arc's reduced cost C_ij + pi_i - pi_j zero. An arc
//!   with negative reduced cost enters the tree (candidate lists: a scan through blocks of
//!   about sqrt(m n) arcs, cycling through all arcs, gathers negative arcs, and the next
//!   pivots take the most negative of them that still is); mass goes round the cycle it
//!   closes until a tree arc empties, and that arc leaves.
//! - Degenerate pivots (no mass moves) cannot cycle: the tree is kept strongly feasible
//!   (Cunningham 1976) by letting the last emptied arc met along the cycle from its apex
//!   leave.
//! - It stops when no arc has reduced cost below -1e-12 max |C_ij|; the cost is then within
//!   1e-12 max |C_ij| of the optimum (weights sum to one).
//! - Pricing reads the costs rounded to single precision (half the memory traffic of a
//!   scan, which streams the whole matrix) and prices exactly in double precision only the
//!   arcs it picks. A scan first takes only arcs that price negative beyond the rounding;
//!   once a whole pass finds none, every arc that the rounding cannot rule out is priced
//!   exactly, so the stopping test is the exact one.
//! - The tree is kept as a thread: its nodes in preorder on a ring, so that a pivot re-roots
//!   the subtree it moves by relinking a few runs of the ring and shifts that subtree's
//!   potentials by one constant along it (see [`NetworkSimplex`]).
//!
//! A pivot costs its share of the scans plus the size of the subtree that moves.
//! Overlapping point clouds with m = n take 4 (m + n) pivots at 300 points and 9 (m + n) at
//! 2,000, so roughly (m + n)^2 log(m + n) operations in all (`benches/analysis.rs`). Clouds
//! that must move their mass far cost more: two reaching-like conditions (3-D latents,
//! 2,200 points each) take 55,000 to 65,000 pivots and 0.15 to 0.2 s on one core.
//!
//! [`emd_points`] solves the problem between two point clouds and certifies the result:
//! one pass over all m x n pairs checks the final dual potentials and plan by weak duality
//! ([`Certificate`], also [`certify`] for any plan).

use std::borrow::Cow;

use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geometry::sparse::with_wide_simd;

/// An optimal plan and its cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Transport {
    /// The earth mover's distance, sum_ij plan_ij cost_ij.
    pub cost: f64,
    /// The optimal plan (m x n); rows sum to `a`, columns to `b` (both normalised to 1).
    pub plan: Array2<f64>,
}

/// Check that `w` is a usable weight vector and return it normalised to sum 1.
fn normalised(w: ArrayView1<f64>, field: &str) -> Result<Vec<f64>> {
    if w.is_empty() {
        return Err(Error::argument(field, "is empty; give at least one support point"));
    }
    if let Some((i, v)) = w.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
        return Err(Error::argument(field, format!("entry {i} is {v}; weights must be finite and >= 0")));
    }
    let total: f64 = w.sum();
    if total <= 0.0 {
        return Err(Error::argument(field, "sums to 0; give at least one positive weight"));
    }
    Ok(w.iter().map(|v| v / total).collect())
}

/// The earth mover's distance between weights `a` (m) and `b` (n) under ground cost `cost`
/// (m x n, finite). Weights are normalised to sum to one first, so histograms of counts can be
/// passed directly. Exact (see the module documentation); 1,000 x 1,000 points take a
/// fraction of a second.
pub fn emd(a: ArrayView1<f64>, b: ArrayView1<f64>, cost: ArrayView2<f64>) -> Result<Transport> {
    let a = normalised(a, "a")?;
    let b = normalised(b, "b")?;
    let (m, n) = (a.len(), b.len());
    if cost.dim() != (m, n) {
        return Err(Error::argument(
            "cost",
            format!(
                "is {} x {} but the weights have {m} and {n} entries; give one row per entry of a",
                cost.nrows(),
                cost.ncols()
            ),
        ));
    }
    if let Some(((i, j), v)) = cost.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::argument("cost", format!("entry ({i}, {j}) is {v}; ground costs must be finite")));
    }
    // Points without mass take no part: the simplex needs every node's mass positive.
    let rows: Vec<usize> = (0..m).filter(|&i| a[i] > 0.0).collect();
    let cols: Vec<usize> = (0..n).filter(|&j| b[j] > 0.0).collect();
    let dense: Cow<[f64]> = match cost.as_slice() {
        Some(s) if rows.len() == m && cols.len() == n => Cow::Borrowed(s),
        _ => Cow::Owned(rows.iter().flat_map(|&i| cols.iter().map(move |&j| cost[[i, j]])).collect()),
    };
    let supply: Vec<f64> = rows.iter().map(|&i| a[i]).collect();
    let demand: Vec<f64> = cols.iter().map(|&j| b[j]).collect();
    let scale = dense.iter().fold(0.0f64, |s, c| s.max(c.abs()));
    let pricing = DensePricing::over_matrix(&dense, supply.len(), demand.len(), scale);
    let tree = NetworkSimplex::new(&supply, &demand, scale, pricing).solve()?;
    let mut plan = Array2::zeros((m, n));
    let mut total = 0.0;
    for (i, j, f) in tree.basic_flows() {
        let (i, j) = (rows[i], cols[j]);
        plan[[i, j]] = f;
        total += f * cost[[i, j]];
    }
    Ok(Transport { cost: total, plan })
}

/// No node: the root's parent.
const NONE: usize = usize::MAX;

/// A power of two in [1 / `top`, 2 / `top`) (1 for 0, and kept within 2^+-1000): scaling by
/// it is exact and brings costs up to `top` to about 1, where single precision rounds
/// relatively (not to 0 below 1e-38, nor to infinity above 3e38).
fn unit_for(top: f64) -> f64 {
    if top > 0.0 && top.is_finite() { 2f64.powi(-(top.log2().floor().clamp(-1000.0, 1000.0) as i32)) } else { 1.0 }
}

/// Where exact ground costs come from: a dense matrix (m x n, row-major), or the distances
/// between two point clouds, computed when asked (the bits of [`euclidean_distance`]).
#[derive(Clone, Copy)]
enum Exact<'c> {
    Matrix(&'c [f64]),
    /// Sources (m x d) and sinks (n x d), row-major.
    Points {
        xs: &'c [f64],
        ys: &'c [f64],
        d: usize,
    },
}

impl Exact<'_> {
    /// C_ij, with n sinks.
    fn cost(&self, n: usize, i: usize, j: usize) -> f64 {
        match *self {
            Exact::Matrix(c) => c[i * n + j],
            Exact::Points { xs, ys, d } => euclidean_distance(&xs[i * d..][..d], &ys[j * d..][..d]),
        }
    }
}

/// Candidate-list pricing over all m x n arcs. A scan goes through blocks of about
/// sqrt(m n) arcs from the cursor on (wrapping round) and keeps, of each piece of [`PIECE`]
/// consecutive arcs in a row, its most negative arc when one prices negative, until a block
/// ends with [`CANDIDATES`] such candidates. The next pivots (at most [`CANDIDATES`]) take
/// the most negative candidate that still prices negative, and drop those that no longer
/// do; an emptied list or the limit starts the next scan. The list spares most pivots a
/// block scan: 0.83x the time of pricing one block per pivot on MARBLE latents.
///
/// Scans read the costs times `unit` (a power of two near 1 / max |C|, so that nothing
/// underflows or overflows) rounded to single precision (`screen`), against the sink
/// potentials scaled and rounded likewise. A screened reduced cost is within `slack` =
/// 2^-22 (max |C| + max |pi|) of the exact one (in those units): the operands' roundings and
/// the difference's are each at most 2^-24 (1.5 2^-24 for a distance's square root taken in
/// single precision) of their sizes. Only arcs the screen points to are priced exactly,
/// from `exact`. While `screening`, a piece counts when its screened minimum is below
/// -slack, so what a scan finds surely prices negative. Once a whole pass finds nothing, every arc whose screened reduced cost is below
/// +slack (as that of any arc that prices negative is) is priced exactly, and a pass that
/// finds none of those ends the solve: the stopping test is the exact one. On MARBLE
/// latents the exact passes are a tenth of all scanning.
struct DensePricing<'c> {
    /// m x n ground costs in single precision, row-major: what scans read.
    screen: Vec<f32>,
    exact: Exact<'c>,
    m: usize,
    n: usize,
    /// Where the next block starts (row, column).
    cursor: (usize, usize),
    block: usize,
    /// Arcs (source, sink, exact cost) that priced negative, each the best of its piece.
    candidates: Vec<(u32, u32, f64)>,
    /// Pivots taken from the candidates since the last scan.
    minor: usize,
    /// Whether scans take only arcs that the screen shows negative beyond its rounding.
    screening: bool,
    /// The sink potentials in single precision, times `unit`, refreshed by each scan.
    sinks: Vec<f32>,
    /// max |C_ij|.
    top: f64,
    /// The power of two the screen's costs are multiplied by (about 1 / `top`), so that
    /// they and the potentials stay well inside single precision's normal range.
    unit: f64,
}

/// Arcs per piece of a row, of which a scan keeps the most negative: 0.9x the time of 256
/// on reaching-like latents, the same on van der Pol's.
const PIECE: usize = 1024;

/// Candidates a scan gathers, and pivots taken from them before the next scan.
const CANDIDATES: usize = 64;

impl<'c> DensePricing<'c> {
    /// Pricing over `screen` (m x n, row-major): the exact costs `exact` times `unit`, each
    /// within 1.5 2^-24 relative (or 2^-149, single precision's least step) of it. The
    /// largest |C_ij| is `top`, and `unit` a power of two at most 2 / `top`.
    fn new(screen: Vec<f32>, exact: Exact<'c>, m: usize, n: usize, top: f64, unit: f64) -> Self {
        let block = ((m * n) as f64).sqrt().ceil().max(10.0) as usize;
        DensePricing {
            screen,
            exact,
            m,
            n,
            cursor: (0, 0),
            block,
            candidates: Vec::with_capacity(2 * CANDIDATES),
            minor: 0,
            screening: true,
            sinks: vec![0.0; n],
            top,
            unit,
        }
    }

    /// Pricing over the dense m x n costs `cost` (row-major), whose largest |C_ij| is `top`.
    fn over_matrix(cost: &'c [f64], m: usize, n: usize, top: f64) -> Self {
        let unit = unit_for(top);
        let screen = cost.iter().map(|&c| (c * unit) as f32).collect();
        DensePricing::new(screen, Exact::Matrix(cost), m, n, top, unit)
    }

    /// An arc (source, sink, cost) whose reduced cost c + pi_source - pi_(m + sink) is
    /// below `-tolerance`, or None when no arc's is.
    fn entering(&mut self, potential: &[f64], tolerance: f64) -> Option<(usize, usize, f64)> {
        if self.minor < CANDIDATES
            && let Some(found) = self.best_candidate(potential, tolerance)
        {
            self.minor += 1;
            return Some(found);
        }
        self.minor = 0;
        self.candidates.clear();
        if self.scan(potential, tolerance).is_none() {
            if !self.screening {
                return None;
            }
            self.screening = false;
            self.scan(potential, tolerance)?;
        }
        self.best_candidate(potential, tolerance)
    }

    /// The candidate of lowest reduced cost (below `-tolerance`), dropping those that no
    /// longer price negative and the one returned. A candidate prices negative by the scan's
    /// own test, c - pi_(m + sink) < -tolerance - pi_source, so a scan that found candidates
    /// always yields one here.
    fn best_candidate(&mut self, potential: &[f64], tolerance: f64) -> Option<(usize, usize, f64)> {
        let m = self.m;
        let mut best = f64::INFINITY;
        let mut at = None;
        let mut kept = 0;
        for k in 0..self.candidates.len() {
            let (i, j, c) = self.candidates[k];
            let (source, difference) = (potential[i as usize], c - potential[m + j as usize]);
            if difference < -tolerance - source {
                let reduced = difference + source;
                if reduced < best {
                    (best, at) = (reduced, Some(kept));
                }
                self.candidates[kept] = (i, j, c);
                kept += 1;
            }
        }
        self.candidates.truncate(kept);
        at.map(|k| {
            let (i, j, c) = self.candidates.swap_remove(k);
            (i as usize, j as usize, c)
        })
    }

    /// Scan blocks from the cursor (wrapping round) for arcs pricing below `-tolerance`,
    /// adding them to the candidates, until a block ends with [`CANDIDATES`] of them; None
    /// when a whole pass finds none.
    fn scan(&mut self, potential: &[f64], tolerance: f64) -> Option<()> {
        let (m, n) = (self.m, self.n);
        let total = m * n;
        let sinks = &potential[m..m + n];
        // Eight lanes of if-maxima, which vectorise (f64::max's NaN rule does not).
        let (unit, mut lanes) = (self.unit, [0.0f64; 8]);
        for (s, p) in self.sinks.chunks_mut(8).zip(sinks.chunks(8)) {
            for l in 0..p.len() {
                s[l] = (p[l] * unit) as f32;
                let a = p[l].abs();
                lanes[l] = if a > lanes[l] { a } else { lanes[l] };
            }
        }
        let reach = lanes.into_iter().fold(0.0, f64::max);
        // In the screen's units, where the largest cost is about 1 (and the largest sink
        // potential at least that), far above any single's absolute rounding.
        let slack = 2.0 * f64::from(f32::EPSILON) * (self.top + reach) * unit;
        let (mut i, mut j) = self.cursor;
        let mut scanned = 0;
        let mut left = self.block;
        while scanned < total {
            let len = (n - j).min(left).min(total - scanned);
            let (row, sink) = (&self.screen[i * n + j..i * n + j + len], &self.sinks[j..j + len]);
            let limit = -tolerance - potential[i];
            let cut = if self.screening { limit * unit - slack } else { limit * unit + slack };
            for (piece, (c, p)) in row.chunks(PIECE).zip(sink.chunks(PIECE)).enumerate() {
                let low = lowest_difference(c, p);
                if f64::from(low) >= cut {
                    continue;
                }
                let first = j + piece * PIECE;
                let mut best: Option<(usize, f64, f64)> = None;
                let mut price = |k: usize| {
                    let cost = self.exact.cost(n, i, first + k);
                    let r = cost - sinks[first + k];
                    if r < limit && best.is_none_or(|b| r < b.2) {
                        best = Some((first + k, cost, r));
                    }
                };
                if self.screening {
                    price(attaining(c, p, low));
                } else {
                    // The least single at or above `cut`: a single x is below `cut` iff
                    // it is below this.
                    let single = cut as f32;
                    below(c, p, if f64::from(single) < cut { single.next_up() } else { single }, price);
                }
                if let Some((k, cost, _)) = best {
                    self.candidates.push((i as u32, k as u32, cost));
                }
            }
            scanned += len;
            left -= len;
            j += len;
            if j == n {
                j = 0;
                i = if i + 1 == m { 0 } else { i + 1 };
            }
            if left == 0 {
                if self.candidates.len() >= CANDIDATES {
                    break;
                }
                left = self.block;
            }
        }
        self.cursor = (i, j);
        (!self.candidates.is_empty()).then_some(())
    }
}

/// min_k (c_k - p_k) over two slices of equal length, in sixteen independent lanes that the
/// compiler turns into vector instructions (a minimum is exact, so the order is free).
fn lowest_difference(c: &[f32], p: &[f32]) -> f32 {
    with_wide_simd!(fn(c: &[f32], p: &[f32]) -> f32 {
        let mut lanes = [f32::INFINITY; 16];
        let (c16, p16) = (c.chunks_exact(16), p.chunks_exact(16));
        let (c_tail, p_tail) = (c16.remainder(), p16.remainder());
        for (a, b) in c16.zip(p16) {
            for l in 0..16 {
                let r = a[l] - b[l];
                lanes[l] = if r < lanes[l] { r } else { lanes[l] };
            }
        }
        let tail = c_tail.iter().zip(p_tail).map(|(a, b)| a - b);
        lanes.into_iter().chain(tail).fold(f32::INFINITY, |m, r| if r < m { r } else { m })
    })
}

/// The first k with c_k - p_k == `low`, which must occur: sixteen comparisons to a mask.
fn attaining(c: &[f32], p: &[f32], low: f32) -> usize {
    with_wide_simd!(fn(c: &[f32], p: &[f32], low: f32) -> usize {
        let (c16, p16) = (c.chunks_exact(16), p.chunks_exact(16));
        let (c_tail, p_tail) = (c16.remainder(), p16.remainder());
        for (k, (a, b)) in c16.zip(p16).enumerate() {
            let mut hits = 0u32;
            for l in 0..16 {
                hits |= u32::from(a[l] - b[l] == low) << l;
            }
            if hits != 0 {
                return 16 * k + hits.trailing_zeros() as usize;
            }
        }
        let at = c_tail.iter().zip(p_tail).position(|(a, b)| a - b == low).expect("the minimum is attained");
        c.len() - c_tail.len() + at
    })
}

/// Call `f(k)` for every k with c_k - p_k < `cut`, in order.
fn below(c: &[f32], p: &[f32], cut: f32, mut f: impl FnMut(usize)) {
    let (c16, p16) = (c.chunks_exact(16), p.chunks_exact(16));
    let (c_tail, p_tail) = (c16.remainder(), p16.remainder());
    for (k, (a, b)) in c16.zip(p16).enumerate() {
        let mut hits = 0u32;
        for l in 0..16 {
            hits |= u32::from(a[l] - b[l] < cut) << l;
        }
        while hits != 0 {
            f(16 * k + hits.trailing_zeros() as usize);
            hits &= hits - 1;
        }
    }
    let start = c.len() - c_tail.len();
    for (k, (a, b)) in c_tail.iter().zip(p_tail).enumerate() {
        if a - b < cut {
            f(start + k);
        }
    }
}

/// A spanning-tree basis of the transportation problem and the pivots on it.
///
/// Nodes 0..m are sources, m..m+n sinks, m+n the root. Every node but the root stores the
/// tree arc to its parent: a source's arc always points to its parent (source -> sink or
/// source -> root), a sink's always from its parent (source -> sink or root -> sink), so
/// node kinds fix the arcs' directions.
///
/// The tree is kept as a thread (Ahuja, Magnanti and Orlin, ch. 11.3; LEMON keeps the
/// same): the nodes in depth-first (pre)order as a doubly linked ring from the root, so that
/// every subtree is one contiguous run, from its top node to `last`, of `size` nodes. A
/// pivot re-roots the subtree it moves by relinking O(cycle) runs, and shifts its
/// potentials by one constant, a walk along the ring with no branching.
struct NetworkSimplex<'c> {
    m: usize,
    n: usize,
    /// Where entering arcs come from.
    pricing: DensePricing<'c>,
    /// Reduced costs above this count as non-negative.
    tolerance: f64,
    parent: Vec<usize>,
    /// Mass on the arc between a node and its parent.
    flow: Vec<f64>,
    /// Ground cost of the arc between a node and its parent.
    up_cost: Vec<f64>,
    potential: Vec<f64>,
    /// The next and previous node in the preorder ring.
    thread: Vec<usize>,
    before: Vec<usize>,
    /// The last node of each node's subtree in the ring.
    last: Vec<usize>,
    /// Nodes in each node's subtree, itself included.
    size: Vec<usize>,
    /// The moving subtree's path from the entering arc up to the leaving one, with the runs
    /// between (scratch for [`Self::pivot`]).
    path: Vec<Run>,
    /// Pivots made.
    pivots: usize,
}

/// One node p_i of the path re-rooted by a pivot, and the parts of its old subtree outside
/// the path's lower part: the run between p_i and p_(i-1)'s subtree, and the run after it.
#[derive(Clone, Copy)]
struct Run {
    node: usize,
    between: Option<(usize, usize)>,
    after: Option<(usize, usize)>,
    size: usize,
}

impl<'c> NetworkSimplex<'c> {
    /// The tree of artificial arcs: source i sends a_i to the root, which sends b_j to sink j,
    /// each at cost M = 2 `scale` (`scale` bounds every |C_ij|).
    fn new(a: &[f64], b: &[f64], scale: f64, pricing: DensePricing<'c>) -> Self {
        let (m, n) = (a.len(), b.len());
        let root = m + n;
        let scale = if scale > 0.0 { scale } else { 1.0 };
        let artificial = 2.0 * scale;
        let mut potential = vec![-artificial; m];
        potential.extend(std::iter::repeat_n(artificial, n));
        potential.push(0.0);
        let mut parent = vec![root; m + n];
        parent.push(NONE);
        let flow = a.iter().chain(b).copied().chain([0.0]).collect();
        // The ring root, 0, 1, ..., m + n - 1.
        let thread = (1..=root).chain([0]).collect();
        let before = std::iter::once(root).chain(0..root).collect();
        let mut last: Vec<usize> = (0..root).collect();
        last.push(root - 1);
        let mut size = vec![1; root];
        size.push(root + 1);
        NetworkSimplex {
            m,
            n,
            pricing,
            tolerance: 1e-12 * scale,
            parent,
            flow,
            up_cost: vec![artificial; m + n + 1],
            potential,
            thread,
            before,
            last,
            size,
            path: Vec::new(),
            pivots: 0,
        }
    }

    /// Pivot until optimal, or fail after a number of pivots no solve should need.
    fn solve(mut self) -> Result<Self> {
        self.pivot_to_optimum()?;
        Ok(self)
    }

    /// Pivot until no arc of the pricing prices below the tolerance (the tree is then
    /// optimal over those arcs), or fail after a number of pivots no solve should need.
    /// The potentials are then recomputed along the tree, so that they carry no rounding
    /// from the pivots' shifts.
    fn pivot_to_optimum(&mut self) -> Result<()> {
        let limit = 1000 * (self.m + self.n) + 100_000;
        for _ in 0..limit {
            let Some((i, j, c)) = self.pricing.entering(&self.potential, self.tolerance) else {
                self.settle_potentials();
                return Ok(());
            };
            self.pivot(i, j, c)?;
            self.pivots += 1;
        }
        Err(Error::argument(
            "cost",
            format!(
                "the network simplex stopped after {limit} pivots without reaching the optimum; \
                 rounding in these {} x {} costs may keep it cycling (try rescaling them)",
                self.m, self.n
            ),
        ))
    }

    /// Each potential from its parent's along the tree arc, in preorder from the root.
    fn settle_potentials(&mut self) {
        let root = self.m + self.n;
        let mut x = self.thread[root];
        while x != root {
            let p = self.parent[x];
            let c = self.up_cost[x];
            self.potential[x] = if x < self.m { self.potential[p] - c } else { self.potential[p] + c };
            x = self.thread[x];
        }
    }

    /// Make `b` follow `a` in the ring.
    fn link(&mut self, a: usize, b: usize) {
        self.thread[a] = b;
        self.before[b] = a;
    }

    /// Bring arc (source i, sink j) of cost `c` into the tree, move mass round its cycle and
    /// drop the arc that empties.
    fn pivot(&mut self, i: usize, j: usize, c: f64) -> Result<()> {
        let m = self.m;
        let (u, v) = (i, m + j);
        // The cycle: u -> v along the new arc, v up to the apex w, w down to u. A node's
        // ancestors have larger subtrees, so the smaller side climbs.
        let (mut x, mut y) = (u, v);
        while x != y {
            if self.size[x] < self.size[y] {
                x = self.parent[x];
            } else {
                y = self.parent[y];
            }
        }
        let apex = x;
        // Arcs against the cycle's direction lose mass: sources' arcs (pointing up) on the u
        // side, sinks' arcs (pointing down) on the v side. Of those that empty first, the last
        // met going round from the apex leaves: the one nearest u on the u side (strict <),
        // unless one on the v side ties (<=, nearest the apex).
        let mut delta = f64::INFINITY;
        let mut leaving = NONE;
        let mut on_u_side = false;
        let mut x = u;
        while x != apex {
            if x < m && self.flow[x] < delta {
                (delta, leaving, on_u_side) = (self.flow[x], x, true);
            }
            x = self.parent[x];
        }
        let mut x = v;
        while x != apex {
            if x >= m && self.flow[x] <= delta {
                (delta, leaving, on_u_side) = (self.flow[x], x, false);
            }
            x = self.parent[x];
        }
        if leaving == NONE {
            return Err(Error::argument("cost", "the transport problem is unbounded; this is a bug, please report it"));
        }
        if delta > 0.0 {
            let mut x = u;
            while x != apex {
                self.flow[x] += if x < m { -delta } else { delta };
                x = self.parent[x];
            }
            let mut x = v;
            while x != apex {
                self.flow[x] += if x < m { delta } else { -delta };
                x = self.parent[x];
            }
        }
        // The subtree below the leaving arc holds u or v (`top`); it is re-rooted at `top`
        // and hung from the other end of the new arc (`hang`), reversing the path p_0 = top,
        // ..., p_k = leaving.
        let (top, hang) = if on_u_side { (u, v) } else { (v, u) };
        let moved = self.size[leaving];
        let old_parent = self.parent[leaving];
        let (preceding, following) = (self.before[leaving], self.thread[self.last[leaving]]);
        let old_last = self.last[leaving];
        // The path with, for each p_i above p_0, the runs of its subtree before and after
        // p_(i-1)'s, read before any link changes.
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        path.push(Run { node: top, between: None, after: None, size: self.size[top] });
        let mut x = top;
        while x != leaving {
            let p = self.parent[x];
            let between = (self.thread[p] != x).then(|| (self.thread[p], self.before[x]));
            let after = (self.last[x] != self.last[p]).then(|| (self.thread[self.last[x]], self.last[p]));
            path.push(Run { node: p, between, after, size: self.size[p] });
            x = p;
        }
        // The new preorder of the moved subtree: p_0's old subtree, then each p_i with its
        // runs, p_(i+1) last among its children.
        let mut tail = self.last[top];
        for r in &path[1..] {
            self.link(tail, r.node);
            tail = r.node;
            for (start, stop) in [r.between, r.after].into_iter().flatten() {
                self.link(tail, start);
                tail = stop;
            }
        }
        // Out of its old place, in right after `hang`.
        self.link(preceding, following);
        let next = self.thread[hang];
        self.link(hang, top);
        self.link(tail, next);
        // Subtree ends and sizes: the path's nodes now end where the moved run ends; the old
        // parent's line loses the run up to the apex, `hang`'s line gains it.
        let mut below = 0;
        for k in (1..path.len()).rev() {
            let r = path[k];
            below += r.size - path[k - 1].size;
            self.size[r.node] = below;
            self.last[r.node] = tail;
        }
        self.size[top] = moved;
        self.last[top] = tail;
        let mut x = old_parent;
        while x != apex {
            self.size[x] -= moved;
            x = self.parent[x];
        }
        let mut x = old_parent;
        while x != NONE && self.last[x] == old_last {
            self.last[x] = preceding;
            x = self.parent[x];
        }
        let mut x = hang;
        while x != apex {
            self.size[x] += moved;
            x = self.parent[x];
        }
        if self.last[hang] == hang {
            let mut x = hang;
            while x != NONE && self.last[x] == hang {
                self.last[x] = tail;
                x = self.parent[x];
            }
        }
        // Parents, flows and costs along the reversed path.
        let (mut child, mut new_parent, mut carried, mut carried_cost) = (top, hang, delta, c);
        loop {
            let (up, old_flow, old_cost) = (self.parent[child], self.flow[child], self.up_cost[child]);
            self.parent[child] = new_parent;
            self.flow[child] = carried;
            self.up_cost[child] = carried_cost;
            if child == leaving {
                break;
            }
            (new_parent, carried, carried_cost, child) = (child, old_flow, old_cost, up);
        }
        self.path = path;
        // The moved subtree's potentials shift by what its top's does.
        let shift = if top < m { self.potential[hang] - c } else { self.potential[hang] + c } - self.potential[top];
        let mut x = top;
        for _ in 0..moved {
            self.potential[x] += shift;
            x = self.thread[x];
        }
        Ok(())
    }

    /// Dual potentials (u, v) of the sources and sinks: C_ij - u_i - v_j is the reduced cost
    /// C_ij + pi_i - pi_(m+j) of arc (i, j).
    fn duals(&self) -> (Vec<f64>, Vec<f64>) {
        let m = self.m;
        (self.potential[..m].iter().map(|p| -p).collect(), self.potential[m..m + self.n].to_vec())
    }

    /// (source, sink, mass) of the tree's real arcs.
    fn basic_flows(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        let (m, n) = (self.m, self.n);
        (0..m + n).filter(move |&x| self.parent[x] != m + n).map(move |x| {
            let p = self.parent[x];
            if x < m { (x, p - m, self.flow[x]) } else { (p, x - m, self.flow[x]) }
        })
    }

    /// Panic unless the ring, subtree ends and sizes describe the parent tree.
    #[cfg(test)]
    fn check_tree(&self) {
        let root = self.m + self.n;
        let mut order = vec![root];
        let mut x = self.thread[root];
        while x != root {
            assert_eq!(self.thread[self.before[x]], x);
            order.push(x);
            x = self.thread[x];
            assert!(order.len() <= root + 1, "the ring has a cycle off the root");
        }
        assert_eq!(order.len(), root + 1, "the ring misses nodes");
        let mut at = vec![0; root + 1];
        for (k, &x) in order.iter().enumerate() {
            at[x] = k;
        }
        for &x in &order {
            // The subtree is the run from x to last[x]: every node in it descends from x.
            let (from, to) = (at[x], at[self.last[x]]);
            assert_eq!(to + 1 - from, self.size[x], "node {x}'s size");
            for &y in &order[from..=to] {
                let mut z = y;
                while z != x {
                    z = self.parent[z];
                    assert_ne!(z, NONE, "node {y} in {x}'s run is not below it");
                }
            }
            if x != root {
                let p = self.parent[x];
                assert!(at[p] < at[x] && at[x] <= at[self.last[p]], "node {x} outside its parent's run");
            }
        }
    }
}

/// Euclidean distance between two points, with the squares summed in coordinate order (as
/// every ground cost between points here is computed, so costs agree bit for bit).
pub(crate) fn euclidean_distance(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// A check over all m x n pairs that a plan is optimal, by weak duality: for dual
/// potentials u (sources) and v (sinks), every plan Q with the right marginals costs
/// <Q, C> >= sum_i a_i u_i + sum_j b_j v_j - max_ij (u_i + v_j - C_ij)^+, so a plan whose
/// cost equals that dual objective is optimal up to the largest violation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Largest dual infeasibility max_ij (u_i + v_j - C_ij)^+ over all m x n pairs.
    pub max_violation: f64,
    /// The plan's cost minus the dual objective sum_i a_i u_i + sum_j b_j v_j (0 up to
    /// rounding for an optimal basis, whose arcs all have u_i + v_j = C_ij).
    pub gap: f64,
    /// Largest error of the plan's row and column sums against the weights.
    pub marginal_error: f64,
    /// Largest ground cost C_ij over all pairs.
    pub max_cost: f64,
}

impl Certificate {
    /// How much the plan's cost can exceed the optimum at most: gap+ + max_violation (the
    /// weights sum to 1).
    pub fn excess_bound(&self) -> f64 {
        self.gap.max(0.0) + self.max_violation
    }

    /// True when the plan has the right marginals (to 1e-12) and its cost is within
    /// 1e-10 of the largest ground cost of the optimum. The network simplex stops within
    /// 1e-12 of it.
    pub fn is_exact(&self) -> bool {
        self.marginal_error <= 1e-12 && self.excess_bound() <= 1e-10 * self.max_cost
    }
}

/// The optimal plan between two point clouds, with the certificate of its optimality.
#[derive(Clone, Debug, PartialEq)]
pub struct PointTransport {
    /// The earth mover's distance, sum over `flows` of mass x distance.
    pub cost: f64,
    /// The plan's non-zero entries and its basis's zero ones: (row of x, row of y, mass).
    pub flows: Vec<(usize, usize, f64)>,
    /// Dual potentials of the sources (m) and sinks (n): u_i + v_j = C_ij on the basis.
    pub u: Vec<f64>,
    /// See `u`.
    pub v: Vec<f64>,
    /// The check of `flows`, `u` and `v` over all m x n pairs.
    pub certificate: Certificate,
    /// Simplex pivots made.
    pub pivots: usize,
}

/// Check that `x` holds at least one finite point with `d` columns.
fn check_cloud(x: ArrayView2<f64>, field: &str, d: usize) -> Result<()> {
    if d == 0 {
        return Err(Error::argument(field, "has no columns; give points with at least one coordinate"));
    }
    if x.nrows() == 0 {
        return Err(Error::argument(field, "has no points; give at least one"));
    }
    if x.ncols() != d {
        return Err(Error::argument(
            field,
            format!("has {} columns but x has {d}; give points of one space", x.ncols()),
        ));
    }
    if let Some(((i, j), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::argument(field, format!("entry ({i}, {j}) is {v}; coordinates must be finite")));
    }
    Ok(())
}

/// The earth mover's distance between the point clouds `x` (m x d) and `y` (n x d), each
/// point weighted equally (1/m, 1/n), under Euclidean ground cost, with its [`Certificate`]:
/// the network simplex of [`emd`] on the m x n distances (their single-precision screen
/// computed in parallel rows, exact distances computed for the arcs it prices), then one
/// pass over all m x n pairs that checks the final potentials and plan by weak duality.
/// It fails (as a bug) unless `certificate.is_exact()`. The distance agrees with [`emd`]'s
/// on the dense matrix to rounding (both are optimal), not always bit for bit.
///
/// Cost: the solve, roughly (m + n)^2 log(m + n) (see the module documentation), plus the
/// check, m n d operations (a few milliseconds at 2,500 x 2,500 points); memory 4 m n bytes.
/// A sparse variant (network simplex on each point's nearest neighbours in the other cloud,
/// then pricing rounds adding the violated arcs) needed 3 to 10 times as many pivots on
/// MARBLE latents and was slower: under Euclidean (not squared) cost the optimal plans
/// are not local. Reference: `ot.emd2` on `ot.dist(x, y, 'euclidean')`.
pub fn emd_points(x: ArrayView2<f64>, y: ArrayView2<f64>) -> Result<PointTransport> {
    let d = x.ncols();
    check_cloud(x, "x", d)?;
    check_cloud(y, "y", d)?;
    let (m, n) = (x.nrows(), y.nrows());
    let (xs, ys) = (x.as_standard_layout(), y.as_standard_layout());
    let (xs, ys) = (xs.as_slice().expect("standard layout"), ys.as_slice().expect("standard layout"));
    let columns = by_coordinate(ys, d);
    // The screen's unit from the diagonal of the box round both clouds, which bounds every
    // distance: the pricing needs a power of two within a few factors of 1 / max C_ij.
    let diagonal = (0..d)
        .map(|k| {
            let coordinate = xs.iter().chain(ys).skip(k).step_by(d);
            let (low, high) = coordinate.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
            (high - low) * (high - low)
        })
        .sum::<f64>()
        .sqrt();
    let unit = unit_for(diagonal);
    let mut screen = vec![0.0f32; m * n];
    let max_cost = screen
        .par_chunks_mut(n)
        .zip(xs.par_chunks(d))
        .map_init(|| vec![0.0; n], |squares, (row, p)| screen_row(p, &columns, unit * unit, squares, row))
        .reduce(|| 0.0, f64::max)
        .sqrt();
    let a = vec![1.0 / m as f64; m];
    let b = vec![1.0 / n as f64; n];
    let pricing = DensePricing::new(screen, Exact::Points { xs, ys, d }, m, n, max_cost, unit);
    let mut simplex = NetworkSimplex::new(&a, &b, max_cost, pricing);
    simplex.pivot_to_optimum()?;
    let (u, v) = simplex.duals();
    let (max_violation, _) = price_all(xs, &columns, d, &u, &v);
    let flows: Vec<(usize, usize, f64)> = simplex.basic_flows().collect();
    let cost = flows.iter().map(|&(i, j, f)| f * euclidean_distance(&xs[i * d..][..d], &ys[j * d..][..d])).sum();
    let certificate = certificate(cost, &flows, (&a, &u), (&b, &v), max_violation, max_cost);
    if !certificate.is_exact() {
        return Err(Error::argument(
            "x",
            format!(
                "the transport plan failed its optimality check ({certificate:?}); this is a bug, please report it"
            ),
        ));
    }
    Ok(PointTransport { cost, flows, u, v, certificate, pivots: simplex.pivots })
}

/// The largest dual violation max_ij (u_i + v_j - C_ij)^+ and the largest ground cost
/// max_ij C_ij over all pairs of the point clouds `xs` (m x d, row-major) and `columns` (n
/// points coordinate by coordinate, see [`by_coordinate`]), rows in parallel. Cost O(m n d). Only arcs with u_i + v_j > 0 and (u_i + v_j)^2 within
/// 1e-6 of C_ij^2 or above it can be violated: those get C_ij itself (the bits of
/// [`euclidean_distance`]), the rest are ruled out by their square, and the largest cost is
/// the root of the largest square, so both figures are those of a pass over every C_ij.
fn price_all(xs: &[f64], columns: &[f64], d: usize, u: &[f64], v: &[f64]) -> (f64, f64) {
    let (worst, top) = xs
        .par_chunks(d)
        .zip(u)
        .map_init(
            || vec![0.0; v.len()],
            |squares, (p, &ui)| {
                squared_distances(p, columns, squares);
                let (mut worst, mut top) = (0.0f64, [0.0f64; 8]);
                for (s, v) in squares.chunks(8).zip(v.chunks(8)) {
                    let mut near = 0u32;
                    for l in 0..s.len() {
                        let t = ui + v[l];
                        near |= u32::from(t > 0.0 && t * t >= s[l] * (1.0 - 1e-6)) << l;
                        top[l] = if s[l] > top[l] { s[l] } else { top[l] };
                    }
                    while near != 0 {
                        let l = near.trailing_zeros() as usize;
                        near &= near - 1;
                        worst = worst.max(ui + v[l] - s[l].sqrt());
                    }
                }
                (worst, top.into_iter().fold(0.0, f64::max))
            },
        )
        .reduce(|| (0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    (worst, top.sqrt())
}

/// The points `ys` (n x d, row-major) coordinate by coordinate: d rows of n.
fn by_coordinate(ys: &[f64], d: usize) -> Vec<f64> {
    (0..d).flat_map(|k| ys.chunks(d).map(move |q| q[k])).collect()
}

/// The squared distances from `p` to every point of `columns` (d rows of n, see
/// [`by_coordinate`]), summed in coordinate order as [`euclidean_distance`] sums them, so
/// that their square roots are its bits; several points at a time.
fn squared_distances(p: &[f64], columns: &[f64], out: &mut [f64]) {
    with_wide_simd!(fn(p: &[f64], columns: &[f64], out: &mut [f64]) -> () {
        let n = out.len();
        out.fill(0.0);
        for (&x, column) in p.iter().zip(columns.chunks_exact(n)) {
            for (o, &y) in out.iter_mut().zip(column) {
                let t = x - y;
                *o += t * t;
            }
        }
    })
}

/// One row of the pricing's screen: the distances from `p` to the points of `columns`
/// times the power of two sqrt(`unit2`), in single precision (the single square root of
/// the scaled squared distance rounded to single: within 1.5 2^-24 of the scaled distance,
/// or 2^-75 near 0), and the largest squared distance. `squares` is scratch of one row's
/// length.
fn screen_row(p: &[f64], columns: &[f64], unit2: f64, squares: &mut [f64], row: &mut [f32]) -> f64 {
    squared_distances(p, columns, squares);
    with_wide_simd!(fn(squares: &[f64], unit2: f64, row: &mut [f32]) -> f64 {
        let mut top = [0.0f64; 8];
        for (r, s) in row.chunks_mut(8).zip(squares.chunks(8)) {
            for l in 0..s.len() {
                r[l] = ((s[l] * unit2) as f32).sqrt();
                top[l] = if s[l] > top[l] { s[l] } else { top[l] };
            }
        }
        top.into_iter().fold(0.0, f64::max)
    })
}

/// The certificate of a plan of cost `cost` with weights and potentials (a, u) and (b, v),
/// given the pricing pass's largest violation and cost.
fn certificate(
    cost: f64,
    flows: &[(usize, usize, f64)],
    (a, u): (&[f64], &[f64]),
    (b, v): (&[f64], &[f64]),
    max_violation: f64,
    max_cost: f64,
) -> Certificate {
    let dual: f64 = a.iter().zip(u).map(|(w, p)| w * p).sum::<f64>() + b.iter().zip(v).map(|(w, p)| w * p).sum::<f64>();
    let (mut rows, mut cols) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    for &(i, j, f) in flows {
        rows[i] += f;
        cols[j] += f;
    }
    let marginal_error = rows.iter().zip(a).chain(cols.iter().zip(b)).map(|(s, w)| (s - w).abs()).fold(0.0, f64::max);
    let negative = flows.iter().map(|f| (-f.2).max(0.0)).fold(0.0, f64::max);
    Certificate { max_violation, gap: cost - dual, marginal_error: marginal_error.max(negative), max_cost }
}

/// Check over all m x n pairs that `flows` (source, sink, mass) is an optimal plan between
/// the equally weighted point clouds `x` (m x d) and `y` (n x d) under Euclidean cost,
/// with `u` and `v` as its dual potentials (see [`Certificate`]). Cost O(m n d).
pub fn certify(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    flows: &[(usize, usize, f64)],
    u: &[f64],
    v: &[f64],
) -> Result<Certificate> {
    let d = x.ncols();
    check_cloud(x, "x", d)?;
    check_cloud(y, "y", d)?;
    let (m, n) = (x.nrows(), y.nrows());
    if u.len() != m || v.len() != n {
        return Err(Error::argument(
            "u",
            format!("u and v have {} and {} entries for {m} and {n} points", u.len(), v.len()),
        ));
    }
    if let Some(f) = flows.iter().find(|f| f.0 >= m || f.1 >= n || !f.2.is_finite()) {
        return Err(Error::argument("flows", format!("entry {f:?} is not (row < {m}, row < {n}, finite mass)")));
    }
    let (xs, ys) = (x.as_standard_layout(), y.as_standard_layout());
    let (xs, ys) = (xs.as_slice().expect("standard layout"), ys.as_slice().expect("standard layout"));
    let (max_violation, max_cost) = price_all(xs, &by_coordinate(ys, d), d, u, v);
    let cost = flows.iter().map(|&(i, j, f)| f * euclidean_distance(&xs[i * d..][..d], &ys[j * d..][..d])).sum();
    let (a, b) = (vec![1.0 / m as f64; m], vec![1.0 / n as f64; n]);
    Ok(certificate(cost, flows, (&a, u), (&b, v), max_violation, max_cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn moving_all_mass_one_step_costs_the_step() {
        let t = emd(array![1.0, 0.0].view(), array![0.0, 1.0].view(), array![[0.0, 3.0], [3.0, 0.0]].view()).unwrap();
        assert!((t.cost - 3.0).abs() < 1e-12);
        assert_eq!(t.plan, array![[0.0, 1.0], [0.0, 0.0]]);
    }

    /// Two samples of the uniform distribution on the unit cube, as a cost matrix.
    fn overlapping_cubes(n: usize, seed: u64) -> Vec<f64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut cube = || -> Vec<[f64; 3]> { (0..n).map(|_| [rng.random(), rng.random(), rng.random()]).collect() };
        let (x, y) = (cube(), cube());
        x.iter()
            .flat_map(|p| y.iter().map(move |q| (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>().sqrt()))
            .collect()
    }

    fn max_abs(c: &[f64]) -> f64 {
        c.iter().fold(0.0f64, |s, c| s.max(c.abs()))
    }

    /// Pivot one at a time, checking the thread, subtree ends and sizes after every pivot.
    fn solve_checking_the_tree(a: &[f64], b: &[f64], cost: &[f64]) -> usize {
        let (m, n) = (a.len(), b.len());
        let mut t = NetworkSimplex::new(a, b, max_abs(cost), DensePricing::over_matrix(cost, m, n, max_abs(cost)));
        t.check_tree();
        while let Some((i, j, c)) = t.pricing.entering(&t.potential, t.tolerance) {
            t.pivot(i, j, c).unwrap();
            t.pivots += 1;
            t.check_tree();
        }
        t.pivots
    }

    #[test]
    fn pivots_keep_the_thread_a_preorder_of_the_tree() {
        // Random clouds (long re-rooted paths), ties on a grid (degenerate pivots) and
        // unequal sizes; the ring, ends and sizes are checked against the parents each time.
        let grid = |e: usize, n: usize| (((e / n) % 7) as f64 - ((e % n) % 5) as f64).abs();
        for (m, n, seed) in [(40, 40, 1), (60, 25, 2), (3, 50, 3)] {
            let (x, y) = (cloud(m, 3, false, seed), cloud(n, 3, false, seed + 10));
            let cost: Vec<f64> = (0..m * n)
                .map(|e| euclidean_distance(x.row(e / n).as_slice().unwrap(), y.row(e % n).as_slice().unwrap()))
                .collect();
            let pivots = solve_checking_the_tree(&vec![1.0 / m as f64; m], &vec![1.0 / n as f64; n], &cost);
            assert!(pivots >= m + n - 1, "{m} x {n}: {pivots} pivots");
            let ties: Vec<f64> = (0..m * n).map(|e| grid(e, n)).collect();
            solve_checking_the_tree(&vec![1.0 / m as f64; m], &vec![1.0 / n as f64; n], &ties);
        }
    }

    #[test]
    fn differences_below_single_precision_are_priced_exactly() {
        // An assignment whose costs are all 1 up to 1e-9: the single-precision screen sees
        // one value, so the exact passes must find the optimum. 7! = 5,040 permutations.
        use rand::{Rng, SeedableRng};
        let n = 7;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let cost: Vec<f64> = (0..n * n).map(|_| 1.0 + 1e-9 * rng.random::<f64>()).collect();
        assert!(cost.iter().all(|&c| c as f32 == 1.0));
        fn permutations(k: usize, perm: &mut Vec<usize>, cost: &[f64], n: usize, best: &mut f64) {
            if k == n {
                *best = best.min((0..n).map(|i| cost[i * n + perm[i]]).sum::<f64>() / n as f64);
            }
            for i in k..n {
                perm.swap(k, i);
                permutations(k + 1, perm, cost, n, best);
                perm.swap(k, i);
            }
        }
        let mut best = f64::INFINITY;
        permutations(0, &mut (0..n).collect(), &cost, n, &mut best);
        let w = ndarray::Array1::ones(n);
        let t = emd(w.view(), w.view(), ndarray::ArrayView2::from_shape((n, n), &cost).unwrap()).unwrap();
        // The cost's rounding is 1e-16; the differences between assignments are 1e-10.
        assert!((t.cost - best).abs() < 1e-15, "{} vs the best assignment's {best}", t.cost);
        assert!(t.plan.iter().all(|&f| f == 0.0 || (f - 1.0 / n as f64).abs() < 1e-15));
    }

    #[test]
    fn the_screen_is_within_its_rounding_and_the_pass_over_all_pairs_is_exact() {
        use rand::{Rng, SeedableRng};
        let (x, y) = (cloud(37, 3, false, 8), cloud(301, 3, false, 9));
        let (xs, ys) = (x.as_slice().unwrap(), y.as_slice().unwrap());
        let columns = by_coordinate(ys, 3);
        let (mut squares, mut row) = (vec![0.0; 301], vec![0.0f32; 301]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let v: Vec<f64> = (0..301).map(|_| rng.random::<f64>()).collect();
        let u: Vec<f64> = (0..37).map(|_| rng.random::<f64>() - 0.9).collect();
        let (mut worst, mut top) = (0.0f64, 0.0f64);
        for (i, p) in xs.chunks(3).enumerate() {
            let largest = screen_row(p, &columns, 1.0, &mut squares, &mut row);
            for (j, q) in ys.chunks(3).enumerate() {
                let c = euclidean_distance(p, q);
                assert_eq!(squares[j].sqrt(), c, "the squares' roots are the distances' bits");
                assert!((f64::from(row[j]) - c).abs() <= 1.5 * f64::from(f32::EPSILON) / 2.0 * c + 1e-300);
                (worst, top) = (worst.max(u[i] + v[j] - c), top.max(c));
            }
            assert_eq!(largest, squares.iter().copied().fold(0.0, f64::max));
        }
        // Some arcs are violated (u + v > C), most are not; both figures are bit for bit
        // those of the pass over every C_ij.
        assert!(worst > 0.01);
        assert_eq!(price_all(xs, &columns, 3, &u, &v), (worst, top));
    }

    #[test]
    fn tiny_and_huge_costs_keep_the_optimum() {
        // Single precision would flush costs of 1e-50 to 0 and round 1e39 to infinity; the
        // screen's unit brings them to about 1, so each optimum scales with its costs.
        let base = array![[0.94, 0.73], [0.52, 0.002]];
        let (a, b) = (array![0.12, 0.88], array![0.675, 0.325]);
        let one = emd(a.view(), b.view(), base.view()).unwrap();
        for scale in [1e-50, 1e-300, 1e39, 1e300] {
            let t = emd(a.view(), b.view(), (&base * scale).view()).unwrap();
            assert!((t.cost / scale - one.cost).abs() <= 1e-12 * one.cost, "{scale}: {} vs {}", t.cost, one.cost);
            assert_eq!(t.plan, one.plan, "{scale}");
        }
        let (x, y) = (cloud(300, 3, false, 30), cloud(200, 3, false, 31));
        let one = emd_points(x.view(), y.view()).unwrap();
        for scale in [1e-25, 1e21] {
            let t = emd_points((&x * scale).view(), (&y * scale).view()).unwrap();
            assert!(t.certificate.is_exact(), "{scale}: {:?}", t.certificate);
            assert!((t.cost / scale - one.cost).abs() <= 1e-12 * one.cost, "{scale}: {} vs {}", t.cost, one.cost);
        }
    }

    #[test]
    fn the_final_tree_certifies_optimality() {
        // Equal weights and a grid of repeated points: many ties and degenerate pivots.
        let n = 60;
        let cost: Vec<f64> = (0..n * n).map(|e| (((e / n) % 7) as f64 - ((e % n) % 5) as f64).abs()).collect();
        let w = vec![1.0 / n as f64; n];
        let t = NetworkSimplex::new(&w, &w, max_abs(&cost), DensePricing::over_matrix(&cost, n, n, max_abs(&cost)))
            .solve()
            .unwrap();
        // Duality: the potentials price every arc at >= 0 (within the tolerance), tree arcs
        // at 0, and only tree arcs carry mass, so no plan costs less.
        for i in 0..n {
            for j in 0..n {
                let r = cost[i * n + j] + t.potential[i] - t.potential[n + j];
                assert!(r >= -t.tolerance, "arc ({i}, {j}) has reduced cost {r}");
            }
        }
        for (i, j, f) in t.basic_flows() {
            assert!(f >= 0.0);
            assert!((cost[i * n + j] + t.potential[i] - t.potential[n + j]).abs() <= 1e-12 * 8.0);
        }
        // Every source and sink ships its mass through the tree's real arcs.
        let mut rows = vec![0.0; n];
        let mut cols = vec![0.0; n];
        for (i, j, f) in t.basic_flows() {
            rows[i] += f;
            cols[j] += f;
        }
        assert!(rows.iter().chain(&cols).all(|&s| (s - 1.0 / n as f64).abs() < 1e-15));
    }

    #[test]
    fn dense_problems_take_a_few_pivots_per_node() {
        // The block search's pivot count (not its time) is what keeps 5,000 x 5,000 to
        // seconds; it was 4.4 (m + n) at 300 and 7.4 (m + n) at 1,000 points per side.
        for (n, most) in [(300, 6.0), (1000, 10.0)] {
            let w = vec![1.0 / n as f64; n];
            let cost = overlapping_cubes(n, 1);
            let t = NetworkSimplex::new(&w, &w, max_abs(&cost), DensePricing::over_matrix(&cost, n, n, max_abs(&cost)))
                .solve()
                .unwrap();
            let per_node = t.pivots as f64 / (2 * n) as f64;
            assert!(per_node > 1.0 && per_node < most, "{n} points: {per_node} pivots per node");
        }
    }

    /// `m` seeded points in `d` dimensions: uniform in [0, 1]^d, or on the integer grid
    /// {0, 1, 2}^d when `grid` (many duplicates and tied costs).
    fn cloud(m: usize, d: usize, grid: bool, seed: u64) -> Array2<f64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((m, d), |_| if grid { f64::from(rng.random_range(0..3u8)) } else { rng.random() })
    }

    /// The dense network simplex on the clouds' distance matrix: the oracle.
    fn dense_emd(x: &Array2<f64>, y: &Array2<f64>) -> f64 {
        let cost = Array2::from_shape_fn((x.nrows(), y.nrows()), |(i, j)| {
            euclidean_distance(x.row(i).as_slice().unwrap(), y.row(j).as_slice().unwrap())
        });
        let (a, b) = (ndarray::Array1::ones(x.nrows()), ndarray::Array1::ones(y.nrows()));
        emd(a.view(), b.view(), cost.view()).unwrap().cost
    }

    /// The sparse solve is exact, certified, and a plan with the right marginals.
    fn check_against_dense(x: &Array2<f64>, y: &Array2<f64>) -> PointTransport {
        let t = emd_points(x.view(), y.view()).unwrap();
        let dense = dense_emd(x, y);
        let c = &t.certificate;
        assert!(c.is_exact(), "{} x {}: {c:?}", x.nrows(), y.nrows());
        assert!(c.max_violation <= 1e-12 * c.max_cost && c.marginal_error <= 1e-12, "{c:?}");
        let scale = dense.abs().max(1e-3 * c.max_cost);
        assert!((t.cost - dense).abs() <= 1e-9 * scale, "{} x {}: {} vs dense {dense}", x.nrows(), y.nrows(), t.cost);
        let again = certify(x.view(), y.view(), &t.flows, &t.u, &t.v).unwrap();
        assert!(again.is_exact() && (again.gap - c.gap).abs() <= 1e-12, "{again:?} vs {c:?}");
        t
    }

    #[test]
    fn the_sparse_simplex_finds_the_dense_optimum() {
        // Sizes 1 to 2,500 (600 in debug builds), equal and unequal, in 1 to 5 dimensions.
        let big = if cfg!(debug_assertions) { 600 } else { 2500 };
        let cases =
            [(1, 1, 3), (1, 9, 2), (9, 1, 2), (2, 3, 1), (40, 70, 1), (300, 300, 3), (500, 380, 5), (big, big, 3)];
        for (seed, &(m, n, d)) in cases.iter().enumerate() {
            let x = cloud(m, d, false, 2 * seed as u64);
            let y = cloud(n, d, false, 2 * seed as u64 + 1);
            check_against_dense(&x, &y);
        }
    }

    #[test]
    fn ties_and_duplicate_points_keep_the_optimum() {
        // Points on a 3 x 3 (x 3) grid: duplicates, zero costs and many tied optima.
        for (m, n, d) in [(50, 50, 2), (120, 77, 2), (200, 260, 3)] {
            let x = cloud(m, d, true, m as u64);
            let y = cloud(n, d, true, n as u64 + 7);
            check_against_dense(&x, &y);
        }
        // A cloud against itself costs 0.
        let x = cloud(300, 3, true, 5);
        assert!(check_against_dense(&x, &x).cost.abs() < 1e-15);
    }

    #[test]
    fn known_optima_are_met() {
        // A translated copy: W1 = |t| (the translation attains it; f(p) = <p, t/|t|> bounds it).
        let x = cloud(700, 3, false, 11);
        let t = [0.3, -0.4, 1.2];
        let y = Array2::from_shape_fn((700, 3), |(i, k)| x[[i, k]] + t[k]);
        let shift = (0.09f64 + 0.16 + 1.44).sqrt();
        assert!((emd_points(x.view(), y.view()).unwrap().cost - shift).abs() < 1e-12);
        // On a line, W1 is the area between the distribution functions.
        let (m, n) = (333, 250);
        let (x, y) = (cloud(m, 1, false, 3), cloud(n, 1, false, 4));
        let mut events: Vec<(f64, f64)> = x.iter().map(|&p| (p, 1.0 / m as f64)).collect();
        events.extend(y.iter().map(|&q| (q, -1.0 / n as f64)));
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let area: f64 = events
            .windows(2)
            .scan(0.0, |f, w| {
                *f += w[0].1;
                Some(f64::abs(*f) * (w[1].0 - w[0].0))
            })
            .sum();
        assert!((emd_points(x.view(), y.view()).unwrap().cost - area).abs() < 1e-12);
    }

    #[test]
    fn the_certificate_catches_a_perturbed_plan_or_potentials() {
        let (x, y) = (cloud(200, 3, false, 21), cloud(150, 3, false, 22));
        let t = emd_points(x.view(), y.view()).unwrap();
        let cost = |i: usize, j: usize| euclidean_distance(x.row(i).as_slice().unwrap(), y.row(j).as_slice().unwrap());
        // Swap half the smaller mass of two arcs onto the crossed pair: the marginals stay
        // right but the plan costs more, and the certificate bounds by how much.
        let carrying: Vec<_> = t.flows.iter().copied().filter(|f| f.2 > 1e-6).collect();
        let (&(i1, j1, f1), &(i2, j2, f2)) = carrying
            .iter()
            .flat_map(|a| carrying.iter().map(move |b| (a, b)))
            .find(|(a, b)| cost(a.0, b.1) + cost(b.0, a.1) - cost(a.0, a.1) - cost(b.0, b.1) > 1e-3)
            .unwrap();
        let eps = 0.5 * f1.min(f2);
        let mut flows = t.flows.clone();
        for f in flows.iter_mut().filter(|f| (f.0, f.1) == (i1, j1) || (f.0, f.1) == (i2, j2)) {
            f.2 -= eps;
        }
        flows.extend([(i1, j2, eps), (i2, j1, eps)]);
        let c = certify(x.view(), y.view(), &flows, &t.u, &t.v).unwrap();
        let extra = eps * (cost(i1, j2) + cost(i2, j1) - cost(i1, j1) - cost(i2, j2));
        assert!(!c.is_exact() && c.marginal_error < 1e-15 && c.excess_bound() >= extra - 1e-15, "{c:?}");
        // Raising one dual potential breaks dual feasibility on its row.
        let mut u = t.u.clone();
        u[7] += 0.1;
        let c = certify(x.view(), y.view(), &t.flows, &u, &t.v).unwrap();
        assert!(!c.is_exact() && c.max_violation > 0.05, "{c:?}");
        // A plan that loses mass fails on its marginals.
        let mut flows = t.flows.clone();
        flows.retain(|f| (f.0, f.1) != (i1, j1));
        let c = certify(x.view(), y.view(), &flows, &t.u, &t.v).unwrap();
        assert!(!c.is_exact() && c.marginal_error >= f1 - 1e-15, "{c:?}");
    }

    #[test]
    fn bad_clouds_are_refused_by_name() {
        let x = cloud(5, 2, false, 0);
        let err = |e: Error| e.to_string();
        assert!(err(emd_points(x.view(), Array2::zeros((0, 2)).view()).unwrap_err()).contains("y"));
        assert!(err(emd_points(x.view(), Array2::zeros((3, 3)).view()).unwrap_err()).contains("columns"));
        let mut bad = x.clone();
        bad[[2, 1]] = f64::NAN;
        assert!(err(emd_points(bad.view(), x.view()).unwrap_err()).contains("(2, 1)"));
        assert!(err(certify(x.view(), x.view(), &[(9, 0, 1.0)], &[0.0; 5], &[0.0; 5]).unwrap_err()).contains("flows"));
    }
}
