//! Conditions as the user gives them: anchors, vectors, optional labels and masks.
//!
//! [`Conditions::new`] is the one gate every input passes (files, JSON, Rust arrays,
//! trajectories): after it, arrays are finite, rectangular, and agree on lengths and
//! dimensions, so later stages never meet malformed data.

use ndarray::{Array1, Array2, ArrayView2, s};

use crate::error::{Error, Result};

/// One condition: n points in R^D with an S-dimensional signal at each.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Positions in state space (n x D).
    pub anchor: Array2<f64>,
    /// Signal at each anchor, usually the velocity (n x S).
    pub vector: Array2<f64>,
    /// Optional per-point label, kept for plots and decoding (n).
    pub label: Option<Array1<f64>>,
    /// Optional per-point mask: masked points are pulled together during training (n).
    pub mask: Option<Array1<bool>>,
    /// Optional name shown for the condition in figures, tables and results
    /// (e.g. "mu = 0.5"); unnamed conditions are shown as "condition c".
    pub name: Option<String>,
    /// Optional number the condition was recorded under (e.g. mu = 0.5, a gain, a reach
    /// angle). When every condition has one, figures colour the conditions on a continuous
    /// scale by it, with a colour bar; finite.
    pub value: Option<f64>,
    /// Optional group: the animal, session or network the condition was recorded in.
    /// Conditions of one group share a name here; when conditions have groups, every one
    /// must, and the analysis compares the groups (matching, transfer decoding).
    pub group: Option<String>,
}

impl Condition {
    /// A condition from anchors and vectors, without labels or mask.
    pub fn new(anchor: Array2<f64>, vector: Array2<f64>) -> Self {
        Condition { anchor, vector, label: None, mask: None, name: None, value: None, group: None }
    }

    /// Name the condition.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Put the condition in a group (the animal, session or network it was recorded in).
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Give the condition the number it was recorded under (e.g. mu).
    pub fn with_value(mut self, value: f64) -> Self {
        self.value = Some(value);
        self
    }

    /// Attach per-point labels.
    pub fn with_label(mut self, label: Array1<f64>) -> Self {
        self.label = Some(label);
        self
    }

    /// Attach a per-point mask.
    pub fn with_mask(mut self, mask: Array1<bool>) -> Self {
        self.mask = Some(mask);
        self
    }

    /// A condition from time series: anchors x[t] and vectors x[t+1] - x[t] of every
    /// trajectory (each T x D, T >= 2), stacked. Labels are the time index t.
    pub fn from_trajectories(trajectories: &[ArrayView2<f64>]) -> Result<Self> {
        Self::from_trajectories_of(usize::MAX, trajectories)
    }

    pub(crate) fn from_trajectories_of(condition: usize, trajectories: &[ArrayView2<f64>]) -> Result<Self> {
        let origin = |j: usize| {
            if condition == usize::MAX {
                format!("trajectory {j}")
            } else {
                format!("condition {condition}, trajectory {j}")
            }
        };
        let Some(first) = trajectories.first() else {
            return Err(Error::format(origin(0), "no trajectories: give at least one time series"));
        };
        let dim = first.ncols();
        let mut n = 0;
        for (j, x) in trajectories.iter().enumerate() {
            if x.ncols() != dim {
                return Err(Error::format(
                    origin(j),
                    format!("has {} columns but trajectory 0 has {dim}; all must share the state dimension", x.ncols()),
                ));
            }
            if x.nrows() < 2 {
                return Err(Error::format(
                    origin(j),
                    format!("has {} time points; a trajectory needs at least 2 to give a velocity", x.nrows()),
                ));
            }
            n += x.nrows() - 1;
        }
        let mut anchor = Array2::zeros((n, dim));
        let mut vector = Array2::zeros((n, dim));
        let mut label = Array1::zeros(n);
        let mut row = 0;
        for x in trajectories {
            let t = x.nrows() - 1;
            anchor.slice_mut(s![row..row + t, ..]).assign(&x.slice(s![..t, ..]));
            let diff = &x.slice(s![1.., ..]) - &x.slice(s![..t, ..]);
            vector.slice_mut(s![row..row + t, ..]).assign(&diff);
            label.slice_mut(s![row..row + t]).assign(&Array1::from_iter((0..t).map(|v| v as f64)));
            row += t;
        }
        Ok(Condition { anchor, vector, label: Some(label), mask: None, name: None, value: None, group: None })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.anchor.nrows()
    }

