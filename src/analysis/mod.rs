//! Stage 4: what users read off an embedding. Clusters ([`kmeans`]), distances between
//! conditions by optimal transport ([`distances`], [`transport`]), 2-D views ([`embed`]:
//! PCA, classical MDS, UMAP), linear decoding of behaviour ([`decode`]), and the comparison
//! of groups of conditions (animals, sessions) in one model ([`groups`]: matching conditions
//! across groups, decoders trained on one group and scored on another).
//!
//! [`analyze`] runs the first three with one set of [`AnalysisParams`]; `marble fit` and
//! `marble analyze` call it.
//!
//! ```
//! use marble::analysis::{AnalysisParams, analyze};
//! use ndarray::Array2;
//! // Two conditions: a cloud at the origin and the same cloud shifted by 3 along x.
//! let mut z = Array2::<f64>::zeros((40, 2));
//! for i in 0..20 {
//!     let (x, y) = ((i % 5) as f64 * 0.1, (i / 5) as f64 * 0.1);
//!     z[[i, 0]] = x; z[[i, 1]] = y;
//!     z[[20 + i, 0]] = x + 3.0; z[[20 + i, 1]] = y;
//! }
//! let condition: Vec<usize> = (0..40).map(|i| i / 20).collect();
//! let p = AnalysisParams { n_clusters: 4, ..AnalysisParams::default() };
//! let a = analyze(z.view(), &condition, 2, &p).unwrap();
//! assert!((a.distances.matrix[[0, 1]] - 3.0).abs() < 1e-9);
//! ```

pub(crate) mod decode;
pub(crate) mod distances;
pub(crate) mod embed;
pub(crate) mod groups;
pub(crate) mod kmeans;
pub(crate) mod transport;

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use decode::{DecodeParams, Decoding, pca_baseline, ridge_cv};
pub use distances::{DistanceKind, Distances, cluster_distances, point_cloud_distances};
pub use embed::{
    Embedding2d, Mds, Pca, UmapParams, ViewQuality, classical_mds, mds, stratified_sample, umap, umap_by_group,
    view_quality,
};
pub use groups::{
    ConditionMatch, GroupMatching, Groups, MatchBy, Matching, Transfer, TransferDecoding, WithinGroup,
    match_conditions, transfer_decoding,
};
pub use kmeans::{Clusters, KMeansParams, kmeans};
pub use transport::{Certificate, PointTransport, Transport, certify, emd, emd_points};

use crate::dataset::StepTime;
use crate::error::{Error, Result};

/// How the 2-D view of the embedding is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmbedMethod {
    /// UMAP (neighbour graph; the reference's default).
    #[default]
    Umap,
    /// The first two principal components.
    Pca,
}

/// Most k-means++ restarts accepted (each is a full k-means run).
pub const MAX_RESTARTS: usize = 1000;

/// Settings of the analysis stage. Unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisParams {
    /// k-means clusters (the reference's default is 15).
    #[schema(minimum = 1)]
    pub n_clusters: usize,
    /// k-means++ restarts.
    #[schema(minimum = 1, maximum = 1000)]
    pub restarts: usize,
    /// Which distributions the distances compare.
    pub distance: DistanceKind,
    /// Point-cloud distances are exact up to this many points per condition; larger
    /// conditions are subsampled (seeded) to this size. At the default 2500 a pair of
    /// conditions takes about 0.2 s on one core (network simplex), so 8 conditions take
    /// about 3 s on 2 cores however many points they hold; 3,500 points a condition cost
    /// what 2,500 did before the single-precision pricing (0.6 s a pair).
    #[schema(minimum = 1)]
    pub max_points: usize,
    /// 2-D view of the points.
    pub embed: EmbedMethod,
    /// UMAP neighbours.
    #[schema(minimum = 2)]
    pub n_neighbors: usize,
    /// UMAP minimum distance.
    #[schema(minimum = 0.0, exclusive_maximum = 1.0)]
    pub min_dist: f64,
    /// UMAP embeds at most this many points (a seeded subsample above).
    #[schema(minimum = 3)]
    pub max_embed_points: usize,
    /// Seed of every random choice in the analysis.
    pub seed: u64,
    /// Colour the embedding and vector-field figures by this variable (e.g. hand velocity,
    /// time in trial) instead of by condition: one value per point, or one per input row
    /// (all conditions' rows stacked, in order), as `behaviour` in a decoding. Finite. Used
    /// for the figures only: `analysis.json` keeps its name, not its values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_by: Option<Vec<f64>>,
    /// What `colour_by` is, written beside the figures' colour bar (default "colour_by").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub colour_by_name: Option<String>,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        let u = UmapParams::default();
        AnalysisParams {
            n_clusters: 15,
            restarts: 10,
            distance: DistanceKind::Points,
            max_points: 2500,
            embed: EmbedMethod::Umap,
            n_neighbors: u.n_neighbors,
            min_dist: u.min_dist,
            max_embed_points: u.max_points,
            seed: 0,
            colour_by: None,
            colour_by_name: None,
        }
    }
}

