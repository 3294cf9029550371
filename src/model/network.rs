//! Stage 2, second half: the network on top of the features, on dfdx.
//!
//! Reference: `net` (`InnerProductFeatures`, the PyG `MLP` encoder, `emb_norm`) and
//! `loss_fun`. Parameters live in one flat f32 vector (so optimisers, checkpoints and the
//! diffusion time t are handled uniformly); each step copies them into dfdx tensors, runs
//! the forward pass on a gradient tape, and reads the gradients back, including the
//! gradient with respect to the input features, from which dL/dt follows.

use dfdx::prelude::*;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::device::{self, Device};
use crate::model::features::{FeatureBatch, FeatureLayout};
use crate::params::Params;

type T2<Tp> = Tensor<(usize, usize), f32, Device, Tp>;

/// Everything that fixes the shapes of the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Feature layout of the dataset the model was made for.
    pub layout: FeatureLayout,
    /// Embedding-agnostic inner-product features.
    pub inner_products: bool,
    /// Anchor positions appended to the features.
    pub include_positions: bool,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Embedding dimension.
    pub out: usize,
    /// BatchNorm in hidden layers.
    pub batch_norm: bool,
    /// Bias terms.
    pub bias: bool,
    /// Dropout probability in hidden layers.
    pub dropout: f64,
    /// Unit-norm embeddings.
    pub emb_norm: bool,
}

impl Architecture {
    /// The architecture for a feature layout under the network parameters.
    pub fn new(layout: FeatureLayout, p: &Params) -> Self {
        Architecture {
            layout,
            inner_products: p.inner_product_features,
            include_positions: p.include_positions,
            hidden: p.hidden_channels.clone(),
            out: p.out_channels,
            batch_norm: p.batch_norm,
            bias: p.bias,
            dropout: p.dropout,
            emb_norm: p.emb_norm,
        }
    }

    /// Number of vectors the inner products are taken between.
    pub fn n_vectors(&self) -> usize {
        self.layout.width() / self.layout.vector_size()
    }

    /// Width of the features entering the MLP (before positions).
    pub fn feature_width(&self) -> usize {
        if self.inner_products { self.n_vectors() } else { self.layout.width() }
    }

    /// Where each parameter tensor lives in the flat vector.
    pub fn slots(&self) -> Slots {
        let mut at = 0;
        let mut take = |rows: usize, cols: usize| {
            let s = Slot { offset: at, rows, cols };
            at += rows * cols;
            s
        };
        let vs = self.layout.vector_size();
        let ip = (self.inner_products && vs > 1).then(|| take(self.layout.width(), vs));
        let mut layers = Vec::new();
        let mut width = self.feature_width();
        let sizes: Vec<usize> = self.hidden.iter().copied().chain([self.out]).collect();
        for (l, &out) in sizes.iter().enumerate() {
            let hidden = l + 1 < sizes.len();
            let w = take(width, out);
            let w_pos = (l == 0 && self.include_positions).then(|| take(self.layout.embedding_dim, out));
            let b = self.bias.then(|| take(1, out));
            let (gamma, beta) =
                if hidden && self.batch_norm { (Some(take(1, out)), Some(take(1, out))) } else { (None, None) };
            layers.push(LayerSlots { w, w_pos, b, gamma, beta, hidden });
            width = out;
        }
        let t = self.layout.diffusion.then(|| take(1, 1));
        Slots { ip, layers, t, total: at }
    }
}

/// A parameter tensor's place in the flat vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// First element.
    pub offset: usize,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

impl Slot {
    fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.rows * self.cols
    }
}

/// Slots of one dense layer.
#[derive(Clone, Debug)]
pub struct LayerSlots {
    /// Weight (in x out).
    pub w: Slot,
    /// Weight of the appended positions (D x out), first layer only.
    pub w_pos: Option<Slot>,
    /// Bias (1 x out).
    pub b: Option<Slot>,
    /// BatchNorm scale (1 x out).
    pub gamma: Option<Slot>,
    /// BatchNorm shift (1 x out).
    pub beta: Option<Slot>,
    /// Hidden layer (BatchNorm, ReLU, dropout follow) or the plain last layer.
    pub hidden: bool,
}

