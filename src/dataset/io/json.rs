//! Conditions as JSON: the one typed form, [`ConditionData`], that both the REST API's
//! request body and `.json` input files are read into by serde, with the position of a
//! mistake in the message (`conditions[0].anchor[3][1]`).

use std::fmt;
use std::path::Path;

use ndarray::{Array1, Array2};
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use super::as_mask;
use crate::dataset::input::{Condition, Conditions};
use crate::error::{Error, Result};

// Also `trajectories` (not in the schema): time series, T x D each, turned into anchors
// x[t] and vectors x[t+1] - x[t].
/// One condition as JSON arrays (the request body of `POST /v1/datasets`, and the layout of
/// `.json` input files).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionData {
    /// Optional name, shown for the condition in figures and results (e.g. "mu = 0.5").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Optional number the condition was recorded under (e.g. mu = 0.5, a gain, a reach
    /// angle). Kept in the summary; when every condition has one, figures colour the
    /// conditions on a continuous scale by it, with a colour bar.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "one_number")]
    pub value: Option<f64>,
    /// Optional group: the animal, session or network the condition was recorded in (a
    /// string, or a whole number read as its digits). All conditions have one or none; the
    /// analysis then compares the groups (matching, transfer decoding).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "one_group")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub group: Option<String>,
    /// Anchors, n rows of D numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<Vec<f64>>, min_items = 1, required)]
    pub anchor: Option<Rows>,
    /// Vectors, n rows of S numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<Vec<f64>>, min_items = 1, required)]
    pub vector: Option<Rows>,
    /// Optional label per point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f64>>)]
    pub label: Option<Numbers>,
    /// Optional mask per point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<bool>>)]
    pub mask: Option<Flags>,
    /// Time series (T x D each) instead of `anchor` and `vector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub trajectories: Option<Vec<Rows>>,
}

/// A condition's group: a string, a whole number (read as its digits), or null for none.
fn one_group<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Group {
        Text(String),
        Whole(i64),
    }
    let g = Option::<Group>::deserialize(d)
        .map_err(|_| de::Error::custom("a condition's group is one string (\"mihi\") or one whole number"))?;
    Ok(g.map(|g| match g {
        Group::Text(t) => t,
        Group::Whole(n) => n.to_string(),
    }))
}

/// A condition's value: one number, or null for none.
fn one_number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d).map_err(|e| de::Error::custom(format!("{e}; a condition's value is one number")))
}

/// A matrix read from JSON rows straight into one buffer (no vector per row, no JSON value
/// per number). Rows of unequal length are kept and reported, with the first one at fault,
/// when the matrix is taken ([`Rows::into_array`]), as the error `ragged`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    values: Vec<f64>,
    nrows: usize,
    ncols: usize,
    /// The first row of another length: (row, expected, found).
    ragged: Option<(usize, usize, usize)>,
}

impl Rows {
    /// The rows of a matrix.
    pub fn from_array(a: ndarray::ArrayView2<f64>) -> Rows {
        Rows { values: a.iter().copied().collect(), nrows: a.nrows(), ncols: a.ncols(), ragged: None }
    }

    /// Rows (points), and numbers per row.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }

    /// The matrix, or the error `ragged` naming `origin` and the first row at fault.
    pub fn into_array(self, origin: &str) -> Result<Array2<f64>> {
        if let Some((row, expected, found)) = self.ragged {
            return Err(Error::Ragged { origin: origin.to_string(), row, expected, found });
        }
        Ok(Array2::from_shape_vec((self.nrows, self.ncols), self.values).expect("rectangular, checked"))
    }
}

/// A matrix's buffer taken over (copied only when it is not in row-major order).
impl From<Array2<f64>> for Rows {
    fn from(a: Array2<f64>) -> Rows {
        let (nrows, ncols) = a.dim();
        let values = if a.is_standard_layout() {
            let (v, offset) = a.into_raw_vec_and_offset();
            debug_assert!(offset.unwrap_or(0) == 0);
            v
        } else {
            a.iter().copied().collect()
        };
        Rows { values, nrows, ncols, ragged: None }
    }
}

/// Rows given as vectors (ragged ones reported when the matrix is taken).
impl From<Vec<Vec<f64>>> for Rows {
    fn from(rows: Vec<Vec<f64>>) -> Rows {
        let mut out = Rows::default();
        for row in rows {
            out.push_row(row.len(), row);
        }
        out
    }
}

impl Rows {
    fn push_row(&mut self, len: usize, values: impl IntoIterator<Item = f64>) {
        self.values.extend(values);
        if self.nrows == 0 {
            self.ncols = len;
        } else if len != self.ncols && self.ragged.is_none() {
            self.ragged = Some((self.nrows, self.ncols, len));
        }
        self.nrows += 1;
    }
}

/// One number of a JSON array: JSON has no NaN or infinity, so the message says what to do.
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number (JSON has no NaN or infinity: drop such samples)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Number, E> {
                Ok(Number(if v { 1.0 } else { 0.0 }))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Matrix;
        impl<'de> Visitor<'de> for Matrix {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of rows, each a list of numbers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Rows, A::Error> {
                let mut rows = Rows::default();
                while seq.next_element_seed(Row(&mut rows))?.is_some() {}
                Ok(rows)
            }
        }
        d.deserialize_seq(Matrix)
    }
}

