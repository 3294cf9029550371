//! Progress reporting for long steps, independent of how it is shown.
//!
//! The library calls a [`Progress`] at the start and end of each step and as work is done;
//! the CLI shows it with progress bars, tests and library users pass [`Silent`].

/// Receives progress of long-running steps. Methods may be called from several threads.
pub trait Progress: Sync {
    /// A step starts; `total` units of work are expected (0 when unknown).
    fn begin(&self, _step: &str, _total: u64) {}
    /// `n` more units of the current step are done.
    fn advance(&self, _n: u64) {}
    /// The step finished after `seconds`.
    fn end(&self, _step: &str, _seconds: f64) {}
}

/// Reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}
