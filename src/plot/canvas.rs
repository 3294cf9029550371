//! Chart scaffolding shared by every figure: the canvas, title, axes, frame, legend and colour
//! bar. Figures only choose ranges and draw their marks.
//!
//! Scaffolding never uses the elements that marks are counted by (see the module docs of
//! [`crate::plot`]): grid lines are `<line>`s, the background and legend box are white
//! `<rect>`s, the frame and outlines are unfilled `<rect>`s, and colour-bar bands are
//! four-vertex `<polygon>`s. Axis lines and tick marks are not drawn (plotters would write
//! them as `<polyline>`s); the frame and grid take their place.

use std::ops::Range;

use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::{
    BLACK, Cartesian2d, Circle, Color, DrawingArea, DrawingAreaErrorKind, FontDesc, FontFamily, FontStyle,
    FontTransform, IntoDrawingArea, Polygon, RGBColor, Rectangle, SVGBackend, TRANSPARENT, Text, TextStyle, WHITE,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Svg;
use super::colour::{Key, MAX_NAME, Scale, legend_name, sequential, shorten};
use crate::error::{Error, Result};

/// Canvas width in pixels (a single-column paper figure at 2x).
const WIDTH: u32 = 640;
/// Canvas height in pixels.
const HEIGHT: u32 = 480;
/// Blank border around everything.
const MARGIN: u32 = 12;
/// Font sizes, in SVG pixels.
const TITLE_PX: f64 = 18.0;
const NOTE_PX: f64 = 14.0;
const LABEL_PX: f64 = 16.0;
pub(super) const TICK_PX: f64 = 14.0;
/// Names longer than this many characters are shortened on categorical axes and beside
/// points (legends and ordered bars keep [`MAX_NAME`]).
pub(super) const MAX_TICK_NAME: usize = 14;
/// Bands of the colour bar.
const BANDS: usize = 64;
/// Width of the colour bar and its gap to the plot.
const BAR_WIDTH: i32 = 14;
const BAR_GAP: i32 = 16;
/// Inner padding of a legend box, room for a swatch, and the height of one entry.
const LEGEND_PADDING: i32 = 8;
const LEGEND_SWATCH: i32 = 22;
const LEGEND_LINE: i32 = (1.5 * TICK_PX) as i32;

/// The canvas of a figure.
pub(super) type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
/// A chart with two linear axes.
pub(super) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// The outcome of plotters' drawing calls.
pub(super) type Drawn<T = ()> = std::result::Result<T, DrawingAreaErrorKind<std::io::Error>>;

/// Text of `px` SVG pixels (plotters writes `font-size` as its size over 1.24).
pub(super) fn font(px: f64) -> TextStyle<'static> {
    inked(px, &BLACK)
}

/// Text of `px` SVG pixels in `ink`.
pub(super) fn inked(px: f64, ink: &impl Color) -> TextStyle<'static> {
    FontDesc::new(FontFamily::SansSerif, px * 1.24, FontStyle::Normal).color(ink)
}

/// Width in pixels of `text` at `px`, at most: sans-serif averages about 0.56 em a
/// character and rarely passes 0.6 em over a word, so layouts made with this keep words
/// inside the canvas.
pub(super) fn text_width(text: &str, px: f64) -> i32 {
    (0.6 * px * text.chars().count() as f64).ceil() as i32
}

/// A number to three significant digits in at most about six characters, without trailing
/// zeros ("0.37", "12", "1.2e-5"), for ticks and cell values.
pub(super) fn short_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".to_owned();
    }
    if !(1e-2..1e4).contains(&a) {
        return format!("{v:.1e}");
    }
    let fixed = format!("{v:.*}", (2 - a.log10().floor() as i32).clamp(0, 3) as usize);
    if fixed.contains('.') { fixed.trim_end_matches('0').trim_end_matches('.').to_owned() } else { fixed }
}

/// The range of `values` widened by 5% on each side (by max(|v|, 1) around a single value
/// v), so that marks at the extremes stay inside the frame.
pub(super) fn extent(values: impl IntoIterator<Item = f64>) -> Range<f64> {
    let (lo, hi) = values.into_iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = if hi > lo { 0.05 * (hi - lo) } else { lo.abs().max(1.0) };
    lo - pad..hi + pad
}

