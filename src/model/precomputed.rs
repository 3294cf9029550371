//! Features precomputed once per dataset, so a training step touches no neighbourhood.
//!
//! With global frames (or without diffusion) every feature column is linear in the diffused
//! signal, and the diffused signal of channel s at point i is a sum of exponentials in the
//! learned time t: u_is(t) = sum_r W_isr exp(-t theta_csr), with c the point's condition.
//! The gradient operators are linear maps of neighbours' values, so feature column f of
//! point i is
//!
//! F_if(t) = sum_r B_ifr exp(-t theta_{c(i) s(f) r}),
//!
//! where s(f) is the signal channel the column differentiates. B is computed once by
//! applying the operators to the weights W, order by order over the whole graph (the same
//! [`derive`] as the per-batch features, with one lane per exponential), in parallel. A
//! step then gathers the batch's rows of B and contracts them with exp(-t theta); dF/dt is
//! sum_r -theta B exp(-t theta). Cost per row: width x terms, whatever k and the order.
//!
//! Local frames with diffusion (the embedding-agnostic mode) rescale each diffused vector
//! to its diffused magnitude: u_i(t) = v_i(t) |x|_i(t) / |v_i(t)|, with v (connection
//! Laplacian) and |x| (scalar Laplacian) sums of exponentials. The factor differs from
//! point to point, so F is no longer a sum of exponentials with per-dataset rates; but it
//! is still the fixed linear operators applied to a smooth u(t). So B is built on
//! [`Chebyshev`] nodes instead: B_ifj = F_if(t_j) at the N + 1 Chebyshev-Lobatto times t_j
//! of an interval [a, b] (again [`derive`], with one lane per node), and a step contracts
//! with the barycentric weights, F_if(t) = sum_j B_ifj l_j(t), dF/dt = sum_j B_ifj l'_j(t).
//! Because the operators are linear, the features' interpolation error is the operators
//! applied to the signal's, so the degree N is chosen (8, 16, 32, then steps of 16) by
//! checking the interpolated signal of every point against the exact one at the midpoints
//! of the next degree: relative error [`VALUE_TOL`] in value and [`DT_TOL`] in d/dt for B in
//! f64, [`VALUE_TOL_F32`] and [`DT_TOL_F32`] (about f32's own rounding) for B in f32.
//! Cost: the build is O(nnz x width x N) like the exponential one, the check O(n m N^2);
//! per row a step costs width x (N + 1), as the exponentials do with N + 1 terms.
//!
//! Which interval: first one that serves the whole of a usual training run,
//! [0, [`LOG_SPAN`]] with the nodes placed in s = ln(1 + t / [`LOG_TAU`]) (dense where the
//! fast decays end, sparse where only slow ones remain), at degree up to
//! [`LOG_MAX_DEGREE`]. On the `reaching` workload (17,600 points in R^5, order 2) degree 48
//! resolves it in f32, one build of about 10 s, and t stays inside it for every epoch;
//! equally spaced windows needed degree 16 on widths of 0.5 to 4 and four builds in 10
//! epochs. Where that fails (degree or memory), a window around t: [a, a + w], halved until
//! degree [`MAX_DEGREE`] resolves it. When training moves t out of the interval B serves, B
//! is rebuilt on a window twice as wide, mostly ahead of t: the learned time tends to drift
//! one way, and as it grows the fast decays die out, so wider windows need no higher degree.
//!
//! Still per batch, because they are not linear maps of one fixed signal: `vec_norm` (each
//! order is normalised before the next is taken, and near-zero norms make the features
//! non-smooth in t, so a check on the signal would not bound their error), and
//! `frac_sampled_nb` < 1 (neighbours are resampled every step, so the operators change).
//! B takes n x width x terms numbers (f32 unless asked for f64), checked against a memory
//! budget before it is built.

use rayon::prelude::*;

use crate::dataset::Dataset;
use crate::model::chebyshev::Chebyshev;
use crate::model::features::{Edges, FeatureBatch, FeatureLayout, derive};

