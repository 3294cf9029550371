//! Stage 1: inputs, sampling, graphs, and the assembled [`Dataset`].

pub mod build;
pub mod duplicates;
pub mod graph;
pub mod input;
pub mod io;
pub mod npy_text;
pub mod sampling;

pub use build::{ConditionSummary, Dataset, OutputRows, Split, StepTime, Summary};
pub use input::{Condition, Conditions};
