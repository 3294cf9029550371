//! Stage 3: unsupervised contrastive training, and `transform`.
//!
//! Reference: `net.fit`, `net.batch_loss`, `dataloader.NeighborSampler` and
//! `net.transform`. For each minibatch of training anchors, a positive is one random-walk
//! step from each anchor and a negative a uniformly random point; the three sets go through
//! the network together (so BatchNorm sees all of them), as in the reference. The
//! validation loss is computed every epoch in evaluation mode with positives and negatives
//! drawn the same way every epoch, so epochs are compared on equal terms; the best model by
//! validation loss is restored at the end, and the test loss is that model's.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ndarray::Array2;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::dataset::Split;
use crate::error::{Error, Result};
use crate::model::checkpoint::{Checkpoint, Losses};
use crate::model::features::{FeatureBatch, FeatureLayout, NeighbourSampler, all_features, features};
use crate::model::network::{Architecture, DeviceFeatures, Inputs, Model};
use crate::model::optim::{Optimizer, ReduceLrOnPlateau};
use crate::model::precomputed::{self, Precomputed};
use crate::model::store;
use crate::params::{Params, ValidParams};
use crate::seed::{Stream, rng_for};

/// What an observer hears after each epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch number, counting from 0 across resumed runs.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Learning rate after the scheduler's step.
    pub lr: f64,
    /// Learned diffusion time.
    pub diffusion_time: f64,
    /// Whether this epoch is the best so far by validation loss.
    pub best: bool,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// Receives training progress.
pub trait Observer {
    /// An epoch finished.
    fn epoch(&mut self, _report: &EpochReport) {}
    /// `done` of `total` training batches of the current epoch are done.
    fn batch(&mut self, _done: usize, _total: usize) {}
}

/// Ignores progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// A flag that stops training between batches; cheap to clone and share across threads.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask training to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether a stop was asked.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where to keep checkpoints and whether to continue from one.
#[derive(Clone, Debug, Default)]
pub struct FitOptions {
    /// Folder for `checkpoint.json`, written after every epoch.
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the checkpoint in `checkpoint_dir` (running `epochs` more epochs).
    pub resume: bool,
    /// Keep precomputed feature coefficients in f64 rather than f32 (twice the memory), so
    /// both feature paths agree to rounding; for checks.
    pub exact_features: bool,
    /// Contract precomputed features on the device with dfdx (t on the tape), so a step
    /// moves only indices there: None chooses it for CUDA builds, and the host contraction
    /// (no second copy of the coefficients) for the CPU build.
    pub on_device: Option<bool>,
}

/// The outcome of training.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// The best model by validation loss.
    pub model: Model,
    /// Losses of every epoch, across resumed runs.
    pub losses: Losses,
    /// Epochs completed in total.
    pub epochs: usize,
    /// Epoch of the best model.
    pub best_epoch: usize,
    /// True when training was stopped by [`Cancel`].
    pub cancelled: bool,
    /// How the features were computed (see [`FeaturePath`]).
    pub feature_path: String,
}

/// Where a fit's features come from: coefficients precomputed once per dataset, or the
/// batch's neighbourhoods at every step. Both give the same features (to the interpolation
/// tolerance, on Chebyshev nodes); precomputing is chosen whenever it applies and fits
/// `precompute_mib`.
pub enum FeaturePath {
    /// Precomputed coefficients, with the seconds they took to build.
    Precomputed(Precomputed, f64),
    /// Features precomputed at Chebyshev nodes in t (local frames with diffusion).
    Interpolated(Interpolated),
    /// Per batch, and why.
    PerBatch(String),
}

/// Width of the first window in t the features are interpolated on (halved where the
/// signal needs it, see [`Precomputed::build_interpolated`]).
pub const INITIAL_T_WINDOW: f64 = 0.5;

