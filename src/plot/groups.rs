//! Groups of conditions (the animals, sessions or networks they were recorded in) in the
//! figures: each group takes its own marker shape while colour keeps showing the condition,
//! a value or a variable, so one figure answers both "which condition" and "which animal".
//!
//! Why shapes and not names: grouped conditions need distinct names only within a group
//! (one "target 0" per monkey), and the question a grouped figure asks is whether a
//! condition lands in the same place in every group. Colouring by name gives "target 0"
//! one colour in every group and the shape tells the groups apart, so matching conditions
//! read as one colour in different shapes. Where a figure has no marker to shape (cluster
//! histograms, plain-text tables), [`qualified_names`] writes "mihi: target 0" instead, but
//! only for names that repeat across groups, so that the usual short names stay short.

use plotters::prelude::{BLACK, Circle, Color, Polygon, ShapeStyle, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Area, Drawn, TICK_PX, font, text_width};
use super::colour::legend_name;
use crate::error::{Error, Result};

/// Groups of the marks of a figure: mark `i` (a point, or a condition) belongs to group
/// `labels[i]`, named `names[labels[i]]`. Group `g` is drawn in the `g`-th shape of
/// circle, triangle, square, diamond, plus, downward triangle, star and cross (cycling after
/// eight groups), with a legend of the shapes under the title.
#[derive(Clone, Copy, Debug)]
pub struct Grouping<'a> {
    /// Group of each mark, indexing `names`.
    pub labels: &'a [usize],
    /// Name of each group, in legend order.
    pub names: &'a [String],
}

impl<'a> From<&'a crate::analysis::Groups> for Grouping<'a> {
    /// The groups of conditions, one label per condition (for the condition map and the
    /// distance matrix; map conditions to points for an embedding).
    fn from(g: &'a crate::analysis::Groups) -> Self {
        Grouping { labels: &g.of_condition, names: &g.names }
    }
}

impl Grouping<'_> {
    /// Checks that there is one group label per mark, `n` marks in all (`what` names the
    /// marks: "points", "conditions"), each indexing a name; errors name the field `groups`.
    pub(super) fn check(&self, n: usize, what: &str) -> Result<()> {
        if self.labels.len() != n {
            return Err(Error::argument(
                "groups",
                format!(
                    "has {} labels but there are {n} {what}; give one group per {}",
                    self.labels.len(),
                    singular(what)
                ),
            ));
        }
        if let Some((i, &l)) = self.labels.iter().enumerate().find(|&(_, &l)| l >= self.names.len()) {
            return Err(Error::argument(
                "groups",
                format!("label {i} is {l} but there are {} group names; give one name per group", self.names.len()),
            ));
        }
        Ok(())
    }

    /// The shape of mark `i`.
    pub(super) fn shape(&self, i: usize) -> Shape {
        Shape::of_group(self.labels[i])
    }
}

/// "points" -> "point", for messages.
fn singular(what: &str) -> &str {
    what.strip_suffix('s').unwrap_or(what)
}

/// `names` with the group prefixed ("mihi: target 0") to each name that occurs in more than
/// one group, so that a list of names (a histogram legend, a table) tells every condition
/// apart; names unique across groups are kept as they are. `groups` holds one label per
/// name (a name without a label or whose label has no group name is kept too).
///
/// ```
/// use marble::plot::{Grouping, qualified_names};
/// let names = ["target 0", "target 1", "target 0"].map(String::from);
/// let groups = ["mihi", "chewie"].map(String::from);
/// let shown = qualified_names(&names, Grouping { labels: &[0, 0, 1], names: &groups });
/// assert_eq!(shown, ["mihi: target 0", "target 1", "chewie: target 0"]);
/// ```
pub fn qualified_names(names: &[String], groups: Grouping) -> Vec<String> {
    let repeated = |i: usize| names.iter().zip(groups.labels).any(|(n, &g)| n == &names[i] && g != groups.labels[i]);
    names
        .iter()
        .enumerate()
        .map(|(i, n)| match groups.labels.get(i).and_then(|&g| groups.names.get(g)) {
            Some(group) if repeated(i) => format!("{group}: {n}"),
            _ => n.clone(),
        })
        .collect()
}

/// A marker shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A `<circle>`.
    Circle,
    /// Apex up: a three-vertex `<polygon>` whose two lower vertices share y.
    Triangle,
    /// Axis-aligned: a four-vertex `<polygon>` with two distinct x.
    Square,
    /// A square on its corner: a four-vertex `<polygon>` with three distinct x.
    Diamond,
    /// A twelve-vertex `<polygon>` whose edges are all horizontal or vertical.
    Plus,
    /// Apex down: a three-vertex `<polygon>` whose two upper vertices share y.
    TriangleDown,
    /// Five points: a ten-vertex `<polygon>`.
    Star,
    /// A plus turned by 45 degrees: a twelve-vertex `<polygon>` with slanted edges.
    Cross,
}

