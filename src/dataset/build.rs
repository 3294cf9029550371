//! Stage 1: from conditions to a [`Dataset`] with every geometric object the network needs.
//!
//! Reference: `construct_dataset` and `_compute_geometric_objects`. Per condition, in
//! parallel: farthest-point sampling, the proximity graph and its connectivity check. Then
//! on the stacked (block-diagonal) graph: the seeded split, frames and the manifold
//! dimension, connections, gradient operators, and per condition the lowest eigenpairs of
//! the normalised (connection) Laplacian. Nothing is O(n^2).
//!
//! The signal's diffusion is in [`super::diffusion`], what the build reports in
//! [`super::summary`].

use std::time::Instant;

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis, s};
use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::diffusion::{SignalDiffusion, diffusion_of_condition};
use crate::dataset::duplicates::{group_coincident, merge};
use crate::dataset::graph::{components_warning, connected_components, proximity_graph};
use crate::dataset::input::{Condition, Conditions};
use crate::dataset::sampling::farthest_point_sampling;
use crate::dataset::summary::{ConditionSummary, StepTime, Summary};
use crate::error::{Error, Result};
use crate::geometry::connection::{Connections, compute_connections};
use crate::geometry::diffusion::{self, ExpSum};
use crate::geometry::frames::{
    Frames, complete_frame, explained_variance_curve, fit_local_frames, manifold_dimension, orient_by_data,
};
use crate::geometry::gradient::GradientOperator;
use crate::geometry::laplacian;
use crate::geometry::neighbours::NeighbourIndex;
use crate::geometry::sparse::CsrMatrix;
use crate::geometry::spectrum::Eigenpairs;
use crate::params::{Duplicates, GraphType, ParamsError, ValidParams};
use crate::progress::Progress;
use crate::seed::{Stream, rng_for};

/// Which part of the split a point belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Used for gradient steps.
    Train,
    /// Used to pick the best epoch.
    Val,
    /// Held out until the end.
    Test,
}

/// Row of each point in the stacked input, from each condition's input size and each point's
/// condition and row within it.
pub fn input_rows(points_in: &[usize], condition: &[usize], sample_index: &[usize]) -> Vec<usize> {
    let mut start = vec![0];
    for s in points_in {
        start.push(start.last().expect("non-empty") + s);
    }
    condition.iter().zip(sample_index).map(|(&c, &i)| start[c] + i).collect()
}

/// The output of stage 1: stacked, sampled points with their graph and geometry.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Sampled anchors of all conditions, stacked (n x D).
    pub anchor: Array2<f64>,
    /// Signal at each anchor (n x S), in ambient coordinates.
    pub vector: Array2<f64>,
    /// Per-point label (the input's, or the point's input row when none was given).
    pub label: Array1<f64>,
    /// Per-point mask (false when none was given).
    pub mask: Array1<bool>,
    /// Condition of each point.
    pub condition: Vec<usize>,
    /// Row of each point in its condition's input (`sample_ind` in the reference); for a
    /// point merged from identical anchors, the first of their rows.
    pub sample_index: Vec<usize>,
    /// (point, row in its condition's input) for every other input row merged into a point
    /// (`duplicates = "merge"`), ordered by point's condition and row.
    pub repeats: Vec<(usize, usize)>,
    /// Condition c holds points `offsets[c]..offsets[c + 1]`.
    pub offsets: Vec<usize>,
    /// Split of each point.
    pub split: Vec<Split>,
    /// Weighted adjacency (w_ij = 1 / |x_i - x_j|), block diagonal over conditions.
    pub adjacency: CsrMatrix,
    /// Frames: identity (global) or local PCA frames (n x D x m).
    pub frames: Frames,
    /// Connections R_ij per stored edge (local frames only).
    pub connections: Option<Connections>,
    /// Directional-derivative operators.
    pub gradient: GradientOperator,
    /// Diffusion of the signal, ready to evaluate at any t (None when `diffusion` is off).
    pub diffusion: Option<SignalDiffusion>,
    /// Per condition: lowest eigenpairs of L_sym = I - D^-1/2 W D^-1/2 (`spectral` only).
    pub spectra: Option<Vec<Eigenpairs>>,
    /// Per condition: lowest eigenpairs of the normalised connection Laplacian (`spectral`
    /// with local frames only).
    pub connection_spectra: Option<Vec<Eigenpairs>>,
    /// What was built and how long it took.
    pub summary: Summary,
}