/// The coefficients, in the precision they are kept in.
#[derive(Clone, Debug, PartialEq)]
enum Store {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Store {
    /// Write `block` (points first.. x w x terms) into columns col..col + w of B.
    fn put(&mut self, block: &[f64], first: usize, w: usize, col: usize, width: usize, terms: usize) {
        let row = width * terms;
        let span = w * terms;
        match self {
            Store::F32(b) => b[first * row..].par_chunks_mut(row).zip(block.par_chunks(span)).for_each(|(r, x)| {
                r[col * terms..col * terms + span].iter_mut().zip(x).for_each(|(o, v)| *o = *v as f32)
            }),
            Store::F64(b) => b[first * row..]
                .par_chunks_mut(row)
                .zip(block.par_chunks(span))
                .for_each(|(r, x)| r[col * terms..col * terms + span].copy_from_slice(x)),
        }
    }
}

/// Feature coefficients B of every point, with the decay rates they go with.
#[derive(Clone, Debug, PartialEq)]
pub struct Precomputed {
    /// Points.
    n: usize,
    /// Feature columns (the layout's width).
    width: usize,
    /// Exponentials per column (the most over conditions and channels; missing ones are 0).
    terms: usize,
    /// The rate-table row of every coefficient.
    rows: RateRows,
    /// B, n x width x terms.
    coef: Store,
    /// Rates theta, conditions x channels x terms (empty on Chebyshev nodes).
    rates: Vec<f64>,
    /// The nodes in t when B holds features at times rather than exponential weights.
    nodes: Option<Chebyshev>,
}

/// Which row of the rate table (conditions x channels) column f of point i decays with:
/// its condition's row for the channel the column differentiates.
#[derive(Clone, Debug, PartialEq)]
pub struct RateRows {
    /// Signal channels (the layout's signal width).
    channels: usize,
    /// Channel of every feature column.
    channel_of: Vec<usize>,
    /// Condition of every point.
    condition: Vec<usize>,
}

impl RateRows {
    /// The rate-table row of column f of point i.
    pub fn of(&self, i: usize, f: usize) -> usize {
        self.condition[i] * self.channels + self.channel_of[f]
    }
}

/// Why the per-batch path serves a layout, or None when B can.
pub fn unsupported(layout: &FeatureLayout, frac_sampled_nb: f64) -> Option<&'static str> {
    if layout.vec_norm {
        Some("vec_norm normalises each order before the next")
    } else if frac_sampled_nb > 0.0 && frac_sampled_nb < 1.0 {
        Some("frac_sampled_nb < 1 resamples neighbours every step")
    } else {
        None
    }
}

/// Exponentials per column for a dataset under a layout (before building anything).
fn terms_of(data: &Dataset, layout: &FeatureLayout) -> usize {
    match data.diffusion.as_ref().filter(|_| layout.diffusion) {
        Some(d) => d.parts.iter().flatten().map(|e| e.len() + usize::from(e.rest.is_some())).max().unwrap_or(1).max(1),
        None => 1,
    }
}

/// Bytes B takes for a dataset under a layout, in f32 or f64.
pub fn bytes(data: &Dataset, layout: &FeatureLayout, f64_precision: bool) -> usize {
    let size = if f64_precision { 8 } else { 4 };
    data.n_points() * layout.width() * terms_of(data, layout) * size
}

impl Precomputed {
    /// Build B for every point of `data` (see the module docs for when it applies; the
    /// caller checks [`unsupported`]). Cost O(nnz x width x terms), parallel over points.
    pub fn build(data: &Dataset, layout: &FeatureLayout, f64_precision: bool) -> Precomputed {
        debug_assert!(unsupported(layout, -1.0).is_none());
        let n = data.n_points();
        let terms = terms_of(data, layout);
        let (rates, order0) = order_zero(data, layout, terms);
        let width = layout.width();
        let row = width * terms;
        let mut coef = if f64_precision { Store::F64(vec![0.0; n * row]) } else { Store::F32(vec![0.0; n * row]) };
        let channel_of = derive_orders(data, layout, order0, terms, &mut coef);
        let rows = RateRows { channels: layout.signal_width(), channel_of, condition: data.condition.clone() };
        Precomputed { n, width, terms, rows, coef, rates, nodes: None }
    }