/// Appends one row to the buffer.
struct Row<'a>(&'a mut Rows);

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Row<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row: a list of numbers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let rows = self.0;
        let start = rows.values.len();
        while let Some(Number(x)) = seq.next_element()? {
            rows.values.push(x);
        }
        let len = rows.values.len() - start;
        rows.push_row(len, std::iter::empty());
        Ok(())
    }
}

impl Serialize for Rows {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.nrows))?;
        for i in 0..self.nrows {
            seq.serialize_element(&self.values[i * self.ncols..(i + 1) * self.ncols])?;
        }
        seq.end()
    }
}

/// One number per point (a label, or a mask as true/false or 0/1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Numbers(Vec<f64>);

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let items: Vec<Number> = Vec::deserialize(d)?;
        Ok(Numbers(items.into_iter().map(|Number(x)| x).collect()))
    }
}

impl Serialize for Numbers {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// One flag per point: true/false, or 0/1 as numbers; written as true/false.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flags(Vec<f64>);

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Numbers::deserialize(d).map(|Numbers(v)| Flags(v))
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&x| x != 0.0))
    }
}

impl ConditionData {
    /// The JSON form of a condition (copies its numbers: for JSON bodies and files only).
    pub fn from_condition(c: &Condition) -> ConditionData {
        ConditionData {
            name: c.name.clone(),
            value: c.value,
            group: c.group.clone(),
            anchor: Some(Rows::from_array(c.anchor.view())),
            vector: Some(Rows::from_array(c.vector.view())),
            label: c.label.as_ref().map(|l| Numbers(l.to_vec())),
            mask: c.mask.as_ref().map(|m| Flags(m.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect())),
            trajectories: None,
        }
    }

    /// Condition `c` of a list read from `origin`, its arrays moved, not copied.
    pub fn into_condition(self, c: usize, origin: &str) -> Result<Condition> {
        let here = format!("{origin}: condition {c}");
        let mut cond = match (self.trajectories, self.anchor, self.vector) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(Error::format(&here, "give either trajectories or anchor + vector, not both"));
            }
            (Some(trajs), None, None) => {
                let mats = trajs
                    .into_iter()
                    .enumerate()
                    .map(|(j, t)| t.into_array(&format!("{here}, trajectory {j}")))
                    .collect::<Result<Vec<_>>>()?;
                let views: Vec<_> = mats.iter().map(|m| m.view()).collect();
                Condition::from_trajectories_of(c, &views)?
            }
            (None, Some(a), Some(v)) => {
                Condition::new(a.into_array(&format!("{here}, anchor"))?, v.into_array(&format!("{here}, vector"))?)
            }
            (None, a, _) => {
                let missing = if a.is_none() { "anchor" } else { "vector" };
                return Err(Error::format(&here, format!("missing `{missing}` (or give `trajectories`)")));
            }
        };
        cond.label = self.label.map(|Numbers(l)| Array1::from_vec(l));
        if let Some(Flags(m)) = self.mask {
            cond.mask = Some(as_mask(Array1::from_vec(m), &format!("{here}, mask"))?);
        }
        cond.name = self.name;
        cond.value = self.value;
        cond.group = self.group;
        Ok(cond)
    }
}

/// Validated conditions from their JSON form, read from `origin` (named in messages).
pub fn conditions_from_data(list: Vec<ConditionData>, origin: &str) -> Result<Conditions> {
    let conds = list.into_iter().enumerate().map(|(c, d)| d.into_condition(c, origin)).collect::<Result<_>>()?;
    Conditions::new(conds)
}

/// The top level of a `.json` input file (or a bare list of conditions).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionsFile {
    conditions: Vec<ConditionData>,
}

/// Parse conditions from JSON text (see the module docs for the layout), read from
/// `origin`. A mistake names where it is: `at conditions[0].anchor[3][1]: invalid type ...`.
pub fn parse_json(text: &str, origin: &str) -> Result<Conditions> {
    let bare = text.trim_start().starts_with('[');
    let mut de = serde_json::Deserializer::from_str(text);
    let read = if bare {
        serde_path_to_error::deserialize(&mut de)
    } else {
        serde_path_to_error::deserialize(&mut de).map(|f: ConditionsFile| f.conditions)
    };
    let list = read.map_err(|e| {
        let at = e.path().to_string();
        let e = e.into_inner();
        if e.is_syntax() || e.is_eof() {
            Error::format(origin, format!("invalid JSON: {e}"))
        } else if at == "." {
            Error::format(origin, format!("{e}; the top level is an object with `conditions` (a list), or that list"))
        } else {
            Error::format(origin, format!("at `{at}`: {e}"))
        }
    })?;
    de.end().map_err(|e| Error::format(origin, format!("invalid JSON: {e}")))?;
    conditions_from_data(list, origin)
}

/// Read conditions from a JSON file.
pub fn read_json(path: &Path) -> Result<Conditions> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    parse_json(&text, &path.display().to_string())
}