/// Draws a figure on a white canvas and returns the document; a drawing failure becomes an
/// error on the argument `figure`.
pub(super) fn render(draw: impl FnOnce(&Area<'_>) -> Drawn) -> Result<Svg> {
    let mut document = String::new();
    {
        let root = SVGBackend::with_string(&mut document, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present())
            .map_err(|e| Error::argument("figure", format!("plotters could not draw it: {e}")))?;
    }
    Ok(Svg(document))
}

/// How an axis is labelled.
pub(super) enum Ticks<'t> {
    /// Numbers chosen by plotters, with grid lines.
    Numeric,
    /// Category `i` spans `[i, i + 1]` on x and `[n - 1 - i, n - i]` on y (so the first
    /// category is on top), and its name is written at the centre. Names on x that do not fit
    /// are turned upright unless they are short (numbers); if names would still overlap, only
    /// every m-th is written. No grid lines.
    Categories(&'t [String]),
}

/// One axis of a chart.
pub(super) struct Axis<'t> {
    /// Data range shown.
    pub range: Range<f64>,
    /// Axis title ("" for none).
    pub label: &'t str,
    /// Tick labels.
    pub ticks: Ticks<'t>,
}

impl<'t> Axis<'t> {
    /// A numeric axis over `range`.
    pub fn numeric(range: Range<f64>, label: &'t str) -> Self {
        Axis { range, label, ticks: Ticks::Numeric }
    }

    /// An axis of `names.len()` categories.
    pub fn categories(names: &'t [String], label: &'t str) -> Self {
        Axis { range: 0.0..names.len() as f64, label, ticks: Ticks::Categories(names) }
    }

    /// Room for the title, below the x axis or left of the y axis.
    fn title_room(&self) -> i32 {
        if self.label.is_empty() { 0 } else { (1.5 * LABEL_PX) as i32 }
    }

    /// The names on a categorical axis, shortened.
    fn names(&self) -> Vec<String> {
        match self.ticks {
            Ticks::Numeric => Vec::new(),
            Ticks::Categories(names) => names.iter().map(|n| shorten(n, MAX_TICK_NAME)).collect(),
        }
    }
}

/// Everything around the marks of one chart.
pub(super) struct Layout<'t> {
    /// Figure title, centred on top.
    pub title: &'t str,
    /// A smaller line under the title (e.g. what was left out).
    pub note: Option<String>,
    /// Horizontal axis.
    pub x: Axis<'t>,
    /// Vertical axis.
    pub y: Axis<'t>,
    /// What explains the colours; room is kept for it right of the plot.
    pub key: &'t Key,
    /// How the plot's shape follows the data.
    pub aspect: Aspect,
    /// What is drawn between the heading and the plot.
    pub above: Above<'t>,
}

/// Draws a legend of `names` in rows centred on x = `centre`, from `top` down, wrapping at
/// `width` pixels; returns its height.
pub(super) type LegendFn = for<'a, 'b> fn(&'a Area<'b>, &[String], i32, i32, i32) -> Drawn<i32>;

/// What a chart draws, or leaves room for, between its heading and its plot.
#[derive(Clone, Copy, Debug)]
pub(super) enum Above<'t> {
    /// Nothing: the plot starts under the heading.
    Nothing,
    /// A legend of the marker shape of each group, named here, in rows centred under the
    /// heading, drawn by the function given (the groups module's `shape_legend`, passed in by
    /// the figures that group their marks, so that the canvas needs no knowledge of shapes).
    Shapes(&'t [String], LegendFn),
    /// One line of room for words the figure writes over its plot (a grouped distance
    /// matrix's group names).
    Line,
}

impl Above<'_> {
    /// Draws what is above the plot, from `top` down; returns its height.
    fn draw(self, root: &Area<'_>, top: i32) -> Drawn<i32> {
        let width = WIDTH as i32 - 2 * MARGIN as i32;
        match self {
            Above::Nothing => Ok(0),
            Above::Shapes(names, legend) => legend(root, names, WIDTH as i32 / 2, top, width),
            Above::Line => Ok(ABOVE_LINE),
        }
    }
}