/// Features precomputed at Chebyshev nodes of an interval [a, b] in t (see
/// [`precomputed`]): first the logarithmic [0, LOG_SPAN], else a window around t; rebuilt on
/// a window twice as wide, mostly ahead of t, when training moves t out of it (so a
/// drifting t costs a number of builds logarithmic in its range).
/// Should a rebuild fail (memory or degree), the remaining batches are computed per batch,
/// and the log says so.
pub struct Interpolated {
    pre: RefCell<Precomputed>,
    exact: bool,
    budget_mib: usize,
    /// Seconds spent building, and builds made.
    seconds: Cell<f64>,
    builds: Cell<usize>,
    /// Why the per-batch path took over, once it has.
    given_up: RefCell<Option<String>>,
}

impl Interpolated {
    /// Features of `rows` at t, rebuilding B first if t lies past its interval; None once
    /// the per-batch path has taken over.
    fn features(&self, data: &Dataset, layout: &FeatureLayout, rows: &[usize], t: f64) -> Option<FeatureBatch> {
        if self.given_up.borrow().is_some() {
            return None;
        }
        if !self.pre.borrow().covers(t) {
            let (a, b) = self.pre.borrow().interval().unwrap_or((0.0, INITIAL_T_WINDOW));
            let start = Instant::now();
            let at = (t, t > b);
            match Precomputed::build_interpolated(data, layout, self.exact, at, 2.0 * (b - a), self.budget_mib) {
                Ok(pre) => *self.pre.borrow_mut() = pre,
                Err(why) => {
                    *self.given_up.borrow_mut() = Some(format!("then per batch from t = {t:.3}: {why}"));
                    return None;
                }
            }
            self.seconds.set(self.seconds.get() + start.elapsed().as_secs_f64());
            self.builds.set(self.builds.get() + 1);
        }
        Some(self.pre.borrow().features(rows, t))
    }
}

impl FeaturePath {
    /// Choose (and build) the path for a dataset under the parameters.
    pub fn choose(data: &Dataset, layout: &FeatureLayout, p: &Params, exact: bool) -> FeaturePath {
        if let Some(why) = precomputed::unsupported(layout, p.frac_sampled_nb) {
            return FeaturePath::PerBatch(why.to_string());
        }
        let start = Instant::now();
        if layout.local && layout.diffusion {
            let w = INITIAL_T_WINDOW;
            let built = Precomputed::build_logarithmic(data, layout, exact, p.precompute_mib)
                .or_else(|_| Precomputed::build_interpolated(data, layout, exact, (0.0, true), w, p.precompute_mib));
            return match built {
                Ok(pre) => FeaturePath::Interpolated(Interpolated {
                    pre: RefCell::new(pre),
                    exact,
                    budget_mib: p.precompute_mib,
                    seconds: Cell::new(start.elapsed().as_secs_f64()),
                    builds: Cell::new(1),
                    given_up: RefCell::new(None),
                }),
                Err(why) => FeaturePath::PerBatch(why),
            };
        }
        let bytes = precomputed::bytes(data, layout, exact);
        let mib = bytes.div_ceil(1 << 20);
        if mib > p.precompute_mib {
            return FeaturePath::PerBatch(format!(
                "precomputed features would take {mib} MiB, over precompute_mib = {}",
                p.precompute_mib
            ));
        }
        let pre = Precomputed::build(data, layout, exact);
        FeaturePath::Precomputed(pre, start.elapsed().as_secs_f64())
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let mib = |pre: &Precomputed| pre.bytes() as f64 / (1 << 20) as f64;
        match self {
            FeaturePath::Precomputed(pre, s) => {
                format!("features precomputed ({:.0} MiB, built in {s:.2} s)", mib(pre))
            }
            FeaturePath::Interpolated(ip) => {
                let pre = ip.pre.borrow();
                let builds = ip.builds.get();
                let (a, b) = pre.interval().unwrap_or((0.0, 0.0));
                format!(
                    "features precomputed at {} times in t in [{a:.3}, {b:.3}] ({:.0} MiB, built {} in {:.2} s){}",
                    pre.terms(),
                    mib(&pre),
                    if builds == 1 { "once".to_string() } else { format!("{builds} times") },
                    ip.seconds.get(),
                    ip.given_up.borrow().as_ref().map_or(String::new(), |w| format!(", {w}")),
                )
            }
            FeaturePath::PerBatch(why) => format!("features per batch ({why})"),
        }
    }
}

