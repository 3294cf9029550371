//! The condition map: conditions placed by classical MDS of the distances between them.

use std::collections::VecDeque;

use ndarray::ArrayView2;
use plotters::prelude::{Circle, Color, RGBColor, Text, WHITE};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Svg;
use super::canvas::{
    Above, Area, Aspect, Axis, Chart, Drawn, Layout, MAX_TICK_NAME, TICK_PX, chart, draw_key, extent, font, render,
    text_width,
};
use super::check;
use super::colour::{Key, condition_colours, shorten};
use super::groups::{Grouping, shape_legend};
use crate::analysis::Groups;
use crate::error::{Error, Result};

/// A pixel box: left, top, right, bottom.
type Boxed = (i32, i32, i32, i32);

/// A map of the C conditions in the plane of `points` (C x 2, their classical-MDS
/// coordinates, e.g. `condition_map` of [`crate::analysis::Analysis`]), one filled circle per
/// condition in units equal on both axes ("MDS 1", "MDS 2").
///
/// Conditions are coloured by `values` when given (one per condition, on viridis, with a
/// colour bar named after the names' common "<what> = <number>" form, e.g. "mu", else
/// "value"), else by `names` as `Colouring::Categorical` colours groups (a legend up to
/// ten names, an ordered colour bar beyond). Each circle is labelled with its name (cut to
/// 14 characters) beside it (right, left, above, below or diagonally) where the label fits inside the plot
/// without covering another label or circle; labels are placed first for the first and last
/// condition, then for the middle of the largest gap of the order, so an ordered sweep is
/// labelled evenly. The subtitle gives `explained`, the fraction of the distances' variance
/// along each axis ([`crate::analysis::Mds::explained`]): "axes explain 93% and 5% of the
/// variance".
///
/// Marks: `<circle>` count = C, plus C legend swatches when names are shown in a legend. A
/// colour bar adds four-vertex polygons (64 for values, C for an ordered bar of names).
/// `<text>`: the title, the subtitle, tick labels, the key's words and one per label placed
/// (at most C).
///
/// Errors ([`Error::InvalidArgument`]): points that are empty, not two columns or not
/// finite; a name or value count other than C; non-finite values; `explained` not two
/// fractions in [0, 1].
pub fn condition_map(
    points: ArrayView2<f64>,
    names: &[String],
    values: Option<&[f64]>,
    explained: &[f64],
    title: &str,
) -> Result<Svg> {
    condition_map_grouped(points, names, values, None, explained, title)
}

/// [`condition_map`] with the conditions in groups (the animal, session or network each was
/// recorded in; one label per condition): each condition's marker takes its group's shape
/// (see [`Grouping`]) over a white halo, so that conditions of two groups that land in one
/// place stay visible, and a legend of the shapes sits under the title. Colour still shows
/// the value, or else the name, and conditions that share a name in different groups share
/// its colour and legend entry: "target 0" is one colour, a circle in one group and a
/// triangle in the other, so the figure shows at once whether matching conditions meet.
/// Labels beside the markers are the names alone; the shape tells the group. Without groups
/// the figure is [`condition_map`]'s.
///
/// Marks: per condition a white marker (fill `#FFFFFF`) and a coloured one over it, each a
/// `<circle>` for the groups shown as circles and a `<polygon>` of the shape's vertex count
/// for the others; one grey marker per group in the shape legend; a legend's swatches
/// (`<circle>`s, one per distinct name) or a colour bar's bands as in [`condition_map`].
///
/// Errors: as [`condition_map`], and `groups` without one label per condition.
pub fn condition_map_grouped(
    points: ArrayView2<f64>,
    names: &[String],
    values: Option<&[f64]>,
    groups: Option<Grouping>,
    explained: &[f64],
    title: &str,
) -> Result<Svg> {
    check::non_empty("points", points)?;
    let c = points.nrows();
    if points.ncols() != 2 {
        return Err(Error::argument(
            "points",
            format!("has {} columns; give the conditions' 2-D coordinates (C x 2)", points.ncols()),
        ));
    }
    check::finite("points", points)?;
    check::one_name_per_row(names, c)?;
    check::one_value_per_condition(values, c)?;
    if let Some(g) = groups {
        g.check(c, "conditions")?;
    }
    let note = note(fractions(explained)?, c);
    let (colours, key) = match (groups, values) {
        (Some(_), None) => colours_by_name(names)?,
        _ => condition_colours(names, values)?,
    };
    let radius = if c <= 50 { 6 } else { 4 };
    let range = |k: usize| extent(points.column(k).iter().copied());

    render(|root| {
        let layout = Layout {
            title,
            note: Some(note),
            x: Axis::numeric(range(0), "MDS 1"),
            y: Axis::numeric(range(1), "MDS 2"),
            key: &key,
            aspect: Aspect::EqualUnits,
            above: groups.map_or(Above::Nothing, |g| Above::Shapes(g.names, shape_legend)),
        };
        let mut chart = chart(root, layout)?;
        let centres: Vec<(i32, i32)> = points.rows().into_iter().map(|p| chart.backend_coord(&(p[0], p[1]))).collect();
        let reach = match groups {
            None => {
                chart.draw_series(
                    points.rows().into_iter().zip(&colours).map(|(p, c)| Circle::new((p[0], p[1]), radius, c.filled())),
                )?;
                radius
            }
            Some(g) => {
                for (i, (&at, colour)) in centres.iter().zip(&colours).enumerate() {
                    g.shape(i).draw(root, at, radius + 2, WHITE.filled())?;
                    g.shape(i).draw(root, at, radius, colour.filled())?;
                }
                // The widest shape, the star, reaches 1.65 radii from its centre.
                (1.65 * f64::from(radius + 2)).ceil() as i32
            }
        };
        draw_labels(root, &chart, names, &centres, reach)?;
        draw_key(root, &chart, &key)
    })
}