/// Height of the line [`Above::Line`] leaves above the plot.
const ABOVE_LINE: i32 = (1.5 * TICK_PX) as i32 + 6;

/// How a plot's shape follows its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Aspect {
    /// Fill the space.
    Free,
    /// Widen one range so that a unit is as long on both axes (scatter and quiver plots).
    EqualUnits,
    /// Shrink the plot to a square, centred in the space (heatmaps).
    Square,
}

/// Draws the title, frame, grid and tick labels of a chart and returns it, ready for marks.
pub(super) fn chart<'a, 'b>(root: &'a Area<'b>, mut layout: Layout<'_>) -> Drawn<Chart<'a, 'b>> {
    let top = heading(root, layout.title, layout.note.as_deref())?;
    let top = top + layout.above.draw(root, top)?;
    let (x_names, y_names) = (layout.x.names(), layout.y.names());
    let widest = |names: &[String]| names.iter().map(|n| text_width(n, TICK_PX)).max().unwrap_or(0);
    // Numeric ticks are rounder than the range's ends, so no wider than they are written.
    let y_ticks = [layout.y.range.start, layout.y.range.end].map(|v| short_number(v)).to_vec();
    let y_area = layout.y.title_room()
        + if y_names.is_empty() { (widest(&y_ticks) + 14).max(56) } else { widest(&y_names) + 14 };
    let right = key_width(layout.key);
    let plot_width = WIDTH as i32 - 2 * MARGIN as i32 - y_area - right;
    // A square plot is at most as wide as it would be tall under unrotated names.
    let mut room = plot_width;
    if layout.aspect == Aspect::Square {
        room = room.min(HEIGHT as i32 - top - MARGIN as i32 - layout.x.title_room() - TICK_PX as i32 - 16);
    }
    // Names wider than their slot are turned upright, unless they are short (numbers), which
    // are thinned instead.
    let rotate = widest(&x_names) > (2.0 * TICK_PX) as i32
        && widest(&x_names) as f64 > room as f64 / x_names.len().max(1) as f64 - 6.0;
    let x_area = layout.x.title_room()
        + match (x_names.is_empty(), rotate) {
            (true, _) => 34,
            (false, false) => TICK_PX as i32 + 16,
            (false, true) => widest(&x_names) + 16,
        };
    let plot_height = HEIGHT as i32 - top - MARGIN as i32 - x_area;
    // Extra blank space left and right of, and above and below, the plot.
    let (mut wide, mut tall) = (0, 0);
    match layout.aspect {
        Aspect::Free => {}
        Aspect::EqualUnits => equalise(&mut layout.x.range, &mut layout.y.range, plot_width, plot_height),
        Aspect::Square => (wide, tall) = ((plot_width - plot_height).max(0), (plot_height - plot_width).max(0)),
    }

    let mut chart = ChartBuilder::on(root)
        .margin_left(MARGIN + (wide / 2) as u32)
        .margin_right(MARGIN + (right + wide - wide / 2) as u32)
        .margin_top((top + tall / 2) as u32)
        .margin_bottom(MARGIN + (tall - tall / 2) as u32)
        .x_label_area_size(x_area as u32)
        .y_label_area_size(y_area as u32)
        .build_cartesian_2d(layout.x.range.clone(), layout.y.range.clone())?;
    // Ticks are computed in floating point: one at 5.6e-17 of a range of 2 is 0.
    let tick = |range: &Range<f64>| {
        let span = range.end - range.start;
        move |v: &f64| short_number(if v.abs() < 1e-9 * span { 0.0 } else { *v })
    };
    let (x_tick, y_tick) = (tick(&layout.x.range), tick(&layout.y.range));
    let mut mesh = chart.configure_mesh();
    mesh.axis_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .label_style(font(TICK_PX))
        .axis_desc_style(font(LABEL_PX))
        .x_labels(7)
        .y_labels(7)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick);
    if !layout.x.label.is_empty() {
        mesh.x_desc(layout.x.label);
    }
    if !layout.y.label.is_empty() {
        mesh.y_desc(layout.y.label);
    }
    if !x_names.is_empty() {
        mesh.disable_x_mesh().disable_x_axis();
    }
    if !y_names.is_empty() {
        mesh.disable_y_mesh().disable_y_axis();
    }
    mesh.draw()?;

    let (xs, ys) = chart.plotting_area().get_pixel_range();
    root.draw(&Rectangle::new([(xs.start, ys.start), (xs.end - 1, ys.end - 1)], BLACK.mix(0.6).stroke_width(1)))?;
    name_categories(root, &chart, &x_names, &y_names, rotate)?;
    Ok(chart)
}

