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

/// The colour of group `i`, cycling through Tableau 10.
pub(super) fn category(i: usize) -> RGBColor {
    TABLEAU[i % TABLEAU.len()]
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
    /// Nothing (one colour).
    None,
}

/// How points are coloured.
#[derive(Clone, Copy, Debug)]
pub enum Colouring<'a> {
    /// One colour per group (e.g. condition), with a legend of names: point `i` belongs to
    /// group `labels[i]`, which is named `names[labels[i]]`. Colours cycle through the
    /// ten-colour Tableau palette.
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
    /// One colour.
    Plain,
}

impl Colouring<'_> {
    /// One colour per point for `n` points, and the key that explains them; checks that
    /// labels or values match the points.
    pub(super) fn resolve(&self, n: usize) -> Result<(Vec<RGBColor>, Key)> {
        match *self {
            Colouring::Categorical { labels, names } => {
                check_len("labels", labels.len(), n)?;
                if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= names.len()) {
                    return Err(Error::argument(
                        "labels",
                        format!("label {i} is {l} but there are {} names; give one name per group", names.len()),
                    ));
                }
                let legend = names.iter().enumerate().map(|(g, name)| (name.clone(), category(g))).collect();
                Ok((labels.iter().map(|&l| category(l)).collect(), Key::Legend(legend)))
            }
            Colouring::Continuous { values, name } => {
                check_len("values", values.len(), n)?;
                if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::argument("values", format!("value {i} is {v}; colour values must be finite")));
                }
                let scale = Scale::spanning(values.iter().copied(), name);
                Ok((values.iter().map(|&v| scale.colour(v)).collect(), Key::Bar(scale)))
            }
            Colouring::Plain => Ok((vec![category(0); n], Key::None)),
        }
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
    fn flat_scale_sits_in_the_middle() {
        let s = Scale::spanning([2.0, 2.0], "t");
        assert_eq!(s.fraction(2.0), 0.5);
    }
}
