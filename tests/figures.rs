//! Figures of many conditions (issue 23): conditions with values on a colour scale, the
//! condition map, colour by a per-point variable, and words that stay inside the canvas
//! without overlapping at 2, 10, 40 and 200 conditions.

use marble::analysis::mds;
use marble::plot::{
    Colouring, Grouping, Svg, cluster_histograms, cluster_histograms_by_value, condition_map, condition_map_grouped,
    distance_matrix, distance_matrix_grouped, embedding, embedding_grouped, vector_field, vector_field_grouped,
};
use ndarray::Array2;

/// The box of one `<text>` in canvas pixels: left, top, right, bottom.
#[derive(Clone, Copy, Debug)]
struct TextBox {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl TextBox {
    fn meets(&self, other: &TextBox) -> bool {
        self.left < other.right && other.left < self.right && self.top < other.bottom && other.top < self.bottom
    }
}

/// A `<text>` element: what it says, where, and whether it explains colours (right of the
/// plot frame, as legends and colour bars are).
#[derive(Clone, Debug)]
struct Word {
    text: String,
    bounds: TextBox,
    size: f64,
}

/// The view box (width, height) and every word of `svg`, each with a box estimated from
/// its font size and character count: 0.6 em a character (an upper bound for sans-serif
/// text) by 1 em, placed as plotters places it (`text-anchor` across; `dy` of 0.76em for
/// top-anchored text, 0.5ex for centred, -0.5ex for bottom-anchored; a baseline with 0.76 em
/// of ascent and 0.24 em of descent), then turned by its `rotate(angle, x, y)` transform.
fn words(svg: &Svg) -> ((f64, f64), Vec<Word>) {
    let doc = roxmltree::Document::parse(svg.as_str()).expect("well-formed XML");
    let root = doc.root_element();
    let number = |n: roxmltree::Node, a: &str| -> f64 {
        n.attribute(a).unwrap_or_else(|| panic!("<{}> has no {a}", n.tag_name().name())).parse().unwrap()
    };
    let view = match root.attribute("viewBox") {
        Some(v) => {
            let v: Vec<f64> = v.split_whitespace().map(|x| x.parse().unwrap()).collect();
            assert_eq!((v[0], v[1]), (0.0, 0.0));
            (v[2], v[3])
        }
        None => (number(root, "width"), number(root, "height")),
    };
    for n in root.descendants().filter(|n| n.is_element() && n.has_tag_name("g")) {
        assert!(n.attribute("transform").is_none(), "a group moves its content: {n:?}");
    }
    let words = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text = n.text().unwrap_or("").trim().to_owned();
            let (x, y, size) = (number(n, "x"), number(n, "y"), number(n, "font-size"));
            let width = 0.6 * size * text.chars().count() as f64;
            let left = match n.attribute("text-anchor").unwrap_or("start") {
                "start" => x,
                "middle" => x - width / 2.0,
                "end" => x - width,
                other => panic!("text-anchor {other}"),
            };
            let baseline = y + match n.attribute("dy").unwrap_or("0") {
                "0.76em" => 0.76 * size,
                "0.5ex" => 0.25 * size,
                "-0.5ex" => -0.25 * size,
                "0" => 0.0,
                other => panic!("dy {other}"),
            };
            let mut b =
                TextBox { left, top: baseline - 0.76 * size, right: left + width, bottom: baseline + 0.24 * size };
            if let Some(t) = n.attribute("transform") {
                let args: Vec<f64> = t
                    .strip_prefix("rotate(")
                    .and_then(|t| t.strip_suffix(')'))
                    .unwrap_or_else(|| panic!("transform {t}"))
                    .split(',')
                    .map(|a| a.trim().parse().unwrap())
                    .collect();
                let (angle, cx, cy) = (args[0].to_radians(), args[1], args[2]);
                let turn = |px: f64, py: f64| {
                    let (dx, dy) = (px - cx, py - cy);
                    (cx + dx * angle.cos() - dy * angle.sin(), cy + dx * angle.sin() + dy * angle.cos())
                };
                let corners =
                    [turn(b.left, b.top), turn(b.right, b.top), turn(b.left, b.bottom), turn(b.right, b.bottom)];
                let xs = corners.map(|c| c.0);
                let ys = corners.map(|c| c.1);
                b = TextBox {
                    left: xs.iter().copied().fold(f64::INFINITY, f64::min),
                    right: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    top: ys.iter().copied().fold(f64::INFINITY, f64::min),
                    bottom: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                };
            }
            Word { text, bounds: b, size }
        })
        .collect();
    (view, words)
}

