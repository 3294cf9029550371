//! A run folder: what `marble fit` (and a fit job of the engine) writes, and `marble analyze`
//! (and the engine's analyze and decode) reads and rewrites. Every file has one writer, so
//! the command line and the server write the same folder:
//!
//! | file | contents | written by |
//! |---|---|---|
//! | `embedding.npy` | latents, n x out_channels, float32 | [`Run::write_embedding`] |
//! | `condition.npy`, `sample_index.npy` | condition of each point and its row in that condition's input, int64 | [`Run::write_embedding`] |
//! | `anchor.npy`, `vector.npy` | the sampled points and their vectors, float32 (for plots and the PCA baseline) | [`Run::write_embedding`] |
//! | `summary.json` | the dataset summary | [`Run::write_embedding`] |
//! | `model.json`, `model.npz`, `params.json`, `losses.json` | the trained model (see `model::store`) | [`Run::write_model`] |
//! | `checkpoint.json` | the training state after the latest epoch, for resuming | [`crate::model::fit`] |
//! | `distances.npy` | C x C distances between conditions, float64 | [`Run::write_analysis`] |
//! | `clusters.npy` | k-means cluster of each point, int64 | [`Run::write_analysis`] |
//! | `cluster_centroids.npy`, `cluster_histograms.npy` | K x out_channels centroids; C x K point counts | [`Run::write_analysis`] |
//! | `transport_plans.npy` | C x C x K x K optimal plans (only with `distance = "clusters"`) | [`Run::write_analysis`] |
//! | `view_2d.npy`, `view_2d_index.npy` | 2-D view of the points and the rows it shows | [`Run::write_analysis`] |
//! | `view_2d_optimised.npy` | the rows whose view coordinates UMAP optimised (the others it placed by its transform), int64 | [`Run::write_analysis`] |
//! | `condition_map.npy` | C x 2 classical MDS of the distances | [`Run::write_analysis`] |
//! | `analysis.json` | the analysis parameters, how each result was computed, the conditions' names and values, and the variance the condition map's axes explain | [`Run::write_analysis`] |
//! | `*.svg` | `embedding`, `distances`, `losses`, `clusters`, `vector_field`, `condition_map` figures | [`Run::write_analysis`] |
//! | `decoding.json`, `decoding_predictions.npy` | cross-validated R^2 of behaviour, and the latents' out-of-fold predictions | [`Run::write_decoding`] |
//!
//! [`fit_run`] writes a whole folder (dataset, training, model, embedding, analysis) and
//! [`transform`] embeds new data with a folder's model; the CLI and the engine call both.

mod fit;

pub use fit::{Embedded, FitEvents, FitPlan, FitReport, fit_run, transform};

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::analysis::{
    Analysis, AnalysisParams, DecodeParams, Decoding, Groups, Matching, TransferDecoding, match_conditions,
    pca_baseline, ridge_cv, transfer_decoding,
};
use crate::dataset::{Dataset, StepTime, Summary};
use crate::error::{Error, Result};
use crate::fsio::{read_json, write_json, write_npy, write_npy_f32, write_npy_i64};
use crate::model::store as files;
use crate::model::{Losses, Model};
use crate::params::Params;
use crate::plot::PlotKind;
use crate::plot::{self, Colouring};

/// What a run folder holds for analysis.
#[derive(Clone, Debug)]
pub struct Run {
    /// The folder.
    pub dir: PathBuf,
    /// Latents (n x out_channels).
    pub embedding: Array2<f64>,
    /// Condition of each point.
    pub condition: Vec<usize>,
    /// Row of each point in its condition's input.
    pub sample_index: Vec<usize>,
    /// Sampled anchors (n x D), when present.
    pub anchor: Option<Array2<f64>>,
    /// Vectors at the anchors (n x S), when present.
    pub vector: Option<Array2<f64>>,
    /// Training losses, when present.
    pub losses: Option<Losses>,
    /// Dataset summary, when present.
    pub summary: Option<Summary>,
}