/// The rows of `embedding.npy` and its companions: one per kept input row.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputRows {
    /// The point that stands for the row.
    pub point: Vec<usize>,
    /// Condition of the row.
    pub condition: Vec<usize>,
    /// The row in its condition's input.
    pub sample_index: Vec<usize>,
}

impl OutputRows {
    /// Per-point rows of `a` (n_points x ...) spread to one row per output row.
    pub fn spread<A: Clone>(&self, a: &Array2<A>) -> Array2<A> {
        a.select(Axis(0), &self.point)
    }
}

/// One condition after merging repeated anchors, sampling and its graph.
struct Sampled {
    /// Input row of each point (the first of its group of identical anchors).
    rows: Vec<usize>,
    /// Vector of each point (the mean over its group).
    vector: Array2<f64>,
    /// (point, input row) for every input row that repeats a kept point's anchor.
    repeats: Vec<(usize, usize)>,
    /// Input rows merged into an earlier identical anchor.
    n_repeated: usize,
    adjacency: CsrMatrix,
    n_components: usize,
    components_warning: Option<String>,
}

/// Merge repeated anchors (or refuse them), sample, and build the proximity graph of
/// condition `c`.
fn sample_condition(c: usize, cond: &Condition, min_points: usize, p: &ValidParams) -> Result<Sampled> {
    // One neighbour index serves merging, sampling and the graph while the points stay the
    // same; it is rebuilt only for the points that merging or sampling leave.
    let mut index = NeighbourIndex::new(cond.anchor.view());
    let groups = group_coincident(cond.anchor.view(), &index);
    let merged = match groups.first_pair() {
        None => None,
        Some((first, second)) if p.duplicates == Duplicates::Error => {
            return Err(Error::DuplicatePoints { condition: c, first, second });
        }
        Some(_) => Some(merge(cond, &groups)),
    };
    let src = merged.as_ref().unwrap_or(cond);
    let n = src.len();
    if n < min_points {
        return Err(Error::TooFewPoints {
            condition: c,
            n_points: n,
            k: p.k,
            after: " after merging repeated anchors",
        });
    }
    if merged.is_some() {
        index = NeighbourIndex::new(src.anchor.view());
    }
    let keep = if p.spacing > 0.0 {
        let first = rng_for(p.seed, Stream::SamplingStart, c as u64).random_range(0..n);
        farthest_point_sampling(src.anchor.view(), &index, p.spacing, first)
    } else {
        (0..n).collect()
    };
    if keep.len() < min_points {
        return Err(Error::TooFewPoints { condition: c, n_points: keep.len(), k: p.k, after: " after sampling" });
    }
    let rows: Vec<usize> =
        if merged.is_some() { keep.iter().map(|&k| groups.first[k]).collect() } else { keep.clone() };
    let mut repeats = Vec::new();
    if merged.is_some() {
        let mut point_of_group = vec![usize::MAX; n];
        for (local, &k) in keep.iter().enumerate() {
            point_of_group[k] = local;
        }
        for (row, &g) in groups.group_of.iter().enumerate() {
            if groups.first[g] != row && point_of_group[g] != usize::MAX {
                repeats.push((point_of_group[g], row));
            }
        }
    }
    let x = src.anchor.select(Axis(0), &keep);
    if keep.len() < n {
        index = NeighbourIndex::new(x.view());
    }
    let adjacency = proximity_graph(x.view(), &index, p, c, &rows)?;
    let components = connected_components(&adjacency);
    Ok(Sampled {
        vector: src.vector.select(Axis(0), &keep),
        repeats,
        n_repeated: groups.n_repeated(),
        n_components: components.1.len(),
        components_warning: components_warning(&components, c, &rows),
        rows,
        adjacency,
    })
}

/// Fewest and most neighbours over rows `rows`.
fn degree_range(a: &CsrMatrix, rows: std::ops::Range<usize>) -> (usize, usize) {
    rows.map(|i| a.indptr[i + 1] - a.indptr[i]).fold((usize::MAX, 0), |(lo, hi), d| (lo.min(d), hi.max(d)))
}