/// Every word of `svg` lies inside its view box, and no two words overlap (except, when
/// `cells` is set, values written inside heat-map cells, which are smaller than tick
/// labels and checked against nothing but the canvas).
fn assert_readable(svg: &Svg, what: &str, cells: bool) {
    let ((width, height), words) = words(svg);
    for w in &words {
        let b = w.bounds;
        assert!(
            b.left >= 0.0 && b.top >= 0.0 && b.right <= width && b.bottom <= height,
            "{what}: {:?} at {b:?} leaves the {width} x {height} canvas",
            w.text
        );
    }
    let labels: Vec<&Word> = words.iter().filter(|w| !cells || w.size >= 14.0).collect();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[..i] {
            assert!(
                !a.bounds.meets(&b.bounds),
                "{what}: {:?} {:?} overlaps {:?} {:?}",
                a.text,
                a.bounds,
                b.text,
                b.bounds
            );
        }
    }
}

fn texts(svg: &Svg) -> Vec<String> {
    words(svg).1.into_iter().map(|w| w.text).collect()
}

/// Fill colours of the `<circle>`s, in document order.
fn circle_fills(svg: &Svg) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg.as_str()).unwrap();
    doc.descendants().filter(|n| n.has_tag_name("circle")).map(|n| n.attribute("fill").unwrap().to_owned()).collect()
}

fn count(svg: &Svg, tag: &str) -> usize {
    roxmltree::Document::parse(svg.as_str()).unwrap().descendants().filter(|n| n.has_tag_name(tag)).count()
}

/// The van der Pol protocol's names and values: mu from -1 to 1.
fn sweep(c: usize) -> (Vec<String>, Vec<f64>) {
    let mus: Vec<f64> = (0..c).map(|i| -1.0 + 2.0 * i as f64 / (c - 1) as f64).collect();
    (mus.iter().map(|mu| format!("mu = {mu:.3}")).collect(), mus)
}

/// Distances between conditions on a slightly bent line, and its MDS.
fn bent_line(c: usize) -> (Array2<f64>, Array2<f64>, Vec<f64>) {
    let at = |i: usize| {
        let t = i as f64 / c as f64;
        [t, 0.2 * (3.0 * t).sin()]
    };
    let d = Array2::from_shape_fn((c, c), |(i, j)| {
        let (a, b) = (at(i), at(j));
        (a[0] - b[0]).hypot(a[1] - b[1])
    });
    let m = mds(d.view(), 2).unwrap();
    (d, m.points, m.explained)
}

/// 30 points per condition around its own centre, and a rotation field there.
fn clouds(c: usize) -> (Array2<f64>, Array2<f64>, Vec<usize>) {
    let n = 30 * c;
    let labels: Vec<usize> = (0..n).map(|i| i / 30).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, k)| {
        let (g, a) = ((i / 30) as f64, (i % 30) as f64 * 0.7);
        if k == 0 { g + 0.3 * a.cos() } else { (g * 0.5).sin() + 0.3 * a.sin() }
    });
    let v = Array2::from_shape_fn((n, 2), |(i, k)| if k == 0 { -x[[i, 1]] } else { x[[i, 0]] });
    (x, v, labels)
}