/// All slots.
#[derive(Clone, Debug)]
pub struct Slots {
    /// Inner-product mixing matrices O_j stacked (width x m), O_j^T in rows j m .. (j+1) m.
    pub ip: Option<Slot>,
    /// Dense layers.
    pub layers: Vec<LayerSlots>,
    /// Diffusion time t (1 x 1).
    pub t: Option<Slot>,
    /// Length of the flat vector.
    pub total: usize,
}

/// BatchNorm running statistics of one hidden layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunningStats {
    /// Running mean.
    pub mean: Vec<f32>,
    /// Running (unbiased) variance.
    pub var: Vec<f32>,
}

/// A MARBLE network: architecture, flat parameters and BatchNorm running statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Shapes.
    pub arch: Architecture,
    /// Every trainable parameter, flat (see [`Architecture::slots`]).
    pub theta: Vec<f32>,
    /// Running statistics per hidden layer (empty without BatchNorm).
    pub running: Vec<RunningStats>,
}

/// Precomputed feature coefficients held on the device, so a step moves nothing to the
/// device but row indices: features = sum_r B[i, f, r] exp(-t theta[row(i, f), r]), as
/// dfdx operations with t on the tape.
pub struct DeviceFeatures {
    /// B, (n width) x terms.
    coef: T2<NoneTape>,
    /// Rates theta, (conditions x channels) x terms.
    rates: T2<NoneTape>,
    /// Rate-table row of every coefficient.
    rate_rows: crate::model::precomputed::RateRows,
    width: usize,
    terms: usize,
}

impl DeviceFeatures {
    /// Upload precomputed coefficients (as f32) to this thread's device.
    pub fn new(pre: &crate::model::precomputed::Precomputed, n: usize) -> Self {
        let dev = device::get();
        let (width, terms) = (pre.width(), pre.terms());
        let coef = dev.tensor_from_vec(pre.coefficients_f32().into_owned(), (n * width, terms));
        let rates_f32: Vec<f32> = pre.rates().iter().map(|&r| r as f32).collect();
        let rates = dev.tensor_from_vec(rates_f32, (pre.rates().len() / terms, terms));
        DeviceFeatures { coef, rates, rate_rows: pre.rate_rows().clone(), width, terms }
    }

    /// Features of `rows` at the time held in `t` (1 x 1), on t's tape.
    fn at<Tp: Tape<f32, Device> + Merge<NoneTape>>(&self, rows: &[usize], t: T2<Tp>) -> T2<Tp> {
        let dev = device::get();
        let (k, terms, width) = (self.rates.shape().0, self.terms, self.width);
        let entries: Vec<usize> = rows.iter().flat_map(|&i| (0..width).map(move |f| i * width + f)).collect();
        let rate_rows: Vec<usize> =
            rows.iter().flat_map(|&i| (0..width).map(move |f| self.rate_rows.of(i, f))).collect();
        let m = entries.len();
        let idx = dev.tensor_from_vec(entries, (m,));
        let ridx = dev.tensor_from_vec(rate_rows, (m,));
        let t = t.reshape_like(&()).broadcast_like::<(usize, usize), _>(&(k, terms));
        let decay = (t * self.rates.clone()).negate().exp();
        let b = self.coef.clone().gather(idx);
        (decay.gather(ridx) * b).sum::<(usize,), Axis<1>>().reshape_like(&(rows.len(), width))
    }
}

const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f32 = 0.1;

/// What one training step returns.
pub struct StepResult {
    /// Loss of the batch.
    pub loss: f64,
    /// Gradient with respect to `theta`.
    pub grad: Vec<f32>,
}

impl Model {
    /// A freshly initialised model, as PyTorch initialises the reference: linear weights and
    /// biases uniform in +-1/sqrt(fan_in), BatchNorm scale 1 and shift 0, inner-product
    /// matrices the identity, diffusion time 0.
    pub fn new(arch: Architecture, seed: u64) -> Self {
        let slots = arch.slots();
        let mut theta = vec![0.0f32; slots.total];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        if let Some(s) = slots.ip {
            let m = s.cols;
            for j in 0..s.rows {
                theta[s.offset + j * m + j % m] = 1.0;
            }
        }
        let mut running = Vec::new();
        for l in &slots.layers {
            let fan_in = l.w.rows + l.w_pos.map_or(0, |s| s.rows);
            let bound = 1.0 / (fan_in as f32).sqrt();
            for s in [Some(l.w), l.w_pos, l.b].into_iter().flatten() {
                for v in &mut theta[s.range()] {
                    *v = rng.random_range(-bound..bound);
                }
            }
            if let Some(g) = l.gamma {
                theta[g.range()].iter_mut().for_each(|v| *v = 1.0);
                running.push(RunningStats { mean: vec![0.0; g.cols], var: vec![1.0; g.cols] });
            }
        }
        Model { arch, theta, running }
    }

