//! Figures of point clouds: vector fields (quiver plots) and 2-D embeddings.

use ndarray::{Array1, Array2, ArrayView2, Axis as NdAxis};
use plotters::prelude::{Circle, Color, PathElement, Polygon};

use super::Svg;
use super::canvas::{Above, Aspect, Axis, Layout, chart, draw_key, extent, render};
use super::check;
use super::colour::Colouring;
use super::groups::{Grouping, shape_legend};
use crate::error::{Error, Result};
use crate::geometry::linalg::symmetric_eigen;

/// Most arrows a vector-field figure draws; larger fields are thinned evenly.
pub const MAX_ARROWS: usize = 3000;

/// A quiver plot of the field `vectors` sampled at `anchors` (both n x D, D >= 2), one arrow
/// per point, coloured by `colouring`.
///
/// For D = 2 the axes are the data's own ("x", "y"). For D >= 3, anchors and vectors are
/// projected with the same linear map onto the first two principal axes of the anchors
/// (leading eigenvectors of their D x D covariance, each signed so its largest entry is
/// positive; vectors are not centred) and the axes read "PC 1" and "PC 2".
///
/// Arrows are scaled by one factor so that the 95th-percentile arrow is 1/30 of the larger
/// axis range. Above [`MAX_ARROWS`] points, an evenly strided subset is drawn and the
/// subtitle says so ("3000 of 12000 arrows shown").
///
/// Marks: each arrow drawn is one `<polyline>` (the shaft, two vertices) and one
/// three-vertex `<polygon>` (the head), so both counts equal min(n, [`MAX_ARROWS`]). A
/// categorical legend adds one `<circle>` per name; a colour bar adds four-vertex polygons
/// (64 for values, one per group for an ordered bar of more than ten groups).
///
/// Errors ([`Error::InvalidArgument`]): empty or one-column anchors, vectors of another
/// shape, non-finite entries, and colourings that do not match the n points.
pub fn vector_field(
    anchors: ArrayView2<f64>,
    vectors: ArrayView2<f64>,
    colouring: Colouring,
    title: &str,
) -> Result<Svg> {
    vector_field_grouped(anchors, vectors, colouring, None, title)
}

