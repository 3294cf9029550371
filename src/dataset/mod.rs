//! Stage 1: inputs, sampling, graphs, and the assembled [`Dataset`].

pub mod build;
pub mod graph;
pub mod input;
pub mod io;
pub mod sampling;

pub use build::{ConditionSummary, Dataset, Split, StepTime, Summary};
pub use input::{Condition, Conditions};
