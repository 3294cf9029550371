//! The pipelines that write a run folder and use its model, shared by `marble fit` /
//! `marble transform` and the engine's fit jobs and transforms, so both write the same files.

use std::path::Path;

use ndarray::Array2;

use super::{AnalysisRecord, Run};
use crate::analysis::{Analysis, AnalysisParams};
use crate::dataset::{Conditions, Dataset};
use crate::error::{Error, Result};
use crate::model::{Cancel, FitOptions, Fitted, Observer};
use crate::params::ValidParams;
use crate::progress::Progress;

/// What [`fit_run`] does.
#[derive(Clone, Copy)]
pub struct FitPlan<'a> {
    /// The run folder (created when missing).
    pub dir: &'a Path,
    /// The parameters: they build the dataset, train, and are saved as `params.json`.
    pub params: &'a ValidParams,
    /// Continue from the folder's `checkpoint.json`.
    pub resume: bool,
    /// Epochs to train in this call: `params.epochs` for a new fit or `marble fit --resume`,
    /// those left for a job taken over from another worker (0 restores the best model).
    pub epochs: usize,
    /// The analysis after training, as parameters for the number of points; `None` skips it.
    pub analysis: Option<&'a dyn Fn(usize) -> AnalysisParams>,
}

/// What a caller of [`fit_run`] hears: every epoch (as an [`Observer`]), and two moments.
pub trait FitEvents: Observer {
    /// The dataset is built; training starts next.
    fn built(&mut self, _data: &Dataset) {}
    /// The model and the embedding are written; the analysis, if any, comes next.
    fn saved(&mut self, _data: &Dataset, _fitted: &Fitted, _embedding: &Array2<f32>) {}
}

/// What [`fit_run`] did.
pub struct FitReport {
    /// The trained model and its losses.
    pub fitted: Fitted,
    /// The analysis parameters, results and record, unless skipped.
    pub analysis: Option<(AnalysisParams, Analysis, AnalysisRecord)>,
}

/// Build the dataset of `conditions`, train with a checkpoint after every epoch, and write
/// the run folder: model, losses, embedding, summary, and the analysis unless skipped.
/// `None` when `cancel` stopped it (nothing after the checkpoint is written then).
pub fn fit_run<E: FitEvents>(
    conditions: &Conditions,
    plan: &FitPlan,
    progress: &dyn Progress,
    events: &mut E,
    cancel: &Cancel,
) -> Result<Option<FitReport>> {
    let dir = plan.dir;
    let data = Dataset::build(conditions, plan.params, progress)?;
    events.built(&data);
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    let options = FitOptions { checkpoint_dir: Some(dir.to_path_buf()), resume: plan.resume, ..FitOptions::default() };
    let train = plan.params.clone().with_epochs(plan.epochs);
    let fitted = crate::model::fit(&data, &train, &options, events, cancel)?;
    if fitted.cancelled || cancel.is_cancelled() {
        return Ok(None);
    }
    let embedding = fitted.model.transform(&data)?;
    Run::write_model(dir, &fitted.model, plan.params, &fitted.losses)?;
    Run::write_embedding(dir, &data, &embedding)?;
    events.saved(&data, &fitted, &embedding);
    let analysis = match plan.analysis {
        Some(params_for) => {
            let p = params_for(data.n_points());
            let (a, record) = Run::read(dir)?.analyze(&p)?;
            Some((p, a, record))
        }
        None => None,
    };
    Ok(Some(FitReport { fitted, analysis }))
}

/// An embedding of new data: one row per kept input row (merged repeated anchors share
/// their point's row), and the condition of each row.
pub struct Embedded {
    /// Latents (rows x out_channels).
    pub embedding: Array2<f32>,
    /// Condition of each row.
    pub condition: Vec<usize>,
}

/// Embed `conditions` with the model in the run folder `model_dir`, building their dataset
/// with the model's own `params.json`.
pub fn transform(model_dir: &Path, conditions: &Conditions, progress: &dyn Progress) -> Result<Embedded> {
    let (model, params) = crate::model::store::load(model_dir)?;
    let data = Dataset::build(conditions, &params.check()?, progress)?;
    let rows = data.output_rows();
    let embedding = rows.spread(&model.transform(&data)?);
    Ok(Embedded { embedding, condition: rows.condition })
}