/// How `analysis.json` describes an analysis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnalysisRecord {
    /// The parameters used.
    pub params: AnalysisParams,
    /// How the distances were computed ("exact" or the approximation used).
    pub distance_method: String,
    /// Points per condition in the transport problems.
    pub points_used: Vec<usize>,
    /// k-means inertia.
    pub inertia: f64,
    /// How the 2-D view was made.
    pub view_method: String,
    /// Files written.
    pub files: Vec<String>,
    /// Wall-clock seconds of each step of the analysis, writing its files and figures last.
    #[serde(default)]
    pub timings: Vec<StepTime>,
    /// The name of each condition, in the order of the rows of `distances.npy`.
    #[serde(default)]
    pub condition_names: Vec<String>,
    /// The value of each condition (e.g. mu), in the same order; `null` for a condition
    /// without one.
    #[serde(default)]
    pub condition_values: Vec<Option<f64>>,
    /// The group (animal, session) of each condition, in the same order, when the conditions
    /// were given groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_groups: Option<Vec<String>>,
    /// With two or more groups: each condition's nearest condition in every other group,
    /// and how often it carries the same value or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<Matching>,
    /// Fraction of the distances' variance along each axis of `condition_map.npy`.
    #[serde(default)]
    pub condition_map_explained: Vec<f64>,
    /// What the embedding and vector-field figures were coloured by instead of the
    /// conditions (`colour_by_name` of the parameters), when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_by: Option<String>,
}

/// What [`Run::decode_and_write`] found, and the file it wrote.
#[derive(Clone, Debug)]
pub struct DecodeOutcome {
    /// Decoding from the latents.
    pub latents: Decoding,
    /// Decoding from PCA of the anchors at the latents' dimension.
    pub baseline: Decoding,
    /// With two or more groups of conditions: decoding across and within the groups.
    pub transfer: Option<TransferDecoding>,
    /// Cross-validation folds used.
    pub folds: usize,
    /// Behaviour columns decoded.
    pub behaviour_columns: usize,
    /// `decoding.json`.
    pub written: PathBuf,
}

/// How `decoding.json` describes a decoding (fields in alphabetical order, as written since
/// the first version).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecodingRecord {
    /// Where the behaviour came from: the file given to `marble analyze --behaviour`, or
    /// `request` for a decode through the engine (REST API).
    pub behaviour: String,
    /// Cross-validation folds.
    pub folds: usize,
    /// Whether folds followed the groups.
    pub grouped: bool,
    /// Decoding from the latents.
    pub latents: DecodingScores,
    /// Decoding from PCA of the anchors at the latents' dimension (absent without anchors).
    pub pca_baseline: Option<DecodingScores>,
    /// With two or more groups of conditions: decoders trained on one group and scored on
    /// another, and within each group, from the latents and from each group's own PCA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferDecoding>,
}

/// The scores of one decoding in `decoding.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecodingScores {
    /// Ridge strength chosen in each fold.
    pub alphas: Vec<f64>,
    /// Predictor columns.
    pub dims: usize,
    /// R^2 per behaviour column.
    pub r2: Vec<f64>,
    /// Mean of `r2`.
    pub r2_mean: f64,
}

impl From<&Decoding> for DecodingScores {
    fn from(d: &Decoding) -> DecodingScores {
        DecodingScores { alphas: d.alphas.clone(), dims: d.predictors, r2: d.r2.clone(), r2_mean: d.r2_mean }
    }
}

/// The labels of the points of a figure: each point's condition, the index of its
/// condition's name among the names coloured, and its group when the conditions have groups.
struct PointMarks {
    conditions: Vec<usize>,
    names: Vec<usize>,
    groups: Option<Vec<usize>>,
}

impl PointMarks {
    /// The labels of points whose conditions are `conditions`, given the name index of each
    /// condition (`name_of`) and the conditions' groups.
    fn of(conditions: &[usize], name_of: &[usize], groups: Option<&Groups>) -> PointMarks {
        PointMarks {
            conditions: conditions.to_vec(),
            names: conditions.iter().map(|&c| name_of[c]).collect(),
            groups: groups.map(|g| conditions.iter().map(|&c| g.of_condition[c]).collect()),
        }
    }

