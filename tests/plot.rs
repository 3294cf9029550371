//! Tests of the SVG figures: every document parses, is sized, carries its title and names,
//! and has exactly the marks its function documents.

use marble::Result;
use marble::model::Losses;
use marble::plot::{
    Colouring, MAX_ARROWS, Svg, cluster_histograms, distance_matrix, embedding, loss_curves, vector_field,
};
use ndarray::{Array2, array};

/// What a figure holds, counted by element kind as `marble::plot` documents.
#[derive(Debug)]
struct Marks {
    circles: usize,
    /// Vertex count of each `<polyline>`.
    polylines: Vec<usize>,
    /// `<polygon>`s with three vertices (arrow heads).
    triangles: usize,
    /// `<polygon>`s with four vertices (colour-bar bands).
    quads: usize,
    /// `<rect>`s filled with a colour other than white (cells, bars).
    coloured_rects: usize,
    /// Every `<text>`, trimmed.
    texts: Vec<String>,
}

impl Marks {
    fn has_text(&self, s: &str) -> bool {
        self.texts.iter().any(|t| t == s)
    }
}

/// Parses `svg`, checks its size and that every string of `words` is one of its texts.
fn marks(svg: &Svg, words: &[&str]) -> Marks {
    let doc = roxmltree::Document::parse(svg.as_str()).expect("the figure is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    for side in ["width", "height"] {
        let pixels: u32 = root.attribute(side).expect("the figure is sized").parse().unwrap();
        assert!(pixels >= 300, "{side} = {pixels}");
    }
    let elements = |tag: &'static str| root.descendants().filter(move |n| n.has_tag_name(tag));
    let vertices = |n: roxmltree::Node| n.attribute("points").unwrap_or("").split_whitespace().count();
    let m = Marks {
        circles: elements("circle").count(),
        polylines: elements("polyline").map(vertices).collect(),
        triangles: elements("polygon").filter(|&n| vertices(n) == 3).count(),
        quads: elements("polygon").filter(|&n| vertices(n) == 4).count(),
        coloured_rects: elements("rect").filter(|n| !matches!(n.attribute("fill"), Some("none" | "#FFFFFF"))).count(),
        texts: elements("text").map(|n| n.text().unwrap_or("").trim().to_owned()).collect(),
    };
    for word in words {
        assert!(m.has_text(word), "no text {word:?} in {:?}", m.texts);
    }
    m
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, field: &str) {
    let error = result.expect_err("bad input is an error");
    assert_eq!(error.code(), "invalid_argument", "{error}");
    assert!(error.to_string().contains(field), "{error} does not name {field}");
}

/// A rotation field on an m x m grid.
fn rotation(m: usize) -> (Array2<f64>, Array2<f64>) {
    let x = Array2::from_shape_fn((m * m, 2), |(i, c)| if c == 0 { (i % m) as f64 } else { (i / m) as f64 });
    let v = Array2::from_shape_fn((m * m, 2), |(i, c)| if c == 0 { -x[[i, 1]] } else { x[[i, 0]] });
    (x, v)
}

#[test]
fn vector_field_draws_one_shaft_and_head_per_arrow() {
    let (x, v) = rotation(7);
    let labels: Vec<usize> = (0..49).map(|i| i % 2).collect();
    let groups = names(&["left", "right"]);
    let svg = vector_field(x.view(), v.view(), Colouring::Categorical { labels: &labels, names: &groups }, "Rotation")
        .unwrap();
    let m = marks(&svg, &["Rotation", "left", "right", "x", "y"]);
    assert_eq!(m.polylines, vec![2; 49]);
    assert_eq!(m.triangles, 49);
    assert_eq!(m.circles, 2, "one legend swatch per name");
    assert_eq!(m.quads, 0);
}

#[test]
fn vector_field_thins_large_fields_and_says_so() {
    let (x, v) = rotation(60);
    let svg = vector_field(x.view(), v.view(), Colouring::Plain, "Big").unwrap();
    let m = marks(&svg, &["Big", &format!("{MAX_ARROWS} of 3600 arrows shown")]);
    assert_eq!(m.polylines.len(), MAX_ARROWS);
    assert_eq!(m.triangles, MAX_ARROWS);
}

