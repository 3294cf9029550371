//! Palettes and colour keys: how [`Colouring`] turns into one colour per point plus a legend
//! or a colour bar.

use plotters::style::RGBColor;

use crate::error::{Error, Result};

/// Tableau 10, the qualitative palette of matplotlib's `tab10` successor: distinct under
/// common colour-vision deficiencies and never white.
const TABLEAU: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

/// matplotlib's viridis at 0, 0.1, ..., 1: perceptually uniform, dark purple to yellow.
const VIRIDIS: [RGBColor; 11] = [
    RGBColor(68, 1, 84),
    RGBColor(72, 36, 117),
    RGBColor(65, 68, 135),
    RGBColor(53, 95, 141),
    RGBColor(42, 120, 142),
    RGBColor(33, 145, 140),
    RGBColor(34, 168, 132),
    RGBColor(68, 191, 112),
    RGBColor(122, 209, 81),
    RGBColor(189, 223, 38),
    RGBColor(253, 231, 37),
];

/// Most groups told apart by the categorical palette; more are put on an ordered colour
/// bar instead (see [`Colouring::Categorical`]).
pub const MAX_CATEGORIES: usize = TABLEAU.len();

/// The colour of group `i`, cycling through Tableau 10.
pub(super) fn category(i: usize) -> RGBColor {
    TABLEAU[i % TABLEAU.len()]
}

/// One colour per group named by `names`, and the key that explains them: Tableau 10 with a
/// legend when there are at most [`MAX_CATEGORIES`] groups whose names, as the legend
/// writes them, differ; otherwise viridis by group order with an ordered colour bar that
/// names the groups (so no colour is reused and every group can be found).
pub(super) fn group_colours(names: &[String]) -> (Vec<RGBColor>, Key) {
    let shown: Vec<String> = names.iter().map(|n| legend_name(n)).collect();
    let distinct = shown.iter().collect::<std::collections::HashSet<_>>().len() == shown.len();
    if names.len() <= MAX_CATEGORIES && distinct {
        let colours: Vec<RGBColor> = (0..names.len()).map(category).collect();
        let legend = names.iter().cloned().zip(colours.iter().copied()).collect();
        return (colours, Key::Legend(legend));
    }
    let last = names.len().saturating_sub(1).max(1) as f64;
    let colours = (0..names.len()).map(|g| sequential(g as f64 / last)).collect();
    (colours, Key::Ordinal(names.to_vec()))
}

/// Most characters of a name in a legend.
pub(super) const MAX_NAME: usize = 24;

/// `name` as a legend writes it: cut to [`MAX_NAME`] characters with an ellipsis.
pub(super) fn legend_name(name: &str) -> String {
    shorten(name, MAX_NAME)
}

/// `name`, cut to `max` characters with an ellipsis.
pub(super) fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max { name.to_owned() } else { name.chars().take(max - 1).chain(['…']).collect() }
}

/// What the values of conditions named `names` measure, for the colour bar: the common
/// left side when every name reads "<what> = <number>" ("mu = -0.5", "mu = 1.0" give "mu"),
/// else "value".
pub fn value_name(names: &[String]) -> String {
    let sides: Vec<Option<&str>> = names
        .iter()
        .map(|n| {
            let (what, number) = n.split_once('=')?;
            number.trim().parse::<f64>().ok()?;
            Some(what.trim()).filter(|w| !w.is_empty())
        })
        .collect();
    match sides.first() {
        Some(Some(first)) if sides.iter().all(|s| s == &Some(*first)) => (*first).to_owned(),
        _ => "value".to_owned(),
    }
}

/// Viridis at `t` in [0, 1] (clamped), linearly interpolated between its anchors.
pub(super) fn sequential(t: f64) -> RGBColor {
    let x = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) } * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + f * (f64::from(q) - f64::from(p))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Whether text on `colour` should be white rather than black (relative luminance below
/// one half).
pub(super) fn is_dark(colour: RGBColor) -> bool {
    let RGBColor(r, g, b) = colour;
    0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b) < 128.0
}

/// A linear map from `[lo, hi]` onto the colormap.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Scale {
    /// Value shown at the bottom of the colour bar.
    pub lo: f64,
    /// Value shown at the top.
    pub hi: f64,
    /// Name written beside the colour bar.
    pub name: String,
}

