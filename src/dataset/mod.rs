//! Stage 1: inputs (read by [`io`], brought to one dimension by [`prepare`]), sampling,
//! graphs, and the assembled [`Dataset`].

pub(crate) mod build;
pub(crate) mod diffusion;
pub(crate) mod duplicates;
pub(crate) mod graph;
pub(crate) mod input;
pub mod io;
pub(crate) mod npy_text;
pub mod prepare;
pub(crate) mod sampling;
pub(crate) mod summary;

pub use build::{Dataset, OutputRows, Split};
pub use input::{Condition, Conditions};
pub use summary::{ConditionSummary, StepTime, Summary};