    /// Build B on the Chebyshev nodes of a window of width w holding t, mostly ahead of it
    /// ([t - w / 8, t + 7 w / 8] when t is `rising`, the mirror image else; moved right to
    /// start at 0 at most), for local frames with diffusion (see the module docs), halving
    /// w until degree [`MAX_DEGREE`] resolves it; or say why not: no window down to
    /// [`MIN_WINDOW`] did, or B would take more than `budget_mib`. Cost O(n m N^2) per
    /// window tried, then O(nnz x width x N).
    pub fn build_interpolated(
        data: &Dataset,
        layout: &FeatureLayout,
        f64_precision: bool,
        (t, rising): (f64, bool),
        mut w: f64,
        budget_mib: usize,
    ) -> Result<Precomputed, String> {
        debug_assert!(layout.local && layout.diffusion && unsupported(layout, -1.0).is_none());
        let (cheb, order0) = loop {
            let a = (if rising { t - w / 8.0 } else { t - 7.0 * w / 8.0 }).max(0.0);
            match fit_degree(data, layout, (a, a + w), None, MAX_DEGREE, tolerances(f64_precision)) {
                Ok(found) => break found,
                Err(why) if w / 2.0 < MIN_WINDOW => return Err(why),
                Err(_) => w /= 2.0,
            }
        };
        Precomputed::at_nodes(data, layout, f64_precision, cheb, order0, budget_mib)
    }

    /// Build B on one logarithmic interval [0, [`LOG_SPAN`]] in t (see
    /// [`Chebyshev::logarithmic`]) at the lowest degree up to [`LOG_MAX_DEGREE`] that
    /// resolves the signal, so that one build serves training while t stays in it; or say
    /// why not (the degree, or the memory budget).
    pub fn build_logarithmic(
        data: &Dataset,
        layout: &FeatureLayout,
        f64_precision: bool,
        budget_mib: usize,
    ) -> Result<Precomputed, String> {
        debug_assert!(layout.local && layout.diffusion && unsupported(layout, -1.0).is_none());
        let (cheb, order0) =
            fit_degree(data, layout, (0.0, LOG_SPAN), Some(LOG_TAU), LOG_MAX_DEGREE, tolerances(f64_precision))?;
        Precomputed::at_nodes(data, layout, f64_precision, cheb, order0, budget_mib)
    }

    /// B at the nodes of `cheb`, from the signal there (`order0`), within `budget_mib`.
    fn at_nodes(
        data: &Dataset,
        layout: &FeatureLayout,
        f64_precision: bool,
        cheb: Chebyshev,
        order0: Vec<f64>,
        budget_mib: usize,
    ) -> Result<Precomputed, String> {
        let (n, width, terms) = (data.n_points(), layout.width(), cheb.degree() + 1);
        let mib = (n * width * terms * if f64_precision { 8 } else { 4 }).div_ceil(1 << 20);
        if mib > budget_mib {
            return Err(format!("precomputed features would take {mib} MiB, over precompute_mib = {budget_mib}"));
        }
        let row = width * terms;
        let mut coef = if f64_precision { Store::F64(vec![0.0; n * row]) } else { Store::F32(vec![0.0; n * row]) };
        let channel_of = derive_orders(data, layout, order0, terms, &mut coef);
        let rows = RateRows { channels: layout.signal_width(), channel_of, condition: data.condition.clone() };
        Ok(Precomputed { n, width, terms, rows, coef, rates: Vec::new(), nodes: Some(cheb) })
    }

    /// The window [a, b] B serves, when it holds features at Chebyshev nodes (any t >= 0
    /// otherwise).
    pub fn interval(&self) -> Option<(f64, f64)> {
        self.nodes.as_ref().map(Chebyshev::interval)
    }

    /// Whether B serves time t.
    pub fn covers(&self, t: f64) -> bool {
        self.nodes.as_ref().is_none_or(|c| c.covers(t))
    }

