//! Recordings of different dimension brought to one: each group reduced by its own PCA.
//!
//! MARBLE builds every condition in one state space R^D, but recordings from different
//! animals, sessions or networks rarely share one: two monkeys have different numbers of
//! recorded neurons (D_g). As the paper does, each recording (a *group*) is reduced by its
//! own principal component analysis to a common dimension `dim` first; the conditions of
//! all groups are then built together, each carrying its group, and the analysis compares
//! the groups. [`reduce`] takes named [`Recording`]s; [`reduce_by_group`] takes conditions
//! that already carry their groups (one input holding several groups).
//!
//! For each group g:
//! - One PCA is fitted to the anchors of all its conditions stacked (so its conditions stay
//!   comparable with each other), centred on the group's mean. Anchors become their
//!   coordinates on the `dim` leading axes: `(x - mean) W`, with W the D_g x dim
//!   orthonormal axes.
//! - Vectors with S = D_g columns are velocities in the group's state space (the usual
//!   `x[t+1] - x[t]`): they are mapped by the same W, without centring (a difference of
//!   states loses the mean), so a vector stays the difference of its projected states.
//!   Vectors with S != D_g columns are not in state space (a scalar field, a behavioural
//!   signal): there is no map for them, so they are kept as they are and the report says so
//!   ([`GroupReport::vectors_projected`]). Every group must end with the same signal
//!   dimension, or [`reduce`] refuses with each group's dimensions.
//! - Names, values, labels and masks are kept; each condition gets its group.
//!
//! `dim` must be at least 1, at most every group's D_g (PCA cannot add dimensions) and
//! below every group's number of points (n centred points span at most n - 1 dimensions);
//! errors name `dim` and the group. Groups are told apart by name, so recordings given the
//! same group name are one group with one PCA (one CSV per condition of one animal); they
//! must share D.
//!
//! Each group's axes are its own: the reduced spaces of two groups are not aligned (axis 1
//! of one animal is not axis 1 of another). Comparisons across groups that should not
//! depend on the axes can use `inner_product_features`, which makes the features invariant
//! to rotations of the local frames. [`GroupReport::pca`] keeps each group's PCA, to reduce
//! further recordings of that group the same way (`pca.transform`).
//!
//! ```
//! use marble::dataset::prepare::{Recording, reduce};
//! use marble::Condition;
//! use ndarray::Array2;
//! // Two recordings, of 5 and 8 units, reduced to 2 dimensions each.
//! let rec = |d: usize| {
//!     let x = Array2::from_shape_fn((30, d), |(i, j)| ((i * (j + 1)) as f64).sin());
//!     vec![Condition::new(x.clone(), x * 0.1).with_name("reach")]
//! };
//! let prepared = reduce(vec![Recording::new("mihi", rec(5)), Recording::new("chewie", rec(8))], 2).unwrap();
//! assert_eq!(prepared.conditions.embedding_dim(), 2);
//! assert_eq!(prepared.conditions.groups(), [Some("mihi".into()), Some("chewie".into())]);
//! assert_eq!(prepared.groups[1].input_dim, 8);
//! ```

use ndarray::Axis;

use crate::analysis::Pca;
use crate::dataset::input::{Condition, Conditions, check_finite};
use crate::error::{Error, Result};

/// One recording: the conditions of one animal, session or network, all of its dimension
/// D (its own number of units), under the name of its group.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// The group every condition of the recording is put in (e.g. "mihi").
    pub group: String,
    /// The conditions, sharing the anchor dimension D and the signal dimension S.
    pub conditions: Vec<Condition>,
}

impl Recording {
    /// A recording of `conditions` under the group name `group`.
    pub fn new(group: impl Into<String>, conditions: Vec<Condition>) -> Self {
        Recording { group: group.into(), conditions }
    }
}