    /// The learned diffusion time t (0 without diffusion).
    pub fn diffusion_time(&self) -> f64 {
        self.arch.slots().t.map_or(0.0, |s| self.theta[s.offset] as f64)
    }

    /// Keep t >= 0 (the reference clamps it after every step).
    pub fn clamp_diffusion_time(&mut self) {
        if let Some(s) = self.arch.slots().t {
            self.theta[s.offset] = self.theta[s.offset].max(0.0);
        }
    }

    fn tensors(&self, dev: &Device, slots: &Slots) -> Vec<(Slot, T2<NoneTape>)> {
        let mut all: Vec<Slot> = slots.ip.into_iter().collect();
        for l in &slots.layers {
            all.extend([Some(l.w), l.w_pos, l.b, l.gamma, l.beta].into_iter().flatten());
        }
        all.into_iter().map(|s| (s, dev.tensor_from_vec(self.theta[s.range()].to_vec(), (s.rows, s.cols)))).collect()
    }

    /// Forward pass from features (rows x width) and positions (rows x D) to embeddings.
    /// In training mode BatchNorm uses batch statistics and updates `running`.
    fn forward<Tp: Tape<f32, Device> + Merge<NoneTape>>(
        &self,
        x: T2<Tp>,
        pos: Option<T2<NoneTape>>,
        params: &[(Slot, T2<NoneTape>)],
        slots: &Slots,
        train: Option<(&mut Vec<RunningStats>, &mut rand_chacha::ChaCha8Rng)>,
    ) -> T2<Tp> {
        let get = |s: Slot| &params.iter().find(|(p, _)| *p == s).expect("every slot has a tensor").1;
        let mut h = self.input_layer(x, slots.ip.map(get));
        let (mut stats, mut dropout_rng) = train.unzip();
        let mut bn_index = 0;
        for l in &slots.layers {
            let mut z = linear(h, pos.as_ref(), l, get);
            if !l.hidden {
                h = z;
                break;
            }
            if let (Some(g), Some(be)) = (l.gamma, l.beta) {
                let statistics = match stats.as_deref_mut() {
                    Some(running) => Statistics::Batch(&mut running[bn_index]),
                    None => Statistics::Running(&self.running[bn_index]),
                };
                z = batch_norm(z, get(g), get(be), statistics);
                bn_index += 1;
            }
            z = z.relu();
            if let Some(rng) = dropout_rng.as_deref_mut().filter(|_| self.arch.dropout > 0.0) {
                z = dropout(z, self.arch.dropout, rng);
            }
            h = z;
        }
        if self.arch.emb_norm {
            let (rows, out) = (h.shape().0, self.arch.out);
            let norm = (h.retaped::<Tp>().square().sum::<(usize,), Axis<1>>() + 1e-12).sqrt();
            h = h / norm.broadcast_like::<(usize, usize), Axis<1>>(&(rows, out));
        }
        h
    }

    /// What the first layer sees: the features, the tanh of their inner products with the
    /// learned mixings `ip` (vector signals), or their magnitudes (scalar signals), as in
    /// the reference.
    fn input_layer<Tp: Tape<f32, Device> + Merge<NoneTape>>(&self, x: T2<Tp>, ip: Option<&T2<NoneTape>>) -> T2<Tp> {
        if !self.arch.inner_products {
            return x;
        }
        let Some(ip) = ip else {
            return x.abs(); // scalar signals: the magnitude of every channel, as in the reference
        };
        let rows = x.shape().0;
        let (nv, vs) = (self.arch.n_vectors(), ip.shape().1);
        let w = x.retaped::<Tp>().matmul(ip.retaped::<Tp>()); // sum_j O_j v_j, rows x m
        let v3 = x.reshape_like(&(rows, nv, vs));
        let w3 = w.reshape_like(&(rows, vs, 1usize));
        v3.matmul(w3).reshape_like(&(rows, nv)).tanh()
    }

