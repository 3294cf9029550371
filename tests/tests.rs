//! Integration tests, compiled into one binary.

mod cli;
mod geometry;
mod inputs;
mod model;