#[test]
fn words_stay_inside_and_apart_at_any_number_of_conditions() {
    for c in [2, 10, 40, 200] {
        let (names, mus) = sweep(c);
        let long: Vec<String> = (0..c).map(|i| format!("recording session of a long day, condition {i}")).collect();
        let (d, map, explained) = bent_line(c);
        let (x, v, labels) = clouds(c);
        let t: Vec<f64> = (0..labels.len()).map(|i| i as f64 * 0.01).collect();
        let histograms = Array2::from_shape_fn((c, 15), |(i, j)| ((i + 1) * (j + 2) % 7) as f64);
        let figures = [
            ("embedding by name", embedding(x.view(), Colouring::Categorical { labels: &labels, names: &names }, "E")),
            (
                "embedding by long name",
                embedding(x.view(), Colouring::Categorical { labels: &labels, names: &long }, "E"),
            ),
            (
                "embedding by value",
                embedding(x.view(), Colouring::Valued { labels: &labels, values: &mus, name: "mu" }, "E"),
            ),
            ("embedding by time", embedding(x.view(), Colouring::values(&t, "time in trial (s)"), "E")),
            (
                "field by name",
                vector_field(x.view(), v.view(), Colouring::Categorical { labels: &labels, names: &long }, "F"),
            ),
            ("map by name", condition_map(map.view(), &names, None, &explained, "Condition map")),
            ("map by long name", condition_map(map.view(), &long, None, &explained, "Condition map")),
            ("map by value", condition_map(map.view(), &names, Some(&mus), &explained, "Condition map")),
            ("distances", distance_matrix(d.view(), &long, "Distances")),
            ("clusters by name", cluster_histograms(histograms.view(), &long, "Clusters")),
            ("clusters by value", cluster_histograms_by_value(histograms.view(), &names, Some(&mus), "Clusters")),
        ];
        for (what, svg) in figures {
            let svg = svg.unwrap_or_else(|e| panic!("{what}, {c} conditions: {e}"));
            assert_readable(&svg, &format!("{what}, {c} conditions"), what == "distances");
        }
    }
}

#[test]
fn grouped_figures_keep_their_words_inside_and_apart() {
    // Two monkeys, each with half of the conditions under the same names; a long group name.
    let monkeys = ["mihi".to_string(), "chewie, the second monkey".to_string()];
    for c in [2, 10, 40, 200] {
        let half = c / 2;
        let (names, mus) = sweep(c);
        let shared: Vec<String> = (0..c).map(|i| names[i % half].clone()).collect();
        let groups: Vec<usize> = (0..c).map(|i| i / half).collect();
        let (d, map, explained) = bent_line(c);
        let (x, v, labels) = clouds(c);
        let point_groups: Vec<usize> = labels.iter().map(|&l| groups[l]).collect();
        let conditions = Some(Grouping { labels: &groups, names: &monkeys });
        let points = Some(Grouping { labels: &point_groups, names: &monkeys });
        let by_name = Colouring::Categorical { labels: &labels, names: &names };
        let figures = [
            ("embedding", embedding_grouped(x.view(), by_name, points, "E")),
            ("field", vector_field_grouped(x.view(), v.view(), by_name, points, "F")),
            ("map by name", condition_map_grouped(map.view(), &shared, None, conditions, &explained, "Map")),
            ("map by value", condition_map_grouped(map.view(), &shared, Some(&mus), conditions, &explained, "Map")),
            ("distances", distance_matrix_grouped(d.view(), &shared, conditions, "Distances")),
        ];
        for (what, svg) in figures {
            let svg = svg.unwrap_or_else(|e| panic!("grouped {what}, {c} conditions: {e}"));
            assert_readable(&svg, &format!("grouped {what}, {c} conditions"), what == "distances");
            assert!(texts(&svg).iter().any(|w| w == "mihi"), "grouped {what}, {c} conditions: no group name");
        }
    }
}

#[test]
fn many_conditions_never_share_a_colour_unsaid() {
    let (x, _, labels) = clouds(40);
    let (names, _) = sweep(40);
    let svg = embedding(x.view(), Colouring::Categorical { labels: &labels, names: &names }, "40").unwrap();
    // No legend: the conditions take 40 bands of an ordered bar, each its own colour.
    assert_eq!(count(&svg, "circle"), 1200);
    assert_eq!(count(&svg, "polygon"), 40);
    let fills = circle_fills(&svg);
    let distinct: std::collections::BTreeSet<&String> = fills.iter().collect();
    assert_eq!(distinct.len(), 40);
    // The ends of the order are named beside the bar, and names between them as they fit.
    let words = texts(&svg);
    let named = names.iter().filter(|n| words.contains(n)).count();
    assert!(words.contains(&names[0]) && words.contains(&names[39]) && named >= 10, "{words:?}");
    // Ten conditions keep the palette and a legend of every name.
    let (x, _, labels) = clouds(10);
    let (names, _) = sweep(10);
    let svg = embedding(x.view(), Colouring::Categorical { labels: &labels, names: &names }, "10").unwrap();
    assert_eq!(count(&svg, "circle"), 300 + 10);
    assert!(names.iter().all(|n| texts(&svg).contains(n)));
}

