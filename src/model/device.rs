//! The one place that chooses where the network runs: CUDA with the `cuda` feature, the
//! CPU otherwise. Everything else names `Device`.

/// The dfdx device the network runs on.
#[cfg(not(feature = "cuda"))]
pub type Device = dfdx::tensor::Cpu;

/// The dfdx device the network runs on.
#[cfg(feature = "cuda")]
pub type Device = dfdx::tensor::Cuda;

thread_local! {
    /// This thread's device, started once and kept: starting a CUDA device (context,
    /// cuBLAS handle, kernel modules) costs far more than a training step. Nothing random is
    /// drawn from it (dropout masks come from each step's own seed), so sharing it does not
    /// change results.
    static DEVICE: Result<Device, String> = start();
}

#[cfg(not(feature = "cuda"))]
fn start() -> Result<Device, String> {
    Ok(Device::seed_from_u64(0))
}

/// cudarc 0.9 unwraps cuInit inside CudaDevice::new, so a machine without a GPU panics
/// there; catch it (quietly) and keep the reason.
#[cfg(feature = "cuda")]
fn start() -> Result<Device, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = std::panic::catch_unwind(|| Device::try_seed_from_u64(0));
    std::panic::set_hook(hook);
    match started {
        Ok(Ok(device)) => Ok(device),
        Ok(Err(e)) => Err(format!("{e:?}")),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the CUDA driver failed to start".into())),
    }
}

/// Check that this thread's device started. With `cuda`, a missing GPU, driver or library
/// is an error that says so (and how to get going on the CPU), not a panic deep in training.
pub fn check() -> crate::Result<()> {
    DEVICE.with(|d| match d {
        Ok(_) => Ok(()),
        Err(reason) => Err(crate::Error::DeviceUnavailable {
            message: format!(
                "this marble was built with the `cuda` feature but no usable NVIDIA GPU was found ({reason}); \
                 check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use a build without `--features cuda`"
            ),
        }),
    })
}

/// This thread's device. `fit` and `transform` call [`check`] first, so a device that
/// could not start is reported there as an error.
pub fn get() -> Device {
    DEVICE.with(|d| {
        d.as_ref().cloned().unwrap_or_else(|reason| panic!("no device ({reason}); call device::check() first"))
    })
}
