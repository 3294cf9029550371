//! The one place that chooses where the network runs: CUDA with the `cuda` feature, the
//! CPU otherwise. Everything else names `Device`.

/// The dfdx device the network runs on.
#[cfg(not(feature = "cuda"))]
pub type Device = dfdx::tensor::Cpu;

/// The dfdx device the network runs on.
#[cfg(feature = "cuda")]
pub type Device = dfdx::tensor::Cuda;

thread_local! {
    static DEVICE: Device = Device::seed_from_u64(0);
}

/// This thread's device, made once and kept: starting a CUDA device (context, cuBLAS handle,
/// kernel modules) costs far more than a training step, so it must not happen per step.
/// Nothing random is drawn from it (dropout masks come from the step's own seed), so
/// sharing it does not change results.
pub fn get() -> Device {
    DEVICE.with(Device::clone)
}

/// Check that the device can start. With `cuda`, a missing GPU, driver or library is an
/// error that says so (and how to get going on the CPU), not a panic deep in training.
pub fn check() -> crate::Result<()> {
    #[cfg(feature = "cuda")]
    {
        // cudarc 0.9 unwraps cuInit inside CudaDevice::new, so a machine without a GPU
        // panics there; catch it (quietly) and say what is wrong instead.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let started = std::panic::catch_unwind(|| dfdx::tensor::Cuda::try_seed_from_u64(0).map(|_| ()));
        std::panic::set_hook(hook);
        let reason = match started {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => format!("{e:?}"),
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the CUDA driver failed to start".into()),
        };
        Err(crate::Error::DeviceUnavailable {
            message: format!(
                "this marble was built with the `cuda` feature but no usable NVIDIA GPU was found ({reason}); \
                 check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use a build without `--features cuda`"
            ),
        })
    }
    #[cfg(not(feature = "cuda"))]
    Ok(())
}