    /// How the points are coloured: by `colour` (a value per point and its name) when
    /// given, else by their condition's value (all conditions' values and their name), else
    /// by their condition's name among `names`.
    fn colouring<'a>(
        &'a self,
        colour: Option<(&'a [f64], &'a str)>,
        values: Option<(&'a [f64], &'a str)>,
        names: &'a [String],
    ) -> Colouring<'a> {
        match (colour, values) {
            (Some((colour, name)), _) => Colouring::values(colour, name),
            (None, Some((values, name))) => Colouring::Valued { labels: &self.conditions, values, name },
            (None, None) => Colouring::Categorical { labels: &self.names, names },
        }
    }

    /// The points' groups, named as `groups` names them.
    fn grouping<'a>(&'a self, groups: Option<&'a Groups>) -> Option<plot::Grouping<'a>> {
        Some(plot::Grouping { labels: self.groups.as_deref()?, names: &groups?.names })
    }
}

/// Names shown for `n` unnamed conditions: "condition 0", ...
pub(crate) fn condition_names(n: usize) -> Vec<String> {
    crate::dataset::input::display_names(std::iter::repeat_n(None, n))
}

fn read_array<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(path: &Path) -> Result<ndarray::Array<T, D>> {
    crate::fsio::read_npy(path).map_err(|e| match e {
        Error::ModelFile { path, message } => {
            Error::ModelFile { path, message: format!("{message}; run `marble fit` to write this folder again") }
        }
        other => other,
    })
}

fn indices(path: &Path) -> Result<Vec<usize>> {
    let a: Array1<i64> = read_array(path)?;
    a.iter()
        .map(|&v| usize::try_from(v))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::ModelFile { path: path.to_path_buf(), message: "holds a negative index".into() })
}

/// The arrays of a model's run folder, each an `.npy` file named after it
/// (`GET /v1/models/{id}/arrays/{name}` answers its bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunArray {
    /// Latents, n x out_channels, float32.
    Embedding,
    /// Condition of each point, int64.
    Condition,
    /// Each point's row in its condition's input, int64.
    SampleIndex,
    /// The sampled points, n x D, float32.
    Anchor,
    /// Their vectors, n x S, float32.
    Vector,
    /// C x C distances between conditions, float64.
    Distances,
    /// k-means cluster of each point, int64.
    Clusters,
    /// K x out_channels cluster centroids, float64.
    ClusterCentroids,
    /// C x K points per condition and cluster, float64.
    ClusterHistograms,
    /// C x C x K x K optimal transport plans (only with `distance = "clusters"`).
    TransportPlans,
    /// 2-D view of the points shown, m x 2, float64.
    #[serde(rename = "view_2d")]
    View2d,
    /// The rows `view_2d` shows, int64.
    #[serde(rename = "view_2d_index")]
    View2dIndex,
    /// The rows whose view coordinates UMAP optimised, int64.
    #[serde(rename = "view_2d_optimised")]
    View2dOptimised,
    /// C x 2 classical MDS of the distances, float64.
    ConditionMap,
    /// The latents' out-of-fold predictions of the latest decoding, float64.
    DecodingPredictions,
}

impl RunArray {
    /// Every array, in the order above.
    pub const ALL: [RunArray; 15] = [
        RunArray::Embedding,
        RunArray::Condition,
        RunArray::SampleIndex,
        RunArray::Anchor,
        RunArray::Vector,
        RunArray::Distances,
        RunArray::Clusters,
        RunArray::ClusterCentroids,
        RunArray::ClusterHistograms,
        RunArray::TransportPlans,
        RunArray::View2d,
        RunArray::View2dIndex,
        RunArray::View2dOptimised,
        RunArray::ConditionMap,
        RunArray::DecodingPredictions,
    ];