impl Scale {
    /// The scale spanning `values` (which must be finite and non-empty).
    pub fn spanning(values: impl IntoIterator<Item = f64>, name: &str) -> Self {
        let (lo, hi) =
            values.into_iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        Scale { lo, hi, name: name.to_owned() }
    }

    /// Position of `v` in [0, 1]; the middle when all values are equal.
    pub fn fraction(&self, v: f64) -> f64 {
        if self.hi > self.lo { (v - self.lo) / (self.hi - self.lo) } else { 0.5 }
    }

    /// The colour of `v`.
    pub fn colour(&self, v: f64) -> RGBColor {
        sequential(self.fraction(v))
    }
}

/// What explains the colours of a figure.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Key {
    /// A legend: one swatch per name.
    Legend(Vec<(String, RGBColor)>),
    /// A colour bar.
    Bar(Scale),
    /// An ordered colour bar of groups: one band per name, the first at the bottom, in the
    /// colours of [`group_colours`], with as many names beside it as fit.
    Ordinal(Vec<String>),
    /// Nothing (one colour).
    None,
}

/// How points are coloured.
#[derive(Clone, Copy, Debug)]
pub enum Colouring<'a> {
    /// One colour per group (e.g. condition), with a legend of names: point `i` belongs to
    /// group `labels[i]`, which is named `names[labels[i]]`. Up to ten groups take the
    /// Tableau palette and a legend; more groups, or names a legend could not tell apart
    /// (the same in their first 24 characters), take viridis in group order and an
    /// ordered colour bar naming the groups, so no colour is reused.
    Categorical {
        /// Group of each point, indexing `names`.
        labels: &'a [usize],
        /// Name of each group, in legend order.
        names: &'a [String],
    },
    /// A continuous value per point (e.g. time, a label) on the viridis colormap, with a
    /// colour bar named `name`.
    Continuous {
        /// Value of each point; all finite.
        values: &'a [f64],
        /// What the values are, written beside the colour bar.
        name: &'a str,
    },
    /// One colour per group on the viridis colormap by the group's value (e.g. each
    /// condition's mu), with a colour bar named `name`: point `i` belongs to group
    /// `labels[i]`, whose value is `values[labels[i]]`. The bar spans every group's value.
    Valued {
        /// Group of each point, indexing `values`.
        labels: &'a [usize],
        /// Value of each group; all finite.
        values: &'a [f64],
        /// What the values are, written beside the colour bar.
        name: &'a str,
    },
    /// One colour.
    Plain,
}

impl<'a> Colouring<'a> {
    /// Colour by a value per point (e.g. hand velocity, time in trial) on viridis, with a
    /// colour bar named `name`: [`Colouring::Continuous`].
    pub fn values(values: &'a [f64], name: &'a str) -> Self {
        Colouring::Continuous { values, name }
    }

    /// One colour per point for `n` points, and the key that explains them; checks that
    /// labels or values match the points.
    pub(super) fn resolve(&self, n: usize) -> Result<(Vec<RGBColor>, Key)> {
        match *self {
            Colouring::Categorical { labels, names } => {
                check_labels(labels, n, names.len(), "names")?;
                let (colours, key) = group_colours(names);
                Ok((labels.iter().map(|&l| colours[l]).collect(), key))
            }
            Colouring::Continuous { values, name } => {
                check_len("values", values.len(), n)?;
                check_finite(values)?;
                let scale = Scale::spanning(values.iter().copied(), name);
                Ok((values.iter().map(|&v| scale.colour(v)).collect(), Key::Bar(scale)))
            }
            Colouring::Valued { labels, values, name } => {
                check_labels(labels, n, values.len(), "values")?;
                check_finite(values)?;
                let scale = Scale::spanning(values.iter().copied(), name);
                Ok((labels.iter().map(|&l| scale.colour(values[l])).collect(), Key::Bar(scale)))
            }
            Colouring::Plain => Ok((vec![category(0); n], Key::None)),
        }
    }
}