#[test]
fn vector_field_in_3d_is_projected_onto_principal_axes() {
    // A field in the plane z = 0, spread most along x, pointing along +x: after projection
    // every arrow still points right, horizontally.
    let n = 30;
    let x = Array2::from_shape_fn((n, 3), |(i, c)| match c {
        0 => (i % 10) as f64 - 4.5,
        1 => 0.3 * (i / 10) as f64,
        _ => 0.0,
    });
    let v = Array2::from_shape_fn((n, 3), |(_, c)| if c == 0 { 1.0 } else { 0.0 });
    let time: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let svg = vector_field(x.view(), v.view(), Colouring::Continuous { values: &time, name: "time" }, "Plane").unwrap();
    let m = marks(&svg, &["Plane", "PC 1", "PC 2", "time"]);
    assert_eq!(m.polylines, vec![2; n]);
    assert_eq!(m.triangles, n);
    assert!(m.quads > 0, "a colour bar");
    let doc = roxmltree::Document::parse(svg.as_str()).unwrap();
    for shaft in doc.descendants().filter(|e| e.has_tag_name("polyline")) {
        let ends: Vec<Vec<i32>> = shaft
            .attribute("points")
            .unwrap()
            .split_whitespace()
            .map(|p| p.split(',').map(|c| c.parse().unwrap()).collect())
            .collect();
        assert_eq!(ends[0][1], ends[1][1], "horizontal");
        assert!(ends[1][0] > ends[0][0], "pointing right");
    }
}

#[test]
fn vector_field_rejects_bad_input() {
    let (x, v) = rotation(3);
    assert_invalid(vector_field(x.view(), v.slice(ndarray::s![..5, ..]), Colouring::Plain, ""), "vectors");
    let line = Array2::<f64>::zeros((4, 1));
    assert_invalid(vector_field(line.view(), line.view(), Colouring::Plain, ""), "anchors");
    let mut bad = v.clone();
    bad[[2, 1]] = f64::NAN;
    assert_invalid(vector_field(x.view(), bad.view(), Colouring::Plain, ""), "vectors");
    let empty = Array2::<f64>::zeros((0, 2));
    assert_invalid(vector_field(empty.view(), empty.view(), Colouring::Plain, ""), "anchors");
    assert_invalid(vector_field(x.view(), v.view(), Colouring::Continuous { values: &[1.0], name: "t" }, ""), "values");
}

#[test]
fn embedding_draws_one_circle_per_point_plus_legend() {
    let n = 40;
    let z = Array2::from_shape_fn((n, 2), |(i, c)| ((i * (c + 3)) % 11) as f64);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let groups = names(&["rest", "reach", "grasp"]);
    let svg = embedding(z.view(), Colouring::Categorical { labels: &labels, names: &groups }, "Latent space").unwrap();
    let m = marks(&svg, &["Latent space", "rest", "reach", "grasp"]);
    assert_eq!(m.circles, n + 3);
    assert!(m.polylines.is_empty());

    let plain = marks(&embedding(z.view(), Colouring::Plain, "Plain").unwrap(), &["Plain"]);
    assert_eq!(plain.circles, n);
}

#[test]
fn embedding_with_values_has_a_colour_bar() {
    let z = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
    let values = [0.25, 0.5, 0.75, 1.0];
    let svg = embedding(z.view(), Colouring::Continuous { values: &values, name: "speed" }, "Speed").unwrap();
    let m = marks(&svg, &["Speed", "speed", "0.25", "1"]);
    assert_eq!(m.circles, 4);
    assert!(m.quads > 0);
}

#[test]
fn embedding_rejects_bad_input() {
    let z = array![[0.0, 1.0], [1.0, 0.0]];
    let three = Array2::<f64>::zeros((2, 3));
    assert_invalid(embedding(three.view(), Colouring::Plain, ""), "points");
    let nan = array![[0.0, f64::NAN], [1.0, 0.0]];
    assert_invalid(embedding(nan.view(), Colouring::Plain, ""), "points");
    let one = names(&["a"]);
    assert_invalid(embedding(z.view(), Colouring::Categorical { labels: &[0, 1], names: &one }, ""), "labels");
    assert_invalid(embedding(z.view(), Colouring::Categorical { labels: &[0], names: &one }, ""), "labels");
    let inf = [0.0, f64::INFINITY];
    assert_invalid(embedding(z.view(), Colouring::Continuous { values: &inf, name: "t" }, ""), "values");
}