    /// The array's name in routes: "embedding", "view_2d", ...
    pub fn name(self) -> &'static str {
        match self {
            RunArray::Embedding => "embedding",
            RunArray::Condition => "condition",
            RunArray::SampleIndex => "sample_index",
            RunArray::Anchor => "anchor",
            RunArray::Vector => "vector",
            RunArray::Distances => "distances",
            RunArray::Clusters => "clusters",
            RunArray::ClusterCentroids => "cluster_centroids",
            RunArray::ClusterHistograms => "cluster_histograms",
            RunArray::TransportPlans => "transport_plans",
            RunArray::View2d => "view_2d",
            RunArray::View2dIndex => "view_2d_index",
            RunArray::View2dOptimised => "view_2d_optimised",
            RunArray::ConditionMap => "condition_map",
            RunArray::DecodingPredictions => "decoding_predictions",
        }
    }

    /// The array called `name`, or the error `unknown` listing the names.
    pub fn parse(name: &str) -> Result<RunArray> {
        RunArray::ALL.into_iter().find(|a| a.name() == name).ok_or_else(|| Error::Unknown {
            kind: "array",
            name: name.to_string(),
            choices: RunArray::ALL.map(RunArray::name).join(", "),
        })
    }

    /// File name in the run folder.
    pub fn file(self) -> String {
        format!("{}.npy", self.name())
    }
}

impl Run {
    /// Write the embedding of a fitted dataset (n x out_channels, one row per point) and the
    /// inputs of later analysis next to the model: one row per kept input row (a point merged
    /// from identical anchors repeats for each of its rows), with anchors, vectors,
    /// conditions and sample indices, and the summary.
    pub fn write_embedding(dir: &Path, data: &Dataset, embedding: &Array2<f32>) -> Result<()> {
        let rows = data.output_rows();
        write_npy_f32(&dir.join(RunArray::Embedding.file()), &rows.spread(embedding))?;
        write_npy_f32(&dir.join(RunArray::Anchor.file()), &rows.spread(&data.anchor).mapv(|v| v as f32))?;
        write_npy_f32(&dir.join(RunArray::Vector.file()), &rows.spread(&data.vector).mapv(|v| v as f32))?;
        write_npy_i64(&dir.join(RunArray::Condition.file()), &rows.condition)?;
        write_npy_i64(&dir.join(RunArray::SampleIndex.file()), &rows.sample_index)?;
        write_json(&dir.join("summary.json"), &data.summary)
    }

    /// Write the trained model with the parameters it was trained with and its losses
    /// (`model.json`, `model.npz`, `params.json`, `losses.json`).
    pub fn write_model(dir: &Path, model: &Model, params: &Params, losses: &Losses) -> Result<()> {
        files::save(dir, model, params, losses)
    }

    /// Read a run folder written by `marble fit`.
    pub fn read(dir: &Path) -> Result<Run> {
        let embedding_path = dir.join(RunArray::Embedding.file());
        if !embedding_path.exists() {
            return Err(Error::ModelFile {
                path: embedding_path,
                message: "missing; pass a folder written by `marble fit --out`".into(),
            });
        }
        let embedding: Array2<f32> = read_array(&embedding_path)?;
        let condition = indices(&dir.join(RunArray::Condition.file()))?;
        let sample_index = indices(&dir.join(RunArray::SampleIndex.file()))?;
        let optional = |array: RunArray| -> Result<Option<Array2<f64>>> {
            let path = dir.join(array.file());
            if path.exists() { Ok(Some(read_array::<f32, _>(&path)?.mapv(f64::from))) } else { Ok(None) }
        };
        let json = |name: &str| dir.join(name).exists().then(|| dir.join(name));
        let run = Run {
            dir: dir.to_path_buf(),
            embedding: embedding.mapv(f64::from),
            condition,
            sample_index,
            anchor: optional(RunArray::Anchor)?,
            vector: optional(RunArray::Vector)?,
            losses: json("losses.json").map(|p| read_json(&p)).transpose()?,
            summary: json("summary.json").map(|p| read_json(&p)).transpose()?,
        };
        let n = run.embedding.nrows();
        for (array, len) in
            [(RunArray::Condition, run.condition.len()), (RunArray::SampleIndex, run.sample_index.len())]
        {
            if len != n {
                return Err(Error::ModelFile {
                    path: dir.join(array.file()),
                    message: format!("has {len} entries but embedding.npy has {n} rows; run `marble fit` again"),
                });
            }
        }
        Ok(run)
    }