/// Draws the title and note centred on top; returns where the space below them starts.
fn heading(root: &Area<'_>, title: &str, note: Option<&str>) -> Drawn<i32> {
    let centre = WIDTH as i32 / 2;
    let bold = FontDesc::new(FontFamily::SansSerif, TITLE_PX * 1.24, FontStyle::Bold).color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (centre, MARGIN as i32), bold.pos(Pos::new(HPos::Center, VPos::Top))))?;
    let mut top = MARGIN as i32 + (1.4 * TITLE_PX) as i32;
    if let Some(note) = note {
        let style = inked(NOTE_PX, &BLACK.mix(0.7)).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(note.to_owned(), (centre, top), style))?;
        top += (1.4 * NOTE_PX) as i32;
    }
    Ok(top + 8)
}

/// Writes the names of categorical axes (see [`Ticks::Categories`]) below and left of the
/// plot; x names upright when `rotate`. Only every m-th name is written when they would
/// overlap.
fn name_categories(root: &Area<'_>, chart: &Chart<'_, '_>, x: &[String], y: &[String], rotate: bool) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (width, height) = chart.plotting_area().dim_in_pixel();
    let every =
        |size: f64, pixels: u32, n: usize| ((size + 4.0) * n as f64 / f64::from(pixels)).ceil().max(1.0) as usize;
    let (x_style, size) = if rotate {
        (font(TICK_PX).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Right, VPos::Center)), 1.2 * TICK_PX)
    } else {
        let widest = x.iter().map(|name| text_width(name, TICK_PX)).max().unwrap_or(0);
        (font(TICK_PX).pos(Pos::new(HPos::Center, VPos::Top)), f64::from(widest))
    };
    for (i, name) in x.iter().enumerate().step_by(every(size, width, x.len())) {
        let (px, _) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(name.clone(), (px, ys.end + 8), x_style.clone()))?;
    }
    let y_style = font(TICK_PX).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, name) in y.iter().enumerate().step_by(every(1.2 * TICK_PX, height, y.len())) {
        let (_, py) = chart.backend_coord(&(0.0, (y.len() - i) as f64 - 0.5));
        root.draw(&Text::new(name.clone(), (xs.start - 8, py), y_style.clone()))?;
    }
    Ok(())
}

/// Widens the range with fewer pixels per unit so that both axes have the same scale.
fn equalise(x: &mut Range<f64>, y: &mut Range<f64>, width: i32, height: i32) {
    let (width, height) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let unit = ((x.end - x.start) / width).max((y.end - y.start) / height);
    for (r, pixels) in [(x, width), (y, height)] {
        let (mid, half) = (0.5 * (r.start + r.end), 0.5 * unit * pixels);
        *r = mid - half..mid + half;
    }
}

/// Room right of the plot for `key`.
fn key_width(key: &Key) -> i32 {
    match key {
        Key::Legend(entries) => 12 + legend_size(entries).0,
        Key::Bar(scale) => BAR_GAP + BAR_WIDTH + 6 + bar_ticks_width(scale) + 10 + LABEL_PX as i32,
        Key::Ordinal(names) => {
            BAR_GAP + BAR_WIDTH + 6 + ordinal_names(names).iter().map(|n| text_width(n, TICK_PX)).max().unwrap_or(0)
        }
        Key::None => 0,
    }
}

/// The names written beside an ordered bar: as a legend writes them, each prefixed with
/// its group number when that is what tells them apart.
fn ordinal_names(names: &[String]) -> Vec<String> {
    let shown: Vec<String> = names.iter().map(|n| legend_name(n)).collect();
    if shown.iter().collect::<std::collections::HashSet<_>>().len() == shown.len() {
        return shown;
    }
    names.iter().enumerate().map(|(g, n)| format!("{g}: {}", shorten(n, MAX_NAME - 4))).collect()
}

