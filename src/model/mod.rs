//! Stages 2 and 3: features, the network, training and `transform`.
//!
//! ```
//! use marble::model::{fit, Cancel, FitOptions, NoObserver};
//! use marble::{Dataset, Params, examples, progress::Silent};
//! let data = Dataset::build(
//!     &examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0),
//!     &Params { k: 10, ..Params::default() }.check().unwrap(),
//!     &Silent,
//! ).unwrap();
//! let p = Params { k: 10, epochs: 2, ..Params::default() }.check().unwrap();
//! let fitted = fit(&data, &p, &FitOptions::default(), &mut NoObserver, &Cancel::new()).unwrap();
//! let z = fitted.model.transform(&data).unwrap();
//! assert_eq!(z.dim(), (240, 3));
//! ```

pub(crate) mod chebyshev;
pub(crate) mod checkpoint;
pub(crate) mod device;
pub(crate) mod features;
pub(crate) mod network;
pub(crate) mod optim;
pub(crate) mod precomputed;
pub(crate) mod store;
pub(crate) mod train;

pub use checkpoint::Losses;
pub use network::{Architecture, Model};
pub use train::{Cancel, EpochReport, FitOptions, Fitted, NoObserver, Observer, fit};
