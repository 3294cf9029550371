//! Reading conditions from files and writing them back, one module per format.
//!
//! Formats:
//! - `.npz` ([`npz`]): arrays `anchor_0`, `vector_0`, optional `label_0`, `mask_0`, `name_0`
//!   (a string), `value_0` (one number: the condition's value, e.g. mu) and `group_0` (a
//!   string or whole number: the animal or session it was recorded in), then `anchor_1`,
//!   ...; or trajectories `trajectory_0_0`, `trajectory_0_1`, ... (T x D each, first index
//!   the condition). Any numeric dtype is accepted and read as f64.
//! - a pair of `.npy` files: anchors (n x D) and vectors (n x S), one condition.
//! - `.csv` ([`csv`]): one file per condition, named after the file's stem. With a header,
//!   columns named `anchor*` / `x*` are anchors, `vector*` / `v*` vectors, and `label`,
//!   `mask` what they say. Without one, the first D columns are anchors and the rest vectors
//!   (D given, or half the columns).
//! - `.json` ([`json`]): `{"conditions": [{"name": "..", "value": 0.5, "group": "..", "anchor": [[..]],
//!   "vector": [[..]], "label": [..], "mask": [..]}, {"trajectories": [[[..]], ..]}, ..]}`
//!   (or the bare list); the same typed [`ConditionData`] as the REST API's JSON body.
//!
//! [`read_input`] is the one place a format is chosen by extension. Also here:
//! [`read_table`], a numeric table (behaviour, trial ids) from `.npy` or `.csv`, and
//! [`write_dataset_npz`], a built dataset (stage 1) as an `.npz` for numpy.

mod csv;
mod json;
mod npz;

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Ix2};

use crate::dataset::input::{Condition, Conditions};
use crate::error::{Error, Result};

pub use self::csv::read_csv;
pub use json::{ConditionData, Flags, Numbers, Rows, conditions_from_data, parse_json, read_json};
pub use npz::{npz_bytes, read_npz, read_npz_bytes, write_dataset_npz, write_npz};

/// The formats conditions are read from, by file extension.
const FORMATS: &str = "npz, npy (pair), csv, json";

/// Read conditions from a `.npz`, `.json` or `.csv` file, chosen by extension.
pub fn read_conditions(path: &Path) -> Result<Conditions> {
    read_input(std::slice::from_ref(&path.to_path_buf()), None, None)
}

/// Read conditions from what a user names: one `.npz`, `.json` or `.csv` file; several
/// `.csv` files (one condition each, `anchor_dim` leading columns as anchors where a file
/// has no header); or an anchors `.npy` with its `vectors` `.npy`. The format comes from
/// the first file's extension.
pub fn read_input(files: &[PathBuf], vectors: Option<&Path>, anchor_dim: Option<usize>) -> Result<Conditions> {
    let Some(first) = files.first() else {
        return Err(Error::argument("data", "name at least one input file"));
    };
    let ext = extension(first);
    let origin = first.display().to_string();
    match (ext.as_str(), vectors) {
        ("npy", Some(v)) if files.len() == 1 => {
            Conditions::new(vec![Condition::new(npz::read_npy_matrix(first)?, npz::read_npy_matrix(v)?)])
        }
        (_, Some(_)) => {
            Err(Error::argument("vectors", "goes with one anchors .npy file as the data; pack other inputs in an .npz"))
        }
        ("csv", None) => read_csv(files, anchor_dim),
        (_, None) if files.len() > 1 => {
            Err(Error::argument("data", "several files are read only as CSV, one condition per file"))
        }
        ("npz", None) => read_npz(first),
        ("json", None) => read_json(first),
        ("npy", None) => Err(Error::format(
            origin,
            "a single .npy file holds one array; give the anchors and the vectors as a pair \
             (`--data anchors.npy --vectors vectors.npy`) or pack them in an .npz",
        )),
        (other, None) => Err(Error::Unknown { kind: "input format", name: other.to_string(), choices: FORMATS.into() }),
    }
}

/// Read one condition from a pair of `.npy` files: anchors (n x D) and vectors (n x S).
pub fn read_npy_pair(anchor: &Path, vector: &Path) -> Result<Conditions> {
    read_input(std::slice::from_ref(&anchor.to_path_buf()), Some(vector), None)
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))
}

/// A numeric table, one row per line: `.csv` (with or without a header row), or `.npy` of
/// any dtype [`read_npz`] takes (1-D read as one column). Every value must be finite.
pub fn read_table(path: &Path) -> Result<Array2<f64>> {
    Ok(read_named_table(path)?.0)
}

/// [`read_table`] with the column names of a `.csv` header (none for `.npy` or a `.csv`
/// without one).
pub fn read_named_table(path: &Path) -> Result<(Array2<f64>, Vec<String>)> {
    let (table, header) = if extension(path) == "csv" {
        let t = self::csv::read_numbers(path)?;
        (t.values, t.header.unwrap_or_default())
    } else {
        (npz::read_npy_matrix(path)?, vec![])
    };
    if let Some(((i, j), v)) = table.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::format(
            path.display().to_string(),
            format!("row {i}, column {j} is {v}; remove or interpolate non-finite values"),
        ));
    }
    Ok((table, header))
}

fn as_matrix(a: ArrayD<f64>, origin: &str) -> Result<Array2<f64>> {
    match a.ndim() {
        2 => Ok(a.into_dimensionality::<Ix2>().expect("ndim checked")),
        1 => {
            let n = a.len();
            Ok(a.into_shape_with_order((n, 1)).expect("1-D reshapes to a column"))
        }
        d => Err(Error::format(origin, format!("is {d}-dimensional; give an (n_points x dim) matrix"))),
    }
}

fn as_vector(a: ArrayD<f64>, origin: &str) -> Result<Array1<f64>> {
    let shape = a.shape().to_vec();
    match shape.as_slice() {
        [n] | [n, 1] => Ok(Array1::from_iter(a.iter().copied()).into_shape_with_order(*n).expect("length kept")),
        _ => Err(Error::format(origin, format!("has shape {shape:?}; give one value per point"))),
    }
}

fn as_mask(v: Array1<f64>, origin: &str) -> Result<Array1<bool>> {
    if let Some((row, x)) = v.iter().enumerate().find(|(_, x)| **x != 0.0 && **x != 1.0) {
        return Err(Error::format(origin, format!("row {row} is {x}; a mask holds only 0/1 or true/false")));
    }
    Ok(v.mapv(|x| x != 0.0))
}