/// Draws `key` right of the plot: a legend (one swatch per name) or a colour bar.
pub(super) fn draw_key(root: &Area<'_>, chart: &Chart<'_, '_>, key: &Key) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    match key {
        Key::Legend(entries) => legend(root, (xs.end + 12, ys.start), entries),
        Key::Bar(scale) => colour_bar(root, chart, scale),
        Key::Ordinal(names) => ordinal_bar(root, chart, names),
        Key::None => Ok(()),
    }
}

/// Width and height of the legend of `entries`.
fn legend_size(entries: &[(String, RGBColor)]) -> (i32, i32) {
    let widest = entries.iter().map(|(name, _)| text_width(&legend_name(name), TICK_PX)).max().unwrap_or(0);
    (2 * LEGEND_PADDING + LEGEND_SWATCH + widest, 2 * LEGEND_PADDING + LEGEND_LINE * entries.len() as i32)
}

/// Draws a legend with its top-left corner at `corner` (in pixels): a white box with a grey
/// border holding, for each entry, a round swatch of its colour and its name.
pub(super) fn legend(root: &Area<'_>, corner: (i32, i32), entries: &[(String, RGBColor)]) -> Drawn {
    let (width, height) = legend_size(entries);
    let far = (corner.0 + width, corner.1 + height);
    root.draw(&Rectangle::new([corner, far], WHITE.mix(0.9).filled()))?;
    root.draw(&Rectangle::new([corner, far], BLACK.mix(0.5).stroke_width(1)))?;
    let style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (name, colour)) in entries.iter().enumerate() {
        let y = corner.1 + LEGEND_PADDING + LEGEND_LINE * k as i32 + LEGEND_LINE / 2;
        root.draw(&Circle::new((corner.0 + LEGEND_PADDING + 6, y), 6, colour.filled()))?;
        root.draw(&Text::new(legend_name(name), (corner.0 + LEGEND_PADDING + LEGEND_SWATCH, y), style.clone()))?;
    }
    Ok(())
}

/// Draws a legend inside the upper-right corner of the plot.
pub(super) fn legend_inside(root: &Area<'_>, chart: &Chart<'_, '_>, entries: &[(String, RGBColor)]) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    legend(root, (xs.end - 10 - legend_size(entries).0, ys.start + 10), entries)
}

/// The values written beside a colour bar: its ends, then round values between them (steps
/// of 1, 2 or 5 times a power of ten, about four steps over the range).
fn bar_ticks(scale: &Scale) -> Vec<f64> {
    let (lo, hi) = (scale.lo, scale.hi);
    let mut ticks = vec![lo, hi];
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        ticks.truncate(1);
        return ticks;
    }
    let rough = span / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(10.0 * power);
    let mut k = (lo / step).ceil();
    while k * step < hi - 1e-9 * span {
        let t = k * step;
        if t > lo + 1e-9 * span {
            ticks.push(if t.abs() < 1e-9 * span { 0.0 } else { t });
        }
        k += 1.0;
    }
    ticks
}

/// The widest value written beside the colour bar of `scale`, in pixels.
fn bar_ticks_width(scale: &Scale) -> i32 {
    bar_ticks(scale).into_iter().map(|t| text_width(&short_number(t), TICK_PX)).max().unwrap_or(0)
}

