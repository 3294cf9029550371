//! Comparing groups of conditions (animals, sessions, networks) recorded in one model:
//! [`match_conditions`] pairs each condition with its nearest condition in every other group,
//! and [`transfer_decoding`] trains a decoder on one group and scores it on another.
//!
//! Both are the paper's across-animal analyses: with the embedding-agnostic mode, conditions
//! recorded under the same label in different animals land near each other, and a decoder
//! fitted to one animal's latents reads another's behaviour.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::decode::{DecodeParams, fit_ridge, r2_scores, ridge_cv};
use super::embed::Pca;
use crate::error::{Error, Result};

/// The groups of a list of conditions: their names in order of first appearance, and the
/// group index of each condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// Group names, in order of first appearance.
    pub names: Vec<String>,
    /// Index into `names` of each condition.
    pub of_condition: Vec<usize>,
}

impl Groups {
    /// Group the conditions by their group names (one per condition).
    pub fn new(groups: &[String]) -> Groups {
        let mut names: Vec<String> = Vec::new();
        let of_condition = groups
            .iter()
            .map(|g| match names.iter().position(|n| n == g) {
                Some(i) => i,
                None => {
                    names.push(g.clone());
                    names.len() - 1
                }
            })
            .collect();
        Groups { names, of_condition }
    }

    /// The conditions of group `g`, in order.
    pub fn members(&self, g: usize) -> Vec<usize> {
        (0..self.of_condition.len()).filter(|&c| self.of_condition[c] == g).collect()
    }
}

/// What "the same condition" means when matching across groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchBy {
    /// Equal values (every condition has one: a reach angle, mu).
    Value,
    /// Equal names (the same name in several groups).
    Name,
}

/// One condition's nearest condition in another group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConditionMatch {
    /// The condition matched (row of the distance matrix).
    pub condition: usize,
    /// Its nearest condition in the other group.
    pub nearest: usize,
    /// The distance between them.
    pub distance: f64,
    /// Whether the two carry the same value or name (see [`Matching::by`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same: Option<bool>,
}

/// Every condition of group `from` matched to its nearest condition of group `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupMatching {
    /// The group whose conditions are matched.
    pub from: String,
    /// The group searched for the nearest condition.
    pub to: String,
    /// One match per condition of `from`, in condition order.
    pub matches: Vec<ConditionMatch>,
    /// Fraction of `from`'s conditions whose nearest condition carries the same value or
    /// name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// The accuracy of a match drawn at random from `to`: the mean, over `from`'s
    /// conditions, of the fraction of `to`'s conditions with the same value or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chance: Option<f64>,
}

/// Conditions matched across groups by their distances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Matching {
    /// What counts as the same condition: values when every condition has one, else names
    /// when a name recurs across groups; absent when neither applies (matches are then
    /// reported without a verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<MatchBy>,
    /// One entry per ordered pair of distinct groups (from, to).
    pub pairs: Vec<GroupMatching>,
}