impl Dataset {
    /// Build the dataset. Reference: `construct_dataset`.
    ///
    /// Phases, each a function of the ones before: check the input sizes, sample each
    /// condition and build its graph, stack the conditions, choose and check the frames,
    /// split, fit the frames, connections, gradient operators, diffusion, and the summary.
    pub fn build(conditions: &Conditions, p: &ValidParams, progress: &dyn Progress) -> Result<Dataset> {
        let conds = conditions.as_slice();
        let dims = (conditions.embedding_dim(), conditions.signal_dim());
        let mut clock = Clock { progress, timings: Vec::new() };
        let min_points = check_input_sizes(conds, p)?;
        let sampled = clock.step("sampling + graph", conds.len() as u64, |progress| {
            sample_conditions(conds, min_points, p, progress)
        })?;
        let mut remarks = Remarks::of_sampling(&sampled);
        let stacked = stack(conds, sampled, dims);
        let local = use_local_frames(&stacked.offsets, dims, p, &mut remarks.notes)?;
        let split = seeded_split(stacked.n(), p.val_fraction, p.test_fraction, p.seed);
        let gauges = gauges(&stacked, local, dims.0, p, &mut clock, &mut remarks.warnings)?;
        let connections = if local {
            Some(clock.step("connections", 0, |_| Ok(compute_connections(&stacked.adjacency, &gauges.frames)))?)
        } else {
            None
        };
        let gradient = clock.step("gradient operators", 0, |_| {
            Ok(GradientOperator::new(stacked.anchor.view(), &stacked.adjacency, &gauges.frames))
        })?;
        let diffused = clock.step("diffusion", conds.len() as u64, |progress| {
            diffuse(&stacked, &gauges, connections.as_ref(), p, progress)
        })?;
        let summary = summarise(conds, p, &stacked, &gauges, &diffused, &split, clock.timings, remarks);
        let Stacked { anchor, vector, label, mask, condition, sample_index, repeats, offsets, adjacency, .. } = stacked;
        Ok(Dataset {
            anchor,
            vector,
            label,
            mask,
            condition,
            sample_index,
            repeats,
            offsets,
            split,
            adjacency,
            frames: gauges.frames,
            connections,
            gradient,
            diffusion: diffused.diffusion,
            spectra: diffused.spectra,
            connection_spectra: diffused.connection_spectra,
            summary,
        })
    }

    /// Number of points (after sampling).
    pub fn n_points(&self) -> usize {
        self.anchor.nrows()
    }

    /// Row of each point in the input, all conditions' inputs stacked in order (the row
    /// of a per-input-row array such as behaviour that belongs to the point).
    pub fn input_rows(&self) -> Vec<usize> {
        let sizes: Vec<usize> = self.summary.conditions.iter().map(|c| c.points_in).collect();
        input_rows(&sizes, &self.condition, &self.sample_index)
    }

    /// One row per kept input row, ordered by condition and input row: the point that
    /// stands for it, its condition and its row in the condition's input. Equal to the
    /// points themselves unless identical anchors were merged, when a merged point appears
    /// once for each of its rows.
    pub fn output_rows(&self) -> OutputRows {
        let mut rows: Vec<(usize, usize, usize)> =
            self.sample_index.iter().enumerate().map(|(i, &r)| (self.condition[i], r, i)).collect();
        rows.extend(self.repeats.iter().map(|&(i, r)| (self.condition[i], r, i)));
        // Points are already in (condition, row) order: only merged rows need sorting in.
        if !self.repeats.is_empty() {
            rows.sort_unstable();
        }
        OutputRows {
            point: rows.iter().map(|r| r.2).collect(),
            condition: rows.iter().map(|r| r.0).collect(),
            sample_index: rows.iter().map(|r| r.1).collect(),
        }
    }