#[test]
fn values_span_the_colour_scale_from_end_to_end() {
    let (names, mus) = sweep(40);
    let (_, map, explained) = bent_line(40);
    let svg = condition_map(map.view(), &names, Some(&mus), &explained, "Condition map").unwrap();
    // One marker per condition and no legend; viridis's ends at the lowest and highest mu.
    let fills = circle_fills(&svg);
    assert_eq!(fills.len(), 40);
    assert_eq!((fills[0].as_str(), fills[39].as_str()), ("#440154", "#FDE725"));
    let words = texts(&svg);
    // A colour bar named after the names' left side, from -1 to 1.
    for word in ["mu", "-1", "1", "MDS 1", "MDS 2"] {
        assert!(words.iter().any(|w| w == word), "no {word:?} in {words:?}");
    }
    let percent = |f: f64| format!("{:.0}%", 100.0 * f);
    let note = format!("axes explain {} and {} of the variance", percent(explained[0]), percent(explained[1]));
    assert!(words.contains(&note), "{note:?} not in {words:?}");
    assert!(explained[0] > 0.8 && explained[0] + explained[1] <= 1.0 + 1e-9, "{explained:?}");
    // Labels where they fit: the ends of the sweep at least, never more than one each.
    let labelled = names.iter().filter(|n| words.contains(n)).count();
    assert!(words.contains(&names[0]) && words.contains(&names[39]) && labelled >= 5, "{labelled}");
    // Reversed values reverse the colours: the scale follows values, not order.
    let reversed: Vec<f64> = mus.iter().map(|m| -m).collect();
    let svg = condition_map(map.view(), &names, Some(&reversed), &explained, "Condition map").unwrap();
    assert_eq!(circle_fills(&svg)[0], "#FDE725");
}

#[test]
fn the_condition_map_of_a_few_named_conditions_keeps_its_legend() {
    let names: Vec<String> = ["flow left", "flow right", "vortex", "saddle"].map(String::from).to_vec();
    let t = [0.0f64, 1.0, 3.0, 4.0];
    let d = Array2::from_shape_fn((4, 4), |(i, j)| (t[i] - t[j]).abs());
    let m = mds(d.view(), 2).unwrap();
    let svg = condition_map(m.points.view(), &names, None, &m.explained, "Fields").unwrap();
    // Four markers and four legend swatches, in the palette's first colours.
    let fills = circle_fills(&svg);
    assert_eq!(fills.len(), 8);
    assert_eq!(fills[..4], fills[4..]);
    let words = texts(&svg);
    assert!(words.iter().any(|w| w == "axes explain 100% and 0% of the variance"), "{words:?}");
    // Every name is in the legend, and beside its marker where it fits.
    for n in &names {
        assert!(words.iter().filter(|w| *w == n).count() >= 1, "{n}");
    }
    assert_readable(&svg, "fields", false);
}

#[test]
fn bad_condition_maps_name_the_argument() {
    let (names, mus) = sweep(3);
    let map = Array2::from_shape_fn((3, 2), |(i, k)| (i + k) as f64);
    let fails = |r: marble::Result<Svg>, field: &str| {
        let e = r.expect_err("bad input");
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.to_string().contains(field), "{e} does not name {field}");
    };
    fails(condition_map(map.view(), &names[..2], None, &[0.5, 0.5], ""), "names");
    fails(condition_map(map.view(), &names, Some(&mus[..2]), &[0.5, 0.5], ""), "values");
    fails(condition_map(map.view(), &names, Some(&[0.0, f64::NAN, 1.0]), &[0.5, 0.5], ""), "values");
    fails(condition_map(map.view(), &names, None, &[0.5], ""), "explained");
    fails(condition_map(map.view(), &names, None, &[1.5, 0.0], ""), "explained");
    let three = Array2::<f64>::zeros((3, 3));
    fails(condition_map(three.view(), &names, None, &[0.5, 0.5], ""), "points");
    // One condition, or all in one place: a map all the same.
    let one = condition_map(Array2::zeros((1, 2)).view(), &names[..1], None, &[0.0, 0.0], "").unwrap();
    assert!(texts(&one).iter().any(|w| w == "one condition"));
}