    fn positions_tensor(dev: &Device, pos: Option<&[f32]>, rows: usize, dim: usize) -> Option<T2<NoneTape>> {
        pos.map(|p| dev.tensor_from_vec(p.to_vec(), (rows, dim)))
    }

    /// Embeddings of feature rows in evaluation mode (running statistics, no dropout).
    pub fn embed(&self, feats: &FeatureBatch, pos: Option<&[f32]>) -> Vec<f32> {
        let dev = device::get();
        let slots = self.arch.slots();
        let params = self.tensors(&dev, &slots);
        let pos = Self::positions_tensor(&dev, pos, feats.rows, self.arch.layout.embedding_dim);
        self.forward(host_tensor(&dev, feats), pos, &params, &slots, None).as_vec()
    }

    /// Contrastive loss of a batch laid out as [anchors; positives; negatives] (3 b rows),
    /// in evaluation mode.
    pub fn eval_loss<'a>(&self, inputs: impl Into<Inputs<'a>>, pos: Option<&[f32]>, mask_rows: &[usize]) -> f64 {
        let inputs = inputs.into();
        let dev = device::get();
        let slots = self.arch.slots();
        let params = self.tensors(&dev, &slots);
        let x = match inputs {
            Inputs::Host(f) => host_tensor(&dev, f),
            Inputs::Device(d, rows) => d.at(rows, self.t_tensor(&dev, &slots)),
        };
        let pos = Self::positions_tensor(&dev, pos, inputs.rows(), self.arch.layout.embedding_dim);
        let z = self.forward(x, pos, &params, &slots, None);
        contrastive_loss(z, mask_rows).array() as f64
    }

    /// One training step: loss and gradient of every parameter. Updates BatchNorm running
    /// statistics. dL/dt comes from the tape for features contracted on the device, and by
    /// the chain rule through the features' t-derivative for features from the host.
    pub fn train_step<'a>(
        &mut self,
        inputs: impl Into<Inputs<'a>>,
        pos: Option<&[f32]>,
        mask_rows: &[usize],
        dropout_seed: u64,
    ) -> StepResult {
        let inputs = inputs.into();
        let dev = device::get();
        let slots = self.arch.slots();
        let params = self.tensors(&dev, &slots);
        // The tensor traced into the step: the features, or t.
        let leaf = match inputs {
            Inputs::Host(f) => host_tensor(&dev, f),
            Inputs::Device(..) => self.t_tensor(&dev, &slots),
        };
        let mut grads: Gradients<f32, Device> = Gradients::leaky();
        for t in params.iter().map(|(_, t)| t).chain([&leaf]) {
            grads.try_alloc_for(t).expect("gradient allocation");
        }
        let x = match inputs {
            Inputs::Host(_) => leaf.trace(grads),
            Inputs::Device(d, rows) => d.at(rows, leaf.trace(grads)),
        };
        let pos = Self::positions_tensor(&dev, pos, inputs.rows(), self.arch.layout.embedding_dim);
        let mut dropout_rng = rand_chacha::ChaCha8Rng::seed_from_u64(dropout_seed);
        let mut running = std::mem::take(&mut self.running);
        let z = self.forward(x, pos, &params, &slots, Some((&mut running, &mut dropout_rng)));
        self.running = running;
        let loss = contrastive_loss(z, mask_rows);
        let value = loss.array() as f64;
        let grads = loss.backward();
        let mut grad = vec![0.0f32; slots.total];
        for (s, t) in &params {
            grad[s.range()].copy_from_slice(&grads.get(t).as_vec());
        }
        if let Some(ts) = slots.t {
            let dleaf = grads.get(&leaf).as_vec();
            grad[ts.offset] = match inputs {
                Inputs::Host(f) => dleaf.iter().zip(&f.dt).map(|(g, d)| *g as f64 * d).sum::<f64>() as f32,
                Inputs::Device(..) => dleaf[0],
            };
        }
        StepResult { loss: value, grad }
    }

    fn t_tensor(&self, dev: &Device, slots: &Slots) -> T2<NoneTape> {
        let t = slots.t.map_or(0.0, |s| self.theta[s.offset]);
        dev.tensor_from_vec(vec![t], (1, 1))
    }
}

