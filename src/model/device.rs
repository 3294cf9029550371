//! The one place that chooses where the network runs: CUDA with the `cuda` feature, the
//! CPU otherwise. Everything else names `Device`.

/// The dfdx device the network runs on.
#[cfg(not(feature = "cuda"))]
pub type Device = dfdx::tensor::Cpu;

/// The dfdx device the network runs on.
#[cfg(feature = "cuda")]
pub type Device = dfdx::tensor::Cuda;

/// A device whose random stream (dropout) starts from `seed`.
pub fn seeded(seed: u64) -> Device {
    Device::seed_from_u64(seed)
}