    /// Number of conditions.
    pub fn n_conditions(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Embedding dimension D.
    pub fn embedding_dim(&self) -> usize {
        self.anchor.ncols()
    }

    /// Signal dimension S.
    pub fn signal_dim(&self) -> usize {
        self.vector.ncols()
    }

    /// Manifold dimension m (D in global mode).
    pub fn manifold_dim(&self) -> usize {
        self.frames.n_dirs()
    }

    /// Whether local frames are in use.
    pub fn local_gauges(&self) -> bool {
        matches!(self.frames, Frames::Local(_))
    }

    /// Weighted degree of every point.
    pub fn degrees(&self) -> Vec<f64> {
        laplacian::degrees(&self.adjacency)
    }

    /// The random-walk Laplacian L_rw = I - D^-1 W of the stacked graph.
    pub fn laplacian(&self) -> CsrMatrix {
        laplacian::random_walk_laplacian(&self.adjacency)
    }

    /// The random-walk connection Laplacian (n m x n m), local frames only.
    pub fn connection_laplacian(&self) -> Option<CsrMatrix> {
        self.connections.as_ref().map(|c| laplacian::connection_laplacian(&self.adjacency, c))
    }

    /// exp(-t L_rw) x exactly, by a Chebyshev expansion (no eigenpairs involved).
    pub fn diffuse_exact(&self, t: f64, x: ArrayView2<f64>) -> Array2<f64> {
        diffusion::diffuse_exact(&self.adjacency, t, x)
    }

    /// Indices of the points in one part of the split.
    pub fn indices(&self, part: Split) -> Vec<usize> {
        (0..self.n_points()).filter(|&i| self.split[i] == part).collect()
    }
}

/// Times each phase of a build and tells the progress sink.
struct Clock<'a> {
    progress: &'a dyn Progress,
    timings: Vec<StepTime>,
}

impl Clock<'_> {
    /// Run `work` as step `step` of `total` units (0 when unknown) and record how long it
    /// took; a step that fails is not reported as finished.
    fn step<T>(&mut self, step: &str, total: u64, work: impl FnOnce(&dyn Progress) -> Result<T>) -> Result<T> {
        let start = Instant::now();
        self.progress.begin(step, total);
        let out = work(self.progress)?;
        let seconds = start.elapsed().as_secs_f64();
        self.progress.end(step, seconds);
        self.timings.push(StepTime { step: step.to_string(), seconds });
        Ok(out)
    }
}

/// What the user should know about a build: notes on settings, warnings about the data.
struct Remarks {
    notes: Vec<String>,
    warnings: Vec<String>,
}

impl Remarks {
    /// Graphs in several components (warnings) and merged repeated anchors (a note).
    fn of_sampling(sampled: &[Sampled]) -> Remarks {
        let warnings: Vec<String> = sampled.iter().filter_map(|s| s.components_warning.clone()).collect();
        let mut notes = Vec::new();
        let repeated: usize = sampled.iter().map(|s| s.n_repeated).sum();
        if repeated > 0 {
            notes.push(format!(
                "{repeated} input row(s) repeat an earlier anchor of their condition and were merged into \
                 it (mean vector); each still gets its embedding row (set duplicates = \"error\" to refuse them)"
            ));
        }
        Remarks { notes, warnings }
    }
}

/// Check phase, before any work: every condition has enough points for its graph. Returns
/// that number: k + 1, or 2 for a radius graph.
fn check_input_sizes(conds: &[Condition], p: &ValidParams) -> Result<usize> {
    let min_points = if p.graph_type == GraphType::Radius { 2 } else { p.k + 1 };
    for (c, cond) in conds.iter().enumerate() {
        if cond.len() < min_points {
            return Err(Error::TooFewPoints { condition: c, n_points: cond.len(), k: p.k, after: "" });
        }
    }
    Ok(min_points)
}

/// Repeated anchors, sampling and graphs, per condition, in parallel.
fn sample_conditions(
    conds: &[Condition],
    min_points: usize,
    p: &ValidParams,
    progress: &dyn Progress,
) -> Result<Vec<Sampled>> {
    conds
        .par_iter()
        .enumerate()
        .map(|(c, cond)| {
            let s = sample_condition(c, cond, min_points, p)?;
            progress.advance(1);
            Ok(s)
        })
        .collect()
}

/// The sampled conditions stacked into one point set, with a block-diagonal graph.
struct Stacked {
    /// Condition c holds points `offsets[c]..offsets[c + 1]`.
    offsets: Vec<usize>,
    anchor: Array2<f64>,
    vector: Array2<f64>,
    label: Array1<f64>,
    mask: Array1<bool>,
    condition: Vec<usize>,
    sample_index: Vec<usize>,
    repeats: Vec<(usize, usize)>,
    adjacency: CsrMatrix,
    /// Connected components of each condition's graph.
    components: Vec<usize>,
    /// Input rows of each condition merged into an earlier identical anchor.
    repeated_rows: Vec<usize>,
}

