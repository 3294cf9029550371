//! What training keeps between epochs: the losses so far and the checkpoint that resumes a
//! fit exactly where it stopped. Plain data, written by [`crate::model::store`] and filled
//! in by [`crate::model::train`].

use serde::{Deserialize, Serialize};

use crate::model::network::{Architecture, RunningStats};
use crate::model::optim::{Optimizer, ReduceLrOnPlateau};
use crate::params::Params;

/// Losses per epoch, with the reference's names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Losses {
    /// Mean training loss of each epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss of each epoch.
    pub val_loss: Vec<f64>,
    /// Test loss of the final (best) model.
    pub test_loss: Vec<f64>,
}

/// Everything needed to continue training exactly where it stopped.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub params: Params,
    pub arch: Architecture,
    pub epochs_done: usize,
    pub theta: Vec<f32>,
    pub running: Vec<RunningStats>,
    pub optimizer: Optimizer,
    pub scheduler: ReduceLrOnPlateau,
    pub best_val: f64,
    pub best_epoch: usize,
    pub best_theta: Vec<f32>,
    pub best_running: Vec<RunningStats>,
    pub losses: Losses,
}