    /// Bytes held by B.
    pub fn bytes(&self) -> usize {
        self.n * self.width * self.terms * if matches!(self.coef, Store::F32(_)) { 4 } else { 8 }
    }

    /// Feature columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Exponentials per column.
    pub fn terms(&self) -> usize {
        self.terms
    }

    /// B as f32, n x width x terms (borrowed unless kept in f64).
    pub fn coefficients_f32(&self) -> std::borrow::Cow<'_, [f32]> {
        match &self.coef {
            Store::F32(c) => std::borrow::Cow::Borrowed(c),
            Store::F64(c) => std::borrow::Cow::Owned(c.iter().map(|&v| v as f32).collect()),
        }
    }

    /// The rate table, (conditions x channels) x terms.
    pub fn rates(&self) -> &[f64] {
        &self.rates
    }

    /// Which row of the rate table each coefficient decays with.
    pub fn rate_rows(&self) -> &RateRows {
        &self.rows
    }

    /// Features of `rows` at time t and their t-derivative: a gather and a contraction.
    pub fn features(&self, rows: &[usize], t: f64) -> FeatureBatch {
        if let Some(cheb) = &self.nodes {
            debug_assert!(cheb.covers(t), "t = {t} outside {:?}", cheb.interval());
            let (l, dl) = cheb.weights(t);
            return match &self.coef {
                Store::F32(c) => self.interpolate(c, rows, &l, &dl),
                Store::F64(c) => self.interpolate(c, rows, &l, &dl),
            };
        }
        match &self.coef {
            Store::F32(c) => self.contract(c, rows, t),
            Store::F64(c) => self.contract(c, rows, t),
        }
    }

    fn contract<T: Copy + Into<f64> + Sync>(&self, coef: &[T], rows: &[usize], t: f64) -> FeatureBatch {
        let (width, terms) = (self.width, self.terms);
        let decay: Vec<f64> = self.rates.iter().map(|r| (-t * r).exp()).collect();
        let mut values = vec![0.0; rows.len() * width];
        let mut dt = vec![0.0; rows.len() * width];
        values.par_chunks_mut(width).zip(dt.par_chunks_mut(width)).zip(rows.par_iter()).with_min_len(64).for_each(
            |((v, d), &i)| {
                let point = &coef[i * width * terms..(i + 1) * width * terms];
                for f in 0..width {
                    let at = self.rows.of(i, f) * terms;
                    let (e, th) = (&decay[at..at + terms], &self.rates[at..at + terms]);
                    let (mut x, mut dx) = (0.0, 0.0);
                    for ((b, e), th) in point[f * terms..(f + 1) * terms].iter().zip(e).zip(th) {
                        let y = (*b).into() * e;
                        x += y;
                        dx -= th * y;
                    }
                    v[f] = x;
                    d[f] = dx;
                }
            },
        );
        FeatureBatch { rows: rows.len(), width, values, dt }
    }

    /// Features of `rows` from values at the nodes: sum_j B_ifj l_j and sum_j B_ifj l'_j.
    fn interpolate<T: Copy + Into<f64> + Sync>(
        &self,
        coef: &[T],
        rows: &[usize],
        l: &[f64],
        dl: &[f64],
    ) -> FeatureBatch {
        let (width, terms) = (self.width, self.terms);
        let mut values = vec![0.0; rows.len() * width];
        let mut dt = vec![0.0; rows.len() * width];
        values.par_chunks_mut(width).zip(dt.par_chunks_mut(width)).zip(rows.par_iter()).with_min_len(64).for_each(
            |((v, d), &i)| {
                let point = &coef[i * width * terms..(i + 1) * width * terms];
                for ((v, d), b) in v.iter_mut().zip(d.iter_mut()).zip(point.chunks(terms)) {
                    let (mut x, mut dx) = (0.0, 0.0);
                    for ((b, l), dl) in b.iter().zip(l).zip(dl) {
                        let b: f64 = (*b).into();
                        x += b * l;
                        dx += b * dl;
                    }
                    (*v, *d) = (x, dx);
                }
            },
        );
        FeatureBatch { rows: rows.len(), width, values, dt }
    }
}