/// Match every condition to its nearest condition (by `distances`, C x C) in each other
/// group. `groups` has one group name per condition; `names` and `values` (one per
/// condition) decide whether a match is the same condition. Fewer than two groups give no
/// pairs.
pub fn match_conditions(
    distances: ArrayView2<f64>,
    groups: &[String],
    names: &[String],
    values: &[Option<f64>],
) -> Result<Matching> {
    let c = distances.nrows();
    if distances.ncols() != c || groups.len() != c || names.len() != c || values.len() != c {
        return Err(Error::argument(
            "groups",
            format!(
                "{} groups, {} names and {} values for a {} x {} distance matrix; give one per condition",
                groups.len(),
                names.len(),
                values.len(),
                distances.nrows(),
                distances.ncols()
            ),
        ));
    }
    let g = Groups::new(groups);
    let all_values: Option<Vec<f64>> = values.iter().copied().collect();
    let by = match &all_values {
        Some(_) => Some(MatchBy::Value),
        None if (0..c).any(|a| (0..c).any(|b| g.of_condition[a] != g.of_condition[b] && names[a] == names[b])) => {
            Some(MatchBy::Name)
        }
        None => None,
    };
    let same = |a: usize, b: usize| match (by, &all_values) {
        (Some(MatchBy::Value), Some(v)) => Some(v[a] == v[b]),
        (Some(MatchBy::Name), _) => Some(names[a] == names[b]),
        _ => None,
    };
    let mut pairs = Vec::new();
    for from in 0..g.names.len() {
        for to in (0..g.names.len()).filter(|&t| t != from) {
            let targets = g.members(to);
            let matches: Vec<ConditionMatch> = g
                .members(from)
                .into_iter()
                .map(|a| {
                    let nearest = *targets
                        .iter()
                        .min_by(|&&x, &&y| distances[[a, x]].total_cmp(&distances[[a, y]]))
                        .expect("every group has a condition");
                    ConditionMatch { condition: a, nearest, distance: distances[[a, nearest]], same: same(a, nearest) }
                })
                .collect();
            let (accuracy, chance) = match by {
                Some(_) => {
                    let n = matches.len() as f64;
                    let hits = matches.iter().filter(|m| m.same == Some(true)).count() as f64;
                    let chance = matches
                        .iter()
                        .map(|m| targets.iter().filter(|&&t| same(m.condition, t) == Some(true)).count() as f64)
                        .sum::<f64>()
                        / (n * targets.len() as f64);
                    (Some(hits / n), Some(chance))
                }
                None => (None, None),
            };
            pairs.push(GroupMatching {
                from: g.names[from].clone(),
                to: g.names[to].clone(),
                matches,
                accuracy,
                chance,
            });
        }
    }
    Ok(Matching { by, pairs })
}

/// R^2 of a decoder trained on one group and scored on another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    /// The group the decoder was trained on (all its rows).
    pub train: String,
    /// The group it was scored on (all its rows).
    pub test: String,
    /// R^2 per behaviour column on `test`, from the MARBLE latents.
    pub r2: Vec<f64>,
    /// Mean of `r2`.
    pub r2_mean: f64,
    /// The same transfer on each group's own PCA of its input at the latents' dimension.
    pub pca_r2: Vec<f64>,
    /// Mean of `pca_r2`.
    pub pca_r2_mean: f64,
}

/// Cross-validated decoding within one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WithinGroup {
    /// The group.
    pub group: String,
    /// Cross-validated R^2 per behaviour column from the latents.
    pub r2: Vec<f64>,
    /// Mean of `r2`.
    pub r2_mean: f64,
    /// Cross-validated R^2 per column from the group's own PCA.
    pub pca_r2: Vec<f64>,
    /// Mean of `pca_r2`.
    pub pca_r2_mean: f64,
}