/// The architecture a dataset and parameters call for.
pub fn architecture(data: &Dataset, p: &Params) -> Result<Architecture> {
    let layout = FeatureLayout::new(data, p);
    if p.inner_product_features && layout.vector_size() == 1 && layout.signal_dim != 1 {
        return Err(crate::params::ParamsError {
            field: "inner_product_features",
            value: "true".into(),
            fix: format!(
                "inner products need the signal to be a vector in the frame (S = m, here S = {} and m = {}) \
                 or a scalar; use local_gauges = true or turn inner_product_features off",
                layout.signal_dim, layout.n_dirs
            ),
        }
        .into());
    }
    check_size(&layout, p)?;
    Ok(Architecture::new(layout, p))
}

/// Most trainable parameters (f32) a model may have: 2^28, 1 GiB of weights.
pub const MAX_PARAMETERS: u128 = 1 << 28;

/// Refuse, with the numbers, a network too large to allocate: feature columns grow as
/// S m^order and the layers multiply widths, so schema-valid settings can ask for more
/// memory than any machine has. Counted in u128, so the check itself cannot overflow.
fn check_size(layout: &FeatureLayout, p: &Params) -> Result<()> {
    let signal = (if layout.vector_mode { layout.n_dirs } else { layout.signal_dim }) as u128;
    let dirs = layout.n_dirs as u128;
    let start = usize::from(!layout.include_self);
    let features = (start..=layout.order).try_fold(0u128, |acc, k| {
        dirs.checked_pow(k as u32).and_then(|w| w.checked_mul(signal)).and_then(|w| acc.checked_add(w))
    });
    let widths: Vec<u128> = p.hidden_channels.iter().chain([&p.out_channels]).map(|&w| w as u128).collect();
    let parameters = features.and_then(|f| {
        let mut total = f.checked_mul(dirs)?; // inner products, at most
        let mut width = f + layout.embedding_dim as u128;
        for &w in &widths {
            total = total.checked_add(width.checked_mul(w)?)?.checked_add(w.checked_mul(4)?)?;
            width = w;
        }
        Some(total)
    });
    match parameters {
        Some(n) if n <= MAX_PARAMETERS => Ok(()),
        _ => {
            let (field, value) = if features.is_none_or(|f| f > MAX_PARAMETERS) {
                ("order", p.order.to_string())
            } else {
                ("hidden_channels", format!("{:?} with out_channels = {}", p.hidden_channels, p.out_channels))
            };
            Err(crate::params::ParamsError {
                field,
                value,
                fix: format!(
                    "the network would have {} parameters (at most {MAX_PARAMETERS} fit): {} feature columns \
                     from S = {}, m = {} and order {}; lower the order or the layer widths",
                    parameters.map_or("more than 2^128".to_string(), |n| n.to_string()),
                    features.map_or("more than 2^128".to_string(), |f| f.to_string()),
                    layout.signal_dim,
                    layout.n_dirs,
                    layout.order,
                ),
            }
            .into())
        }
    }
}

fn positions(data: &Dataset, rows: &[usize]) -> Vec<f32> {
    rows.iter().flat_map(|&i| data.anchor.row(i).iter().map(|&v| v as f32).collect::<Vec<_>>()).collect()
}