/// [`vector_field`] with the points in groups (the animal or session each was recorded in):
/// each arrow starts from a marker of its group's shape (see [`Grouping`]; 2 px, in the
/// arrow's colour) and a legend of the shapes sits under the title. Without groups the
/// figure is [`vector_field`]'s.
///
/// Marks: as [`vector_field`], plus one marker per arrow drawn, a `<circle>` for the groups
/// shown as circles and a `<polygon>` of the shape's vertex count for the others (so the
/// second group's triangles add to the arrow heads' three-vertex polygons), and one marker
/// per group in the shape legend.
///
/// Errors: as [`vector_field`], and `groups` without one label per point.
pub fn vector_field_grouped(
    anchors: ArrayView2<f64>,
    vectors: ArrayView2<f64>,
    colouring: Colouring,
    groups: Option<Grouping>,
    title: &str,
) -> Result<Svg> {
    check::non_empty("anchors", anchors)?;
    let (n, d) = anchors.dim();
    if vectors.dim() != (n, d) {
        return Err(Error::argument(
            "vectors",
            format!(
                "is {} x {} but anchors is {n} x {d}; give one vector per anchor, in the anchors' space",
                vectors.nrows(),
                vectors.ncols()
            ),
        ));
    }
    if d < 2 {
        return Err(Error::argument("anchors", "has 1 column; a vector field figure needs at least 2 dimensions"));
    }
    check::finite("anchors", anchors)?;
    check::finite("vectors", vectors)?;
    let (colours, key) = colouring.resolve(n)?;
    if let Some(g) = groups {
        g.check(n, "points")?;
    }

    let (x, v, names) = if d == 2 {
        (anchors.to_owned(), vectors.to_owned(), ["x", "y"])
    } else {
        let (mean, axes) = principal_axes(anchors);
        ((&anchors - &mean).dot(&axes), vectors.dot(&axes), ["PC 1", "PC 2"])
    };
    let shown: Vec<usize> = (0..n.min(MAX_ARROWS)).map(|k| k * n / n.min(MAX_ARROWS)).collect();
    let note = (shown.len() < n).then(|| format!("{} of {n} arrows shown", shown.len()));

    let span = [0, 1].map(|c| extent(x.column(c).iter().copied())).map(|r| r.end - r.start);
    let mut lengths: Vec<f64> = shown.iter().map(|&i| v[[i, 0]].hypot(v[[i, 1]])).collect();
    lengths.sort_by(f64::total_cmp);
    let p95 = lengths[((lengths.len() - 1) as f64 * 0.95).round() as usize];
    let scale = if p95 > 0.0 { span[0].max(span[1]) / 30.0 / p95 } else { 0.0 };
    let arrows: Vec<_> = shown
        .iter()
        .map(|&i| ((x[[i, 0]], x[[i, 1]]), (x[[i, 0]] + scale * v[[i, 0]], x[[i, 1]] + scale * v[[i, 1]]), i))
        .collect();
    let range = |c: usize| extent(arrows.iter().flat_map(|&(a, b, _)| [a, b]).map(|p| if c == 0 { p.0 } else { p.1 }));

    render(|root| {
        let layout = Layout {
            title,
            note,
            x: Axis::numeric(range(0), names[0]),
            y: Axis::numeric(range(1), names[1]),
            key: &key,
            aspect: Aspect::EqualUnits,
            above: groups.map_or(Above::Nothing, |g| Above::Shapes(g.names, shape_legend)),
        };
        let chart = chart(root, layout)?;
        for &(from, to, i) in &arrows {
            let (from, to, colour) = (chart.backend_coord(&from), chart.backend_coord(&to), colours[i]);
            if let Some(g) = groups {
                g.shape(i).draw(root, from, 2, colour.mix(0.8).filled())?;
            }
            root.draw(&PathElement::new(vec![from, to], colour.stroke_width(1)))?;
            root.draw(&Polygon::new(arrow_head(from, to), colour.filled()))?;
        }
        draw_key(root, &chart, &key)
    })
}

/// A scatter plot of a 2-D embedding (n x 2; reduce higher dimensions first, e.g. with PCA
/// or UMAP from [`crate::analysis`]), one filled circle per point, coloured by `colouring`.
/// Circles shrink from 4 px (n <= 10) to 1 px (n >= 10^4) and are slightly transparent so
/// that dense regions read darker.
///
/// Marks: `<circle>` count = n, plus one per name for a categorical legend. A colour bar
/// (values, or an ordered bar of more than ten groups) is drawn with four-vertex polygons
/// (64, or one per group), not circles.
///
/// Errors ([`Error::InvalidArgument`]): empty input, a column count other than 2, non-finite
/// entries, and colourings that do not match the n points (including labels without a name).
pub fn embedding(points: ArrayView2<f64>, colouring: Colouring, title: &str) -> Result<Svg> {
    embedding_grouped(points, colouring, None, title)
}