/// Degree the Chebyshev interpolation in t starts from.
const START_DEGREE: usize = 8;
/// Highest degree tried on a window before it is halved.
pub const MAX_DEGREE: usize = 32;
/// The logarithmic interval [0, LOG_SPAN] tried first (see [`Precomputed::build_logarithmic`]).
pub const LOG_SPAN: f64 = 8.0;
/// The time scale tau of its map s = ln(1 + t / tau).
pub const LOG_TAU: f64 = 1.0;
/// Highest degree tried on it.
pub const LOG_MAX_DEGREE: usize = 64;
/// Narrowest window in t tried before the per-batch path takes over.
pub const MIN_WINDOW: f64 = 1e-3;
/// Largest interpolation error of the signal at the check times, relative to its largest
/// magnitude, when B is kept in f64 (`exact_features`).
pub const VALUE_TOL: f64 = 1e-10;
/// Largest error of the interpolated d/dt, relative to the largest |du/dt| (plus
/// [`VALUE_TOL`] scaled by 1 / (b - a)), when B is kept in f64.
pub const DT_TOL: f64 = 1e-8;
/// The value tolerance when B is kept in f32 (the default): f32 rounds every coefficient to
/// 6e-8 of itself, so interpolating more closely than this buys nothing, and it lets a
/// lower degree serve a wider window.
pub const VALUE_TOL_F32: f64 = 1e-7;
/// The d/dt tolerance when B is kept in f32.
pub const DT_TOL_F32: f64 = 1e-6;

/// How closely the interpolant must follow the signal.
#[derive(Clone, Copy, Debug)]
struct Accuracy {
    /// Relative error in value.
    value: f64,
    /// Relative error in d/dt.
    dt: f64,
    /// Whether d/dt is also checked at the interval's ends, where its error peaks. Only
    /// for B in f64: in f32, B's own rounding times the derivative weights (of order N^2
    /// there) already gives d/dt an error of about 1e-4 at the ends, whatever the degree.
    ends: bool,
}

/// The accuracy asked of B kept in f64 or f32.
fn tolerances(f64_precision: bool) -> Accuracy {
    if f64_precision {
        Accuracy { value: VALUE_TOL, dt: DT_TOL, ends: true }
    } else {
        Accuracy { value: VALUE_TOL_F32, dt: DT_TOL_F32, ends: false }
    }
}

/// The diffused (and, in local frames, rescaled) signal of every point at each of `times`
/// and its t-derivative, each n x channels x times: the per-batch path's order 0, at
/// several times. Cost O(n (m + 1) terms) per time, parallel over points.
fn signal_at_times(data: &Dataset, layout: &FeatureLayout, times: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let diff = data.diffusion.as_ref().expect("interpolated features diffuse");
    let (n, sw, q) = (data.n_points(), layout.signal_width(), times.len());
    let decays: Vec<_> = times.iter().map(|&t| diff.decays(t)).collect();
    let mut v = vec![0.0; n * sw * q];
    let mut dv = vec![0.0; n * sw * q];
    v.par_chunks_mut(sw * q).zip(dv.par_chunks_mut(sw * q)).enumerate().with_min_len(256).for_each(|(i, (o, d))| {
        let (mut x, mut dx) = (vec![0.0; sw], vec![0.0; sw]);
        for (k, decay) in decays.iter().enumerate() {
            diff.point(data.condition[i], i, decay, &mut x, &mut dx);
            for ch in 0..sw {
                (o[ch * q + k], d[ch * q + k]) = (x[ch], dx[ch]);
            }
        }
    });
    (v, dv)
}