/// Decoding across groups: every ordered pair, and within each group for comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferDecoding {
    /// One entry per ordered pair of distinct groups.
    pub transfers: Vec<Transfer>,
    /// One entry per group.
    pub within: Vec<WithinGroup>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Decode `behaviour` (n x b) across groups. `latents` (n x d) and `input` (n x D: the
/// anchors, for the PCA baseline) have one row per point; `group` gives each row's group
/// index into `names`; `folds` are the cross-validation groups within a group (trials), or
/// contiguous blocks when `None`. The decoder is ridge regression with its strength chosen
/// by cross-validation on the training group ([`ridge_cv`]); the PCA baseline fits a PCA
/// to each group's input separately, as each animal's recording has its own basis.
pub fn transfer_decoding(
    latents: ArrayView2<f64>,
    input: ArrayView2<f64>,
    behaviour: ArrayView2<f64>,
    group: &[usize],
    names: &[String],
    folds: Option<&[usize]>,
    p: &DecodeParams,
) -> Result<TransferDecoding> {
    let n = latents.nrows();
    if input.nrows() != n || behaviour.nrows() != n || group.len() != n || folds.is_some_and(|f| f.len() != n) {
        return Err(Error::argument("behaviour", format!("needs one row per point ({n}) for decoding across groups")));
    }
    let dim = latents.ncols();
    let mut parts = Vec::new();
    for (g, name) in names.iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&i| group[i] == g).collect();
        if rows.is_empty() {
            return Err(Error::argument("groups", format!("group {name:?} has no points")));
        }
        let x = input.select(Axis(0), &rows);
        let pca = Pca::fit(x.view(), dim.min(x.ncols()))?;
        let part = GroupRows {
            latents: latents.select(Axis(0), &rows),
            pca: pca.transform(x.view())?,
            behaviour: behaviour.select(Axis(0), &rows),
            folds: folds.map(|f| rows.iter().map(|&i| f[i]).collect()),
            params: p.clone(),
        }
        .with_folds_it_has();
        parts.push(part);
    }
    let mut within = Vec::new();
    for (part, name) in parts.iter().zip(names) {
        let scored = |x: &Array2<f64>| ridge_cv(x.view(), part.behaviour.view(), part.folds.as_deref(), &part.params);
        let (z, q) = (scored(&part.latents)?, scored(&part.pca)?);
        within.push(WithinGroup {
            group: name.clone(),
            r2_mean: z.r2_mean,
            r2: z.r2,
            pca_r2_mean: q.r2_mean,
            pca_r2: q.r2,
        });
    }
    let mut transfers = Vec::new();
    for (a, train) in parts.iter().enumerate() {
        for (b, test) in parts.iter().enumerate().filter(|&(b, _)| b != a) {
            let across = |x: &Array2<f64>, y: &Array2<f64>| -> Result<Vec<f64>> {
                let model = fit_ridge(x.view(), train.behaviour.view(), train.folds.as_deref(), &train.params)?;
                Ok(r2_scores(test.behaviour.view(), model.predict(y.view()).view()))
            };
            let r2 = across(&train.latents, &test.latents)?;
            let pca_r2 = across(&train.pca, &test.pca)?;
            transfers.push(Transfer {
                train: names[a].clone(),
                test: names[b].clone(),
                r2_mean: mean(&r2),
                r2,
                pca_r2_mean: mean(&pca_r2),
                pca_r2,
            });
        }
    }
    Ok(TransferDecoding { transfers, within })
}

/// One group's rows for [`transfer_decoding`].
struct GroupRows {
    latents: Array2<f64>,
    pca: Array2<f64>,
    behaviour: Array2<f64>,
    folds: Option<Vec<usize>>,
    /// The decoder's settings for this group.
    params: DecodeParams,
}

impl GroupRows {
    /// Cross-validate within the group with as many folds as it has trials, when fewer
    /// than asked (one animal may hold 4 of 8 conditions), and over contiguous blocks when
    /// it has a single trial: a group of the data must not fail a decoding the whole passes.
    fn with_folds_it_has(mut self) -> GroupRows {
        if let Some(f) = &self.folds {
            let distinct = f.iter().collect::<std::collections::HashSet<_>>().len();
            if distinct < 2 {
                self.folds = None;
            } else {
                self.params.folds = self.params.folds.min(distinct);
            }
        }
        if self.folds.is_none() {
            self.params.folds = self.params.folds.min(self.behaviour.nrows()).max(2);
        }
        self
    }
}

/// "names" for a matching: what a match compares.
fn by_words(by: Option<MatchBy>) -> &'static str {
    match by {
        Some(MatchBy::Value) => "same value",
        Some(MatchBy::Name) => "same name",
        None => "no values or shared names to compare",
    }
}

