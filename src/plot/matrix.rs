//! Figures of per-condition matrices: distances between conditions and cluster histograms.

use ndarray::{Array2, ArrayView2, Axis as NdAxis};
use plotters::prelude::{BLACK, Color, Rectangle, Text, WHITE};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Svg;
use super::canvas::{Above, Aspect, Axis, Layout, TICK_PX, chart, draw_key, inked, render, short_number};
use super::check;
use super::colour::{Key, Scale, condition_colours, is_dark};
use crate::error::{Error, Result};

/// Largest matrix whose values are written in the cells.
const MAX_ANNOTATED: usize = 12;

/// A heatmap of the C x C distances between conditions, row `i` and column `i` named
/// `names[i]` (row 0 on top), coloured on viridis from the smallest to the largest entry,
/// with a colour bar. For C <= 12 each cell also shows its value.
///
/// Marks: exactly C² `<rect>`s filled with a colour other than white, one per cell in row
/// order. (The background is a white `<rect>`, the frame and colour-bar outline are
/// unfilled `<rect>`s, and the colour bar's bands are `<polygon>`s.)
///
/// Errors ([`Error::InvalidArgument`]): an empty or non-square matrix, a name count other
/// than C, and non-finite entries.
pub fn distance_matrix(distances: ArrayView2<f64>, names: &[String], title: &str) -> Result<Svg> {
    check::non_empty("distances", distances)?;
    let c = distances.nrows();
    if distances.ncols() != c {
        return Err(Error::argument(
            "distances",
            format!("is {c} x {}; a distance matrix is square, one row and column per condition", distances.ncols()),
        ));
    }
    check::one_name_per_row(names, c)?;
    check::finite("distances", distances)?;
    let scale = Scale::spanning(distances.iter().copied(), "distance");
    let key = Key::Bar(scale.clone());

    render(|root| {
        let layout = Layout {
            title,
            note: None,
            x: Axis::categories(names, ""),
            y: Axis::categories(names, ""),
            key: &key,
            aspect: Aspect::Square,
            above: Above::Nothing,
        };
        let mut chart = chart(root, layout)?;
        let cell = |i: usize, j: usize| [(j as f64, (c - i) as f64), ((j + 1) as f64, (c - i - 1) as f64)];
        chart.draw_series(
            distances.indexed_iter().map(|((i, j), &v)| Rectangle::new(cell(i, j), scale.colour(v).filled())),
        )?;
        if c <= MAX_ANNOTATED {
            let cell_px = f64::from(chart.plotting_area().dim_in_pixel().0) / c as f64;
            let px = (cell_px / 4.0).clamp(9.0, TICK_PX);
            chart.draw_series(distances.indexed_iter().map(|((i, j), &v)| {
                let ink = if is_dark(scale.colour(v)) { WHITE } else { BLACK };
                let style = inked(px, &ink).pos(Pos::new(HPos::Center, VPos::Center));
                Text::new(short_number(v), (j as f64 + 0.5, (c - i) as f64 - 0.5), style)
            }))?;
        }
        draw_key(root, &chart, &key)
    })
}

/// Grouped bars of how each condition's points fall into clusters: `histograms` is C x K
/// (C conditions named by `names`, K clusters; counts or proportions, all >= 0). Each row
/// is shown as proportions of its total (a zero row as zeros): above cluster k, one bar per
/// condition, coloured by condition as `Colouring::Categorical` colours groups (a legend
/// of names up to ten conditions, an ordered colour bar of names beyond).
///
/// Marks: exactly C·K `<rect>`s filled with a colour other than white, one per (condition,
/// cluster) cell, zero-height bars included. (The background and legend box are white
/// `<rect>`s; the frame and legend border are unfilled; legend swatches are `<circle>`s,
/// one per name; an ordered bar's bands are C four-vertex `<polygon>`s.)
///
/// Errors ([`Error::InvalidArgument`]): an empty matrix, a name count other than C, and
/// non-finite or negative entries.
pub fn cluster_histograms(histograms: ArrayView2<f64>, names: &[String], title: &str) -> Result<Svg> {
    cluster_histograms_by_value(histograms, names, None, title)
}

/// [`cluster_histograms`] with the conditions coloured by `values` when given (one per
/// condition, on viridis, with a colour bar named as [`super::condition_map`] names it),
/// as every figure of conditions with values is.
///
/// Marks: as [`cluster_histograms`]; a colour bar (64 four-vertex `<polygon>`s) replaces
/// the legend when there are values.
///
/// Errors: as [`cluster_histograms`], and a value count other than C or a non-finite value.
pub fn cluster_histograms_by_value(
    histograms: ArrayView2<f64>,
    names: &[String],
    values: Option<&[f64]>,
    title: &str,
) -> Result<Svg> {
    check::non_empty("histograms", histograms)?;
    let (c, k) = histograms.dim();
    check::one_name_per_row(names, c)?;
    check::one_value_per_condition(values, c)?;
    check::finite("histograms", histograms)?;
    if let Some(((i, j), v)) = histograms.indexed_iter().find(|(_, v)| **v < 0.0) {
        return Err(Error::argument(
            "histograms",
            format!("entry ({i}, {j}) is {v}; counts and proportions cannot be negative"),
        ));
    }
    let proportions = proportions(histograms);
    let top = proportions.iter().copied().fold(0.0, f64::max);
    let clusters: Vec<String> = (0..k).map(|j| j.to_string()).collect();
    let (colours, key) = condition_colours(names, values)?;

    render(|root| {
        let layout = Layout {
            title,
            note: None,
            x: Axis::categories(&clusters, "cluster"),
            y: Axis::numeric(0.0..if top > 0.0 { 1.08 * top } else { 1.0 }, "proportion"),
            key: &key,
            aspect: Aspect::Free,
            above: Above::Nothing,
        };
        let mut chart = chart(root, layout)?;
        let width = 0.8 / c as f64;
        chart.draw_series(proportions.indexed_iter().map(|((i, j), &p)| {
            let left = j as f64 + 0.1 + i as f64 * width;
            Rectangle::new([(left, 0.0), (left + width, p)], colours[i].filled())
        }))?;
        draw_key(root, &chart, &key)
    })
}

/// Each row divided by its sum (rows summing to zero stay zero).
fn proportions(histograms: ArrayView2<f64>) -> Array2<f64> {
    let mut p = histograms.to_owned();
    for mut row in p.axis_iter_mut(NdAxis(0)) {
        let total = row.sum();
        if total > 0.0 {
            row /= total;
        }
    }
    p
}
