//! # marble
//!
//! A Rust implementation of MARBLE (MAnifold Representation Basis LEarning; Gosztolai et
//! al., Nature Methods 2025): it turns vector fields sampled on point clouds, such as neural
//! population dynamics recorded under several conditions, into latent representations and
//! distances between conditions.
//!
//! ## Tour, in data-flow order
//! - [`params`]: [`Params`], every setting with the reference's defaults, checked once into
//!   [`ValidParams`].
//! - [`dataset`]: inputs ([`Conditions`], readers in [`dataset::io`]), farthest-point
//!   sampling, proximity graphs, and [`Dataset::build`], which assembles stage 1.
//! - [`geometry`]: neighbours (kiddo k-d trees), local frames, connections, Laplacians,
//!   gradient operators, spectra and diffusion, all sparse (no n x n matrix anywhere).
//! - [`examples`]: seeded example inputs (planar fields, parabola, van der Pol).
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

pub mod analysis;
pub mod dataset;
pub mod engine;
pub mod error;
pub mod examples;
pub mod fsio;
pub mod geometry;
pub mod kernel;
pub mod model;
pub mod params;
pub mod plot;
pub mod prelude;
pub mod progress;
pub mod reaching;
pub mod run;
pub mod seed;
pub mod server;

pub use dataset::{Condition, Conditions, Dataset};
pub use error::{Error, Result};
pub use params::{Params, ValidParams};
