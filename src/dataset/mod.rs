//! Stage 1: inputs, sampling, graphs, and the assembled [`Dataset`].

pub mod build;
pub mod diffusion;
pub mod duplicates;
pub mod graph;
pub mod input;
pub mod io;
pub mod npy_text;
pub mod sampling;
pub mod summary;

pub use build::{Dataset, OutputRows, Split};
pub use input::{Condition, Conditions};
pub use summary::{ConditionSummary, StepTime, Summary};