/// [`embedding`] with the points in groups (the animal or session each was recorded in):
/// each point is drawn in its group's shape (see [`Grouping`]) and coloured by `colouring`
/// as before, and a legend of the shapes sits under the title. Markers are at least 3 px so
/// that shapes can be told apart. Without groups the figure is [`embedding`]'s.
///
/// Marks: one marker per point, a `<circle>` for the groups shown as circles (the first,
/// and the ninth as shapes cycle: see [`Grouping`]) and a `<polygon>` for the others (three
/// vertices for triangles, four for squares and diamonds, ten for stars, twelve for plus and
/// cross); one marker per group in the shape legend; and a categorical legend's swatches
/// (`<circle>`s) or a colour bar's bands as in [`embedding`].
///
/// Errors: as [`embedding`], and `groups` without one label per point.
pub fn embedding_grouped(
    points: ArrayView2<f64>,
    colouring: Colouring,
    groups: Option<Grouping>,
    title: &str,
) -> Result<Svg> {
    check::non_empty("points", points)?;
    if points.ncols() != 2 {
        return Err(Error::argument(
            "points",
            format!("has {} columns; reduce the embedding to 2 first (e.g. with PCA or UMAP)", points.ncols()),
        ));
    }
    check::finite("points", points)?;
    let n = points.nrows();
    let (colours, key) = colouring.resolve(n)?;
    if let Some(g) = groups {
        g.check(n, "points")?;
    }
    let radius = (5.0 - (n as f64).log10()).clamp(1.0, 4.0).round() as u32;
    let range = |c: usize| extent(points.column(c).iter().copied());

    render(|root| {
        let layout = Layout {
            title,
            note: None,
            x: Axis::numeric(range(0), "dim 1"),
            y: Axis::numeric(range(1), "dim 2"),
            key: &key,
            aspect: Aspect::EqualUnits,
            above: groups.map_or(Above::Nothing, |g| Above::Shapes(g.names, shape_legend)),
        };
        let mut chart = chart(root, layout)?;
        match groups {
            None => {
                chart.draw_series(
                    points
                        .rows()
                        .into_iter()
                        .zip(&colours)
                        .map(|(p, c)| Circle::new((p[0], p[1]), radius, c.mix(0.8).filled())),
                )?;
            }
            Some(g) => {
                for (i, (p, c)) in points.rows().into_iter().zip(&colours).enumerate() {
                    let at = chart.backend_coord(&(p[0], p[1]));
                    g.shape(i).draw(root, at, radius.max(3) as i32, c.mix(0.8).filled())?;
                }
            }
        }
        draw_key(root, &chart, &key)
    })
}

/// The mean row of `x` (n x D, n >= 1) and its two leading principal axes, as the columns
/// of a D x 2 matrix.
fn principal_axes(x: ArrayView2<f64>) -> (Array1<f64>, Array2<f64>) {
    let (n, d) = x.dim();
    let mean = x.sum_axis(NdAxis(0)) / n as f64;
    let centred = &x - &mean;
    let covariance = centred.t().dot(&centred) / n as f64;
    // Eigenvalues ascend: the leading axes are the last two columns.
    let eigen = symmetric_eigen(d, |i, j| covariance[[i, j]]);
    let mut axes = Array2::from_shape_fn((d, 2), |(i, k)| eigen.vectors[[i, d - 1 - k]]);
    for mut axis in axes.columns_mut() {
        let largest = axis.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(1.0);
        if largest < 0.0 {
            axis.mapv_inplace(|a| -a);
        }
    }
    (mean, axes)
}