/// The shapes in the order groups take them.
pub(super) const SHAPES: [Shape; 8] = [
    Shape::Circle,
    Shape::Triangle,
    Shape::Square,
    Shape::Diamond,
    Shape::Plus,
    Shape::TriangleDown,
    Shape::Star,
    Shape::Cross,
];

impl Shape {
    /// The shape of group `g`, cycling through [`SHAPES`].
    pub fn of_group(g: usize) -> Shape {
        SHAPES[g % SHAPES.len()]
    }

    /// The corners of the shape centred on `centre` (pixels), sized to cover about the area
    /// of a circle of `radius` so that no group looks heavier; empty for a circle.
    pub fn vertices(self, centre: (i32, i32), radius: f64) -> Vec<(i32, i32)> {
        let r = radius;
        // Snapped before rounding, so that mirror-image corners (4.4999... and 4.5000...)
        // round alike and the shape stays symmetric.
        let snap = |v: f64| ((v * 1e6).round() / 1e6).round() as i32;
        let at = |(x, y): (f64, f64)| (centre.0 + snap(x), centre.1 + snap(y));
        // `k` corners on a circle of `reach`, the first at `start` degrees (clockwise from
        // the right, as y grows downwards).
        let ring = |k: usize, reach: f64, start: f64| -> Vec<(f64, f64)> {
            (0..k)
                .map(|i| (start + 360.0 * i as f64 / k as f64).to_radians())
                .map(|a| (reach * a.cos(), reach * a.sin()))
                .collect()
        };
        // Clockwise from the top arm's left corner, then turned by `turn` degrees.
        let plus = |turn: f64| -> Vec<(f64, f64)> {
            let (l, w) = (1.35 * r, 0.38 * r);
            let (s, c) = turn.to_radians().sin_cos();
            [(-w, -l), (w, -l), (w, -w), (l, -w), (l, w), (w, w), (w, l), (-w, l), (-w, w), (-l, w), (-l, -w), (-w, -w)]
                .into_iter()
                .map(|(x, y)| (x * c - y * s, x * s + y * c))
                .collect()
        };
        let points = match self {
            Shape::Circle => Vec::new(),
            Shape::Triangle => ring(3, 1.45 * r, -90.0),
            Shape::TriangleDown => ring(3, 1.45 * r, 90.0),
            Shape::Square => ring(4, 0.9 * std::f64::consts::SQRT_2 * r, 45.0),
            Shape::Diamond => ring(4, 1.25 * r, -90.0),
            Shape::Plus => plus(0.0),
            Shape::Cross => plus(45.0),
            Shape::Star => {
                let (outer, inner) = (ring(5, 1.65 * r, -90.0), ring(5, 0.7 * r, -54.0));
                outer.into_iter().zip(inner).flat_map(|(o, i)| [o, i]).collect()
            }
        };
        points.into_iter().map(at).collect()
    }

    /// Draws the marker centred on `centre` (pixels), as large as a circle of `radius`.
    pub fn draw(self, root: &Area<'_>, centre: (i32, i32), radius: i32, style: ShapeStyle) -> Drawn {
        match self {
            Shape::Circle => root.draw(&Circle::new(centre, radius, style)),
            _ => root.draw(&Polygon::new(self.vertices(centre, f64::from(radius)), style)),
        }
    }
}

/// Radius of a shape in a legend.
const SWATCH_RADIUS: i32 = 5;
/// Room for a legend's swatch before its name, and the gap between two entries.
const SWATCH: i32 = 20;
const ENTRY_GAP: i32 = 18;
/// Height of one row of a shape legend.
pub(super) const ROW: i32 = (1.5 * TICK_PX) as i32;

/// The entries of a shape legend of `names` on rows at most `width` pixels wide: the
/// indices on each row, in order.
fn rows(names: &[String], width: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (g, name) in names.iter().enumerate() {
        let entry = SWATCH + text_width(&legend_name(name), TICK_PX);
        match rows.last_mut() {
            Some(row) if used + ENTRY_GAP + entry <= width => {
                row.push(g);
                used += ENTRY_GAP + entry;
            }
            _ => {
                rows.push(vec![g]);
                used = entry;
            }
        }
    }
    rows
}

/// Height of the shape legend of `names` in a space `width` pixels wide.
fn legend_height(names: &[String], width: i32) -> i32 {
    rows(names, width).len() as i32 * ROW + 4
}

