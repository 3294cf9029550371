//! Argument checks shared by the figures; each failure is an [`Error::InvalidArgument`] that
//! names the argument.

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// `a` has at least one row and one column.
pub(super) fn non_empty(field: &str, a: ArrayView2<f64>) -> Result<()> {
    if a.is_empty() {
        return Err(Error::argument(
            field,
            format!("is {} x {}; give at least one row and one column", a.nrows(), a.ncols()),
        ));
    }
    Ok(())
}

/// Every entry of `a` is finite.
pub(super) fn finite(field: &str, a: ArrayView2<f64>) -> Result<()> {
    match a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((i, j), v)) => Err(Error::argument(
            field,
            format!("entry ({i}, {j}) is {v}; remove or interpolate non-finite values before plotting"),
        )),
        None => Ok(()),
    }
}

/// There is one name per row of a matrix with `rows` rows.
pub(super) fn one_name_per_row(names: &[String], rows: usize) -> Result<()> {
    if names.len() != rows {
        return Err(Error::argument(
            "names",
            format!("has {} names but the matrix has {rows} rows; give one name per condition", names.len()),
        ));
    }
    Ok(())
}

/// When there are values, there is one per condition, `conditions` in all.
pub(super) fn one_value_per_condition(values: Option<&[f64]>, conditions: usize) -> Result<()> {
    match values {
        Some(v) if v.len() != conditions => Err(Error::argument(
            "values",
            format!("has {} values but there are {conditions} conditions; give one value per condition", v.len()),
        )),
        _ => Ok(()),
    }
}