    /// Number of conditions.
    pub fn n_conditions(&self) -> usize {
        self.condition.iter().max().map_or(0, |m| m + 1)
    }

    /// Rows of `behaviour` for the points of this run: `behaviour` has one row per point
    /// (in embedding order) or one row per input row (all conditions' inputs stacked, in
    /// order), and is gathered through the sampling in the second case.
    pub fn align(&self, behaviour: Array2<f64>, field: &str) -> Result<Array2<f64>> {
        let n = self.embedding.nrows();
        if behaviour.nrows() == n {
            return Ok(behaviour);
        }
        let per_condition: Option<Vec<usize>> =
            self.summary.as_ref().map(|s| s.conditions.iter().map(|c| c.points_in).collect());
        match per_condition {
            Some(sizes) if sizes.iter().sum::<usize>() == behaviour.nrows() => {
                let rows = crate::dataset::build::input_rows(&sizes, &self.condition, &self.sample_index);
                Ok(behaviour.select(Axis(0), &rows))
            }
            _ => Err(Error::argument(
                field,
                format!(
                    "has {} rows; give one row per point ({n}) or one per input row{}",
                    behaviour.nrows(),
                    self.summary
                        .as_ref()
                        .map(|s| format!(" ({})", s.conditions.iter().map(|c| c.points_in).sum::<usize>()))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// The one decoding step of `marble analyze --behaviour` and of the engine's `decode`
    /// (`POST /v1/models/{id}/decodings`): align `behaviour` and `groups` (one row per point,
    /// or per input row), decode from the latents and from the PCA baseline with `folds`
    /// ([`DecodeParams`]'s default when `None`), and write `decoding.json` (`source` names
    /// where the behaviour came from) and `decoding_predictions.npy`. A folder without the
    /// anchors (so without a baseline) is an error in both.
    pub fn decode_and_write(
        &self,
        behaviour: Array2<f64>,
        groups: Option<&[usize]>,
        folds: Option<usize>,
        source: &str,
    ) -> Result<DecodeOutcome> {
        let y = self.align(behaviour, "behaviour")?;
        let groups = match groups {
            None => None,
            Some(g) => {
                let col = Array2::from_shape_fn((g.len(), 1), |(i, _)| g[i] as f64);
                Some(self.align(col, "groups")?.iter().map(|&v| v as usize).collect::<Vec<_>>())
            }
        };
        let defaults = DecodeParams::default();
        let p = DecodeParams { folds: folds.unwrap_or(defaults.folds), ..defaults };
        let (latents, baseline) = self.decode(&y, groups.as_deref(), &p)?;
        let baseline = baseline.ok_or_else(|| Error::ModelFile {
            path: self.dir.join(RunArray::Anchor.file()),
            message: "missing, so there is no PCA baseline to decode against; fit the model again".into(),
        })?;
        let transfer = self.decode_across_groups(&y, groups.as_deref(), &p)?;
        let written = self.write_decoding(source, p.folds, &latents, Some(&baseline), transfer.as_ref())?;
        Ok(DecodeOutcome { latents, baseline, transfer, folds: p.folds, behaviour_columns: y.ncols(), written })
    }

    /// With two or more groups of conditions (and the anchors): decoders trained on each
    /// group's rows and scored on every other group's, and within each group, from the
    /// latents and from each group's own PCA ([`transfer_decoding`]). `folds` are the
    /// cross-validation groups (trials) of the aligned rows.
    pub fn decode_across_groups(
        &self,
        behaviour: &Array2<f64>,
        folds: Option<&[usize]>,
        p: &DecodeParams,
    ) -> Result<Option<TransferDecoding>> {
        let (Some(groups), Some(anchor)) = (self.condition_groups(), &self.anchor) else { return Ok(None) };
        let g = Groups::new(&groups);
        if g.names.len() < 2 {
            return Ok(None);
        }
        let row_group: Vec<usize> = self.condition.iter().map(|&c| g.of_condition[c]).collect();
        // An extra on top of the decoding asked for: where a group cannot be decoded (say a
        // behaviour constant within one animal), the decoding stands without it, saying why.
        match transfer_decoding(self.embedding.view(), anchor.view(), behaviour.view(), &row_group, &g.names, folds, p)
        {
            Ok(t) => Ok(Some(t)),
            Err(e) => {
                warning!("decoding across groups skipped: {e}");
                Ok(None)
            }
        }
    }

    /// Decode `behaviour` (aligned with [`Run::align`]) from the latents, and from the PCA
    /// of the anchors at the same dimension as the baseline (when anchors are present).
    pub fn decode(
        &self,
        behaviour: &Array2<f64>,
        groups: Option<&[usize]>,
        p: &DecodeParams,
    ) -> Result<(Decoding, Option<Decoding>)> {
        let latents = ridge_cv(self.embedding.view(), behaviour.view(), groups, p)?;
        let baseline = match &self.anchor {
            Some(a) => Some(pca_baseline(a.view(), behaviour.view(), self.embedding.ncols(), groups, p)?),
            None => None,
        };
        Ok((latents, baseline))
    }

    /// Distinct points of the embedding: the dataset's (from the summary), which is fewer
    /// than the rows when repeated anchors were merged; the rows without a summary.
    pub fn n_points(&self) -> usize {
        self.summary.as_ref().map_or(self.embedding.nrows(), |s| s.n_points)
    }

    /// Analyse the embedding with `p` and write the results and figures into the folder.
    pub fn analyze(&self, p: &AnalysisParams) -> Result<(Analysis, AnalysisRecord)> {
        // A `colour_by` that does not fit is refused before the work, not after.
        p.check()?;
        self.colour_by(p)?;
        let a = crate::analysis::analyze(self.embedding.view(), &self.condition, self.n_conditions(), p)?;
        let record = self.write_analysis(&a, p)?;
        Ok((a, record))
    }

    /// The name shown for each condition: from the dataset summary, or "condition c".
    pub fn condition_names(&self) -> Vec<String> {
        let n = self.n_conditions();
        match &self.summary {
            Some(s) if s.conditions.len() == n => s.condition_names(),
            _ => condition_names(n),
        }
    }

    /// The value of each condition, from the dataset summary (`None` where a condition has
    /// none, or for all without a summary).
    pub fn condition_values(&self) -> Vec<Option<f64>> {
        let n = self.n_conditions();
        match &self.summary {
            Some(s) if s.conditions.len() == n => s.condition_values(),
            _ => vec![None; n],
        }
    }

    /// The group of each condition, from the dataset summary, when the conditions were
    /// given groups.
    pub fn condition_groups(&self) -> Option<Vec<String>> {
        match &self.summary {
            Some(s) if s.conditions.len() == self.n_conditions() => s.condition_groups(),
            _ => None,
        }
    }

    /// `p.colour_by` as one value per row of the embedding (aligned as [`Run::align`]
    /// aligns behaviour), when given.
    pub fn colour_by(&self, p: &AnalysisParams) -> Result<Option<Vec<f64>>> {
        let Some(values) = &p.colour_by else { return Ok(None) };
        let column = Array2::from_shape_vec((values.len(), 1), values.clone()).expect("one column");
        Ok(Some(self.align(column, "colour_by")?.column(0).to_vec()))
    }

    /// Write the results of an analysis and its figures into the folder; returns what
    /// `analysis.json` says (the file names written and the time of each step).
    ///
    /// Figures colour the conditions by their values when every condition has one (on a
    /// colour bar named as [`plot::value_name`] names it), else by name; the embedding and
    /// vector field are coloured by `p.colour_by` instead when it is given.
    pub fn write_analysis(&self, a: &Analysis, p: &AnalysisParams) -> Result<AnalysisRecord> {
        let start = Instant::now();
        let names = self.condition_names();
        let condition_values = self.condition_values();
        let values: Option<Vec<f64>> = condition_values.iter().copied().collect();
        let colour_by = self.colour_by(p)?;
        let groups = self.condition_groups();
        let matching = match &groups {
            Some(g) if Groups::new(g).names.len() >= 2 => {
                Some(match_conditions(a.distances.matrix.view(), g, &names, &condition_values)?)
            }
            _ => None,
        };
        let mut out = Written { dir: &self.dir, files: Vec::new() };
        write_analysis_arrays(a, &mut out)?;
        let explained = self.write_analysis_figures(a, p, &names, values.as_deref(), colour_by.as_deref(), &mut out)?;
        let mut files = out.files;
        files.push("analysis.json".into());
        let mut timings = a.timings.clone();
        timings.push(StepTime { step: "files and figures".into(), seconds: start.elapsed().as_secs_f64() });
        let record = AnalysisRecord {
            params: p.without_colour_by(),
            distance_method: a.distances.method.clone(),
            points_used: a.distances.points_used.clone(),
            inertia: a.clusters.inertia,
            view_method: a.view.method.clone(),
            files,
            timings,
            condition_names: names.clone(),
            condition_values,
            condition_groups: groups,
            matching,
            condition_map_explained: explained,
            colour_by: p.colour_by_label().map(str::to_owned),
        };
        write_json(&self.dir.join("analysis.json"), &record)?;
        Ok(record)
    }

    /// The figures of [`Run::write_analysis`]; returns the variance the condition map's axes
    /// explain.
    ///
    /// With groups of conditions, every figure of conditions marks them: shapes by group in
    /// the embedding, the vector field and the condition map, separated blocks in the
    /// distance matrix, and "group: name" in the cluster histograms' legend where a name
    /// repeats across groups. Conditions that share a name in different groups share its
    /// colour, so the same condition in two animals reads as one colour in two shapes.
    fn write_analysis_figures(
        &self,
        a: &Analysis,
        p: &AnalysisParams,
        names: &[String],
        values: Option<&[f64]>,
        colour_by: Option<&[f64]>,
        out: &mut Written,
    ) -> Result<Vec<f64>> {
        let what = plot::value_name(names);
        let colour_name = p.colour_by_label().unwrap_or_default();
        let valued = values.map(|v| (v, what.as_str()));
        let groups = self.condition_groups().map(|g| Groups::new(&g));
        let grouping = groups.as_ref().map(plot::Grouping::from);
        // Conditions that share a name (in different groups) share its colour; without groups
        // names are distinct, and each condition keeps a colour of its own.
        let by_name = Groups::new(names);
        let (colour_names, name_of) = (by_name.names.as_slice(), by_name.of_condition.as_slice());
        let view_conditions: Vec<usize> = a.view.index.iter().map(|&i| self.condition[i]).collect();
        let view_colour: Option<Vec<f64>> = colour_by.map(|c| a.view.index.iter().map(|&i| c[i]).collect());
        let view_marks = PointMarks::of(&view_conditions, name_of, groups.as_ref());
        plot::embedding_grouped(
            a.view.points.view(),
            view_marks.colouring(view_colour.as_deref().map(|c| (c, colour_name)), valued, colour_names),
            view_marks.grouping(groups.as_ref()),
            &format!("Embedding ({})", a.view.method),
        )?
        .save(&out.put(PlotKind::Embedding.file()))?;
        plot::distance_matrix_grouped(a.distances.matrix.view(), names, grouping, "Distances between conditions")?
            .save(&out.put(PlotKind::Distances.file()))?;
        let listed = grouping.map_or_else(|| names.to_vec(), |g| plot::qualified_names(names, g));
        plot::cluster_histograms_by_value(a.histograms.view(), &listed, values, "Clusters per condition")?
            .save(&out.put(PlotKind::Clusters.file()))?;
        // An analysis read from an older file may lack what the map's axes explain.
        let explained = match a.condition_map_explained.len() {
            2 => a.condition_map_explained.clone(),
            _ => crate::analysis::mds(a.distances.matrix.view(), 2)?.explained,
        };
        plot::condition_map_grouped(a.condition_map.view(), names, values, grouping, &explained, "Condition map")?
            .save(&out.put(PlotKind::ConditionMap.file()))?;
        if let Some(losses) = self.losses.as_ref().filter(|l| !l.train_loss.is_empty()) {
            plot::loss_curves(losses, "Training")?.save(&out.put(PlotKind::Losses.file()))?;
        }
        if let (Some(x), Some(v)) = (&self.anchor, &self.vector)
            && x.ncols() >= 2
            && x.ncols() == v.ncols()
        {
            let marks = PointMarks::of(&self.condition, name_of, groups.as_ref());
            plot::vector_field_grouped(
                x.view(),
                v.view(),
                marks.colouring(colour_by.map(|c| (c, colour_name)), valued, colour_names),
                marks.grouping(groups.as_ref()),
                "Input vector fields",
            )?
            .save(&out.put(PlotKind::VectorField.file()))?;
        }
        Ok(explained)
    }

    /// Write a decoding (from [`Run::decode`]) as `decoding.json`, and the latents'
    /// out-of-fold predictions as `decoding_predictions.npy`; `behaviour` says where the
    /// behaviour came from. Returns the path of `decoding.json`.
    pub fn write_decoding(
        &self,
        behaviour: &str,
        folds: usize,
        latents: &Decoding,
        baseline: Option<&Decoding>,
        transfer: Option<&TransferDecoding>,
    ) -> Result<PathBuf> {
        let record = DecodingRecord {
            behaviour: behaviour.to_string(),
            folds,
            grouped: latents.grouped,
            latents: latents.into(),
            pca_baseline: baseline.map(DecodingScores::from),
            transfer: transfer.cloned(),
        };
        let path = self.dir.join("decoding.json");
        write_json(&path, &record)?;
        write_npy(&self.dir.join(RunArray::DecodingPredictions.file()), &latents.predictions)?;
        Ok(path)
    }
}

/// The files an analysis writes into a run folder, in order, for `analysis.json`.
struct Written<'a> {
    dir: &'a Path,
    files: Vec<String>,
}

impl Written<'_> {
    /// The path of file `name` in the folder, recorded as written.
    fn put(&mut self, name: &str) -> PathBuf {
        self.files.push(name.to_string());
        self.dir.join(name)
    }
}

/// The arrays of [`Run::write_analysis`]; removes a stale `transport_plans.npy` when the
/// analysis has no plans.
fn write_analysis_arrays(a: &Analysis, out: &mut Written) -> Result<()> {
    write_npy(&out.put(&RunArray::Distances.file()), &a.distances.matrix)?;
    write_npy_i64(&out.put(&RunArray::Clusters.file()), &a.clusters.labels)?;
    write_npy(&out.put(&RunArray::ClusterCentroids.file()), &a.clusters.centroids)?;
    write_npy(&out.put(&RunArray::ClusterHistograms.file()), &a.histograms)?;
    let plans = out.dir.join(RunArray::TransportPlans.file());
    match &a.distances.plans {
        Some(plans) => write_npy(&out.put(&RunArray::TransportPlans.file()), plans)?,
        // A stale file from an earlier clusters analysis would no longer match.
        None if plans.exists() => std::fs::remove_file(&plans).map_err(|e| Error::io("cannot remove", &plans, e))?,
        None => {}
    }
    write_npy(&out.put(&RunArray::View2d.file()), &a.view.points)?;
    write_npy_i64(&out.put(&RunArray::View2dIndex.file()), &a.view.index)?;
    write_npy_i64(&out.put(&RunArray::View2dOptimised.file()), &a.view.optimised)?;
    write_npy(&out.put(&RunArray::ConditionMap.file()), &a.condition_map)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RunArray;

    #[test]
    fn array_names_are_their_routes_files_and_serde_names() {
        for a in RunArray::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.name(), "{a:?}");
            assert_eq!(RunArray::parse(a.name()).unwrap(), a);
            assert_eq!(a.file(), format!("{}.npy", a.name()));
        }
        assert_eq!(RunArray::parse("view2d").unwrap_err().code(), "unknown_name");
    }
}