/// The lowest degree N (doubling from [`START_DEGREE`]) whose interpolant of the signal
/// matches it at the next degree's added nodes (and, as `accuracy` says, its t-derivative
/// at both ends), with the signal at its N + 1 nodes
/// (n x channels x (N + 1)), or why none up to [`MAX_DEGREE`] did.
fn fit_degree(
    data: &Dataset,
    layout: &FeatureLayout,
    (a, b): (f64, f64),
    tau: Option<f64>,
    max_degree: usize,
    accuracy: Accuracy,
) -> Result<(Chebyshev, Vec<f64>), String> {
    let (value_tol, dt_tol) = (accuracy.value, accuracy.dt);
    let mut cheb = match tau {
        Some(tau) => Chebyshev::logarithmic(START_DEGREE, a, b, tau),
        None => Chebyshev::new(START_DEGREE, a, b),
    };
    let (mut values, _) = signal_at_times(data, layout, &cheb.times());
    // The ends are nodes, where the value is exact but the derivative's error peaks.
    let ends = accuracy.ends.then(|| (signal_at_times(data, layout, &[a, b]), [a, b]));
    loop {
        let mids = cheb.midpoints();
        let (exact, dexact) = signal_at_times(data, layout, &mids);
        let inside = interpolation_error(&cheb, &values, &mids, &exact, &dexact);
        let at_ends = ends.as_ref().map_or([0.0; 4], |((v, dv), t)| interpolation_error(&cheb, &values, t, v, dv));
        let [err, derr, scale, dscale] = std::array::from_fn(|k| inside[k].max(at_ends[k]));
        if err <= value_tol * scale && derr <= dt_tol * dscale + value_tol * scale / (b - a) {
            return Ok((cheb, values));
        }
        let degree = cheb.degree();
        let next = next_degree(degree);
        if next > max_degree {
            return Err(format!(
                "interpolation in t on [{a}, {b}] reached degree {degree} with relative error {:.1e} \
                 (value) and {:.1e} (d/dt)",
                err / scale,
                derr / dscale.max(f64::MIN_POSITIVE)
            ));
        }
        cheb = cheb.with_degree(next);
        values = if next == 2 * degree {
            // The 2N + 1 nodes interleave the N + 1 old ones (even) with the check times (odd).
            let (n1, nm) = (degree + 1, mids.len());
            values
                .chunks(n1)
                .zip(exact.chunks(nm))
                .flat_map(|(f, e)| (0..=2 * degree).map(move |j| if j % 2 == 0 { f[j / 2] } else { e[j / 2] }))
                .collect()
        } else {
            signal_at_times(data, layout, &cheb.times()).0
        };
    }
}

/// The degree tried after N: doubling (which reuses every value) up to 32, then steps of
/// 16, since each lane costs a full pass of the operators over the graph and halving the
/// error again from degree 32 rarely needs 32 more.
fn next_degree(n: usize) -> usize {
    if n < 32 { 2 * n } else { n + 16 }
}

/// Largest error of the interpolant of `values` (rows of N + 1 node values) at `mids`
/// against `exact`, likewise of its derivative against `dexact`, and the largest |u| and
/// |du/dt|: [err, derr, scale, dscale].
fn interpolation_error(cheb: &Chebyshev, values: &[f64], mids: &[f64], exact: &[f64], dexact: &[f64]) -> [f64; 4] {
    let n1 = cheb.degree() + 1;
    let weights: Vec<(Vec<f64>, Vec<f64>)> = mids.iter().map(|&t| cheb.weights(t)).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    values
        .par_chunks(n1)
        .zip(exact.par_chunks(mids.len()))
        .zip(dexact.par_chunks(mids.len()))
        .with_min_len(256)
        .map(|((f, e), de)| {
            let mut r = [0.0, 0.0, f.iter().chain(e).fold(0.0, |m: f64, v| m.max(v.abs())), 0.0];
            for (k, (l, dl)) in weights.iter().enumerate() {
                r[0] = r[0].max((dot(l, f) - e[k]).abs());
                r[1] = r[1].max((dot(dl, f) - de[k]).abs());
                r[3] = r[3].max(de[k].abs());
            }
            r
        })
        .reduce(|| [0.0; 4], |a, b| [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2]), a[3].max(b[3])])
}