    /// True when the condition has no points.
    pub fn is_empty(&self) -> bool {
        self.anchor.nrows() == 0
    }
}

/// The name shown for each condition: its own, or "condition c" when it has none.
pub fn display_names(names: impl IntoIterator<Item = Option<String>>) -> Vec<String> {
    names.into_iter().enumerate().map(|(c, n)| n.unwrap_or_else(|| format!("condition {c}"))).collect()
}

/// Longest condition name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A name or group must be a readable label: not blank, one line, not too long.
fn check_label(field: String, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::argument(field, "is blank; give readable text or leave it out"));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::argument(field, format!("{text:?} holds a control character; use one line of text")));
    }
    if text.chars().count() > MAX_NAME_CHARS {
        return Err(Error::argument(field, format!("is longer than {MAX_NAME_CHARS} characters")));
    }
    Ok(())
}

/// Groups are readable labels, and all or none of the conditions have one (a condition
/// outside every group could be neither matched nor decoded across groups).
fn check_groups(conditions: &[Condition]) -> Result<()> {
    let grouped = conditions.iter().position(|c| c.group.is_some());
    for (c, cond) in conditions.iter().enumerate() {
        match (&cond.group, grouped) {
            (Some(g), _) => check_label(format!("condition {c}: group"), g)?,
            (None, Some(first)) => {
                return Err(Error::argument(
                    format!("condition {c}: group"),
                    format!(
                        "is missing but condition {first} is in group {:?}; give every condition a group, or none",
                        conditions[first].group.as_deref().unwrap_or_default()
                    ),
                ));
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// Names must be readable labels: not blank, one line, not too long, and distinct within
/// their group (all conditions, when there are no groups), since they stand for their
/// condition in every figure and table. The same name in two groups is the same condition
/// recorded twice (a reach target in two animals), which matching across groups compares.
fn check_names(conditions: &[Condition]) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for (c, cond) in conditions.iter().enumerate() {
        let Some(name) = &cond.name else { continue };
        let field = format!("condition {c}: name");
        check_label(field.clone(), name)?;
        if let Some(first) = seen.insert((cond.group.as_deref(), name.as_str()), c) {
            let within = cond.group.as_deref().map(|g| format!(" in group {g:?}")).unwrap_or_default();
            return Err(Error::argument(
                field,
                format!(
                    "{name:?} is also the name of condition {first}{within}; names label conditions, so make them distinct"
                ),
            ));
        }
    }
    Ok(())
}

/// A validated list of conditions sharing the embedding dimension D and signal dimension S.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditions {
    conditions: Vec<Condition>,
}

pub(crate) fn check_finite(condition: usize, array: &'static str, x: ArrayView2<f64>) -> Result<()> {
    for ((row, column), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(Error::NonFinite { condition, array, row, column, value: v.to_string() });
        }
    }
    Ok(())
}

impl Conditions {
    /// Validate and wrap. Errors name the condition, the array and the row at fault.
    pub fn new(mut conditions: Vec<Condition>) -> Result<Self> {
        // Later stages read rows as slices: arrays in another order (a column selection,
        // Fortran order from numpy) are laid out row-major once, here.
        for cond in &mut conditions {
            for a in [&mut cond.anchor, &mut cond.vector] {
                if !a.is_standard_layout() {
                    *a = a.as_standard_layout().into_owned();
                }
            }
        }
        let Some(first) = conditions.first() else {
            return Err(Error::NoConditions);
        };
        let (dim_emb, dim_sig) = (first.anchor.ncols(), first.vector.ncols());
        for (c, cond) in conditions.iter().enumerate() {
            let n = cond.anchor.nrows();
            if n == 0 {
                return Err(Error::EmptyCondition { condition: c });
            }
            if cond.vector.nrows() != n {
                return Err(Error::LengthMismatch {
                    condition: c,
                    array: "vector",
                    expected: n,
                    found: cond.vector.nrows(),
                });
            }
            if let Some(l) = &cond.label
                && l.len() != n
            {
                return Err(Error::LengthMismatch { condition: c, array: "label", expected: n, found: l.len() });
            }
            if let Some(m) = &cond.mask
                && m.len() != n
            {
                return Err(Error::LengthMismatch { condition: c, array: "mask", expected: n, found: m.len() });
            }
            if cond.anchor.ncols() == 0 || cond.vector.ncols() == 0 {
                let array = if cond.anchor.ncols() == 0 { "anchor" } else { "vector" };
                return Err(Error::format(format!("condition {c}"), format!("{array} has no columns")));
            }
            if cond.anchor.ncols() != dim_emb {
                return Err(Error::DimensionMismatch {
                    condition: c,
                    array: "anchor",
                    expected: dim_emb,
                    found: cond.anchor.ncols(),
                });
            }
            if cond.vector.ncols() != dim_sig {
                return Err(Error::DimensionMismatch {
                    condition: c,
                    array: "vector",
                    expected: dim_sig,
                    found: cond.vector.ncols(),
                });
            }
            if let Some(v) = cond.value
                && !v.is_finite()
            {
                return Err(Error::argument(
                    format!("condition {c}: value"),
                    format!("is {v}; a condition's value must be a finite number (or leave it out)"),
                ));
            }
            check_finite(c, "anchor", cond.anchor.view())?;
            check_finite(c, "vector", cond.vector.view())?;
            if let Some(l) = &cond.label
                && let Some((row, v)) = l.iter().enumerate().find(|(_, v)| !v.is_finite())
            {
                return Err(Error::NonFinite { condition: c, array: "label", row, column: 0, value: v.to_string() });
            }
        }
        check_names(&conditions)?;
        check_groups(&conditions)?;
        Ok(Conditions { conditions })
    }

    /// Give the conditions names, one per condition, in order (e.g. from `--names`).
    pub fn with_names(self, names: &[String]) -> Result<Self> {
        self.with_each("names", "name", names, |c, n| c.with_name(n.trim()))
    }

    /// Give the conditions values, one per condition, in order (e.g. from `--values`).
    pub fn with_values(self, values: &[f64]) -> Result<Self> {
        self.with_each("values", "value", values, |c, &v| c.with_value(v))
    }

    /// Put the conditions in groups, one group per condition, in order (e.g. from
    /// `--groups-of-conditions`).
    pub fn with_groups(self, groups: &[String]) -> Result<Self> {
        self.with_each("groups", "group", groups, |c, g| c.with_group(g.trim()))
    }

    /// Set one thing per condition (`field` in messages), checked again as a whole.
    fn with_each<T>(
        self,
        field: &str,
        one: &str,
        given: &[T],
        set: impl Fn(Condition, &T) -> Condition,
    ) -> Result<Self> {
        let n = self.conditions.len();
        if given.len() != n {
            return Err(Error::argument(
                field,
                format!("{} {field} for {n} conditions; give exactly one {one} per condition", given.len()),
            ));
        }
        Conditions::new(self.conditions.into_iter().zip(given).map(|(c, g)| set(c, g)).collect())
    }

    /// The group of each condition, `None` for all when they have none.
    pub fn groups(&self) -> Vec<Option<String>> {
        self.conditions.iter().map(|c| c.group.clone()).collect()
    }

    /// The value of each condition, `None` where it has none.
    pub fn values(&self) -> Vec<Option<f64>> {
        self.conditions.iter().map(|c| c.value).collect()
    }

    /// The name shown for each condition: its own, or "condition c".
    pub fn names(&self) -> Vec<String> {
        display_names(self.conditions.iter().map(|c| c.name.clone()))
    }

    /// Conditions from trajectories: `trajectories[c]` is the list of time series (T x D) of
    /// condition c; anchors are x[t] and vectors x[t+1] - x[t].
    pub fn from_trajectories(trajectories: &[Vec<Array2<f64>>]) -> Result<Self> {
        let conds = trajectories
            .iter()
            .enumerate()
            .map(|(c, trajs)| {
                let views: Vec<_> = trajs.iter().map(|t| t.view()).collect();
                Condition::from_trajectories_of(c, &views)
            })
            .collect::<Result<Vec<_>>>()?;
        Conditions::new(conds)
    }

    /// Number of conditions.
    pub fn len(&self) -> usize {
        self.conditions.len()
    }

    /// Always false: validation rejects an empty list.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// Embedding dimension D (columns of the anchors).
    pub fn embedding_dim(&self) -> usize {
        self.conditions[0].anchor.ncols()
    }

    /// Signal dimension S (columns of the vectors).
    pub fn signal_dim(&self) -> usize {
        self.conditions[0].vector.ncols()
    }

    /// The conditions, in order.
    pub fn as_slice(&self) -> &[Condition] {
        &self.conditions
    }

    /// Unwrap into the list of conditions.
    pub fn into_vec(self) -> Vec<Condition> {
        self.conditions
    }

    /// Total number of points over all conditions.
    pub fn n_points(&self) -> usize {
        self.conditions.iter().map(Condition::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn cond(n: usize, d: usize, s: usize) -> Condition {
        Condition::new(Array2::from_shape_fn((n, d), |(i, j)| (i * d + j) as f64), Array2::ones((n, s)))
    }

    #[test]
    fn malformed_inputs_get_named_errors() {
        assert_eq!(Conditions::new(vec![]).unwrap_err().code(), "no_conditions");
        let e = Conditions::new(vec![cond(5, 2, 2), cond(0, 2, 2)]).unwrap_err();
        assert!(matches!(e, Error::EmptyCondition { condition: 1 }), "{e}");
        let mut bad = cond(5, 2, 2);
        bad.vector = Array2::ones((4, 2));
        let e = Conditions::new(vec![bad]).unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { condition: 0, array: "vector", expected: 5, found: 4 }), "{e}");
        let e = Conditions::new(vec![cond(5, 2, 2), cond(5, 3, 2)]).unwrap_err();
        assert!(matches!(e, Error::DimensionMismatch { condition: 1, array: "anchor", expected: 2, found: 3 }), "{e}");
        let e = Conditions::new(vec![cond(5, 2, 2), cond(5, 2, 1)]).unwrap_err();
        assert!(matches!(e, Error::DimensionMismatch { condition: 1, array: "vector", .. }), "{e}");
        let mut nan = cond(5, 2, 2);
        nan.vector[[3, 1]] = f64::NAN;
        let e = Conditions::new(vec![nan]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { condition: 0, array: "vector", row: 3, column: 1, .. }), "{e}");
        let mut inf = cond(5, 2, 2);
        inf.anchor[[0, 0]] = f64::INFINITY;
        assert!(matches!(Conditions::new(vec![inf]).unwrap_err(), Error::NonFinite { array: "anchor", .. }));
        let labelled = cond(5, 2, 2).with_label(Array1::zeros(3));
        assert!(matches!(Conditions::new(vec![labelled]).unwrap_err(), Error::LengthMismatch { array: "label", .. }));
    }

    #[test]
    fn trajectories_give_forward_differences() {
        let x = array![[0.0, 0.0], [1.0, 0.5], [3.0, 1.5]];
        let y = array![[10.0, 10.0], [10.0, 9.0]];
        let c = Conditions::from_trajectories(&[vec![x, y]]).unwrap();
        let c0 = &c.as_slice()[0];
        assert_eq!(c0.anchor, array![[0.0, 0.0], [1.0, 0.5], [10.0, 10.0]]);
        assert_eq!(c0.vector, array![[1.0, 0.5], [2.0, 1.0], [0.0, -1.0]]);
        assert_eq!(c0.label.as_ref().unwrap(), &array![0.0, 1.0, 0.0]);
        let short = Conditions::from_trajectories(&[vec![array![[1.0, 2.0]]]]).unwrap_err();
        assert!(short.to_string().contains("at least 2"), "{short}");
    }

    #[test]
    fn values_are_one_finite_number_per_condition() {
        let two = || Conditions::new(vec![cond(5, 2, 2), cond(5, 2, 2)]).unwrap();
        assert_eq!(two().with_values(&[0.5, -1.0]).unwrap().values(), vec![Some(0.5), Some(-1.0)]);
        assert_eq!(two().values(), vec![None, None]);
        let e = two().with_values(&[0.5]).unwrap_err();
        assert!(e.to_string().contains("values") && e.to_string().contains("1 values for 2 conditions"), "{e}");
        let e = two().with_values(&[0.5, f64::NAN]).unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.to_string().contains("condition 1: value") && e.to_string().contains("NaN"), "{e}");
    }
}