impl AnalysisParams {
    /// The defaults for an embedding of `n_points` points (at most one cluster per point).
    pub fn for_points(n_points: usize) -> AnalysisParams {
        let d = AnalysisParams::default();
        AnalysisParams { n_clusters: d.n_clusters.min(n_points), ..d }
    }

    /// Check every setting up front, whichever steps use it, with the field at fault.
    pub fn check(&self) -> Result<()> {
        let fail = |field: &str, message: String| Err(Error::argument(field, message));
        if self.n_clusters < 1 {
            return fail("n_clusters", "must be at least 1 (default 15)".into());
        }
        if !(1..=MAX_RESTARTS).contains(&self.restarts) {
            return fail("restarts", format!("is {}; use 1..={MAX_RESTARTS} (default 10)", self.restarts));
        }
        if self.max_points < 1 {
            return fail("max_points", "must be at least 1 (default 2500)".into());
        }
        if self.n_neighbors < 2 {
            return fail("n_neighbors", "must be at least 2 (default 15)".into());
        }
        if !(self.min_dist >= 0.0 && self.min_dist < 1.0) {
            return fail("min_dist", format!("is {}; use 0 <= min_dist < 1 (default 0.1)", self.min_dist));
        }
        if self.max_embed_points < 3 {
            return fail("max_embed_points", "must be at least 3 (default 20000)".into());
        }
        if let Some((i, v)) = self.colour_by.iter().flatten().enumerate().find(|(_, v)| !v.is_finite()) {
            return fail("colour_by", format!("value {i} is {v}; colour by finite values only"));
        }
        if let Some(name) = &self.colour_by_name {
            if self.colour_by.is_none() {
                return fail("colour_by_name", "names `colour_by`, which is absent; give both or neither".into());
            }
            if name.trim().is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
                return fail("colour_by_name", "must be one line of 1 to 200 characters".into());
            }
        }
        Ok(())
    }

    /// The k-means settings these parameters imply.
    pub fn kmeans(&self) -> KMeansParams {
        KMeansParams {
            n_clusters: self.n_clusters,
            restarts: self.restarts,
            seed: self.seed,
            ..KMeansParams::default()
        }
    }

    /// What the figures are coloured by, when not by condition: `colour_by_name`, or
    /// "colour_by" when `colour_by` has no name.
    pub fn colour_by_label(&self) -> Option<&str> {
        self.colour_by.as_ref().map(|_| self.colour_by_name.as_deref().unwrap_or("colour_by"))
    }

    /// These parameters without `colour_by` and its name, as `analysis.json` records them
    /// (beside the name, in its own field).
    pub fn without_colour_by(&self) -> AnalysisParams {
        AnalysisParams { colour_by: None, colour_by_name: None, ..self.clone() }
    }

    /// The UMAP settings these parameters imply.
    pub fn umap(&self) -> UmapParams {
        UmapParams {
            n_neighbors: self.n_neighbors,
            min_dist: self.min_dist,
            max_points: self.max_embed_points,
            seed: self.seed,
            ..UmapParams::default()
        }
    }
}

