//! Reading conditions from files and writing them back.
//!
//! Formats:
//! - `.npz`: arrays `anchor_0`, `vector_0`, optional `label_0`, `mask_0`, `name_0` (a
//!   string) and `value_0` (one number: the condition's value, e.g. mu), then `anchor_1`,
//!   ...; or trajectories `trajectory_0_0`, `trajectory_0_1`, ... (T x D each, first index
//!   the condition). Any numeric dtype is accepted and read as f64.
//! - a pair of `.npy` files: anchors (n x D) and vectors (n x S), one condition.
//! - `.csv`: one file per condition, named after the file's stem. With a header, columns named `anchor*` / `x*` are
//!   anchors, `vector*` / `v*` vectors, and `label`, `mask` what they say. Without one, the
//!   first D columns are anchors and the rest vectors (D given, or half the columns).
//! - `.json`: `{"conditions": [{"name": "..", "value": 0.5, "anchor": [[..]], "vector": [[..]],
//!   "label": [..], "mask": [..]}, {"trajectories": [[[..]], ..]}, ..]}` (or the bare list).
//!
//! Also here: [`read_table`], a numeric table (behaviour, trial ids) from `.npy` or `.csv`,
//! and [`write_dataset_npz`], a built dataset (stage 1) as an `.npz` for numpy.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement};
use serde_json::Value;

use crate::dataset::input::{Condition, Conditions};
use crate::dataset::npy_text;
use crate::error::{Error, Result};

/// Read conditions from a `.npz`, `.json` or `.csv` file, chosen by extension.
pub fn read_conditions(path: &Path) -> Result<Conditions> {
    match extension(path).as_str() {
        "npz" => read_npz(path),
        "json" => read_json(path),
        "csv" => read_csv(&[path.to_path_buf()], None),
        "npy" => Err(Error::format(
            path.display().to_string(),
            "a single .npy file holds one array; give the anchors and the vectors as a pair \
             (`--data anchors.npy --vectors vectors.npy`) or pack them in an .npz",
        )),
        other => Err(Error::Unknown {
            kind: "input format",
            name: other.to_string(),
            choices: "npz, npy (pair), csv, json".into(),
        }),
    }
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::io("cannot read", path, e))
}