/// Draws a legend of group names and their shapes (in grey: colour shows something else)
/// in rows centred on `centre`, the first row's middle `ROW / 2` below `top`, wrapping at
/// `width` pixels; returns its height (a [`super::canvas::LegendFn`]).
pub(super) fn shape_legend(root: &Area<'_>, names: &[String], centre: i32, top: i32, width: i32) -> Drawn<i32> {
    let ink = BLACK.mix(0.65).filled();
    let style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    for (k, row) in rows(names, width).iter().enumerate() {
        let entry = |g: usize| SWATCH + text_width(&legend_name(&names[g]), TICK_PX);
        let total: i32 = row.iter().map(|&g| entry(g)).sum::<i32>() + ENTRY_GAP * (row.len() as i32 - 1);
        let (mut x, y) = (centre - total / 2, top + ROW * k as i32 + ROW / 2);
        for &g in row {
            Shape::of_group(g).draw(root, (x + SWATCH_RADIUS, y), SWATCH_RADIUS, ink)?;
            root.draw(&Text::new(legend_name(&names[g]), (x + SWATCH, y), style.clone()))?;
            x += entry(g) + ENTRY_GAP;
        }
    }
    Ok(legend_height(names, width))
}

/// What the tests read back from a figure: the marker shape of each `<circle>` and
/// `<polygon>` that reads as one, with its fill, in document order.
#[cfg(test)]
pub(super) fn markers(svg: &super::Svg) -> Vec<(Shape, String)> {
    let doc = roxmltree::Document::parse(svg.as_str()).expect("well-formed XML");
    let vertices = |n: roxmltree::Node| -> Vec<(i32, i32)> {
        let points = n.attribute("points").unwrap_or("");
        let pair = |p: &str| p.split_once(',').map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()));
        points.split_whitespace().filter_map(pair).collect()
    };
    let shape = |n: roxmltree::Node| match n.tag_name().name() {
        "circle" => Some(Shape::Circle),
        "polygon" => classify(&vertices(n)),
        _ => None,
    };
    doc.descendants().filter_map(|n| Some((shape(n)?, n.attribute("fill").unwrap_or("").to_owned()))).collect()
}

/// Every `<text>` of `svg`, trimmed, in document order.
#[cfg(test)]
pub(super) fn texts(svg: &super::Svg) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg.as_str()).expect("well-formed XML");
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_owned()).collect()
}

/// The shape a polygon's corners draw (see [`Shape`]'s variants), if any.
#[cfg(test)]
pub(super) fn classify(v: &[(i32, i32)]) -> Option<Shape> {
    let distinct = |f: fn(&(i32, i32)) -> i32| v.iter().map(f).collect::<std::collections::BTreeSet<_>>().len();
    let sharing = |y: i32| v.iter().filter(|p| p.1 == y).count();
    let (low, high) = (v.iter().map(|p| p.1).max()?, v.iter().map(|p| p.1).min()?);
    let square_edges = (0..v.len()).all(|i| {
        let (a, b) = (v[i], v[(i + 1) % v.len()]);
        a.0 == b.0 || a.1 == b.1
    });
    match v.len() {
        3 if sharing(low) == 2 => Some(Shape::Triangle),
        3 if sharing(high) == 2 => Some(Shape::TriangleDown),
        4 if distinct(|p| p.0) == 2 => Some(Shape::Square),
        4 if distinct(|p| p.0) == 3 => Some(Shape::Diamond),
        10 => Some(Shape::Star),
        12 if square_edges => Some(Shape::Plus),
        12 => Some(Shape::Cross),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_reads_as_itself_at_every_size() {
        for radius in [2.0, 3.0, 4.0, 5.0, 6.0, 8.0] {
            for shape in SHAPES.into_iter().skip(1) {
                let corners = shape.vertices((100, 50), radius);
                assert_eq!(classify(&corners), Some(shape), "{shape:?} at {radius} px: {corners:?}");
            }
        }
        assert!(Shape::Circle.vertices((0, 0), 3.0).is_empty());
        assert_eq!(Shape::of_group(9), Shape::Triangle);
    }

    #[test]
    fn only_names_that_repeat_across_groups_take_their_group() {
        let names = ["target 0", "target 1", "target 0", "rest"].map(String::from);
        let groups = ["mihi", "chewie"].map(String::from);
        let shown = qualified_names(&names, Grouping { labels: &[0, 0, 1, 1], names: &groups });
        assert_eq!(shown, ["mihi: target 0", "target 1", "chewie: target 0", "rest"]);
    }

    #[test]
    fn a_legend_wraps_its_rows_to_the_width() {
        let names: Vec<String> = (0..6).map(|g| format!("recording session {g}")).collect();
        let rows = rows(&names, 616);
        assert!(rows.len() >= 2 && rows.iter().all(|r| !r.is_empty()), "{rows:?}");
        assert_eq!(rows.concat(), (0..6).collect::<Vec<_>>());
        assert_eq!(super::rows(&names[..2], 616).len(), 1);
    }
}
