//! The document type every figure returns.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// An SVG document (UTF-8 text, `<svg width=.. height=..>` at the root).
#[derive(Clone, Debug, PartialEq)]
pub struct Svg(pub String);

impl Svg {
    /// The document text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Writes the document to `path`, replacing any file there.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, &self.0).map_err(|source| Error::io("cannot write", path, source))
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