/// Read any numeric (or bool) npy payload as f64, whatever its dtype.
fn read_numeric<R: Read + Seek>(
    mut open: impl FnMut() -> std::result::Result<R, String>,
) -> std::result::Result<ArrayD<f64>, String> {
    fn attempt<T: ReadableElement + Clone, R: Read + Seek>(
        open: &mut dyn FnMut() -> std::result::Result<R, String>,
        conv: fn(T) -> f64,
    ) -> std::result::Result<Option<ArrayD<f64>>, String> {
        match ArrayD::<T>::read_npy(open()?) {
            Ok(a) => Ok(Some(a.mapv(conv))),
            Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
    let open: &mut dyn FnMut() -> std::result::Result<R, String> = &mut open;
    if let Some(a) = attempt::<f64, R>(open, |v| v)? {
        return Ok(a);
    }
    if let Some(a) = attempt::<f32, R>(open, |v| v as f64)? {
        return Ok(a);
    }
    if let Some(a) = attempt::<i64, R>(open, |v| v as f64)? {
        return Ok(a);
    }
    if let Some(a) = attempt::<i32, R>(open, |v| v as f64)? {
        return Ok(a);
    }
    if let Some(a) = attempt::<u8, R>(open, |v| v as f64)? {
        return Ok(a);
    }
    if let Some(a) = attempt::<bool, R>(open, |v| if v { 1.0 } else { 0.0 })? {
        return Ok(a);
    }
    Err("unsupported dtype; use float64, float32, int64, int32, uint8 or bool".into())
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

/// The arrays of an `.npz` archive, read as raw `.npy` payloads keyed by name.
struct NpzArrays {
    origin: String,
    entries: std::collections::BTreeMap<String, Vec<u8>>,
}

impl NpzArrays {
    fn open(path: &Path) -> Result<Self> {
        NpzArrays::read(BufReader::new(open(path)?), path.display().to_string())
    }

    /// The archive in `reader`, called `origin` in messages.
    fn read(reader: impl Read + Seek, origin: String) -> Result<Self> {
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| Error::format(&origin, format!("not a readable .npz archive: {e}")))?;
        let mut entries = std::collections::BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| Error::format(&origin, e.to_string()))?;
            let name = f.name().strip_suffix(".npy").unwrap_or(f.name()).to_string();
            let mut bytes = Vec::with_capacity(f.size() as usize);
            f.read_to_end(&mut bytes).map_err(|e| Error::format(&origin, format!("damaged archive: {e}")))?;
            entries.insert(name, bytes);
        }
        Ok(NpzArrays { origin, entries })
    }

    fn origin(&self, name: &str) -> String {
        format!("{}: array `{name}`", self.origin)
    }

    fn get(&self, name: &str) -> Result<Option<ArrayD<f64>>> {
        let Some(bytes) = self.entries.get(name) else { return Ok(None) };
        read_numeric(|| Ok(std::io::Cursor::new(bytes.as_slice())))
            .map(Some)
            .map_err(|m| Error::format(self.origin(name), m))
    }

    fn matrix(&self, name: &str) -> Result<Option<Array2<f64>>> {
        self.get(name)?.map(|a| as_matrix(a, &self.origin(name))).transpose()
    }

    /// A one-number array (shape `()`, `(1,)` or `(1, 1)`).
    fn scalar(&self, name: &str) -> Result<Option<f64>> {
        let Some(a) = self.get(name)? else { return Ok(None) };
        match a.iter().collect::<Vec<_>>()[..] {
            [&v] => Ok(Some(v)),
            _ => Err(Error::format(
                self.origin(name),
                format!("has shape {:?}; a condition's value is one number (e.g. np.float64(0.5))", a.shape()),
            )),
        }
    }

    /// The name and value of condition `c`.
    fn name_and_value(&self, c: usize, cond: &mut Condition) -> Result<()> {
        cond.name = self.text(&format!("name_{c}"))?;
        cond.value = self.scalar(&format!("value_{c}"))?;
        Ok(())
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        let Some(bytes) = self.entries.get(name) else { return Ok(None) };
        npy_text::read_text(bytes).map(Some).map_err(|m| Error::format(self.origin(name), m))
    }
}

/// Read conditions from an `.npz` archive (see the module docs for the array names).
pub fn read_npz(path: &Path) -> Result<Conditions> {
    conditions_from_npz(NpzArrays::open(path)?)
}

/// Read conditions from the bytes of an `.npz` archive (an upload), called `origin` in
/// messages, so that they name what the user sent and no file of ours.
pub fn read_npz_bytes(bytes: &[u8], origin: &str) -> Result<Conditions> {
    conditions_from_npz(NpzArrays::read(std::io::Cursor::new(bytes), origin.to_string())?)
}

fn conditions_from_npz(npz: NpzArrays) -> Result<Conditions> {
    let mut conds = Vec::new();
    for c in 0.. {
        let a_name = format!("anchor_{c}");
        let Some(anchor) = npz.matrix(&a_name)? else {
            let mut trajs = Vec::new();
            while let Some(t) = npz.matrix(&format!("trajectory_{c}_{}", trajs.len()))? {
                trajs.push(t);
            }
            if trajs.is_empty() {
                break;
            }
            let views: Vec<_> = trajs.iter().map(|t| t.view()).collect();
            let mut cond = Condition::from_trajectories_of(c, &views)?;
            npz.name_and_value(c, &mut cond)?;
            conds.push(cond);
            continue;
        };
        let v_name = format!("vector_{c}");
        let Some(vector) = npz.matrix(&v_name)? else {
            return Err(Error::format(
                &npz.origin,
                format!("has `{a_name}` but no `{v_name}`; every condition needs both"),
            ));
        };
        let mut cond = Condition::new(anchor, vector);
        let l_name = format!("label_{c}");
        if let Some(l) = npz.get(&l_name)? {
            cond.label = Some(as_vector(l, &npz.origin(&l_name))?);
        }
        let m_name = format!("mask_{c}");
        if let Some(m) = npz.get(&m_name)? {
            let o = npz.origin(&m_name);
            cond.mask = Some(as_mask(as_vector(m, &o)?, &o)?);
        }
        npz.name_and_value(c, &mut cond)?;
        conds.push(cond);
    }
    if conds.is_empty() {
        let found: Vec<&str> = npz.entries.keys().map(String::as_str).collect();
        return Err(Error::format(
            npz.origin,
            format!(
                "holds no `anchor_0` / `vector_0` (or `trajectory_0_0`) arrays; found: {}",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") }
            ),
        ));
    }
    Conditions::new(conds)
}