#[test]
#[ignore = "writes figures of many conditions to $MARBLE_FIGURES for a look"]
fn write_many_conditions() {
    let out = std::env::var_os("MARBLE_FIGURES").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    for c in [40, 200] {
        let (names, mus) = sweep(c);
        let (_, map, explained) = bent_line(c);
        let (x, _, labels) = clouds(c);
        let save =
            |svg: marble::Result<Svg>, name: &str| svg.unwrap().save(&out.join(format!("{name}_{c}.svg"))).unwrap();
        save(condition_map(map.view(), &names, Some(&mus), &explained, "Condition map"), "map_values");
        save(condition_map(map.view(), &names, None, &explained, "Condition map"), "map_names");
        save(
            embedding(x.view(), Colouring::Categorical { labels: &labels, names: &names }, "Embedding"),
            "embedding_names",
        );
        save(
            embedding(x.view(), Colouring::Valued { labels: &labels, values: &mus, name: "mu" }, "Embedding"),
            "embedding_values",
        );
    }
}

/// Two groups of Van der Pol conditions ("mihi" and "chewie") whose names repeat across the
/// groups, fitted and analysed: every figure of the analysis marks the groups.
#[test]
fn an_analysis_of_grouped_conditions_marks_the_groups_in_every_figure() {
    use marble::engine::{Engine, FitRequest, JobState, LocalEngine, LocalOptions, NewDataset, PlotKind};
    let dir = tempfile::tempdir().unwrap();
    let e = LocalEngine::open(LocalOptions::new(dir.path())).unwrap();
    let mut conditions =
        marble::examples::VanDerPol { n_trajectories: 8, ..Default::default() }.conditions(0).into_vec();
    for (c, condition) in conditions.iter_mut().enumerate() {
        condition.name = Some(format!("target {}", c % 3));
        condition.group = Some(if c < 3 { "mihi" } else { "chewie" }.to_string());
        condition.value = None;
    }
    let conditions = marble::Conditions::new(conditions).unwrap();
    let params = marble::Params { k: 10, epochs: 2, ..marble::Params::default() };
    let d = e.create_dataset(&NewDataset::from_conditions(Some("grouped"), &conditions, Some(params))).unwrap();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(e.wait(&job.id, std::time::Duration::from_secs(120)).unwrap().state, JobState::Succeeded);
    let p = marble::analysis::AnalysisParams { n_clusters: 4, ..Default::default() };
    e.analyze(&job.id, &p).unwrap();
    let plot = |kind: PlotKind| Svg(e.plot(&job.id, kind).unwrap());
    let triangles = |svg: &Svg| {
        let doc = roxmltree::Document::parse(svg.as_str()).unwrap();
        let three = |n: &roxmltree::Node| n.attribute("points").unwrap_or("").split_whitespace().count() == 3;
        doc.descendants().filter(|n| n.has_tag_name("polygon") && three(n)).count()
    };
    // The embedding and the map: the shape legend, and triangles for the second group.
    for kind in [PlotKind::Embedding, PlotKind::ConditionMap] {
        let svg = plot(kind);
        let words = texts(&svg);
        assert!(words.iter().any(|w| w == "mihi") && words.iter().any(|w| w == "chewie"), "{kind:?}: {words:?}");
        assert!(triangles(&svg) > 0, "{kind:?} has no triangle");
    }
    // The map: a name is one colour in both groups, so its legend has three swatches; with
    // the first group's three circles (over white halos) and the grey shape, six coloured.
    let fills = circle_fills(&plot(PlotKind::ConditionMap));
    assert_eq!(fills.iter().filter(|f| !["#FFFFFF", "#000000"].contains(&f.as_str())).count(), 3 + 3, "{fills:?}");
    // The matrix: one boundary (two separators) and a bracket per group, both named.
    let distances = plot(PlotKind::Distances);
    assert_eq!(count(&distances, "polyline"), 2 + 2);
    assert!(texts(&distances).iter().any(|w| w == "chewie"));
    // The histograms' legend tells "target 0" of one monkey from the other's.
    let clusters = texts(&plot(PlotKind::Clusters));
    for word in ["mihi: target 0", "chewie: target 1", "target 2"] {
        assert!(clusters.iter().any(|w| w == word), "no {word:?} in {clusters:?}");
    }
    // The vector field: the shape legend.
    assert!(texts(&plot(PlotKind::VectorField)).iter().any(|w| w == "chewie"));
}