/// One colour per condition, in order, and the key that explains them: by each condition's
/// value on viridis when `values` is given (the bar named by [`value_name`]), else by name as
/// [`Colouring::Categorical`] colours groups.
pub(super) fn condition_colours(names: &[String], values: Option<&[f64]>) -> Result<(Vec<RGBColor>, Key)> {
    let identity: Vec<usize> = (0..names.len()).collect();
    let what = value_name(names);
    let colouring = match values {
        Some(values) => Colouring::Valued { labels: &identity, values, name: &what },
        None => Colouring::Categorical { labels: &identity, names },
    };
    colouring.resolve(names.len())
}

/// One label per point, each indexing one of `groups` entries of `field`.
fn check_labels(labels: &[usize], n: usize, groups: usize, field: &str) -> Result<()> {
    check_len("labels", labels.len(), n)?;
    if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= groups) {
        let what = if field == "names" { "name" } else { "value" };
        return Err(Error::argument(
            "labels",
            format!("label {i} is {l} but there are {groups} {field}; give one {what} per group"),
        ));
    }
    Ok(())
}

fn check_finite(values: &[f64]) -> Result<()> {
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((i, v)) => Err(Error::argument("values", format!("value {i} is {v}; colour values must be finite"))),
        None => Ok(()),
    }
}

fn check_len(field: &str, len: usize, n: usize) -> Result<()> {
    if len == n {
        Ok(())
    } else {
        Err(Error::argument(field, format!("has {len} entries but there are {n} points; give one per point")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(sequential(0.0), VIRIDIS[0]);
        assert_eq!(sequential(1.0), VIRIDIS[10]);
        assert_eq!(sequential(-3.0), VIRIDIS[0]);
        assert_eq!(sequential(f64::NAN), VIRIDIS[0]);
        assert_eq!(sequential(0.5), VIRIDIS[5]);
        assert!(is_dark(sequential(0.0)) && !is_dark(sequential(1.0)));
    }

    #[test]
    fn palette_cycles() {
        assert_eq!(category(0), category(10));
        assert_ne!(category(0), category(1));
    }

    #[test]
    fn few_distinct_names_get_a_legend_and_many_an_ordered_bar() {
        let names = |n: usize| (0..n).map(|i| format!("condition {i}")).collect::<Vec<_>>();
        let (colours, key) = group_colours(&names(10));
        assert!(matches!(key, Key::Legend(ref l) if l.len() == 10));
        assert_eq!(colours, (0..10).map(category).collect::<Vec<_>>());
        let (colours, key) = group_colours(&names(11));
        assert_eq!(key, Key::Ordinal(names(11)));
        assert_eq!((colours[0], colours[10]), (VIRIDIS[0], VIRIDIS[10]));
        // Names a legend cuts to the same text cannot be told apart there.
        let long = vec!["a recording of a condition, first".to_string(), "a recording of a condition, second".into()];
        assert!(matches!(group_colours(&long).1, Key::Ordinal(_)));
    }

    #[test]
    fn valued_groups_span_the_colormap() {
        let (colours, key) =
            Colouring::Valued { labels: &[2, 0, 1, 2], values: &[0.5, -1.0, 1.0], name: "mu" }.resolve(4).unwrap();
        assert_eq!(colours, vec![VIRIDIS[10], sequential(0.75), VIRIDIS[0], VIRIDIS[10]]);
        assert_eq!(key, Key::Bar(Scale { lo: -1.0, hi: 1.0, name: "mu".into() }));
        let bad = Colouring::Valued { labels: &[3], values: &[0.5, -1.0, 1.0], name: "mu" }.resolve(1);
        assert!(bad.unwrap_err().to_string().contains("3 values"));
        let nan = Colouring::Valued { labels: &[0], values: &[f64::NAN], name: "mu" }.resolve(1);
        assert!(nan.unwrap_err().to_string().contains("NaN"));
    }

    #[test]
    fn values_are_named_after_the_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(value_name(&names(&["mu = -1.000", "mu = 0.5", "mu=1"])), "mu");
        assert_eq!(value_name(&names(&["gain = 1", "mu = 2"])), "value");
        assert_eq!(value_name(&names(&["mu = fast"])), "value");
        assert_eq!(value_name(&names(&["condition 0"])), "value");
        assert_eq!(value_name(&[]), "value");
    }

    #[test]
    fn flat_scale_sits_in_the_middle() {
        let s = Scale::spanning([2.0, 2.0], "t");
        assert_eq!(s.fraction(2.0), 0.5);
    }
}