#[test]
fn distance_matrix_has_one_cell_per_pair() {
    let d = array![[0.0, 0.5, 1.0, 2.0], [0.5, 0.0, 0.7, 1.5], [1.0, 0.7, 0.0, 1.2], [2.0, 1.5, 1.2, 0.0]];
    let conditions = names(&["saddle", "source", "sink", "centre"]);
    let svg = distance_matrix(d.view(), &conditions, "Distances").unwrap();
    let m = marks(&svg, &["Distances", "saddle", "source", "sink", "centre", "distance", "0.5", "2"]);
    assert_eq!(m.coloured_rects, 16);
    for name in &conditions {
        assert_eq!(m.texts.iter().filter(|t| *t == name).count(), 2, "{name} on both axes");
    }
    assert!(m.polylines.is_empty() && m.triangles == 0);
}

#[test]
fn large_distance_matrices_drop_cell_values() {
    let c = 15;
    let d = Array2::from_shape_fn((c, c), |(i, j)| (i as f64 - j as f64).abs());
    let conditions: Vec<String> = (0..c).map(|i| format!("c{i}")).collect();
    let m = marks(&distance_matrix(d.view(), &conditions, "Many").unwrap(), &["Many", "c0", "c14"]);
    assert_eq!(m.coloured_rects, c * c);
    assert!(!m.has_text("7"));
}

#[test]
fn distance_matrix_rejects_bad_input() {
    let conditions = names(&["a", "b"]);
    let wide = Array2::<f64>::zeros((2, 3));
    assert_invalid(distance_matrix(wide.view(), &conditions, ""), "distances");
    let square = Array2::<f64>::zeros((2, 2));
    assert_invalid(distance_matrix(square.view(), &conditions[..1], ""), "names");
    let nan = array![[0.0, f64::NAN], [1.0, 0.0]];
    assert_invalid(distance_matrix(nan.view(), &conditions, ""), "distances");
}

#[test]
fn loss_curves_draw_train_and_validation_lines() {
    let mut val: Vec<f64> = (0..12).map(|e| 1.2 / (e + 1) as f64).collect();
    val[4] = f64::NAN;
    let losses =
        Losses { train_loss: (0..12).map(|e| 1.0 / (e + 1) as f64).collect(), val_loss: val, test_loss: vec![0.11] };
    let m = marks(&loss_curves(&losses, "Training").unwrap(), &["Training", "train", "validation", "epoch", "loss"]);
    assert_eq!(m.polylines, vec![12, 11]);
    assert_eq!(m.circles, 2 + 2, "two swatches, then the test marker and its swatch");
    assert!(m.has_text("test (final model)"));

    let train_only = Losses { train_loss: vec![3.0, 2.0, f64::INFINITY], ..Losses::default() };
    let m = marks(&loss_curves(&train_only, "Short").unwrap(), &["Short", "train"]);
    assert_eq!(m.polylines, vec![2]);
    assert_eq!(m.circles, 1);
}

#[test]
fn loss_curves_need_a_training_loss() {
    assert_invalid(loss_curves(&Losses::default(), ""), "train_loss");
    let diverged = Losses { train_loss: vec![f64::NAN], ..Losses::default() };
    assert_invalid(loss_curves(&diverged, ""), "train_loss");
}

#[test]
fn cluster_histograms_draw_one_bar_per_condition_and_cluster() {
    let h = array![[10.0, 0.0, 5.0, 5.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]];
    let conditions = names(&["day 1", "day 2", "day 3"]);
    let svg = cluster_histograms(h.view(), &conditions, "Clusters").unwrap();
    let m = marks(&svg, &["Clusters", "day 1", "day 2", "day 3", "cluster", "proportion", "0", "4"]);
    assert_eq!(m.coloured_rects, 3 * 5);
    assert_eq!(m.circles, 3, "legend swatches");
}

