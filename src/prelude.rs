//! Everything a notebook needs, in one `use marble::prelude::*;` (the bundled kernel adds it
//! to every session), with macros that keep cells short:
//!
//! ```
//! use marble::prelude::*;
//! let p = params! { epochs: 20, order: 2 };
//! assert_eq!((p.epochs, p.order, p.k), (20, 2, 20));
//! let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
//! let v = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]];
//! let c = conditions![(x.clone(), v.clone()), (x, v)].unwrap();
//! assert_eq!(c.len(), 2);
//! fn remote() -> marble::Result<()> {
//!     let url = String::from("http://127.0.0.1:1");
//!     let e = engine!(&url)?; // no request until a call
//!     assert_eq!(e.list_datasets().unwrap_err().code(), "io");
//!     Ok(())
//! }
//! remote().unwrap();
//! ```

pub use std::time::Duration;

pub use ndarray::{Array1, Array2, array};

pub use crate::analysis::{AnalysisParams, DistanceKind, EmbedMethod};
pub use crate::engine::{
    AnalysisInfo, DatasetInfo, DecodeInfo, DecodeRequest, EmbeddingInfo, Engine, FitRequest, HttpEngine, JobInfo,
    JobState, LocalEngine, LocalOptions, ModelInfo, NewDataset, PlotKind, TransformRequest,
};
pub use crate::plot::{Colouring, Grouping, Svg};
pub use crate::{Condition, Conditions, Dataset, Error, Params, Result, examples, reaching};
pub use crate::{conditions, engine, params};

/// `Params` with some fields changed: `params! { epochs: 20, order: 2 }`. A misspelt field
/// is a compile error naming it.
#[macro_export]
macro_rules! params {
    ($($field:ident : $value:expr),* $(,)?) => {
        $crate::Params { $($field: $value,)* ..$crate::Params::default() }
    };
}

/// Conditions from (anchors, vectors) pairs of `Array2<f64>`:
/// `conditions![(x0, v0), (x1, v1)]`, checked like any input.
#[macro_export]
macro_rules! conditions {
    ($(($anchor:expr, $vector:expr)),+ $(,)?) => {
        $crate::Conditions::new(vec![$($crate::Condition::new($anchor, $vector)),+])
    };
}

/// An engine: `engine!()` runs in-process with its store in `$MARBLE_DATA_DIR`, or
/// `marble-data/` when that is unset;
/// `engine!("http://127.0.0.1:8080")` talks to `marble serve`. Both are a
/// `Result<Box<dyn Engine>>`.
#[macro_export]
macro_rules! engine {
    () => {{
        $crate::kernel::notice();
        $crate::engine::LocalEngine::open($crate::engine::LocalOptions::new(
            ::std::env::var_os("MARBLE_DATA_DIR").unwrap_or_else(|| $crate::engine::defaults::DATA_DIR.into()),
        ))
        .map(|e| Box::new(e) as Box<dyn $crate::engine::Engine>)
    }};
    ($url:expr) => {{
        $crate::kernel::notice();
        ::std::result::Result::Ok::<Box<dyn $crate::engine::Engine>, $crate::Error>(Box::new(
            $crate::engine::HttpEngine::new($url),
        ))
    }};
}