/// The three corners of an arrow head at `to`, pointing away from `from`, in pixels: up to
/// 7 px long and half as wide, and at most 40% of the arrow (a point for a zero arrow).
fn arrow_head(from: (i32, i32), to: (i32, i32)) -> Vec<(i32, i32)> {
    let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
    let length = dx.hypot(dy);
    let size = (0.4 * length).min(7.0);
    let (ux, uy) = if length > 0.0 { (dx / length, dy / length) } else { (1.0, 0.0) };
    let (bx, by) = (f64::from(to.0) - ux * size, f64::from(to.1) - uy * size);
    let half = 0.5 * size;
    let corner = |side: f64| ((bx - side * uy * half).round() as i32, (by + side * ux * half).round() as i32);
    vec![to, corner(1.0), corner(-1.0)]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use ndarray::Array2;

    use super::super::groups::{Shape, markers, texts};
    use super::*;

    /// Ten points around each of `c` centres, condition `i / 10`.
    fn clouds(c: usize) -> (Array2<f64>, Vec<usize>) {
        let x = Array2::from_shape_fn((10 * c, 2), |(i, k)| {
            let (centre, a) = ((i / 10) as f64, (i % 10) as f64 * 0.6);
            if k == 0 { centre + 0.3 * a.cos() } else { 0.3 * a.sin() }
        });
        (x, (0..10 * c).map(|i| i / 10).collect())
    }

    fn count(m: &[(Shape, String)], shape: Shape) -> usize {
        m.iter().filter(|(s, _)| *s == shape).count()
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_grouped_embedding_draws_each_group_in_its_shape() {
        // Two monkeys, two targets each: colour by target, shape by monkey.
        let (x, conditions) = clouds(4);
        let targets: Vec<usize> = conditions.iter().map(|c| c % 2).collect();
        let monkeys: Vec<usize> = conditions.iter().map(|c| c / 2).collect();
        let (names, groups) = (strings(&["target 0", "target 1"]), strings(&["mihi", "chewie"]));
        let colouring = Colouring::Categorical { labels: &targets, names: &names };
        let grouping = Grouping { labels: &monkeys, names: &groups };
        let svg = embedding_grouped(x.view(), colouring, Some(grouping), "E").unwrap();
        let m = markers(&svg);
        // 20 points each, a legend swatch per target (circles) and a shape per monkey.
        assert_eq!(count(&m, Shape::Circle), 20 + 2 + 1);
        assert_eq!(count(&m, Shape::Triangle), 20 + 1);
        assert_eq!(m.len(), 40 + 2 + 2);
        let words = texts(&svg);
        for word in ["mihi", "chewie", "target 0", "target 1"] {
            assert!(words.iter().any(|w| w == word), "no {word} in {words:?}");
        }
        // Each target keeps its colour in both shapes (the shape legend is grey).
        let fills = |shape: Shape| -> BTreeSet<&str> {
            m.iter().filter(|(s, f)| *s == shape && f != "#000000").map(|(_, f)| f.as_str()).collect()
        };
        assert_eq!(fills(Shape::Circle).len(), 2);
        assert_eq!(fills(Shape::Circle), fills(Shape::Triangle));
        // Three groups add squares; without groups, the figure is the plain one.
        let three: Vec<usize> = conditions.iter().map(|&c| c.min(2)).collect();
        let groups = strings(&["a", "b", "c"]);
        let svg = embedding_grouped(x.view(), colouring, Some(Grouping { labels: &three, names: &groups }), "E");
        let m = markers(&svg.unwrap());
        assert_eq!([Shape::Circle, Shape::Triangle, Shape::Square].map(|s| count(&m, s)), [10 + 2 + 1, 11, 21]);
        assert_eq!(
            embedding_grouped(x.view(), colouring, None, "E").unwrap(),
            embedding(x.view(), colouring, "E").unwrap()
        );
    }

    #[test]
    fn a_grouped_vector_field_starts_each_arrow_from_its_groups_shape() {
        let (x, conditions) = clouds(2);
        let v = x.mapv(|a| 0.5 - a);
        let (names, groups) = (strings(&["reach", "hold"]), strings(&["mihi", "chewie"]));
        let colouring = Colouring::Categorical { labels: &conditions, names: &names };
        let grouping = Grouping { labels: &conditions, names: &groups };
        let svg = vector_field_grouped(x.view(), v.view(), colouring, Some(grouping), "F").unwrap();
        let polylines = svg.as_str().matches("<polyline").count();
        assert_eq!(polylines, 20);
        // Ten circles at the tails of the first group, two legend swatches and a shape; the
        // second group's triangles add to the twenty arrow heads.
        let m = markers(&svg);
        assert_eq!(count(&m, Shape::Circle), 10 + 2 + 1);
        assert_eq!(svg.as_str().matches("<polygon").count(), 20 + 10 + 1);
        let plain = vector_field(x.view(), v.view(), colouring, "F").unwrap();
        assert_eq!(vector_field_grouped(x.view(), v.view(), colouring, None, "F").unwrap(), plain);
    }

    #[test]
    fn groups_need_one_label_per_point() {
        let (x, conditions) = clouds(2);
        let groups = strings(&["mihi", "chewie"]);
        let error = |labels: &[usize]| {
            let grouping = Some(Grouping { labels, names: &groups });
            let e = embedding_grouped(x.view(), Colouring::Plain, grouping, "E").unwrap_err();
            assert_eq!(e.code(), "invalid_argument");
            e.to_string()
        };
        let short = error(&conditions[..19]);
        assert!(short.contains("groups") && short.contains("19 labels") && short.contains("20 points"), "{short}");
        let unnamed = error(&[2; 20]);
        assert!(unnamed.contains("groups") && unnamed.contains("label 0 is 2"), "{unnamed}");
    }
}