/// Anchors, one random-walk step from each (inside its connected component), and uniformly
/// random points.
fn triplets(data: &Dataset, anchors: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = data.n_points();
    let adj = &data.adjacency;
    let mut rows = anchors.to_vec();
    for &i in anchors {
        let (lo, hi) = (adj.indptr[i], adj.indptr[i + 1]);
        // An isolated point (no neighbour) is its own positive; a walk never leaves a component.
        rows.push(if lo == hi { i } else { adj.indices[rng.random_range(lo..hi)] as usize });
    }
    for _ in anchors {
        rows.push(rng.random_range(0..n));
    }
    rows
}

/// A fit's view of the data: the dataset, the architecture, where the features come from,
/// and the parameters that shape batches.
struct Batches<'a> {
    data: &'a Dataset,
    arch: &'a Architecture,
    p: &'a ValidParams,
    path: &'a FeaturePath,
    on_device: Option<&'a DeviceFeatures>,
}

impl Batches<'_> {
    /// Features, positions and masked rows of a triplet batch.
    fn prepare(
        &self,
        rows: &[usize],
        rng: &mut ChaCha8Rng,
        t: f64,
        sample: bool,
    ) -> (Option<FeatureBatch>, Option<Vec<f32>>, Vec<usize>) {
        let frac_sampled_nb = self.p.frac_sampled_nb;
        let feats = if self.on_device.is_some() {
            None
        } else if let FeaturePath::Precomputed(pre, _) = self.path {
            Some(pre.features(rows, t))
        } else if let Some(f) = self.interpolated(rows, t) {
            Some(f)
        } else if sample && frac_sampled_nb > 0.0 && frac_sampled_nb < 1.0 {
            let mut s = NeighbourSampler { fraction: frac_sampled_nb, rng };
            Some(features(self.data, &self.arch.layout, rows, t, Some(&mut s)))
        } else {
            Some(features::<ChaCha8Rng>(self.data, &self.arch.layout, rows, t, None))
        };
        let pos = self.arch.include_positions.then(|| positions(self.data, rows));
        let mask: Vec<usize> = rows.iter().enumerate().filter(|(_, i)| self.data.mask[**i]).map(|(r, _)| r).collect();
        (feats, pos, mask)
    }

    /// Features interpolated in t, when that is the path and it still serves.
    fn interpolated(&self, rows: &[usize], t: f64) -> Option<FeatureBatch> {
        match self.path {
            FeaturePath::Interpolated(ip) => ip.features(self.data, &self.arch.layout, rows, t),
            _ => None,
        }
    }

    /// The step's inputs: features prepared on the host, or the rows to contract on the device.
    fn inputs<'b>(&'b self, host: Option<&'b FeatureBatch>, rows: &'b [usize]) -> Inputs<'b> {
        match (host, self.on_device) {
            (Some(f), _) => Inputs::Host(f),
            (None, Some(d)) => Inputs::Device(d, rows),
            (None, None) => unreachable!("prepare computes host features unless they are on the device"),
        }
    }

    /// Mean loss over batches of `anchors`, in evaluation mode, with a fixed random stream
    /// (part 0 for validation, 1 for test).
    fn eval_loss(&self, model: &Model, anchors: &[usize], part: u64) -> f64 {
        if anchors.is_empty() {
            return f64::NAN;
        }
        let mut rng = rng_for(self.p.seed, Stream::Eval, part);
        let t = model.diffusion_time();
        let losses: Vec<f64> = anchors
            .chunks(self.p.batch_size)
            .map(|chunk| {
                let rows = triplets(self.data, chunk, &mut rng);
                let (f, pos, mask) = self.prepare(&rows, &mut rng, t, false);
                model.eval_loss(self.inputs(f.as_ref(), &rows), pos.as_deref(), &mask)
            })
            .collect();
        losses.iter().sum::<f64>() / losses.len() as f64
    }

    /// One epoch of gradient steps over the shuffled training points: the mean batch loss,
    /// or None when cancelled.
    fn train_epoch(
        &self,
        model: &mut Model,
        optimizer: &mut Optimizer,
        train: &[usize],
        epoch: usize,
        observer: &mut dyn Observer,
        cancel: &Cancel,
    ) -> Option<f64> {
        let p = self.p;
        let n_batches = train.len().div_ceil(p.batch_size);
        let mut rng = rng_for(p.seed, Stream::Train, epoch as u64);
        let mut order = train.to_vec();
        order.shuffle(&mut rng);
        let mut total = 0.0;
        let mut done = 0;
        for (b, chunk) in order.chunks(p.batch_size).enumerate() {
            if cancel.is_cancelled() {
                return None;
            }
            let rows = triplets(self.data, chunk, &mut rng);
            let (f, pos, mask) = self.prepare(&rows, &mut rng, model.diffusion_time(), true);
            let dropout_seed = rng_for(p.seed, Stream::Dropout, (epoch * n_batches + b) as u64).random();
            let step = model.train_step(self.inputs(f.as_ref(), &rows), pos.as_deref(), &mask, dropout_seed);
            optimizer.step(&mut model.theta, &step.grad);
            model.clamp_diffusion_time();
            total += step.loss;
            done += 1;
            observer.batch(done, n_batches);
        }
        Some(total / done.max(1) as f64)
    }
}