/// A vertical colour bar beside the plot, as tall as it: `BANDS` four-vertex polygons, an
/// outline, the extreme values at its ends and round values between them where they fit,
/// and the scale's name along it (cut to fit the bar's height).
fn colour_bar(root: &Area<'_>, chart: &Chart<'_, '_>, scale: &Scale) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (left, right) = (xs.end + BAR_GAP, xs.end + BAR_GAP + BAR_WIDTH);
    let (top, bottom) = (ys.start, ys.end - 1);
    let edge = |k: usize| bottom - ((bottom - top) as f64 * k as f64 / BANDS as f64).round() as i32;
    for k in 0..BANDS {
        let (low, high) = (edge(k), edge(k + 1));
        let colour = sequential((k as f64 + 0.5) / BANDS as f64);
        root.draw(&Polygon::new(vec![(left, low), (right, low), (right, high), (left, high)], colour.filled()))?;
    }
    root.draw(&Rectangle::new([(left, top), (right, bottom)], BLACK.mix(0.6).stroke_width(1)))?;
    let tick = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let mut written: Vec<i32> = Vec::new();
    for t in bar_ticks(scale) {
        let y = bottom - ((bottom - top) as f64 * scale.fraction(t)).round() as i32;
        if written.iter().all(|w| (w - y).abs() as f64 >= 1.2 * TICK_PX) {
            root.draw(&Text::new(short_number(t), (right + 6, y), tick.clone()))?;
            written.push(y);
        }
    }
    let longest = (f64::from(bottom - top) / (0.6 * LABEL_PX)).floor().max(2.0) as usize;
    let name = font(LABEL_PX).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Center, VPos::Top));
    let at = (right + 10 + bar_ticks_width(scale), (top + bottom) / 2);
    root.draw(&Text::new(shorten(&scale.name, longest), at, name))
}

/// An ordered colour bar beside the plot, as tall as it: one four-vertex polygon per group
/// (the first at the bottom) in the colours of [`super::colour::group_colours`], an outline,
/// and the groups' names beside their bands, every m-th when they would overlap (the last
/// group always named).
fn ordinal_bar(root: &Area<'_>, chart: &Chart<'_, '_>, names: &[String]) -> Drawn {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (left, right) = (xs.end + BAR_GAP, xs.end + BAR_GAP + BAR_WIDTH);
    let (top, bottom) = (ys.start, ys.end - 1);
    let g = names.len();
    let edge = |k: usize| bottom - ((bottom - top) as f64 * k as f64 / g as f64).round() as i32;
    let last = g.saturating_sub(1).max(1) as f64;
    for k in 0..g {
        let (low, high) = (edge(k), edge(k + 1));
        let colour = sequential(k as f64 / last);
        root.draw(&Polygon::new(vec![(left, low), (right, low), (right, high), (left, high)], colour.filled()))?;
    }
    root.draw(&Rectangle::new([(left, top), (right, bottom)], BLACK.mix(0.6).stroke_width(1)))?;
    let every = (((1.2 * TICK_PX) + 2.0) * g as f64 / f64::from((bottom - top).max(1))).ceil().max(1.0) as usize;
    let mut shown: Vec<usize> = (0..g).step_by(every).collect();
    if let Some(end) = shown.last_mut() {
        *end = g - 1;
    }
    let style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let names = ordinal_names(names);
    for k in shown {
        root.draw(&Text::new(names[k].clone(), (right + 6, (edge(k) + edge(k + 1)) / 2), style.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        let cases = [(0.0, "0"), (0.37, "0.37"), (0.123456, "0.123"), (2.0, "2"), (12.5, "12.5"), (361.2, "361")];
        for (v, text) in cases {
            assert_eq!(short_number(v), text);
        }
        assert_eq!(short_number(-1.5e-5), "-1.5e-5");
        assert_eq!(short_number(25000.0), "2.5e4");
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(shorten("sink", 4), "sink");
        assert_eq!(shorten("source", 4), "sou…");
    }

    #[test]
    fn colour_bars_write_round_values_between_their_ends() {
        let ticks = |lo: f64, hi: f64| bar_ticks(&Scale { lo, hi, name: String::new() });
        assert_eq!(ticks(-1.0, 1.0), vec![-1.0, 1.0, -0.5, 0.0, 0.5]);
        assert_eq!(ticks(0.0, 37.0), vec![0.0, 37.0, 10.0, 20.0, 30.0]);
        assert_eq!(ticks(2.0, 2.0), vec![2.0]);
        assert_eq!(ticks(-0.3, 0.7), vec![-0.3, 0.7, 0.0, 0.5]);
    }

    #[test]
    fn equal_units_widen_the_narrow_range() {
        let (mut x, mut y) = (0.0..1.0, 0.0..1.0);
        equalise(&mut x, &mut y, 200, 100);
        assert_eq!(y, 0.0..1.0);
        assert_eq!(x, -0.5..1.5);
    }
}