impl Matching {
    /// The summary line of each pair of groups, for `marble analyze` and notebooks:
    /// "mihi -> chewie: 4 of 4 matched (same value; chance 0.25)".
    pub fn lines(&self) -> Vec<String> {
        self.pairs
            .iter()
            .map(|p| {
                let hits = p.matches.iter().filter(|m| m.same == Some(true)).count();
                match (p.accuracy, p.chance) {
                    (Some(_), Some(chance)) => format!(
                        "{} -> {}: {hits} of {} matched ({}; chance {chance:.2})",
                        p.from,
                        p.to,
                        p.matches.len(),
                        by_words(self.by)
                    ),
                    _ => format!("{} -> {}: {} conditions ({})", p.from, p.to, p.matches.len(), by_words(self.by)),
                }
            })
            .collect()
    }
}

impl TransferDecoding {
    /// One line per transfer and per group, for `marble analyze` and notebooks:
    /// "train mihi, test chewie: R^2 0.61 (PCA 0.05)".
    pub fn lines(&self) -> Vec<String> {
        let across = self.transfers.iter().map(|t| {
            format!("train {}, test {}: R^2 {:.3} (PCA of each group {:.3})", t.train, t.test, t.r2_mean, t.pca_r2_mean)
        });
        let within = self
            .within
            .iter()
            .map(|w| format!("within {} (cross-validated): R^2 {:.3} (PCA {:.3})", w.group, w.r2_mean, w.pca_r2_mean));
        across.chain(within).collect()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, array};

    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_condition_meets_its_nearest_in_the_other_group() {
        // Groups a = {0, 1}, b = {2, 3}; 0 is nearest 2 and 1 nearest 3 (values agree), but
        // from b, 3 is nearer 0 than 1 (a miss).
        let d = array![[0.0, 5.0, 1.0, 2.0], [5.0, 0.0, 4.0, 3.0], [1.0, 4.0, 0.0, 6.0], [2.0, 3.0, 6.0, 0.0]];
        let groups = strings(&["a", "a", "b", "b"]);
        let names = strings(&["left", "right", "left", "right"]);
        let values = [Some(0.0), Some(90.0), Some(0.0), Some(90.0)];
        let m = match_conditions(d.view(), &groups, &names, &values).unwrap();
        assert_eq!(m.by, Some(MatchBy::Value));
        assert_eq!(m.pairs.len(), 2);
        let ab = &m.pairs[0];
        assert_eq!((ab.from.as_str(), ab.to.as_str()), ("a", "b"));
        let got: Vec<(usize, usize, f64, Option<bool>)> =
            ab.matches.iter().map(|x| (x.condition, x.nearest, x.distance, x.same)).collect();
        assert_eq!(got, vec![(0, 2, 1.0, Some(true)), (1, 3, 3.0, Some(true))]);
        assert_eq!((ab.accuracy, ab.chance), (Some(1.0), Some(0.5)));
        let ba = &m.pairs[1];
        let got: Vec<(usize, usize, Option<bool>)> =
            ba.matches.iter().map(|x| (x.condition, x.nearest, x.same)).collect();
        assert_eq!(got, vec![(2, 0, Some(true)), (3, 0, Some(false))]);
        assert_eq!(ba.accuracy, Some(0.5));
        assert_eq!(m.lines()[1], "b -> a: 1 of 2 matched (same value; chance 0.50)");
    }

    #[test]
    fn names_decide_without_values_and_nothing_decides_without_either() {
        let d = array![[0.0, 2.0, 1.0], [2.0, 0.0, 3.0], [1.0, 3.0, 0.0]];
        let groups = strings(&["x", "x", "y"]);
        let m = match_conditions(d.view(), &groups, &strings(&["p", "q", "p"]), &[None, Some(1.0), None]).unwrap();
        assert_eq!(m.by, Some(MatchBy::Name));
        assert_eq!(m.pairs[0].accuracy, Some(0.5));
        assert_eq!(m.pairs[1].matches[0].nearest, 0);
        assert_eq!(m.pairs[1].chance, Some(0.5));
        let m = match_conditions(d.view(), &groups, &strings(&["p", "q", "r"]), &[None; 3]).unwrap();
        assert_eq!(m.by, None);
        assert!(m.pairs.iter().all(|p| p.accuracy.is_none() && p.matches.iter().all(|x| x.same.is_none())));
        // One entry per condition is required.
        assert!(match_conditions(d.view(), &groups[..2], &strings(&["p", "q", "r"]), &[None; 3]).is_err());
    }