impl Stacked {
    /// Points, all conditions.
    fn n(&self) -> usize {
        *self.offsets.last().expect("at least one condition")
    }
}

/// Stack the sampled conditions: anchors, vectors, labels, masks and graphs, in order.
fn stack(conds: &[Condition], sampled: Vec<Sampled>, (dim_emb, dim_sig): (usize, usize)) -> Stacked {
    let mut offsets = vec![0];
    for s in &sampled {
        offsets.push(offsets.last().expect("starts with 0") + s.rows.len());
    }
    let n = *offsets.last().expect("at least one condition");
    let mut anchor = Array2::zeros((n, dim_emb));
    let mut vector = Array2::zeros((n, dim_sig));
    let mut label = Array1::zeros(n);
    let mut mask = Array1::from_elem(n, false);
    let mut condition = Vec::with_capacity(n);
    let mut sample_index = Vec::with_capacity(n);
    let mut repeats = Vec::new();
    for (c, (cond, s)) in conds.iter().zip(&sampled).enumerate() {
        let r = offsets[c]..offsets[c + 1];
        anchor.slice_mut(s![r.clone(), ..]).assign(&cond.anchor.select(Axis(0), &s.rows));
        vector.slice_mut(s![r.clone(), ..]).assign(&s.vector);
        for (local, &row) in s.rows.iter().enumerate() {
            let i = offsets[c] + local;
            label[i] = cond.label.as_ref().map_or(row as f64, |l| l[row]);
            mask[i] = cond.mask.as_ref().is_some_and(|m| m[row]);
        }
        condition.extend(std::iter::repeat_n(c, s.rows.len()));
        sample_index.extend_from_slice(&s.rows);
        repeats.extend(s.repeats.iter().map(|&(local, row)| (offsets[c] + local, row)));
    }
    let components: Vec<usize> = sampled.iter().map(|s| s.n_components).collect();
    let repeated_rows: Vec<usize> = sampled.iter().map(|s| s.n_repeated).collect();
    let blocks: Vec<CsrMatrix> = sampled.into_iter().map(|s| s.adjacency).collect();
    let adjacency = CsrMatrix::block_diagonal(&blocks);
    Stacked {
        offsets,
        anchor,
        vector,
        label,
        mask,
        condition,
        sample_index,
        repeats,
        adjacency,
        components,
        repeated_rows,
    }
}

/// Check phase for the frames, once the sampled sizes are known: whether local frames are
/// used (asked for, and possible: D > 2 and a vector signal, else global frames and a note),
/// refusing local frames with S != D, or with more geodesic neighbours than a condition has
/// points.
fn use_local_frames(
    offsets: &[usize],
    (dim_emb, dim_sig): (usize, usize),
    p: &ValidParams,
    notes: &mut Vec<String>,
) -> Result<bool> {
    if !p.local_gauges {
        if p.canonical_frames {
            notes.push(
                "canonical_frames was requested but not used: it orients local frames; set local_gauges = true"
                    .to_string(),
            );
        }
        return Ok(false);
    }
    // The reference fits local frames only above dimension 2; canonical frames also in the
    // plane, where they make inner-product features invariant under rotation.
    let lowest = if p.canonical_frames { 2 } else { 3 };
    if dim_emb < lowest || dim_sig == 1 {
        notes.push(format!(
            "local_gauges was requested but not used: local frames need embedding dimension >= {lowest} \
             and a vector signal (here D = {dim_emb}, S = {dim_sig}); global frames were used"
        ));
        return Ok(false);
    }
    if dim_sig != dim_emb {
        return Err(ParamsError {
            field: "local_gauges",
            value: "true".into(),
            fix: format!(
                "local frames need the signal in the embedding space (S = D), but S = {dim_sig} and \
                 D = {dim_emb}; set local_gauges = false"
            ),
        }
        .into());
    }
    let n_nb = p.n_geodesic_nb() + 1;
    for (c, w) in offsets.windows(2).enumerate() {
        let nc = w[1] - w[0];
        if nc < n_nb {
            return Err(ParamsError {
                field: "frac_geodesic_nb",
                value: p.frac_geodesic_nb.to_string(),
                fix: format!(
                    "k * frac_geodesic_nb = {} geodesic neighbours, but condition {c} has {nc} points; \
                     lower k or frac_geodesic_nb",
                    n_nb - 1
                ),
            }
            .into());
        }
    }
    Ok(true)
}