/// An `.npy` file of any numeric dtype as a matrix (1-D as one column).
fn read_npy_matrix(path: &Path) -> Result<Array2<f64>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let a = read_numeric(|| Ok(std::io::Cursor::new(bytes.as_slice())))
        .map_err(|m| Error::format(path.display().to_string(), m))?;
    as_matrix(a, &path.display().to_string())
}

/// Read one condition from a pair of `.npy` files: anchors (n x D) and vectors (n x S).
pub fn read_npy_pair(anchor: &Path, vector: &Path) -> Result<Conditions> {
    Conditions::new(vec![Condition::new(read_npy_matrix(anchor)?, read_npy_matrix(vector)?)])
}

/// A numeric table, one row per line: `.csv` with a header row, or `.npy` of any dtype
/// [`read_npz`] takes (1-D read as one column). Every value must be finite.
pub fn read_table(path: &Path) -> Result<Array2<f64>> {
    Ok(read_named_table(path)?.0)
}

/// [`read_table`] with the column names of a `.csv` header (none for `.npy`).
pub fn read_named_table(path: &Path) -> Result<(Array2<f64>, Vec<String>)> {
    let (table, header) =
        if extension(path) == "csv" { read_csv_table(path)? } else { (read_npy_matrix(path)?, vec![]) };
    if let Some(((i, j), v)) = table.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::format(
            path.display().to_string(),
            format!("row {i}, column {j} is {v}; remove or interpolate non-finite values"),
        ));
    }
    Ok((table, header))
}

/// The rows of a `.csv` table after its header row, and the header's names.
fn read_csv_table(path: &Path) -> Result<(Array2<f64>, Vec<String>)> {
    let origin = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(BufReader::new(open(path)?));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::format(&origin, format!("line 1: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let (mut values, mut width) = (Vec::new(), 0);
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => Error::Ragged {
                origin: origin.clone(),
                row: line,
                expected: *expected_len as usize,
                found: *len as usize,
            },
            _ => Error::format(&origin, format!("line {line}: {e}")),
        })?;
        width = rec.len();
        for (j, field) in rec.iter().enumerate() {
            let v = field.parse::<f64>().map_err(|_| {
                Error::format(&origin, format!("line {line}, column {}: `{field}` is not a number", j + 1))
            })?;
            values.push(v);
        }
    }
    let rows = if width == 0 { 0 } else { values.len() / width };
    Ok((Array2::from_shape_vec((rows, width), values).expect("rows of equal length"), header))
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
    let table = read_csv_rows(path, &origin)?;
    let layout = match table.header {
        Some(l) => l,
        None => unnamed_columns(table.width, anchor_dim, &origin)?,
    };
    let rows = table.rows;
    let pick = |kind: Column| -> Vec<usize> { (0..layout.len()).filter(|&j| layout[j] == kind).collect() };
    let (a_cols, v_cols) = (pick(Column::Anchor), pick(Column::Vector));
    if a_cols.is_empty() || v_cols.is_empty() {
        return Err(Error::format(&origin, "needs at least one anchor column and one vector column"));
    }
    let take = |cols: &[usize]| Array2::from_shape_fn((rows.len(), cols.len()), |(i, j)| rows[i][cols[j]]);
    let mut cond = Condition::new(take(&a_cols), take(&v_cols));
    cond.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    if let Some(&j) = pick(Column::Label).first() {
        cond.label = Some(Array1::from_iter(rows.iter().map(|r| r[j])));
    }
    if let Some(&j) = pick(Column::Mask).first() {
        cond.mask = Some(as_mask(Array1::from_iter(rows.iter().map(|r| r[j])), &format!("{origin}: column mask"))?);
    }
    Ok(cond)
}

