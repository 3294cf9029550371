//! Optimisers and the learning-rate schedule, on flat parameter vectors.
//!
//! Reference: PyTorch's `SGD` (momentum, dampening 0), `Adam` (betas 0.9, 0.999, eps 1e-8)
//! and `ReduceLROnPlateau` (mode min, factor 0.1, patience 10, relative threshold 1e-4),
//! as `fit` uses them. Their state is plain data, so checkpoints can store it.

use serde::{Deserialize, Serialize};

use crate::params::Optimizer as Kind;

/// SGD with momentum or Adam, over a flat parameter vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Optimizer {
    /// Which rule.
    pub kind: Kind,
    /// Current learning rate.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Steps taken.
    pub steps: u64,
    /// Momentum buffer (SGD) or first moment (Adam).
    pub m: Vec<f32>,
    /// Second moment (Adam).
    pub v: Vec<f32>,
}

impl Optimizer {
    /// A fresh optimiser for `n` parameters.
    pub fn new(kind: Kind, lr: f64, momentum: f64, n: usize) -> Self {
        let v = if kind == Kind::Adam { vec![0.0; n] } else { Vec::new() };
        Optimizer { kind, lr, momentum, steps: 0, m: vec![0.0; n], v }
    }

    /// One update of `theta` by `grad`.
    pub fn step(&mut self, theta: &mut [f32], grad: &[f32]) {
        self.steps += 1;
        let lr = self.lr as f32;
        match self.kind {
            Kind::Sgd => {
                let mu = self.momentum as f32;
                let first = self.steps == 1;
                for ((p, g), b) in theta.iter_mut().zip(grad).zip(self.m.iter_mut()) {
                    *b = if first { *g } else { mu * *b + g };
                    *p -= lr * *b;
                }
            }
            Kind::Adam => {
                let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
                let c1 = 1.0 - b1.powi(self.steps as i32);
                let c2 = 1.0 - b2.powi(self.steps as i32);
                for (((p, g), m), v) in theta.iter_mut().zip(grad).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                }
            }
        }
    }
}

/// Reduce the learning rate by `factor` when the monitored loss has not improved by a
/// relative `threshold` for more than `patience` epochs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    /// Multiplier applied to the learning rate.
    pub factor: f64,
    /// Epochs without improvement tolerated.
    pub patience: usize,
    /// Relative improvement that counts.
    pub threshold: f64,
    /// Best loss seen.
    pub best: f64,
    /// Epochs since the best.
    pub bad_epochs: usize,
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        ReduceLrOnPlateau { factor: 0.1, patience: 10, threshold: 1e-4, best: f64::INFINITY, bad_epochs: 0 }
    }
}

impl ReduceLrOnPlateau {
    /// Record an epoch's loss; returns the (possibly reduced) learning rate.
    pub fn step(&mut self, loss: f64, lr: f64) -> f64 {
        if loss < self.best * (1.0 - self.threshold) {
            self.best = loss;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.bad_epochs > self.patience {
            self.bad_epochs = 0;
            let new = lr * self.factor;
            if lr - new > 1e-8 {
                return new;
            }
        }
        lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_with_momentum_matches_the_recurrence() {
        // f(p) = p^2 / 2, gradient p. PyTorch: b1 = g1, b_k = mu b_{k-1} + g_k, p -= lr b.
        let mut opt = Optimizer::new(Kind::Sgd, 0.1, 0.9, 1);
        let mut p = [1.0f32];
        opt.step(&mut p, &[1.0]);
        assert!((p[0] - 0.9).abs() < 1e-7);
        opt.step(&mut p, &[0.9]);
        // b = 0.9 * 1 + 0.9 = 1.8; p = 0.9 - 0.18 = 0.72
        assert!((p[0] - 0.72).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_is_lr_times_sign() {
        let mut opt = Optimizer::new(Kind::Adam, 0.01, 0.0, 2);
        let mut p = [0.0f32, 0.0];
        opt.step(&mut p, &[3.0, -0.5]);
        assert!((p[0] + 0.01).abs() < 1e-6 && (p[1] - 0.01).abs() < 1e-6);
    }

    #[test]
    fn plateau_cuts_after_patience() {
        let mut s = ReduceLrOnPlateau::default();
        let mut lr = 0.01;
        lr = s.step(1.0, lr);
        for _ in 0..10 {
            lr = s.step(1.0, lr);
            assert_eq!(lr, 0.01);
        }
        lr = s.step(1.0, lr);
        assert!((lr - 0.001).abs() < 1e-12);
        // A real improvement resets the count.
        assert_eq!(s.step(0.5, lr), lr);
        assert_eq!(s.bad_epochs, 0);
    }
}
