//! `.csv` files: one reader of numbers with an optional header row, under the conditions
//! (one per file) and the numeric tables (behaviour, trial ids).

use std::io::BufReader;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

use super::{as_mask, open};
use crate::dataset::input::{Condition, Conditions};
use crate::error::{Error, Result};

/// A CSV file's numbers, and the names in its header row when it has one.
pub(super) struct CsvTable {
    pub(super) values: Array2<f64>,
    pub(super) header: Option<Vec<String>>,
}

/// Read a CSV file of numbers. Fields are trimmed and lines starting with `#` are comments.
/// A first line that is not all numbers is a header naming each column; every other line
/// must be numbers, all lines as wide as the first. Errors give the file's line number.
pub(super) fn read_numbers(path: &Path) -> Result<CsvTable> {
    let origin = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(BufReader::new(open(path)?));
    let (mut values, mut header, mut width, mut rows) = (Vec::new(), None, 0, 0);
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, pos } => Error::Ragged {
                origin: origin.clone(),
                row: pos.as_ref().map_or(i + 1, |p| p.line() as usize),
                expected: *expected_len as usize,
                found: *len as usize,
            },
            _ => Error::format(&origin, format!("line {}: {e}", i + 1)),
        })?;
        let line = rec.position().map_or(i + 1, |p| p.line() as usize);
        width = rec.len();
        let first_bad = rec.iter().position(|f| f.parse::<f64>().is_err());
        match first_bad {
            Some(_) if i == 0 => header = Some(rec.iter().map(str::to_owned).collect()),
            Some(j) => {
                return Err(Error::format(
                    &origin,
                    format!("line {line}, column {}: `{}` is not a number", j + 1, &rec[j]),
                ));
            }
            None => {
                values.extend(rec.iter().map(|f| f.parse::<f64>().expect("checked")));
                rows += 1;
            }
        }
    }
    let values = Array2::from_shape_vec((rows, if rows == 0 { 0 } else { width }), values)
        .expect("rows of equal length, checked by the reader");
    Ok(CsvTable { values, header })
}

#[derive(Clone, Copy, PartialEq)]
enum Column {
    Anchor,
    Vector,
    Label,
    Mask,
}

fn classify(name: &str) -> Option<Column> {
    let n = name.trim().to_ascii_lowercase();
    if n == "label" {
        Some(Column::Label)
    } else if n == "mask" {
        Some(Column::Mask)
    } else if n.starts_with("anchor") || n.starts_with('x') || n.starts_with("pos") {
        Some(Column::Anchor)
    } else if n.starts_with("vector") || n.starts_with('v') {
        Some(Column::Vector)
    } else {
        None
    }
}

/// Read one condition per CSV file. `anchor_dim` says how many leading columns are anchors
/// when a file has no header (default: half of the columns).
pub fn read_csv(paths: &[PathBuf], anchor_dim: Option<usize>) -> Result<Conditions> {
    let conds = paths.iter().map(|p| read_csv_condition(p, anchor_dim)).collect::<Result<Vec<_>>>()?;
    Conditions::new(conds)
}

fn read_csv_condition(path: &Path, anchor_dim: Option<usize>) -> Result<Condition> {
    let origin = path.display().to_string();
    let table = read_numbers(path)?;
    if table.values.nrows() == 0 {
        return Err(Error::format(&origin, "has no data rows"));
    }
    let layout = match &table.header {
        Some(names) => names.iter().map(|name| named_column(name, &origin)).collect::<Result<Vec<_>>>()?,
        None => unnamed_columns(table.values.ncols(), anchor_dim, &origin)?,
    };
    let pick = |kind: Column| -> Vec<usize> { (0..layout.len()).filter(|&j| layout[j] == kind).collect() };
    let (a_cols, v_cols) = (pick(Column::Anchor), pick(Column::Vector));
    if a_cols.is_empty() || v_cols.is_empty() {
        return Err(Error::format(&origin, "needs at least one anchor column and one vector column"));
    }
    let values = &table.values;
    let take = |cols: &[usize]| values.select(ndarray::Axis(1), cols);
    let mut cond = Condition::new(take(&a_cols), take(&v_cols));
    cond.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    if let Some(&j) = pick(Column::Label).first() {
        cond.label = Some(values.column(j).to_owned());
    }
    if let Some(&j) = pick(Column::Mask).first() {
        let mask: Array1<f64> = values.column(j).to_owned();
        cond.mask = Some(as_mask(mask, &format!("{origin}: column mask"))?);
    }
    Ok(cond)
}

fn named_column(name: &str, origin: &str) -> Result<Column> {
    classify(name).ok_or_else(|| {
        Error::format(origin, format!("header column `{name}` is not one of anchor*/x*, vector*/v*, label, mask"))
    })
}

/// Columns of a file without a header: the first `anchor_dim` (default: half) are anchors,
/// the rest vectors.
fn unnamed_columns(width: usize, anchor_dim: Option<usize>, origin: &str) -> Result<Vec<Column>> {
    let d = match anchor_dim {
        Some(d) if d >= 1 && d < width => d,
        Some(d) => {
            return Err(Error::format(origin, format!("--anchor-dim {d} leaves no vector columns in {width} columns")));
        }
        None if width >= 2 && width % 2 == 0 => width / 2,
        None => {
            return Err(Error::format(
                origin,
                format!(
                    "has {width} unnamed columns, which do not split evenly into anchors and \
                     vectors; add a header (anchor_0, ..., vector_0, ...) or give --anchor-dim"
                ),
            ));
        }
    };
    Ok((0..width).map(|j| if j < d { Column::Anchor } else { Column::Vector }).collect())
}