/// A CSV file's numbers, with the columns its header names (when it has one).
struct CsvTable {
    rows: Vec<Vec<f64>>,
    header: Option<Vec<Column>>,
    /// Columns per row.
    width: usize,
}

/// Read the rows of a CSV file: a first line that is not all numbers is a header naming
/// each column; every other line must be numbers, all lines as wide as the first.
fn read_csv_rows(path: &Path, origin: &str) -> Result<CsvTable> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(BufReader::new(open(path)?));
    let records = reader.records();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut header: Option<Vec<Column>> = None;
    let mut width = 0;
    let mut line = 0;
    for rec in records {
        line += 1;
        let rec = rec.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, pos } => Error::Ragged {
                origin: origin.to_string(),
                row: pos.as_ref().map(|p| p.line() as usize).unwrap_or(line),
                expected: *expected_len as usize,
                found: *len as usize,
            },
            _ => Error::format(origin, format!("line {line}: {e}")),
        })?;
        let parsed: Vec<Option<f64>> = rec.iter().map(|f| f.parse::<f64>().ok()).collect();
        if line == 1 && parsed.iter().any(Option::is_none) {
            let cols = rec
                .iter()
                .map(|name| {
                    classify(name).ok_or_else(|| {
                        Error::format(
                            origin,
                            format!("header column `{name}` is not one of anchor*/x*, vector*/v*, label, mask"),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            width = cols.len();
            header = Some(cols);
            continue;
        }
        if let Some(col) = parsed.iter().position(Option::is_none) {
            return Err(Error::format(
                origin,
                format!("line {line}, column {}: `{}` is not a number", col + 1, &rec[col]),
            ));
        }
        if width == 0 {
            width = parsed.len();
        }
        rows.push(parsed.into_iter().map(|v| v.expect("checked")).collect());
    }
    if rows.is_empty() {
        return Err(Error::format(origin, "has no data rows"));
    }
    Ok(CsvTable { rows, header, width })
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

fn json_matrix(v: &Value, origin: &str) -> Result<Array2<f64>> {
    let rows = v.as_array().ok_or_else(|| Error::format(origin, "must be a list of rows"))?;
    let mut width = None;
    let mut data = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_array().ok_or_else(|| Error::format(origin, format!("row {i} is not a list of numbers")))?;
        match width {
            None => width = Some(row.len()),
            Some(w) if w != row.len() => {
                return Err(Error::Ragged { origin: origin.to_string(), row: i, expected: w, found: row.len() });
            }
            _ => {}
        }
        for (j, x) in row.iter().enumerate() {
            data.push(x.as_f64().ok_or_else(|| {
                Error::format(
                    origin,
                    format!(
                        "row {i}, column {j} is {x}, not a number (JSON has no NaN or infinity: drop such samples)"
                    ),
                )
            })?);
        }
    }
    Ok(Array2::from_shape_vec((rows.len(), width.unwrap_or(0)), data).expect("rectangular by construction"))
}

fn json_vector(v: &Value, origin: &str) -> Result<Array1<f64>> {
    let items = v.as_array().ok_or_else(|| Error::format(origin, "must be a list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| match x {
            Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
            _ => x.as_f64().ok_or_else(|| Error::format(origin, format!("item {i} is {x}, not a number"))),
        })
        .collect()
}

/// Parse conditions from JSON text (see the module docs for the layout).
pub fn parse_json(text: &str, origin: &str) -> Result<Conditions> {
    let root: Value = serde_json::from_str(text).map_err(|e| Error::format(origin, format!("invalid JSON: {e}")))?;
    conditions_from_json(&root, origin)
}

/// Conditions from parsed JSON: an object with `conditions` or a list of conditions.
pub fn conditions_from_json(root: &Value, origin: &str) -> Result<Conditions> {
    let list = match root {
        Value::Array(l) => l,
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| *k != "conditions") {
                return Err(Error::format(origin, format!("unknown key `{k}`; the top level holds only `conditions`")));
            }
            o.get("conditions")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::format(origin, "needs a `conditions` list"))?
        }
        _ => return Err(Error::format(origin, "must be an object with `conditions` or a list of conditions")),
    };
    let mut conds = Vec::with_capacity(list.len());
    for (c, item) in list.iter().enumerate() {
        let here = format!("{origin}: condition {c}");
        let obj = item.as_object().ok_or_else(|| Error::format(&here, "must be an object"))?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["name", "value", "anchor", "vector", "label", "mask", "trajectories"].contains(&k.as_str()))
        {
            return Err(Error::format(
                &here,
                format!("unknown key `{k}`; use name, value, anchor, vector, label, mask or trajectories"),
            ));
        }
        let mut cond = if let Some(trajs) = obj.get("trajectories") {
            if obj.contains_key("anchor") || obj.contains_key("vector") {
                return Err(Error::format(&here, "give either trajectories or anchor + vector, not both"));
            }
            let trajs =
                trajs.as_array().ok_or_else(|| Error::format(&here, "`trajectories` must be a list of matrices"))?;
            let mats = trajs
                .iter()
                .enumerate()
                .map(|(j, t)| json_matrix(t, &format!("{here}, trajectory {j}")))
                .collect::<Result<Vec<_>>>()?;
            let views: Vec<_> = mats.iter().map(|m| m.view()).collect();
            Condition::from_trajectories_of(c, &views)?
        } else {
            let get = |k: &str| obj.get(k).ok_or_else(|| Error::format(&here, format!("missing `{k}`")));
            Condition::new(
                json_matrix(get("anchor")?, &format!("{here}, anchor"))?,
                json_matrix(get("vector")?, &format!("{here}, vector"))?,
            )
        };
        // null is the same as leaving it out, as for `name`.
        if let Some(l) = obj.get("label").filter(|v| !v.is_null()) {
            cond.label = Some(json_vector(l, &format!("{here}, label"))?);
        }
        if let Some(m) = obj.get("mask").filter(|v| !v.is_null()) {
            let o = format!("{here}, mask");
            cond.mask = Some(as_mask(json_vector(m, &o)?, &o)?);
        }
        match obj.get("name") {
            None | Some(Value::Null) => {}
            Some(Value::String(n)) => cond.name = Some(n.clone()),
            Some(other) => {
                return Err(Error::format(format!("{here}, name"), format!("is {other}; a name is a string")));
            }
        }
        match obj.get("value") {
            None | Some(Value::Null) => {}
            Some(v) => {
                cond.value = Some(v.as_f64().ok_or_else(|| {
                    Error::format(format!("{here}, value"), format!("is {v}; a condition's value is one number"))
                })?);
            }
        }
        conds.push(cond);
    }
    Conditions::new(conds)
}