#[test]
fn cluster_histograms_reject_bad_input() {
    let conditions = names(&["a", "b"]);
    let negative = array![[1.0, -1.0], [1.0, 1.0]];
    assert_invalid(cluster_histograms(negative.view(), &conditions, ""), "histograms");
    let three = Array2::<f64>::ones((3, 2));
    assert_invalid(cluster_histograms(three.view(), &conditions, ""), "names");
    let empty = Array2::<f64>::zeros((2, 0));
    assert_invalid(cluster_histograms(empty.view(), &conditions, ""), "histograms");
}

#[test]
fn svg_saves_and_reads_back() {
    let svg = embedding(array![[0.0, 0.0], [1.0, 1.0]].view(), Colouring::Plain, "Saved & <escaped>").unwrap();
    marks(&svg, &["Saved & <escaped>"]);
    assert_eq!(svg.to_string(), svg.as_str());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("figure.svg");
    svg.save(&path).unwrap();
    assert_eq!(Svg(std::fs::read_to_string(&path).unwrap()), svg);
    let missing = dir.path().join("no such folder").join("figure.svg");
    assert_eq!(svg.save(&missing).unwrap_err().code(), "io");
}

#[test]
#[ignore = "writes example figures to $MARBLE_FIGURES for a look"]
fn write_examples() {
    let out = std::env::var_os("MARBLE_FIGURES").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let (x, v) = rotation(15);
    let labels: Vec<usize> = (0..225).map(|i| i % 3).collect();
    let groups = names(&["condition A", "condition B", "condition C"]);
    let cat = Colouring::Categorical { labels: &labels, names: &groups };
    vector_field(x.view(), v.view(), cat, "Rotation field").unwrap().save(&out.join("field.svg")).unwrap();
    let t: Vec<f64> = (0..225).map(|i| i as f64 / 10.0).collect();
    let cont = Colouring::Continuous { values: &t, name: "time (s)" };
    embedding(x.view(), cont, "Embedding").unwrap().save(&out.join("embedding_cont.svg")).unwrap();
    embedding(x.view(), cat, "Embedding").unwrap().save(&out.join("embedding_cat.svg")).unwrap();
    let c = 6;
    let d = Array2::from_shape_fn((c, c), |(i, j)| (i as f64 - j as f64).abs() * 0.37);
    let conditions: Vec<String> = (0..c).map(|i| format!("condition number {i}")).collect();
    distance_matrix(d.view(), &conditions, "Distances").unwrap().save(&out.join("distances.svg")).unwrap();
    let h = Array2::from_shape_fn((3, 8), |(i, j)| ((i + 1) * (j + 2) % 7) as f64);
    cluster_histograms(h.view(), &groups, "Clusters").unwrap().save(&out.join("clusters.svg")).unwrap();
    let losses = Losses {
        train_loss: (0..40).map(|e| 1.0 / (e + 1) as f64).collect(),
        val_loss: (0..40).map(|e| 1.1 / (e + 1) as f64 + 0.02).collect(),
        test_loss: vec![0.05],
    };
    loss_curves(&losses, "Training").unwrap().save(&out.join("losses.svg")).unwrap();
    let c = 20;
    let d = Array2::from_shape_fn((c, c), |(i, j)| (i as f64 - j as f64).powi(2));
    let conditions: Vec<String> = (0..c).map(|i| format!("a long condition name {i}")).collect();
    distance_matrix(d.view(), &conditions, "Many distances").unwrap().save(&out.join("distances_20.svg")).unwrap();
    let h = Array2::from_shape_fn((c, 40), |(i, j)| ((i + 1) * (j + 2) % 7) as f64);
    cluster_histograms(h.view(), &conditions, "Many clusters").unwrap().save(&out.join("clusters_40.svg")).unwrap();
    let n = 5000;
    let x = Array2::from_shape_fn((n, 3), |(i, c)| {
        let t = i as f64 * 0.01;
        [t.cos() * (1.0 + 0.1 * t), t.sin(), 0.3 * t][c]
    });
    let v = Array2::from_shape_fn((n, 3), |(i, c)| [-(i as f64 * 0.01).sin(), (i as f64 * 0.01).cos(), 0.3][c]);
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 0.01).collect();
    let time = Colouring::Continuous { values: &t, name: "time" };
    vector_field(x.view(), v.view(), time, "Helix").unwrap().save(&out.join("helix.svg")).unwrap();
}