/// What the reduction did to one group, for the user to judge it (a low `explained`
/// means `dim` drops much of the group's activity).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupReport {
    /// The group's name.
    pub group: String,
    /// Its dimension before the reduction, D_g (columns of its anchors).
    pub input_dim: usize,
    /// Its signal dimension, S (columns of its vectors); after the reduction `dim` where
    /// the vectors were projected, S where they were kept.
    pub signal_dim: usize,
    /// Its number of conditions.
    pub n_conditions: usize,
    /// Its number of points, all conditions together.
    pub n_points: usize,
    /// Fraction of the group's variance (about its mean) the `dim` kept axes hold, in
    /// [0, 1]: 1 when the group's anchors lie in a `dim`-dimensional affine subspace.
    pub explained: f64,
    /// Whether the vectors were mapped with the anchors (S = D_g, velocities in state
    /// space) or kept as they were (S != D_g, a signal not in state space).
    pub vectors_projected: bool,
    /// The group's PCA: `mean` (D_g), `components` (dim x D_g, orthonormal rows) and the
    /// variance of each axis; `pca.transform` reduces further data of this group alike.
    pub pca: Pca,
}

/// Conditions of several groups reduced to one dimension, with what was done to each.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// The conditions, in input order, every one with its group, anchors in R^dim.
    pub conditions: Conditions,
    /// One report per group, in order of first appearance.
    pub groups: Vec<GroupReport>,
}

/// Reduce each recording by its own PCA to `dim` dimensions and put its conditions in its
/// group (replacing any group they had). The conditions come back in order, recording
/// after recording. See the [module documentation](self) for what is done to anchors and
/// vectors, and the errors.
pub fn reduce(recordings: Vec<Recording>, dim: usize) -> Result<Prepared> {
    let conditions = recordings
        .into_iter()
        .flat_map(|r| {
            let group = r.group;
            r.conditions.into_iter().map(move |c| c.with_group(group.clone()))
        })
        .collect();
    reduce_by_group(conditions, dim)
}

/// Reduce conditions that each carry their group (`Condition::group`, e.g. from
/// `group_<c>` in an `.npz`): the conditions of each group, which share its dimension, by
/// one PCA of that group, to `dim` dimensions. A validated [`Conditions`] with groups
/// passes as `conditions.into_vec()`.
pub fn reduce_by_group(mut conditions: Vec<Condition>, dim: usize) -> Result<Prepared> {
    if conditions.is_empty() {
        return Err(Error::NoConditions);
    }
    if dim == 0 {
        return Err(Error::argument("dim", "is 0; give the common dimension, at least 1"));
    }
    for (c, cond) in conditions.iter().enumerate() {
        check_finite(c, "anchor", cond.anchor.view())?;
        check_finite(c, "vector", cond.vector.view())?;
    }
    let mut groups = Vec::new();
    for (group, members) in members_of_groups(&conditions)? {
        groups.push(reduce_group(&mut conditions, group, &members, dim)?);
    }
    check_signal_dims(&groups, dim)?;
    Ok(Prepared { conditions: Conditions::new(conditions)?, groups })
}

/// The conditions of each group, groups in order of first appearance; every condition
/// must have a group, and those of one group must share its anchor and signal dimensions.
fn members_of_groups(conditions: &[Condition]) -> Result<Vec<(String, Vec<usize>)>> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (c, cond) in conditions.iter().enumerate() {
        let Some(group) = &cond.group else {
            return Err(Error::argument(
                format!("condition {c}: group"),
                "is missing; give every condition the group (recording) it belongs to, or pass \
                 named recordings (`--group-names`, `Recording::new`)",
            ));
        };
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, members)) => {
                let first = &conditions[members[0]];
                for (array, found, expected) in [
                    ("anchor", cond.anchor.ncols(), first.anchor.ncols()),
                    ("vector", cond.vector.ncols(), first.vector.ncols()),
                ] {
                    if found != expected {
                        return Err(Error::argument(
                            format!("condition {c}: {array}"),
                            format!(
                                "has {found} columns but condition {} of the same group {group:?} has \
                                 {expected}; the conditions of one recording share its state space, so \
                                 give them the same columns or put them in different groups",
                                members[0]
                            ),
                        ));
                    }
                }
                members.push(c);
            }
            None => groups.push((group.clone(), vec![c])),
        }
    }
    Ok(groups)
}

