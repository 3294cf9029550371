//! # marble
//!
//! A Rust implementation of MARBLE (MAnifold Representation Basis LEarning; Gosztolai et
//! al., Nature Methods 2025): it turns vector fields sampled on point clouds, such as neural
//! population dynamics recorded under several conditions, into latent representations and
//! distances between conditions.
//!
//! ## Tour, in data-flow order
//! What every stage stands on:
//! - [`params`]: [`Params`], every setting with the reference's defaults, checked once into
//!   [`ValidParams`].
//! - [`error`]: [`Error`], one error type whose messages say what to change, with a stable
//!   code per variant.
//! - `seed`: the seeded random streams behind every draw, so a seed gives the same result
//!   bit for bit on any number of threads.
//! - [`fsio`]: atomic file writes, JSON and `.npy`.
//! - [`progress`]: how long steps report progress ([`progress::Silent`] for none).
//!
//! The pipeline:
//! - [`examples`]: seeded example inputs (planar fields, parabola, van der Pol, surfaces).
//! - [`dataset`]: stage 1: inputs ([`Conditions`], readers in [`dataset::io`], recordings
//!   of different dimension reduced to one by [`dataset::prepare`]), farthest-point
//!   sampling, proximity graphs, and [`Dataset::build`], which assembles it.
//! - `geometry`: what stage 1 computes on the graph: neighbours (kiddo k-d trees), local
//!   frames, connections, Laplacians, gradient operators, spectra and diffusion, all sparse
//!   (no n x n matrix anywhere).
//! - [`model`]: stages 2 and 3: features, the network (on dfdx), contrastive training
//!   ([`model::fit`]) with checkpoints, and the model files.
//! - [`analysis`]: stage 4: clusters, distances between conditions by optimal transport,
//!   2-D views and decoding of behaviour from the latents.
//! - [`plot`]: figures as SVG.
//! - [`run`]: the run folder a fit writes and an analysis reads and adds to.
//! - [`reaching`]: the paper's real-data experiment, macaque reaching, from recording to
//!   decoded hand velocity.
//! - [`linear_track`]: rat hippocampus on a linear track, from spike counts to decoded
//!   position and running direction.
//!
//! Serving it:
//! - [`engine`]: the one API users program against, [`engine::Engine`]: in-process
//!   ([`engine::LocalEngine`], with its job store and workers) or over HTTP
//!   ([`engine::HttpEngine`]).
//! - [`server`]: the REST API on an engine (`marble serve`); `server::spawn` runs it as a
//!   child process.
//! - [`kernel`] and [`prelude`]: the bundled Jupyter kernel and what a notebook imports.
//!
//! ```
//! use marble::{Dataset, Params, examples, progress::Silent};
//! let conditions = examples::planar_fields(&examples::PLANAR_FIELDS, 100, 0);
//! let params = Params { k: 10, ..Params::default() }.check().unwrap();
//! let data = Dataset::build(&conditions, &params, &Silent).unwrap();
//! assert_eq!(data.n_points(), 400);
//! assert_eq!(data.n_conditions(), 4);
//! ```
#![warn(missing_docs)]

#[macro_use]
mod telemetry;
pub mod analysis;
pub mod dataset;
pub(crate) mod disk;
pub mod engine;
pub mod error;
pub mod examples;
pub mod fsio;
pub(crate) mod geometry;
pub mod kernel;
pub mod linear_track;
pub mod model;
pub mod params;
pub mod plot;
pub mod prelude;
pub mod progress;
pub mod reaching;
pub mod run;
pub(crate) mod seed;
#[cfg(feature = "server")]
pub mod server;
pub(crate) mod server_process;

/// A build without the `server` feature (a notebook's lean kernel): [`server::spawn`] runs
/// the REST API as a `marble serve` child process.
#[cfg(not(feature = "server"))]
pub mod server {
    pub use crate::server_process::{ServerOptions, spawn};
}

pub use dataset::{Condition, Conditions, Dataset};
pub use error::{Error, Result};
pub use params::{Params, ValidParams};

/// Not part of the API: the internals that benches, tests and the binary's own harnesses
/// (`marble bench`, a store URL in log lines) reach, at the paths they have in the crate
/// (`internals::geometry::sparse::CsrMatrix` is `crate::geometry::sparse::CsrMatrix`).
/// Nothing here is stable; it may change in any release.
#[doc(hidden)]
pub mod internals {
    /// Free space on a disk.
    pub mod disk {
        pub use crate::disk::*;
    }
    /// Neighbours, frames, connections, Laplacians, gradient operators, spectra, diffusion.
    pub mod geometry {
        pub use crate::geometry::{
            connection, diffusion, frames, gradient, laplacian, linalg, neighbours, sparse, spectrum,
        };
    }
    /// `marble serve` as a child process of a named program.
    pub mod server_process {
        pub use crate::server_process::*;
    }
    /// Stage 1's internals.
    pub mod dataset {
        /// Proximity graphs.
        pub mod graph {
            pub use crate::dataset::graph::*;
        }
    }
    /// Stages 2 and 3's internals.
    pub mod model {
        /// Features of a batch.
        pub mod features {
            pub use crate::model::features::*;
        }
        /// The precomputed operators of a dataset.
        pub mod precomputed {
            pub use crate::model::precomputed::*;
        }
        /// The model files.
        pub mod store {
            pub use crate::model::store::*;
        }
    }
    /// Stage 4's internals.
    pub mod analysis {
        /// Decoding behaviour from the latents.
        pub mod decode {
            pub use crate::analysis::decode::*;
        }
        /// 2-D views.
        pub mod embed {
            pub use crate::analysis::embed::*;
        }
    }
    /// The engine's internals.
    pub mod engine {
        /// The job store (SQLite, PostgreSQL).
        pub mod store {
            pub use crate::engine::store::*;
        }
    }
}