/// The two fractions of variance the map's axes explain, checked.
fn fractions(explained: &[f64]) -> Result<[f64; 2]> {
    match explained {
        [a, b] if [a, b].iter().all(|f| (0.0..=1.0 + 1e-9).contains(*f)) => Ok([*a, *b]),
        _ => Err(Error::argument(
            "explained",
            format!("is {explained:?}; give the fraction of variance of each of the two axes, in [0, 1]"),
        )),
    }
}

/// The subtitle of a map of `c` conditions whose axes explain `fractions` of the variance.
fn note(fractions: [f64; 2], c: usize) -> String {
    if fractions[0] + fractions[1] > 0.0 {
        format!("axes explain {} and {} of the variance", percent(fractions[0]), percent(fractions[1]))
    } else if c == 1 {
        "one condition".to_owned()
    } else {
        "every distance is 0: the conditions share one place".to_owned()
    }
}

/// One colour per condition by its name, and the key: conditions that share a name (in
/// different groups) share a colour and one legend entry.
fn colours_by_name(names: &[String]) -> Result<(Vec<RGBColor>, Key)> {
    let by_name = Groups::new(names);
    let (colours, key) = condition_colours(&by_name.names, None)?;
    Ok((by_name.of_condition.iter().map(|&k| colours[k]).collect(), key))
}

/// Writes each condition's name beside its marker at `centres` (pixels; markers reach
/// `reach` pixels from their centres) where it fits, ends of the order first (see
/// [`spread_order`] and [`place`]). A name already written beside a marker less than three
/// reaches away is not written again: conditions of two groups that share a name and meet
/// take one label, which names both.
fn draw_labels(root: &Area<'_>, chart: &Chart<'_, '_>, names: &[String], centres: &[(i32, i32)], reach: i32) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let mut taken: Vec<Boxed> = centres.iter().map(|&(x, y)| (x - reach, y - reach, x + reach, y + reach)).collect();
    let mut written: Vec<usize> = Vec::new();
    let near = |a: (i32, i32), b: (i32, i32)| f64::from(a.0 - b.0).hypot(f64::from(a.1 - b.1)) < f64::from(3 * reach);
    for i in spread_order(centres.len()) {
        if written.iter().any(|&k| names[k] == names[i] && near(centres[k], centres[i])) {
            continue;
        }
        let label = shorten(&names[i], MAX_TICK_NAME);
        let Some((at, pos)) = place(&label, centres[i], reach, (xs.start, ys.start, xs.end, ys.end), &mut taken) else {
            continue;
        };
        root.draw(&Text::new(label, at, font(TICK_PX).pos(pos)))?;
        written.push(i);
    }
    Ok(())
}

/// A fraction as a percentage for the subtitle: "93%", "<1%".
fn percent(f: f64) -> String {
    if f > 0.0 && f < 0.005 { "<1%".to_owned() } else { format!("{:.0}%", 100.0 * f) }
}

/// 0, n - 1, then the middle of each gap, widest gaps first: each index once.
fn spread_order(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = [0, n.saturating_sub(1)].into_iter().take(n.min(2)).collect();
    let mut gaps = VecDeque::from([(0, n.saturating_sub(1))]);
    while let Some((a, b)) = gaps.pop_front() {
        if b >= a + 2 {
            let m = (a + b) / 2;
            order.push(m);
            gaps.push_back((a, m));
            gaps.push_back((m, b));
        }
    }
    order
}