/// The frames of every point and what chose them.
struct Gauges {
    frames: Frames,
    /// Whether the frames are local.
    local: bool,
    /// The explained-variance curve that chose the manifold dimension (local frames only).
    explained: Option<Vec<f64>>,
}

/// Frames phase: identity frames, or local PCA frames (timed as "frames") with a warning
/// for points whose frames had to be completed.
fn gauges(
    st: &Stacked,
    local: bool,
    dim_emb: usize,
    p: &ValidParams,
    clock: &mut Clock,
    warnings: &mut Vec<String>,
) -> Result<Gauges> {
    if !local {
        return Ok(Gauges { frames: Frames::Global { n: st.n(), dim: dim_emb }, local, explained: None });
    }
    let fitted = clock.step("frames", st.n() as u64, |progress| local_frames(st, p, progress))?;
    if fitted.completed > 0 {
        let m = fitted.frames.shape()[2];
        warnings.push(format!(
            "{} point(s) lie in connected components too small to span {m} local directions; \
             their frames were completed with the standard basis (derivatives along the added \
             directions are zero)",
            fitted.completed
        ));
    }
    Ok(Gauges { frames: Frames::Local(fitted.frames), local, explained: Some(fitted.explained) })
}

/// Local PCA frames, n x D x m, with m chosen by the explained variance.
struct LocalFrames {
    frames: Array3<f64>,
    /// Mean minus standard deviation of the cumulative explained variance, by components.
    explained: Vec<f64>,
    /// Points whose frames were completed with the standard basis.
    completed: usize,
}

/// Fit the local frames and the manifold dimension m; complete the frames of points in
/// components too small to span m directions.
fn local_frames(st: &Stacked, p: &ValidParams, progress: &dyn Progress) -> Result<LocalFrames> {
    let n = st.n();
    let n_nb = p.n_geodesic_nb() + 1;
    let pca = fit_local_frames(st.anchor.view(), &st.adjacency, n_nb, &|done| progress.advance(done as u64));
    // Points of components smaller than the neighbourhood see fewer points (an isolated one
    // only itself): they do not inform the manifold dimension, unless no point has a full
    // neighbourhood.
    let full: Vec<usize> = (0..n).filter(|&i| pca.sizes[i] == n_nb).collect();
    let informative =
        if full.is_empty() { pca.singular_values.clone() } else { pca.singular_values.select(Axis(0), &full) };
    let m = manifold_dimension(informative.view(), p.var_explained);
    let explained = explained_variance_curve(informative.view());
    let mut frames: Array3<f64> = pca.frames.slice(s![.., .., ..m]).to_owned();
    let mut completed = 0;
    for i in 0..n {
        let sv = pca.singular_values.row(i);
        let spanned = (0..m).take_while(|&a| sv[a] > 1e-10 * sv[0].max(f64::MIN_POSITIVE)).count();
        if spanned == m {
            continue;
        }
        if pca.sizes[i] == n_nb {
            let c = st.condition[i];
            return Err(Error::DegenerateNeighbourhood { condition: c, row: st.sample_index[i], needed: m });
        }
        complete_frame(frames.slice_mut(s![i, .., ..]), spanned);
        completed += 1;
    }
    if p.canonical_frames {
        orient_by_data(&mut frames, st.anchor.view(), st.vector.view(), &st.adjacency);
    }
    Ok(LocalFrames { frames, explained, completed })
}

/// The signal's diffusion and, for `spectral`, the spectra it came from.
struct Diffused {
    diffusion: Option<SignalDiffusion>,
    spectra: Option<Vec<Eigenpairs>>,
    connection_spectra: Option<Vec<Eigenpairs>>,
}

