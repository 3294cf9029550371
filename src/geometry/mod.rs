//! Geometry on the proximity graph: neighbours, frames, connections, Laplacians, gradient
//! operators, spectra and diffusion. Knows nothing of the network.

pub mod connection;
pub mod diffusion;
pub mod frames;
pub mod gradient;
pub mod laplacian;
pub mod linalg;
pub mod neighbours;
pub mod sparse;
pub mod spectrum;