/// Read conditions from a JSON file.
pub fn read_json(path: &Path) -> Result<Conditions> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    parse_json(&text, &path.display().to_string())
}

/// Write conditions to an `.npz` archive that [`read_npz`] reads back (names included, as
/// numpy strings, and values as 0-d float64 arrays).
pub fn write_npz(path: &Path, conditions: &Conditions) -> Result<()> {
    use ndarray_npy::WriteNpyExt;
    use std::io::Write;
    let fail = |e: String| Error::io("cannot write", path, std::io::Error::other(e));
    // The OS error itself where there is one, so a full disk is told apart.
    let zip_fail = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(e) => Error::io("cannot write", path, e),
        other => fail(other.to_string()),
    };
    let file = File::create(path).map_err(|e| Error::io("cannot write", path, e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: String, bytes: Vec<u8>| -> Result<()> {
        zip.start_file(format!("{name}.npy"), options).map_err(zip_fail)?;
        zip.write_all(&bytes).map_err(|e| Error::io("cannot write", path, e))
    };
    fn npy<A: WriteNpyExt + ?Sized>(a: &A) -> std::result::Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        a.write_npy(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    }
    for (c, cond) in conditions.as_slice().iter().enumerate() {
        put(format!("anchor_{c}"), npy(&cond.anchor).map_err(fail)?)?;
        put(format!("vector_{c}"), npy(&cond.vector).map_err(fail)?)?;
        if let Some(l) = &cond.label {
            put(format!("label_{c}"), npy(l).map_err(fail)?)?;
        }
        if let Some(m) = &cond.mask {
            put(format!("mask_{c}"), npy(m).map_err(fail)?)?;
        }
        if let Some(n) = &cond.name {
            put(format!("name_{c}"), npy_text::write_text(n))?;
        }
        if let Some(v) = cond.value {
            put(format!("value_{c}"), npy(&ndarray::arr0(v)).map_err(fail)?)?;
        }
    }
    // Flushed here, not on drop, where a failed write would go unnoticed.
    let file =
        zip.finish().map_err(zip_fail)?.into_inner().map_err(|e| Error::io("cannot write", path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("cannot write", path, e))
}

/// Write a built dataset as an `.npz`: `anchor`, `vector`, `label`, `mask`, `condition`,
/// `sample_index` and `split` (0 train, 1 validation, 2 test) per point, the graph as
/// `edge_index` (2 x edges) and `edge_weight`, `eigenvalues_<c>` per condition when
/// computed, and `gauges` (n x D x m) with local frames.
pub fn write_dataset_npz(path: &Path, d: &crate::Dataset) -> Result<()> {
    crate::fsio::write_atomic(path, |tmp| write_dataset_npz_to(tmp, d))
}

fn write_dataset_npz_to(path: &Path, d: &crate::Dataset) -> Result<()> {
    use crate::dataset::Split;
    let fail = |e: ndarray_npy::WriteNpzError| Error::io("cannot write", path, std::io::Error::other(e.to_string()));
    let file = File::create(path).map_err(|e| Error::io("cannot write", path, e))?;
    let mut npz = ndarray_npy::NpzWriter::new_compressed(file);
    let int = |v: &[usize]| Array1::from_iter(v.iter().map(|&c| c as i64));
    npz.add_array("anchor", &d.anchor).map_err(fail)?;
    npz.add_array("vector", &d.vector).map_err(fail)?;
    npz.add_array("label", &d.label).map_err(fail)?;
    npz.add_array("mask", &d.mask).map_err(fail)?;
    npz.add_array("condition", &int(&d.condition)).map_err(fail)?;
    npz.add_array("sample_index", &int(&d.sample_index)).map_err(fail)?;
    let split = Array1::from_iter(d.split.iter().map(|s| match s {
        Split::Train => 0u8,
        Split::Val => 1,
        Split::Test => 2,
    }));
    npz.add_array("split", &split).map_err(fail)?;
    let a = &d.adjacency;
    let mut edges = Array2::<i64>::zeros((2, a.nnz()));
    let mut weights = Vec::with_capacity(a.nnz());
    for (e, (i, j, w)) in a.entries().enumerate() {
        edges[[0, e]] = i as i64;
        edges[[1, e]] = j as i64;
        weights.push(w);
    }
    npz.add_array("edge_index", &edges).map_err(fail)?;
    npz.add_array("edge_weight", &Array1::from_vec(weights)).map_err(fail)?;
    for (c, sp) in d.spectra.iter().flatten().enumerate() {
        npz.add_array(format!("eigenvalues_{c}"), &Array1::from_vec(sp.values.clone())).map_err(fail)?;
    }
    if let crate::geometry::frames::Frames::Local(f) = &d.frames {
        npz.add_array("gauges", f).map_err(fail)?;
    }
    npz.finish().map_err(fail)?;
    Ok(())
}