/// The features of a batch for a step: computed on the host (with their t-derivatives), or
/// contracted on the device from precomputed coefficients for the given rows.
#[derive(Clone, Copy)]
pub enum Inputs<'a> {
    /// Features from the host.
    Host(&'a FeatureBatch),
    /// Rows of coefficients held on the device.
    Device(&'a DeviceFeatures, &'a [usize]),
}

impl Inputs<'_> {
    fn rows(&self) -> usize {
        match self {
            Inputs::Host(f) => f.rows,
            Inputs::Device(_, rows) => rows.len(),
        }
    }
}

impl<'a> From<&'a FeatureBatch> for Inputs<'a> {
    fn from(f: &'a FeatureBatch) -> Self {
        Inputs::Host(f)
    }
}

fn host_tensor(dev: &Device, f: &FeatureBatch) -> T2<NoneTape> {
    dev.tensor_from_vec(f.values.iter().map(|&v| v as f32).collect(), (f.rows, f.width))
}

/// -mean log sigmoid(z . z_pos) - mean log sigmoid(-z . z_neg), plus
/// sigmoid(mean_masked |z_i - mean_masked z|) - 1/2 when masked rows are present.
/// Reference: `loss_fun`, which sums the distances instead of averaging them: with more
/// than a handful of masked points in a batch that sum saturates the sigmoid and its
/// gradient vanishes, so masked points were not pulled together in practice.
fn contrastive_loss<Tp: Tape<f32, Device> + Merge<NoneTape>>(
    z: T2<Tp>,
    mask_rows: &[usize],
) -> Tensor<(), f32, Device, Tp> {
    let (rows, out) = *z.shape();
    let b = rows / 3;
    let dev = z.device().clone();
    let mask_term = (!mask_rows.is_empty()).then(|| {
        let km = mask_rows.len();
        let idx = dev.tensor_from_vec(mask_rows.to_vec(), (km,));
        let zm: T2<Tp> = z.retaped::<Tp>().gather(idx);
        let mean = zm.retaped::<Tp>().mean::<(usize,), Axis<0>>().broadcast_like::<(usize, usize), Axis<0>>(&(km, out));
        let spread = ((zm - mean).square().sum::<(usize,), Axis<1>>() + 1e-12).sqrt().mean::<(), _>();
        spread.sigmoid() - 0.5
    });
    let anchors = z.retaped::<Tp>().slice((0..b, ..));
    let positives = z.retaped::<Tp>().slice((b..2 * b, ..));
    let negatives = z.slice((2 * b..3 * b, ..));
    let pos = (anchors.retaped::<Tp>() * positives).sum::<(usize,), Axis<1>>();
    let neg = (anchors * negatives).sum::<(usize,), Axis<1>>();
    let ones = dev.ones_like(&(b,));
    let zeros = dev.zeros_like(&(b,));
    let loss = pos.bce_with_logits(ones).mean() + neg.bce_with_logits(zeros).mean();
    match mask_term {
        Some(m) => loss + m,
        None => loss,
    }
}

/// A dense layer: h W (+ positions W_pos) (+ bias).
fn linear<'a, Tp: Tape<f32, Device> + Merge<NoneTape>>(
    h: T2<Tp>,
    pos: Option<&T2<NoneTape>>,
    l: &LayerSlots,
    get: impl Fn(Slot) -> &'a T2<NoneTape>,
) -> T2<Tp> {
    let (rows, out) = (h.shape().0, l.w.cols);
    let mut z = h.matmul(get(l.w).retaped::<Tp>());
    if let (Some(wp), Some(p)) = (l.w_pos, pos) {
        z = z + p.retaped::<Tp>().matmul(get(wp).retaped::<Tp>());
    }
    if let Some(b) = l.b {
        z = z + get(b).retaped::<Tp>().reshape_like(&(out,)).broadcast_like::<(usize, usize), Axis<0>>(&(rows, out));
    }
    z
}