/// Fit the PCA of one group on its stacked anchors and map its conditions in place.
fn reduce_group(conditions: &mut [Condition], group: String, members: &[usize], dim: usize) -> Result<GroupReport> {
    let input_dim = conditions[members[0]].anchor.ncols();
    let signal_dim = conditions[members[0]].vector.ncols();
    let n_points: usize = members.iter().map(|&c| conditions[c].len()).sum();
    if dim > input_dim {
        return Err(Error::argument(
            "dim",
            format!(
                "is {dim} but group {group:?} has {input_dim} dimensions (columns of its anchors); PCA \
                 cannot add dimensions, so use dim <= {input_dim} (at most the smallest group's)"
            ),
        ));
    }
    if dim >= n_points {
        return Err(Error::argument(
            "dim",
            format!(
                "is {dim} but group {group:?} has {n_points} points, which span at most {} dimensions \
                 about their mean; use dim < {n_points} or give the group more points",
                n_points.saturating_sub(1)
            ),
        ));
    }
    let views: Vec<_> = members.iter().map(|&c| conditions[c].anchor.view()).collect();
    let stacked = ndarray::concatenate(Axis(0), &views).expect("the group's anchors share their columns");
    let pca = Pca::fit(stacked.view(), dim)?;
    let vectors_projected = signal_dim == input_dim;
    for &c in members {
        let cond = &mut conditions[c];
        cond.anchor = pca.transform(cond.anchor.view())?;
        if vectors_projected {
            cond.vector = cond.vector.dot(&pca.components.t());
        }
    }
    let explained = pca.explained_variance_ratio.sum().clamp(0.0, 1.0);
    Ok(GroupReport {
        group,
        input_dim,
        signal_dim,
        n_conditions: members.len(),
        n_points,
        explained,
        vectors_projected,
        pca,
    })
}