    /// `n` rows of a seeded smooth path in 3-D, with distinct variances per axis.
    fn path(n: usize, phase: f64) -> Array2<f64> {
        Array2::from_shape_fn((n, 3), |(i, k)| {
            let t = i as f64 * 0.05 + phase;
            [3.0 * t.sin(), 2.0 * (1.7 * t).cos(), (0.6 * t).sin() * (2.3 * t).cos()][k]
        })
    }

    #[test]
    fn a_decoder_transfers_when_the_latents_share_their_map_to_behaviour() {
        // Two groups whose latents are the inputs themselves and whose behaviour is the same
        // linear function of them: a decoder trained on either reads the other (R^2 near 1),
        // as it does within each group. A third group's behaviour is unrelated noise: the
        // decoder trained on group 0 explains none of it.
        let n = 400;
        let (x0, x1) = (path(n, 0.0), path(n, 7.0));
        let w = array![[1.0, -0.5], [0.3, 2.0], [-1.0, 0.0]];
        let noise = Array2::from_shape_fn((n, 2), |(i, k)| ((i * 7919 + k * 104729) % 1000) as f64 / 1000.0 - 0.5);
        let x2 = path(n, 13.0);
        let latents = ndarray::concatenate![ndarray::Axis(0), x0, x1, x2];
        let behaviour = ndarray::concatenate![ndarray::Axis(0), x0.dot(&w), x1.dot(&w), noise];
        let group: Vec<usize> = (0..3 * n).map(|i| i / n).collect();
        let names = strings(&["g0", "g1", "g2"]);
        let t = transfer_decoding(
            latents.view(),
            latents.view(),
            behaviour.view(),
            &group,
            &names,
            None,
            &DecodeParams::default(),
        )
        .unwrap();
        assert_eq!(t.transfers.len(), 6);
        let find = |a: &str, b: &str| t.transfers.iter().find(|x| x.train == a && x.test == b).unwrap();
        for (a, b) in [("g0", "g1"), ("g1", "g0")] {
            let x = find(a, b);
            assert!(x.r2.iter().all(|r| *r > 0.999), "{x:?}");
        }
        assert!(find("g0", "g2").r2_mean < 0.05, "{:?}", find("g0", "g2"));
        for w in &t.within[..2] {
            // PCA at the full dimension is a rotation of the input, so it decodes as well.
            assert!(w.r2_mean > 0.999 && w.pca_r2_mean > 0.999, "{w:?}");
        }
        assert_eq!(t.lines().len(), 9);
    }

    #[test]
    fn groups_with_fewer_trials_than_folds_are_decoded_with_the_folds_they_have() {
        // Two groups of 3 trials each, 5 folds asked for: each group cross-validates over its
        // 3 trials, and a group of one trial over contiguous blocks.
        let n = 300;
        let x = path(2 * n, 0.0);
        let y = x.column(0).to_owned().insert_axis(ndarray::Axis(1));
        let group: Vec<usize> = (0..2 * n).map(|i| i / n).collect();
        let trials: Vec<usize> = (0..2 * n).map(|i| if i < n { i / 100 } else { 10 }).collect();
        let names = strings(&["a", "b"]);
        let t =
            transfer_decoding(x.view(), x.view(), y.view(), &group, &names, Some(&trials), &DecodeParams::default())
                .unwrap();
        assert!(t.within.iter().all(|w| w.r2_mean > 0.99), "{:?}", t.within);
        assert!(t.transfers.iter().all(|x| x.r2_mean > 0.99), "{:?}", t.transfers);
    }
}