/// A place for `label` beside the circle at `centre` (right, left, above, below, then
/// above or below reaching right or left from the circle's edge) whose box
/// lies inside `area` and meets none of `taken`; the box is taken then.
fn place(
    label: &str,
    centre: (i32, i32),
    radius: i32,
    area: Boxed,
    taken: &mut Vec<Boxed>,
) -> Option<((i32, i32), Pos)> {
    let width = text_width(label, TICK_PX);
    let (half, gap) = ((0.6 * TICK_PX).ceil() as i32, radius + 3);
    let (x, y) = centre;
    let (high, low) = ((y - gap - 2 * half, y - gap), (y + gap, y + gap + 2 * half));
    let candidates = [
        ((x + gap, y), Pos::new(HPos::Left, VPos::Center), (x + gap, y - half, x + gap + width, y + half)),
        ((x - gap, y), Pos::new(HPos::Right, VPos::Center), (x - gap - width, y - half, x - gap, y + half)),
        ((x, y - gap), Pos::new(HPos::Center, VPos::Bottom), (x - width / 2, high.0, x + width / 2, high.1)),
        ((x, y + gap), Pos::new(HPos::Center, VPos::Top), (x - width / 2, low.0, x + width / 2, low.1)),
        ((x - radius, y - gap), Pos::new(HPos::Left, VPos::Bottom), (x - radius, high.0, x - radius + width, high.1)),
        ((x + radius, y - gap), Pos::new(HPos::Right, VPos::Bottom), (x + radius - width, high.0, x + radius, high.1)),
        ((x - radius, y + gap), Pos::new(HPos::Left, VPos::Top), (x - radius, low.0, x - radius + width, low.1)),
        ((x + radius, y + gap), Pos::new(HPos::Right, VPos::Top), (x + radius - width, low.0, x + radius, low.1)),
    ];
    let inside = |b: Boxed| b.0 >= area.0 && b.1 >= area.1 && b.2 <= area.2 && b.3 <= area.3;
    let meets = |a: Boxed, b: Boxed| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let (at, pos, b) = candidates.into_iter().find(|&(_, _, b)| inside(b) && !taken.iter().any(|&t| meets(b, t)))?;
    taken.push(b);
    Some((at, pos))
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::super::groups::{Shape, markers, texts};
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_grouped_condition_map_marks_each_condition_in_its_groups_shape() {
        // Three targets in each of two monkeys; the same target lands near itself.
        let names = strings(&["target 0", "target 1", "target 2", "target 0", "target 1", "target 2"]);
        let groups = strings(&["mihi", "chewie"]);
        let labels = [0, 0, 0, 1, 1, 1];
        let points = Array2::from_shape_fn((6, 2), |(i, k)| [(i % 3) as f64, 0.1 * (i / 3) as f64][k]);
        let grouping = Some(Grouping { labels: &labels, names: &groups });
        let svg = condition_map_grouped(points.view(), &names, None, grouping, &[0.9, 0.1], "Map").unwrap();
        let m = markers(&svg);
        let (white, coloured): (Vec<_>, Vec<_>) = m.iter().partition(|(_, f)| f == "#FFFFFF");
        let count = |v: &[&(Shape, String)], shape: Shape| v.iter().filter(|(s, _)| *s == shape).count();
        // A white halo under each marker; three circles, three triangles, one legend swatch
        // per distinct name, one grey shape per group.
        assert_eq!((count(&white, Shape::Circle), count(&white, Shape::Triangle)), (3, 3));
        assert_eq!((count(&coloured, Shape::Circle), count(&coloured, Shape::Triangle)), (3 + 3 + 1, 3 + 1));
        // "target 1" is one colour in both groups.
        let of = |shape: Shape| -> Vec<&str> {
            coloured.iter().filter(|(s, f)| *s == shape && f != "#000000").map(|(_, f)| f.as_str()).take(3).collect()
        };
        assert_eq!(of(Shape::Circle), of(Shape::Triangle));
        let words = texts(&svg);
        for word in ["mihi", "chewie", "target 0", "target 2"] {
            assert!(words.iter().any(|w| w == word), "no {word} in {words:?}");
        }
        // Groups must match the conditions; without groups the map is the plain one.
        let short = Some(Grouping { labels: &labels[..5], names: &groups });
        let e = condition_map_grouped(points.view(), &names, None, short, &[0.9, 0.1], "Map").unwrap_err();
        assert!(e.to_string().contains("groups") && e.to_string().contains("6 conditions"), "{e}");
        let distinct = strings(&["a", "b", "c", "d", "e", "f"]);
        let plain = condition_map(points.view(), &distinct, None, &[0.9, 0.1], "Map").unwrap();
        assert_eq!(condition_map_grouped(points.view(), &distinct, None, None, &[0.9, 0.1], "Map").unwrap(), plain);
    }

    #[test]
    fn labels_are_tried_from_the_ends_inwards() {
        assert_eq!(spread_order(0), Vec::<usize>::new());
        assert_eq!(spread_order(1), vec![0]);
        assert_eq!(spread_order(2), vec![0, 1]);
        assert_eq!(spread_order(5), vec![0, 4, 2, 1, 3]);
        let mut all = spread_order(40);
        all.sort_unstable();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn a_label_never_covers_another_or_leaves_the_area() {
        let area = (0, 0, 200, 100);
        let mut taken = vec![(94, 44, 106, 56)];
        let (at, _) = place("mu = 0.5", (100, 50), 6, area, &mut taken).unwrap();
        assert_eq!(at, (109, 50));
        // The right is taken now: the next label at the same circle goes left.
        let (at, _) = place("mu = 0.5", (100, 50), 6, area, &mut taken).unwrap();
        assert_eq!(at, (91, 50));
        // Near the right edge only the left side fits.
        let (at, _) = place("a long label", (195, 50), 6, area, &mut vec![]).unwrap();
        assert_eq!(at.0, 186);
        assert!(place("a label far too long for this area", (100, 50), 6, area, &mut vec![]).is_none());
    }
}