/// Order 0: the rates theta (conditions x channels x terms) and the weights of the diffused
/// signal (or the signal itself, without diffusion), n x channels x terms.
fn order_zero(data: &Dataset, layout: &FeatureLayout, terms: usize) -> (Vec<f64>, Vec<f64>) {
    let n = data.n_points();
    let sw = layout.signal_width();
    let n_cond = data.n_conditions();
    let mut rates = vec![0.0; n_cond * sw * terms];
    let mut cur = vec![0.0; n * sw * terms];
    match data.diffusion.as_ref().filter(|_| layout.diffusion) {
        Some(d) => {
            for c in 0..n_cond {
                for (ch, e) in d.parts[c].iter().enumerate() {
                    let at = (c * sw + ch) * terms;
                    rates[at..at + e.len()].copy_from_slice(&e.rates);
                    if let Some((_, rate)) = &e.rest {
                        rates[at + e.len()] = *rate;
                    }
                    for i in d.offsets[c]..d.offsets[c + 1] {
                        let row = i - d.offsets[c];
                        let s = d.sqrt_degree[i];
                        let out = &mut cur[(i * sw + ch) * terms..(i * sw + ch + 1) * terms];
                        for (o, w) in out.iter_mut().zip(e.weights.row(row)) {
                            *o = w / s;
                        }
                        if let Some((rest, _)) = &e.rest {
                            out[e.len()] = rest[row] / s;
                        }
                    }
                }
            }
        }
        None => {
            for i in 0..n {
                let v = data.vector.row(i);
                let mut x = vec![0.0; sw];
                if layout.local {
                    data.frames.project(i, v.as_slice().expect("contiguous rows"), &mut x);
                } else {
                    x.copy_from_slice(v.as_slice().expect("contiguous rows"));
                }
                for ch in 0..sw {
                    cur[(i * sw + ch) * terms] = x[ch];
                }
            }
        }
    }
    (rates, cur)
}

/// Fill B from order 0 (`cur`), order by order over the whole graph, each written into its
/// columns as soon as it is known; only the previous order is kept in f64, and the last
/// order is computed in chunks of points, so the peak is B plus one order. Returns the
/// channel each column differentiates.
fn derive_orders(
    data: &Dataset,
    layout: &FeatureLayout,
    mut cur: Vec<f64>,
    terms: usize,
    coef: &mut Store,
) -> Vec<usize> {
    let n = data.n_points();
    let sw = layout.signal_width();
    let m = layout.n_dirs;
    let width = layout.width();
    let mut chans: Vec<usize> = (0..sw).collect();
    let mut channel_of = Vec::with_capacity(width);
    let mut col = 0;
    if layout.include_self {
        coef.put(&cur, 0, sw, col, width, terms);
        channel_of.extend(&chans);
        col += sw;
    }
    let edges = Edges::Graph(&data.adjacency);
    let mut w_in = sw;
    const CHUNK: usize = 1 << 15;
    for k in 1..=layout.order {
        let w_out = w_in * m;
        // The channel each output column differentiates (see `derive`'s layout).
        chans = (0..w_out)
            .map(|c| if layout.vector_mode { chans[(c / (m * m)) * m + c % m] } else { chans[c / m] })
            .collect();
        channel_of.extend(&chans);
        if k < layout.order {
            let mut next = vec![0.0; n * w_out * terms];
            derive(data, layout, &edges, &cur, w_in, terms, 0, &mut next);
            coef.put(&next, 0, w_out, col, width, terms);
            cur = next;
        } else {
            let mut next = vec![0.0; CHUNK.min(n) * w_out * terms];
            for first in (0..n).step_by(CHUNK) {
                let len = CHUNK.min(n - first);
                let out = &mut next[..len * w_out * terms];
                out.iter_mut().for_each(|v| *v = 0.0);
                derive(data, layout, &edges, &cur, w_in, terms, first, out);
                coef.put(out, first, w_out, col, width, terms);
            }
        }
        col += w_out;
        w_in = w_out;
    }
    debug_assert_eq!(channel_of.len(), width);
    channel_of
}
