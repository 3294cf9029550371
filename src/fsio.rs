//! Files the crate writes and reads back: atomic writes, JSON and `.npy`.
//!
//! Every write goes to a temporary name unique to the process and call, then is renamed over
//! its target, so an interrupted write never leaves a damaged file in place of a good one
//! and two writers of the same file never write into each other's temporary file. Reads
//! report an unreadable file as [`Error::ModelFile`] with its path.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array, Array1, Array2, Dimension};
use ndarray_npy::{ReadableElement, WritableElement};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Write `path` through a temporary file unique to this process and call, renamed over it
/// when `write` has filled it. Files being written end in `.tmp`.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    // Unique per process and call: on a shared folder, a worker that lost its lease may
    // still be writing the same file as the job's new owner for a moment.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
    let written =
        write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io("cannot write", path, e)));
    if written.is_err() {
        // Nothing half-written stays (a full disk, say); the old file is untouched.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Write `value` as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, |tmp| {
        let text = serde_json::to_string_pretty(value).expect("plain data serialises");
        std::fs::write(tmp, text).map_err(|e| Error::io("cannot write", tmp, e))
    })
}

/// Read a JSON file written by [`write_json`].
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::ModelFile { path: path.to_path_buf(), message: format!("not a valid file: {e}") })
}

/// Write any array as `.npy`, atomically.
pub(crate) fn write_npy<T: WritableElement, D: Dimension>(path: &Path, a: &Array<T, D>) -> Result<()> {
    write_atomic(path, |tmp| {
        ndarray_npy::write_npy(tmp, a).map_err(|e| match e {
            // The OS error itself, so a full disk is told apart.
            ndarray_npy::WriteNpyError::Io(e) => Error::io("cannot write", tmp, e),
            other => Error::io("cannot write", tmp, std::io::Error::other(other.to_string())),
        })
    })
}

/// Write an embedding (n x out) as `.npy`.
pub fn write_npy_f32(path: &Path, a: &Array2<f32>) -> Result<()> {
    write_npy(path, a)
}

/// Write a vector of indices as `.npy` (int64).
pub(crate) fn write_npy_i64(path: &Path, v: &[usize]) -> Result<()> {
    write_npy(path, &Array1::from_iter(v.iter().map(|&x| x as i64)))
}

/// Read a `.npy` file of the given element type and dimension (as `write_npy` wrote it).
pub fn read_npy<T: ReadableElement, D: Dimension>(path: &Path) -> Result<Array<T, D>> {
    ndarray_npy::read_npy(path)
        .map_err(|e| Error::ModelFile { path: path.to_path_buf(), message: format!("cannot read: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("a.json");
        write_json(&json, &vec![1.5, 2.0]).unwrap();
        assert_eq!(read_json::<Vec<f64>>(&json).unwrap(), vec![1.5, 2.0]);
        let npy = dir.path().join("a.npy");
        write_npy_i64(&npy, &[3, 1, 2]).unwrap();
        assert_eq!(read_npy::<i64, ndarray::Ix1>(&npy).unwrap().to_vec(), vec![3, 1, 2]);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let wrong = read_npy::<f32, ndarray::Ix2>(&npy).unwrap_err();
        assert_eq!(wrong.code(), "model_file");
        std::fs::write(&json, "[1.5,").unwrap();
        assert_eq!(read_json::<Vec<f64>>(&json).unwrap_err().code(), "model_file");
    }
}
