//! A build without the `s3` feature (a notebook's kernel): no object store can be named, so
//! there is never a remote, and `--artifacts s3://...` says how to get one.

use crate::error::{Error, Result};

/// Uninhabited: no value exists, so the methods are never called.
pub(super) enum Remote {}

impl Remote {
    pub fn open(url: &str) -> Result<Remote> {
        Err(Error::argument(
            "artifacts",
            format!(
                "`{url}` needs the object store, which this build of marble leaves out; build it with the `s3` feature"
            ),
        ))
    }

    pub fn url(&self) -> &str {
        match *self {}
    }

    pub fn put(&self, _: &[String], _: Vec<u8>) -> Result<()> {
        match *self {}
    }

    pub fn get(&self, _: &[String]) -> Result<Option<Vec<u8>>> {
        match *self {}
    }

    pub fn get_all(&self, _: &[String], _: &[&str]) -> Result<Vec<(Vec<String>, Vec<u8>)>> {
        match *self {}
    }

    pub fn delete(&self, _: &[String]) -> Result<()> {
        match *self {}
    }
}