/// Train a MARBLE network on a dataset. Reference: `net.fit`.
///
/// The observer hears every epoch; `cancel` is polled between batches. With
/// `options.checkpoint_dir`, a checkpoint is written after every epoch, and with
/// `options.resume` training continues from it for `epochs` more epochs.
pub fn fit(
    data: &Dataset,
    p: &ValidParams,
    options: &FitOptions,
    observer: &mut dyn Observer,
    cancel: &Cancel,
) -> Result<Fitted> {
    super::device::check()?;
    let arch = architecture(data, p)?;
    let mut state = initial_state(&arch, p, options)?;
    let mut model = Model {
        arch: arch.clone(),
        theta: std::mem::take(&mut state.theta),
        running: std::mem::take(&mut state.running),
    };
    let path = FeaturePath::choose(data, &arch.layout, p, options.exact_features);
    let on_device = device_features(&path, data, options);
    let batches = Batches { data, arch: &arch, p, path: &path, on_device: on_device.as_ref() };
    let train = data.indices(Split::Train);
    let val = data.indices(Split::Val);
    let first = state.epochs_done;
    let mut cancelled = false;
    for epoch in first..first + p.epochs {
        let start = Instant::now();
        let Some(train_loss) = batches.train_epoch(&mut model, &mut state.optimizer, &train, epoch, observer, cancel)
        else {
            cancelled = true;
            break;
        };
        let report = end_epoch(&batches, &model, &mut state, &val, epoch, train_loss, options, start)?;
        observer.epoch(&report);
    }
    Ok(finish(&batches, model, state, cancelled))
}

/// The state training starts from: the checkpoint to resume, or a freshly initialised model.
fn initial_state(arch: &Architecture, p: &ValidParams, options: &FitOptions) -> Result<Checkpoint> {
    match (&options.checkpoint_dir, options.resume) {
        (Some(dir), true) => {
            let ck = store::read_checkpoint(dir)?;
            if ck.arch != *arch {
                return Err(Error::IncompatibleModel {
                    what: "architecture",
                    model: serde_json::to_string(&ck.arch).unwrap_or_default(),
                    data: serde_json::to_string(&arch).unwrap_or_default(),
                });
            }
            Ok(ck)
        }
        (None, true) => Err(Error::ModelFile {
            path: PathBuf::from("."),
            message: "resuming needs the folder that holds checkpoint.json".into(),
        }),
        _ => {
            let seed = rng_for(p.seed, Stream::Init, 0).random();
            let model = Model::new(arch.clone(), seed);
            Ok(Checkpoint {
                params: (**p).clone(),
                optimizer: Optimizer::new(p.optimizer, p.lr, p.momentum, model.theta.len()),
                scheduler: ReduceLrOnPlateau::default(),
                epochs_done: 0,
                best_val: f64::INFINITY,
                best_epoch: 0,
                best_theta: model.theta.clone(),
                best_running: model.running.clone(),
                theta: model.theta,
                running: model.running,
                arch: arch.clone(),
                losses: Losses::default(),
            })
        }
    }
}