/// Every group must end with the same signal dimension: `dim` where vectors were
/// projected, S where they were kept. A mix means some recordings gave velocities and
/// others another signal, which cannot be compared.
fn check_signal_dims(groups: &[GroupReport], dim: usize) -> Result<()> {
    let signal = |g: &GroupReport| if g.vectors_projected { dim } else { g.signal_dim };
    let first = &groups[0];
    let Some(other) = groups.iter().find(|g| signal(g) != signal(first)) else {
        return Ok(());
    };
    let describe = |g: &GroupReport| {
        let what = if g.vectors_projected {
            format!("velocities (S = D = {}), projected to {dim}", g.input_dim)
        } else {
            format!("a {}-column signal, not in its {}-D state space, kept", g.signal_dim, g.input_dim)
        };
        format!("group {:?} has {what}", g.group)
    };
    Err(Error::argument(
        "vector",
        format!(
            "{} but {}; give every recording velocities in its own state space (S = D) or the same \
             signal of one dimension that is not a state space's",
            describe(first),
            describe(other)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, array};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    use super::*;

    /// A D x 2 matrix with orthonormal columns (Gram-Schmidt on a Gaussian draw).
    fn orthonormal(d: usize, seed: u64) -> Array2<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut q = Array2::from_shape_fn((d, 2), |_| StandardNormal.sample(&mut rng));
        for j in 0..2 {
            for i in 0..j {
                let p: f64 = q.column(i).dot(&q.column(j));
                let qi = q.column(i).to_owned();
                q.column_mut(j).scaled_add(-p, &qi);
            }
            let norm = q.column(j).dot(&q.column(j)).sqrt();
            q.column_mut(j).mapv_inplace(|v| v / norm);
        }
        q
    }

    /// Two planar flows (a vortex and a saddle) on a seeded point cloud, in R^2.
    fn flows() -> Vec<(Array2<f64>, Array2<f64>)> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let x = Array2::from_shape_fn((40, 2), |_| StandardNormal.sample(&mut rng));
        let vortex = array![[-0.1, -1.0], [1.0, -0.1]];
        let saddle = array![[1.0, 0.0], [0.0, -1.0]];
        [vortex, saddle].iter().map(|a| (x.clone() + 0.5, x.dot(&a.t()))).collect()
    }

    /// The flows embedded in R^d by the orthonormal map q, shifted away from the origin,
    /// named, valued, labelled and masked.
    fn recording(d: usize, seed: u64) -> Vec<Condition> {
        let q = orthonormal(d, seed);
        let offset = Array1::from_iter((0..d).map(|j| 3.0 + j as f64));
        flows()
            .into_iter()
            .zip(["vortex", "saddle"])
            .enumerate()
            .map(|(c, ((x, v), name))| {
                let n = x.nrows();
                Condition::new(x.dot(&q.t()) + &offset, v.dot(&q.t()))
                    .with_name(name)
                    .with_value(c as f64)
                    .with_label(Array1::from_iter((0..n).map(|i| i as f64)))
                    .with_mask(Array1::from_iter((0..n).map(|i| i % 3 == 0)))
            })
            .collect()
    }

    fn distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
        (&a - &b).mapv(|v| v * v).sum().sqrt()
    }

    #[test]
    fn each_group_gets_back_the_planar_flow_up_to_a_rotation() {
        let recs = vec![Recording::new("a", recording(6, 1)), Recording::new("b", recording(9, 2))];
        let prepared = reduce(recs, 2).unwrap();
        let conds = prepared.conditions.as_slice();
        assert_eq!(conds.len(), 4);
        assert_eq!(prepared.conditions.embedding_dim(), 2);
        assert_eq!(prepared.conditions.signal_dim(), 2);
        let original = flows();
        // Both conditions of a group share its map: compare points across its conditions too.
        for (g, (group, d)) in [("a", 6), ("b", 9)].into_iter().enumerate() {
            let report = &prepared.groups[g];
            assert_eq!((report.group.as_str(), report.input_dim, report.signal_dim), (group, d, d));
            assert_eq!((report.n_conditions, report.n_points), (2, 80));
            assert!(report.vectors_projected);
            assert!((report.explained - 1.0).abs() < 1e-9, "{}", report.explained);
            let (y, w) = (&conds[2 * g].anchor, &conds[2 * g + 1].vector);
            let (x, v) = (&original[0].0, &original[1].1);
            for i in 0..x.nrows() {
                let vi = v.row(i).dot(&v.row(i)).sqrt();
                assert!((w.row(i).dot(&w.row(i)).sqrt() - vi).abs() < 1e-9);
                for j in 0..x.nrows() {
                    let (dy, dx) = (distance(y.row(i), y.row(j)), distance(x.row(i), x.row(j)));
                    assert!((dy - dx).abs() < 1e-9, "group {group}: points {i}, {j}: {dy} vs {dx}");
                    // The vectors turn with the anchors: the angle between a vector and a
                    // displacement between points is kept.
                    let dot_y = w.row(i).dot(&(&y.row(j) - &y.row(0)));
                    let dot_x = v.row(i).dot(&(&x.row(j) - &x.row(0)));
                    assert!((dot_y - dot_x).abs() < 1e-9, "group {group}: vector {i}, point {j}");
                }
            }
        }
    }

    #[test]
    fn names_values_labels_masks_and_groups_are_kept() {
        let before = [recording(6, 1), recording(9, 2)].concat();
        let recs = vec![Recording::new("a", recording(6, 1)), Recording::new("b", recording(9, 2))];
        let prepared = reduce(recs, 2).unwrap();
        let c = &prepared.conditions;
        assert_eq!(c.names(), ["vortex", "saddle", "vortex", "saddle"]);
        assert_eq!(c.values(), [Some(0.0), Some(1.0), Some(0.0), Some(1.0)]);
        assert_eq!(c.groups(), ["a", "a", "b", "b"].map(|g| Some(g.to_string())));
        for (after, before) in c.as_slice().iter().zip(&before) {
            assert_eq!(after.label, before.label);
            assert_eq!(after.mask, before.mask);
        }
    }

    #[test]
    fn one_input_with_groups_is_reduced_group_by_group() {
        // Interleaved groups sharing D: each gets its own PCA, the order is kept.
        let (a, b) = (recording(6, 1), recording(6, 3));
        let conds = vec![
            a[0].clone().with_group("a"),
            b[0].clone().with_group("b"),
            a[1].clone().with_group("a"),
            b[1].clone().with_group("b"),
        ];
        let grouped = Conditions::new(conds).unwrap();
        let prepared = reduce_by_group(grouped.into_vec(), 2).unwrap();
        assert_eq!(prepared.conditions.groups(), ["a", "b", "a", "b"].map(|g| Some(g.to_string())));
        assert_eq!(prepared.groups.len(), 2);
        assert!(prepared.groups.iter().all(|g| (g.explained - 1.0).abs() < 1e-9 && g.n_points == 80));
        let direct = reduce(vec![Recording::new("a", a)], 2).unwrap();
        assert_eq!(prepared.conditions.as_slice()[2].anchor, direct.conditions.as_slice()[1].anchor);
        let e = reduce_by_group(recording(6, 1), 2).unwrap_err().to_string();
        assert!(e.contains("condition 0: group") && e.contains("is missing"), "{e}");
    }

    #[test]
    fn a_signal_not_in_state_space_is_kept() {
        let scalar = |d, seed| {
            recording(d, seed)
                .into_iter()
                .map(|mut c| {
                    c.vector = c.vector.column(0).to_owned().insert_axis(Axis(1));
                    c
                })
                .collect::<Vec<_>>()
        };
        let before = scalar(6, 1);
        let prepared = reduce(vec![Recording::new("a", scalar(6, 1)), Recording::new("b", scalar(9, 2))], 2).unwrap();
        assert!(prepared.groups.iter().all(|g| !g.vectors_projected && g.signal_dim == 1));
        assert_eq!(prepared.conditions.signal_dim(), 1);
        assert_eq!(prepared.conditions.as_slice()[0].vector, before[0].vector);
        // Velocities in one group and a scalar in the other cannot be compared.
        let e = reduce(vec![Recording::new("a", recording(6, 1)), Recording::new("b", scalar(9, 2))], 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`vector`") && e.contains("group \"a\" has velocities"), "{e}");
        assert!(e.contains("group \"b\" has a 1-column signal"), "{e}");
    }

    #[test]
    fn bad_dim_is_refused_naming_dim_and_the_group() {
        let recs = || vec![Recording::new("a", recording(6, 1)), Recording::new("b", recording(9, 2))];
        let e = reduce(recs(), 7).unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        let e = e.to_string();
        assert!(e.contains("`dim`") && e.contains("is 7") && e.contains("group \"a\" has 6 dimensions"), "{e}");
        let e = reduce(recs(), 0).unwrap_err().to_string();
        assert!(e.contains("`dim`") && e.contains("is 0"), "{e}");
        let few = vec![Condition::new(Array2::eye(4), Array2::eye(4)).with_name("short")];
        let e = reduce(vec![Recording::new("tiny", few)], 4).unwrap_err().to_string();
        assert!(e.contains("`dim`") && e.contains("group \"tiny\" has 4 points") && e.contains("dim < 4"), "{e}");
        // One group's conditions must share its dimension.
        let mixed = vec![recording(6, 1).remove(0), recording(9, 2).remove(1)];
        let e = reduce(vec![Recording::new("a", mixed)], 2).unwrap_err().to_string();
        assert!(e.contains("condition 1: anchor") && e.contains("same group \"a\""), "{e}");
        assert!(matches!(reduce(vec![], 2).unwrap_err(), Error::NoConditions));
    }
}