/// Diffusion phase: the signal's diffusion per condition, in parallel (and the spectra for
/// the spectral method).
fn diffuse(
    st: &Stacked,
    gauges: &Gauges,
    connections: Option<&Connections>,
    p: &ValidParams,
    progress: &dyn Progress,
) -> Result<Diffused> {
    let n_cond = st.offsets.len() - 1;
    let sqrt_degree: Vec<f64> = laplacian::diffusion_degrees(&st.adjacency).iter().map(|d| d.sqrt()).collect();
    let per_condition = (0..n_cond)
        .into_par_iter()
        .map(|c| {
            let r = diffusion_of_condition(
                c,
                &st.offsets,
                &st.adjacency,
                connections,
                &gauges.frames,
                &st.vector,
                &sqrt_degree,
                p,
            );
            progress.advance(1);
            r
        })
        .collect::<Result<Vec<_>>>()?;
    let mut spectra = Vec::new();
    let mut connection_spectra = Vec::new();
    let mut parts = Vec::new();
    for (sp, csp, pt) in per_condition {
        spectra.extend(sp);
        connection_spectra.extend(csp);
        parts.push(pt);
    }
    let diffusion = p.diffusion.then(|| SignalDiffusion {
        method: p.diffusion_method,
        local: gauges.local,
        sqrt_degree,
        parts,
        offsets: st.offsets.clone(),
    });
    Ok(Diffused {
        diffusion,
        spectra: (!spectra.is_empty()).then_some(spectra),
        connection_spectra: (!connection_spectra.is_empty()).then_some(connection_spectra),
    })
}

/// Summary phase: what was built, per condition and in total.
#[allow(clippy::too_many_arguments)]
fn summarise(
    conds: &[Condition],
    p: &ValidParams,
    st: &Stacked,
    gauges: &Gauges,
    diffused: &Diffused,
    split: &[Split],
    timings: Vec<StepTime>,
    remarks: Remarks,
) -> Summary {
    let (offsets, adjacency) = (&st.offsets, &st.adjacency);
    let cond_summaries = (0..conds.len())
        .map(|c| {
            let rows = offsets[c]..offsets[c + 1];
            let (lo, hi) = degree_range(adjacency, rows.clone());
            let parts = diffused.diffusion.as_ref().map_or(&[][..], |d| &d.parts[c][..]);
            let terms = parts.iter().map(ExpSum::len).max().unwrap_or(0);
            let error = parts.iter().map(|e| e.error_estimate).fold(0.0, f64::max);
            let spectral = diffused.spectra.as_ref().map(|sp| &sp[c]);
            ConditionSummary {
                name: conds[c].name.clone(),
                value: conds[c].value,
                group: conds[c].group.clone(),
                points_in: conds[c].len(),
                points_sampled: offsets[c + 1] - offsets[c],
                edges: (adjacency.indptr[rows.end] - adjacency.indptr[rows.start]) / 2,
                degree_min: lo,
                degree_max: hi,
                components: st.components[c],
                repeated_rows: st.repeated_rows[c],
                diffusion_terms: terms,
                diffusion_error: error,
                eigenpairs: spectral.map(|sp| sp.values.len()),
                eigen_residual: spectral.map(|sp| sp.max_residual),
                eigenvalue_range: spectral.map(|sp| (sp.values[0], *sp.values.last().expect("k >= 1"))),
                connection_eigenpairs: diffused.connection_spectra.as_ref().map(|cs| cs[c].values.len()),
            }
        })
        .collect();
    let count = |s: Split| split.iter().filter(|&&x| x == s).count();
    Summary {
        n_conditions: conds.len(),
        n_points: st.n(),
        n_edges: adjacency.nnz() / 2,
        embedding_dim: st.anchor.ncols(),
        signal_dim: st.vector.ncols(),
        manifold_dim: gauges.frames.n_dirs(),
        local_gauges: gauges.local,
        canonical_frames: gauges.local && p.canonical_frames,
        graph_type: p.graph_type,
        diffusion: p.diffusion.then_some(p.diffusion_method),
        explained_variance: gauges.explained.clone(),
        split: [count(Split::Train), count(Split::Val), count(Split::Test)],
        conditions: cond_summaries,
        timings,
        notes: remarks.notes,
        warnings: remarks.warnings,
    }
}

/// Seeded random split: round(val n) validation, round(test n) test, the rest train.
fn seeded_split(n: usize, val: f64, test: f64, seed: u64) -> Vec<Split> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng_for(seed, Stream::Split, 0));
    let n_val = (val * n as f64).round() as usize;
    let n_test = ((test * n as f64).round() as usize).min(n - n_val);
    let mut split = vec![Split::Train; n];
    for (r, &i) in order.iter().enumerate() {
        if r < n_val {
            split[i] = Split::Val;
        } else if r < n_val + n_test {
            split[i] = Split::Test;
        }
    }
    split
}