/// The statistics BatchNorm normalises by.
enum Statistics<'a> {
    /// The batch's, in training, updating the layer's running statistics.
    Batch(&'a mut RunningStats),
    /// The layer's running statistics, in evaluation.
    Running(&'a RunningStats),
}

/// BatchNorm, then the learned scale gamma and shift beta.
fn batch_norm<Tp: Tape<f32, Device> + Merge<NoneTape>>(
    z: T2<Tp>,
    gamma: &T2<NoneTape>,
    beta: &T2<NoneTape>,
    statistics: Statistics,
) -> T2<Tp> {
    let (rows, out) = *z.shape();
    let gamma = gamma.retaped::<Tp>().reshape_like(&(out,));
    let beta = beta.retaped::<Tp>().reshape_like(&(out,));
    match statistics {
        Statistics::Batch(r) => {
            let n = rows as f32;
            let mean = z.retaped::<Tp>().mean::<(usize,), Axis<0>>();
            let mean_values = mean.as_vec();
            let centered = z - mean.broadcast_like::<(usize, usize), Axis<0>>(&(rows, out));
            let var = centered.retaped::<Tp>().square().mean::<(usize,), Axis<0>>();
            for (k, (mv, vv)) in mean_values.iter().zip(var.as_vec()).enumerate() {
                r.mean[k] = (1.0 - BN_MOMENTUM) * r.mean[k] + BN_MOMENTUM * mv;
                let unbiased = if n > 1.0 { vv * n / (n - 1.0) } else { vv };
                r.var[k] = (1.0 - BN_MOMENTUM) * r.var[k] + BN_MOMENTUM * unbiased;
            }
            let std = (var + BN_EPS as f32).sqrt();
            let scale = (gamma / std).broadcast_like::<(usize, usize), Axis<0>>(&(rows, out));
            centered * scale + beta.broadcast_like::<(usize, usize), Axis<0>>(&(rows, out))
        }
        Statistics::Running(r) => {
            let dev = z.device().clone();
            let mean = dev.tensor_from_vec(r.mean.clone(), (out,));
            let inv: Vec<f32> = r.var.iter().map(|v| 1.0 / (v + BN_EPS as f32).sqrt()).collect();
            let inv = dev.tensor_from_vec(inv, (out,));
            let scale = (gamma * inv).broadcast_like::<(usize, usize), Axis<0>>(&(rows, out));
            (z - mean.broadcast_like::<(usize, usize), Axis<0>>(&(rows, out))) * scale
                + beta.broadcast_like::<(usize, usize), Axis<0>>(&(rows, out))
        }
    }
}

/// Inverted dropout with probability `p`, the mask drawn from the step's seeded stream.
fn dropout<Tp: Tape<f32, Device> + Merge<NoneTape>>(z: T2<Tp>, p: f64, rng: &mut rand_chacha::ChaCha8Rng) -> T2<Tp> {
    let (rows, out) = *z.shape();
    let keep = 1.0 - p as f32;
    let mask: Vec<f32> = (0..rows * out).map(|_| if rng.random::<f32>() < keep { 1.0 / keep } else { 0.0 }).collect();
    let mask = z.device().tensor_from_vec(mask, (rows, out));
    z * mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::{FeatureBatch, FeatureLayout};

    fn layout(width_signal: usize, order: usize, diffusion: bool) -> FeatureLayout {
        FeatureLayout {
            embedding_dim: 2,
            signal_dim: width_signal,
            n_dirs: 2,
            local: false,
            vector_mode: true,
            order,
            include_self: true,
            diffusion,
            vec_norm: false,
        }
    }

    fn batch(rows: usize, width: usize, seed: u64) -> FeatureBatch {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        FeatureBatch {
            rows,
            width,
            values: (0..rows * width).map(|_| rng.random_range(-1.0..1.0)).collect(),
            dt: (0..rows * width).map(|_| rng.random_range(-1.0..1.0)).collect(),
        }
    }

    /// Gradients from the tape agree with central finite differences of the training loss,
    /// for every architecture switch (BatchNorm, bias, inner products, positions,
    /// emb_norm, masked rows, dropout with its mask fixed by the step's seed), and dL/dt
    /// follows the chain rule through dF/dt.
    #[test]
    #[allow(clippy::needless_range_loop)] // k indexes theta, which is mutated in the loop
    fn gradients_match_finite_differences() {
        for (ip, bn, pos, norm, mask, dropout) in [
            (false, true, false, false, false, 0.0),
            (true, true, false, false, false, 0.0),
            (false, true, false, false, true, 0.0),
            (false, false, true, true, false, 0.0),
            (true, false, true, false, true, 0.0),
            (false, true, false, false, false, 0.3),
        ] {
            let l = layout(2, 1, true);
            let arch = Architecture {
                layout: l.clone(),
                inner_products: ip,
                include_positions: pos,
                hidden: vec![5, 4],
                out: 3,
                batch_norm: bn,
                bias: true,
                dropout,
                emb_norm: norm,
            };
            let mut model = Model::new(arch, 3);
            let f = batch(12, l.width(), 1);
            let positions: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin()).collect();
            let p = pos.then_some(positions.as_slice());
            let mask_rows: Vec<usize> = if mask { vec![1, 5, 9] } else { vec![] };
            let g = model.train_step(&f, p, &mask_rows, 0).grad;
            let slots = model.arch.slots();
            // Small enough that no ReLU flips between the two evaluations.
            let h = 5e-4f32;
            for k in 0..model.theta.len() {
                if Some(k) == slots.t.map(|s| s.offset) {
                    continue;
                }
                let orig = model.theta[k];
                model.theta[k] = orig + h;
                let up = model.train_step(&f, p, &mask_rows, 0).loss;
                model.theta[k] = orig - h;
                let down = model.train_step(&f, p, &mask_rows, 0).loss;
                model.theta[k] = orig;
                let fd = (up - down) / (2.0 * h as f64);
                assert!(
                    (fd - g[k] as f64).abs() < 1e-3 + 2e-2 * fd.abs(),
                    "{ip} {bn} {pos} {norm} {mask}: param {k}: tape {} vs fd {fd}",
                    g[k]
                );
            }
            // dL/dt: moving the features along dF/dt.
            let eps = 1e-3;
            let shifted = |s: f64| FeatureBatch {
                values: f.values.iter().zip(&f.dt).map(|(v, d)| v + s * d).collect(),
                ..f.clone()
            };
            let up = model.train_step(&shifted(eps), p, &mask_rows, 0).loss;
            let down = model.train_step(&shifted(-eps), p, &mask_rows, 0).loss;
            let fd = (up - down) / (2.0 * eps);
            let gt = g[slots.t.unwrap().offset] as f64;
            assert!((fd - gt).abs() < 2e-3 + 2e-2 * fd.abs(), "dL/dt: tape {gt} vs fd {fd}");
            if dropout > 0.0 {
                // The mask is drawn from the step's seed: the same seed repeats the step
                // exactly, another seed drops other units.
                let again = model.train_step(&f, p, &mask_rows, 0);
                assert_eq!((again.loss, &again.grad), (model.train_step(&f, p, &mask_rows, 0).loss, &g));
                assert_ne!(model.train_step(&f, p, &mask_rows, 1).loss, again.loss);
            }
        }
    }

    /// Inverted dropout keeps the expected activation: averaged over many seeds, the
    /// embedding of a batch under dropout approaches the one without it.
    #[test]
    fn dropout_masks_are_scaled_to_keep_the_mean() {
        let l = layout(2, 0, false);
        let arch = |dropout| Architecture {
            layout: l.clone(),
            inner_products: false,
            include_positions: false,
            hidden: vec![64],
            out: 2,
            batch_norm: false,
            bias: false,
            dropout,
            emb_norm: false,
        };
        let f = batch(4, l.width(), 2);
        let dev = device::get();
        let x = || dev.tensor_from_vec(f.values.iter().map(|&v| v as f32).collect(), (f.rows, f.width));
        let plain = Model::new(arch(0.0), 5);
        let slots = plain.arch.slots();
        let params = plain.tensors(&dev, &slots);
        let want = plain.forward(x(), None, &params, &slots, None).as_vec();
        let dropped = Model { arch: arch(0.5), ..plain.clone() };
        let runs = 4000;
        let mut mean = vec![0.0f64; want.len()];
        for seed in 0..runs {
            let mut running = Vec::new();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let z = dropped.forward(x(), None, &params, &slots, Some((&mut running, &mut rng))).as_vec();
            mean.iter_mut().zip(&z).for_each(|(m, v)| *m += *v as f64 / runs as f64);
        }
        let scale = want.iter().map(|v| v.abs() as f64).fold(0.0, f64::max);
        for (m, w) in mean.iter().zip(&want) {
            assert!((m - *w as f64).abs() < 0.05 * scale, "mean under dropout {m} vs {w}");
        }
    }
}
