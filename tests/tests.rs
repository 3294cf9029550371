//! Integration tests, compiled into one binary.

mod analysis;
mod cli;
mod geometry;
mod inputs;
mod model;
mod notebooks;
mod plot;
mod server;