/// The analysis of one embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// k-means clusters of the points.
    pub clusters: Clusters,
    /// Points per condition and cluster (C x K).
    pub histograms: Array2<f64>,
    /// Distances between conditions.
    pub distances: Distances,
    /// The conditions placed in 2-D by classical MDS of the distances (C x 2).
    pub condition_map: Array2<f64>,
    /// Fraction of the distances' variance along each axis of `condition_map` (see [`Mds`]).
    #[serde(default)]
    pub condition_map_explained: Vec<f64>,
    /// 2-D view of the points.
    pub view: Embedding2d,
    /// Wall-clock time of each step (clusters, distances, condition map, view).
    pub timings: Vec<StepTime>,
}

/// A 2-D view of `z` by `method`; data with at most two columns are shown as they are. UMAP
/// optimises its layout on a subsample stratified by `condition` (one entry per row of `z`,
/// or empty for one group) above `umap_params.max_optimised` points ([`umap_by_group`]).
pub fn view_2d(
    z: ArrayView2<f64>,
    condition: &[usize],
    method: EmbedMethod,
    umap_params: &UmapParams,
) -> Result<Embedding2d> {
    let index: Vec<usize> = (0..z.nrows()).collect();
    let optimised = index.clone();
    if z.ncols() <= 2 {
        let mut points = Array2::zeros((z.nrows(), 2));
        points.slice_mut(ndarray::s![.., ..z.ncols()]).assign(&z);
        let method = "the embedding itself (2 or fewer dimensions)".into();
        return Ok(Embedding2d { points, index, method, optimised });
    }
    match method {
        EmbedMethod::Umap => umap_by_group(z, condition, 2, umap_params),
        EmbedMethod::Pca => {
            let pca = Pca::fit(z, 2)?;
            Ok(Embedding2d { points: pca.transform(z)?, index, method: "pca".into(), optimised })
        }
    }
}

/// Cluster the embedding `z` (n x d), measure distances between its `n_conditions`
/// conditions (`condition[i]` for row i), and make the 2-D views.
pub fn analyze(z: ArrayView2<f64>, condition: &[usize], n_conditions: usize, p: &AnalysisParams) -> Result<Analysis> {
    p.check()?;
    if condition.len() != z.nrows() {
        return Err(Error::argument(
            "condition",
            format!("has {} entries for {} points; give one condition per point", condition.len(), z.nrows()),
        ));
    }
    if let Some(i) = condition.iter().position(|&c| c >= n_conditions) {
        return Err(Error::argument(
            "condition",
            format!("entry {i} is {} but there are {n_conditions} conditions", condition[i]),
        ));
    }
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |step: &str| {
        timings.push(StepTime { step: step.to_string(), seconds: clock.elapsed().as_secs_f64() });
        clock = Instant::now();
    };
    let clusters = kmeans(z, &p.kmeans())?;
    lap("clusters");
    let histograms = clusters.histograms(condition, n_conditions);
    if let Some(c) = histograms.rows().into_iter().position(|r| r.sum() == 0.0) {
        return Err(Error::argument("condition", format!("condition {c} has no points")));
    }
    let distances = match p.distance {
        DistanceKind::Points => point_cloud_distances(z, condition, n_conditions, p.max_points, p.seed)?,
        DistanceKind::Clusters => cluster_distances(histograms.view(), clusters.centroids.view())?,
    };
    lap("distances");
    let Mds { points: condition_map, explained: condition_map_explained } = mds(distances.matrix.view(), 2)?;
    lap("condition map");
    let view = view_2d(z, condition, p.embed, &p.umap())?;
    lap("view");
    Ok(Analysis { clusters, histograms, distances, condition_map, condition_map_explained, view, timings })
}
