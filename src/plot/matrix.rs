//! Figures of per-condition matrices: distances between conditions and cluster histograms.

use ndarray::{Array2, ArrayView2, Axis as NdAxis};
use plotters::prelude::{BLACK, Color, PathElement, Rectangle, Text, WHITE};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Svg;
use super::canvas::{
    Above, Area, Aspect, Axis, Chart, Drawn, Layout, TICK_PX, chart, draw_key, font, inked, render, short_number,
};
use super::check;
use super::colour::{Key, MAX_NAME, Scale, condition_colours, is_dark, shorten};
use super::groups::Grouping;
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
    distance_matrix_grouped(distances, names, None, title)
}

/// [`distance_matrix`] with the conditions in groups (the animal, session or network each
/// was recorded in; one label per condition). Rows keep the order given: a white line 3 px
/// wide separates consecutive rows, and columns, whose groups differ, so groups recorded
/// one after the other show as blocks, and each run of one group's columns is named above
/// the matrix over a grey bracket. The matrix is symmetric, so the names over the columns
/// name the rows' blocks too. A name is cut to its run's width, and a run too narrow for
/// two characters is left unnamed (order conditions by group for a readable matrix).
/// Condition names on the axes are kept as given: the blocks tell which group a row is in,
/// so two conditions called "target 0" in two groups read apart.
///
/// Marks: as [`distance_matrix`], plus two two-vertex `<polyline>`s (a vertical and a
/// horizontal separator) per boundary between groups and one two-vertex `<polyline>` (the
/// bracket) per run of one group's columns; each name written is one more `<text>`. The
/// figure without groups has no `<polyline>`.
///
/// Errors: as [`distance_matrix`], and `groups` without one label per condition.
pub fn distance_matrix_grouped(
    distances: ArrayView2<f64>,
    names: &[String],
    groups: Option<Grouping>,
    title: &str,
) -> Result<Svg> {
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
    if let Some(g) = groups {
        g.check(c, "conditions")?;
    }
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
            above: if groups.is_some() { Above::Line } else { Above::Nothing },
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
        if let Some(g) = groups {
            draw_blocks(root, &chart, g)?;
        }
        draw_key(root, &chart, &key)
    })
}

/// The runs of equal consecutive labels: (first, one past the last, label).
fn runs(labels: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.2 == l => run.1 = i + 1,
            _ => runs.push((i, i + 1, l)),
        }
    }
    runs
}

/// Draws the separators between groups over a heat map of C x C cells, and the groups'
/// names over brackets above its columns (see [`distance_matrix_grouped`]).
fn draw_blocks(root: &Area<'_>, chart: &Chart<'_, '_>, groups: Grouping) -> Drawn {
    let c = groups.labels.len();
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let runs = runs(groups.labels);
    let separator = WHITE.stroke_width(3);
    for &(start, _, _) in &runs[1..] {
        let (x, y) = chart.backend_coord(&(start as f64, (c - start) as f64));
        root.draw(&PathElement::new(vec![(x, ys.start), (x, ys.end - 1)], separator))?;
        root.draw(&PathElement::new(vec![(xs.start, y), (xs.end - 1, y)], separator))?;
    }
    let (bracket, y) = (BLACK.mix(0.6).stroke_width(1), ys.start - 4);
    let style = font(TICK_PX).pos(Pos::new(HPos::Center, VPos::Bottom));
    for &(start, end, g) in &runs {
        let (left, right) = (chart.backend_coord(&(start as f64, 0.0)).0, chart.backend_coord(&(end as f64, 0.0)).0);
        root.draw(&PathElement::new(vec![(left + 2, y), (right - 2, y)], bracket))?;
        let fit = (f64::from(right - left - 4) / (0.6 * TICK_PX)).floor() as usize;
        if fit >= 2 {
            let name = shorten(&groups.names[g], fit.min(MAX_NAME));
            root.draw(&Text::new(name, ((left + right) / 2, y - 3), style.clone()))?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::super::groups::texts;
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn polylines(svg: &Svg) -> usize {
        svg.as_str().matches("<polyline").count()
    }

    #[test]
    fn runs_follow_the_order_given() {
        assert_eq!(runs(&[0, 0, 1, 1, 1]), vec![(0, 2, 0), (2, 5, 1)]);
        assert_eq!(runs(&[0, 1, 0]), vec![(0, 1, 0), (1, 2, 1), (2, 3, 0)]);
        assert_eq!(runs(&[]), vec![]);
    }

    #[test]
    fn a_grouped_distance_matrix_separates_and_names_its_groups() {
        let names = strings(&["target 0", "target 1", "target 2", "target 0", "target 1", "target 2"]);
        let groups = strings(&["mihi", "chewie"]);
        let d = Array2::from_shape_fn((6, 6), |(i, j)| {
            (i % 3).abs_diff(j % 3) as f64 + 0.1 * (i / 3 != j / 3) as u8 as f64
        });
        let grouping = |labels: &'static [usize]| Some(Grouping { labels, names: &groups });
        let svg = distance_matrix_grouped(d.view(), &names, grouping(&[0, 0, 0, 1, 1, 1]), "D").unwrap();
        // One boundary: a vertical and a horizontal separator; a bracket and a name per group.
        assert_eq!(polylines(&svg), 2 + 2);
        let words = texts(&svg);
        assert!(words.iter().any(|w| w == "mihi") && words.iter().any(|w| w == "chewie"), "{words:?}");
        // Every cell is still drawn.
        let doc = roxmltree::Document::parse(svg.as_str()).unwrap();
        let filled = |n: &roxmltree::Node| !matches!(n.attribute("fill"), Some("none" | "#FFFFFF"));
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("rect") && filled(n)).count(), 36);
        // Groups taking turns: a boundary between every two rows, a bracket per row.
        let svg = distance_matrix_grouped(d.view(), &names, grouping(&[0, 1, 0, 1, 0, 1]), "D").unwrap();
        assert_eq!(polylines(&svg), 2 * 5 + 6);
        // Without groups: no separators, and the figure is the plain one.
        let plain = distance_matrix(d.view(), &names, "D").unwrap();
        assert_eq!(polylines(&plain), 0);
        assert_eq!(distance_matrix_grouped(d.view(), &names, None, "D").unwrap(), plain);
        let e = distance_matrix_grouped(d.view(), &names, grouping(&[0, 1]), "D").unwrap_err();
        assert!(e.to_string().contains("groups") && e.to_string().contains("6 conditions"), "{e}");
    }
}