/// Precomputed features moved to the device, when asked for (by default on CUDA builds).
fn device_features(path: &FeaturePath, data: &Dataset, options: &FitOptions) -> Option<DeviceFeatures> {
    match path {
        FeaturePath::Precomputed(pre, _) if options.on_device.unwrap_or(cfg!(feature = "cuda")) => {
            Some(DeviceFeatures::new(pre, data.n_points()))
        }
        _ => None,
    }
}

/// After an epoch's steps: refuse a diverged loss, measure the validation loss, step the
/// learning-rate scheduler, keep the best model, record the losses and write the checkpoint.
#[allow(clippy::too_many_arguments)]
fn end_epoch(
    batches: &Batches,
    model: &Model,
    state: &mut Checkpoint,
    val: &[usize],
    epoch: usize,
    train_loss: f64,
    options: &FitOptions,
    start: Instant,
) -> Result<EpochReport> {
    if !train_loss.is_finite() {
        return Err(Error::argument(
            "lr",
            format!(
                "training diverged in epoch {} (loss {train_loss}) with lr = {}; lower lr (default 0.01)",
                epoch + 1,
                batches.p.lr
            ),
        ));
    }
    let mut val_loss = batches.eval_loss(model, val, 0);
    if val_loss.is_nan() {
        val_loss = train_loss; // no validation points: select on the training loss
    }
    state.optimizer.lr = state.scheduler.step(train_loss, state.optimizer.lr);
    let best = val_loss < state.best_val;
    if best {
        state.best_val = val_loss;
        state.best_epoch = epoch;
        state.best_theta = model.theta.clone();
        state.best_running = model.running.clone();
    }
    state.losses.train_loss.push(train_loss);
    state.losses.val_loss.push(val_loss);
    state.epochs_done = epoch + 1;
    if let Some(dir) = &options.checkpoint_dir {
        state.theta = model.theta.clone();
        state.running = model.running.clone();
        store::write_checkpoint(dir, state)?;
    }
    Ok(EpochReport {
        epoch,
        train_loss,
        val_loss,
        lr: state.optimizer.lr,
        diffusion_time: model.diffusion_time(),
        best,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Restore the best model (if any epoch finished) and, unless cancelled, measure its test loss.
fn finish(batches: &Batches, mut model: Model, mut state: Checkpoint, cancelled: bool) -> Fitted {
    if state.epochs_done > 0 && state.best_val.is_finite() {
        model.theta = state.best_theta.clone();
        model.running = state.best_running.clone();
    }
    if !cancelled {
        let test_loss = batches.eval_loss(&model, &batches.data.indices(Split::Test), 1);
        if test_loss.is_finite() {
            state.losses.test_loss = vec![test_loss];
        }
    }
    Fitted {
        model,
        losses: state.losses,
        epochs: state.epochs_done,
        best_epoch: state.best_epoch,
        cancelled,
        feature_path: format!(
            "{}{}",
            batches.path.describe(),
            if batches.on_device.is_some() { ", contracted on the device" } else { "" }
        ),
    }
}

impl Model {
    /// Check that a dataset has the dimensions and frames the model was trained on.
    pub fn check_compatible(&self, data: &Dataset) -> Result<()> {
        let l = &self.arch.layout;
        let checks: [(&'static str, String, String); 4] = [
            ("embedding dimension", l.embedding_dim.to_string(), data.embedding_dim().to_string()),
            ("signal dimension", l.signal_dim.to_string(), data.signal_dim().to_string()),
            ("local_gauges", l.local.to_string(), data.local_gauges().to_string()),
            ("manifold dimension", l.n_dirs.to_string(), data.manifold_dim().to_string()),
        ];
        for (what, model, d) in checks {
            if model != d {
                return Err(Error::IncompatibleModel { what, model, data: d });
            }
        }
        if l.diffusion && data.diffusion.is_none() {
            return Err(Error::IncompatibleModel { what: "diffusion", model: "true".into(), data: "false".into() });
        }
        Ok(())
    }

    /// Embed every point of a dataset (its own or another built the same way) in evaluation
    /// mode, with full neighbourhoods. Reference: `net.transform`. Returns n x out_channels.
    pub fn transform(&self, data: &Dataset) -> Result<Array2<f32>> {
        super::device::check()?;
        self.check_compatible(data)?;
        let feats = all_features(data, &self.arch.layout, self.diffusion_time());
        let n = data.n_points();
        let all: Vec<usize> = (0..n).collect();
        let pos = self.arch.include_positions.then(|| positions(data, &all));
        let out = self.embed(&feats, pos.as_deref());
        Ok(Array2::from_shape_vec((n, self.arch.out), out).expect("n x out"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::features;

    /// When training moves t out of the window, B is rebuilt on a window around t and
    /// serves the per-batch features there; a rebuild that fails hands over to the
    /// per-batch path, and the log line says so.
    #[test]
    fn interpolated_features_follow_t_out_of_their_window() {
        let conds = crate::examples::surface_fields(crate::examples::Surface::ParaboloidR3, 100, 1);
        let p = Params { k: 10, local_gauges: true, ..Params::default() };
        let data = Dataset::build(&conds, &p.clone().check().unwrap(), &crate::progress::Silent).unwrap();
        let layout = FeatureLayout::new(&data, &p);
        let path = |budget_mib| {
            let pre = Precomputed::build_interpolated(&data, &layout, true, (0.0, true), 0.1, 4096).unwrap();
            FeaturePath::Interpolated(Interpolated {
                pre: RefCell::new(pre),
                exact: true,
                budget_mib,
                seconds: Cell::new(0.0),
                builds: Cell::new(1),
                given_up: RefCell::new(None),
            })
        };
        let rows: Vec<usize> = (0..50).map(|i| i * 7 % data.n_points()).collect();
        let following = path(4096);
        let FeaturePath::Interpolated(ip) = &following else { unreachable!() };
        // Up out of [0, 0.1] to [0.275, 0.475], within it, then down to [0, 0.4].
        for (t, builds) in [(0.05, 1), (0.3, 2), (0.4, 2), (0.1, 3)] {
            let got = ip.features(&data, &layout, &rows, t).unwrap();
            let want = features::<ChaCha8Rng>(&data, &layout, &rows, t, None);
            let scale = want.values.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
            let err = got.values.iter().zip(&want.values).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
            assert!(err <= 1e-8 * scale, "t = {t}: {err:e}");
            assert!(ip.pre.borrow().covers(t));
            assert_eq!(ip.builds.get(), builds, "t = {t}: {}", following.describe());
        }
        assert!(following.describe().contains("[0.000, 0.400]"), "{}", following.describe());
        assert!(following.describe().contains("built 3 times"), "{}", following.describe());
        let over = path(0);
        let FeaturePath::Interpolated(ip) = &over else { unreachable!() };
        assert!(ip.features(&data, &layout, &rows, 0.05).is_some());
        assert!(ip.features(&data, &layout, &rows, 1.0).is_none());
        assert!(ip.features(&data, &layout, &rows, 0.05).is_none(), "stays per batch once it has taken over");
        let line = over.describe();
        assert!(line.contains("then per batch from t = 1.000") && line.contains("over precompute_mib = 0"), "{line}");
    }
}
