//! Figures drawn with and without groups, against fingerprints of the figures as they were
//! before groups existed, and the grouped figures written out for a look. Here rather than in
//! `groups`, so that `groups` imports none of the figures that import it.

use super::groups::Grouping;
use crate::error::Result;

/// FNV-1a, 64 bits: a fingerprint of a document.
fn fingerprint(svg: &super::Svg) -> u64 {
    svg.as_str().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[test]
fn figures_without_groups_are_unchanged() {
    use super::{Colouring, condition_map, distance_matrix, embedding, vector_field};
    // Fingerprints of these figures as drawn before groups existed (commit 8aa06db): the
    // plain functions, and the `_grouped` ones given `None`, must draw them byte for byte.
    let n = 90;
    let labels: Vec<usize> = (0..n).map(|i| i / 30).collect();
    let x = ndarray::Array2::from_shape_fn((n, 2), |(i, k)| {
        let (g, a) = ((i / 30) as f64, (i % 30) as f64 * 0.7);
        if k == 0 { g + 0.3 * a.cos() } else { (g * 0.5).sin() + 0.3 * a.sin() }
    });
    let v = ndarray::Array2::from_shape_fn((n, 2), |(i, k)| if k == 0 { -x[[i, 1]] } else { x[[i, 0]] });
    let names: Vec<String> = ["a", "bb", "ccc"].map(String::from).to_vec();
    let mus = [0.1, 0.5, -0.3];
    let d = ndarray::Array2::from_shape_fn((3, 3), |(i, j)| (i as f64 - j as f64).abs());
    let big = ndarray::Array2::from_shape_fn((20, 20), |(i, j)| (i as f64 - j as f64).abs().sqrt());
    let big_names: Vec<String> = (0..20).map(|i| format!("condition {i}")).collect();
    let map = ndarray::Array2::from_shape_fn((3, 2), |(i, k)| (i * (k + 1)) as f64);
    let by_name = Colouring::Categorical { labels: &labels, names: &names };
    let figures = [
        (embedding(x.view(), by_name, "E"), 0x7d76_6476_175d_683e),
        (
            embedding(x.view(), Colouring::Valued { labels: &labels, values: &mus, name: "mu" }, "E"),
            0xca09_be69_1189_430c,
        ),
        (vector_field(x.view(), v.view(), by_name, "F"), 0x57e9_8ae3_000f_09b2),
        (distance_matrix(d.view(), &names, "D"), 0x5e60_799e_b636_12a7),
        (distance_matrix(big.view(), &big_names, "D"), 0x44ee_a7d7_f211_082a),
        (condition_map(map.view(), &names, None, &[0.6, 0.3], "M"), 0xca2a_41d1_4a8d_28d0),
        (condition_map(map.view(), &names, Some(&mus), &[0.6, 0.3], "M"), 0xe8e5_8117_2228_1f57),
    ];
    for (k, (svg, expected)) in figures.into_iter().enumerate() {
        assert_eq!(fingerprint(&svg.unwrap()), expected, "figure {k} changed");
    }
}

#[test]
#[ignore = "writes grouped figures to $MARBLE_FIGURES for a look"]
fn write_grouped_figures() {
    use super::vector_field_grouped;
    use super::{Colouring, condition_map_grouped, distance_matrix_grouped, embedding_grouped};
    let out = std::env::var_os("MARBLE_FIGURES").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let save = |svg: Result<super::Svg>, name: &str| svg.unwrap().save(&out.join(format!("{name}.svg"))).unwrap();
    // Eight reach targets in each of two monkeys: target t at angle 45 t degrees, the
    // second monkey's a little turned and shrunk.
    let (per, animals) = (25, ["mihi", "chewie"].map(String::from));
    let names: Vec<String> = (0..16).map(|c| format!("target {}", c % 8)).collect();
    let angles: Vec<f64> = (0..16).map(|c| 45.0 * (c % 8) as f64).collect();
    let groups: Vec<usize> = (0..16).map(|c| c / 8).collect();
    let place = |c: usize| {
        let a = (angles[c] + 10.0 * (c / 8) as f64).to_radians();
        let r = 2.0 - 0.3 * (c / 8) as f64;
        (r * a.cos(), r * a.sin())
    };
    let n = 16 * per;
    let condition: Vec<usize> = (0..n).map(|i| i / per).collect();
    let x = ndarray::Array2::from_shape_fn((n, 2), |(i, k)| {
        let (cx, cy) = place(i / per);
        let a = (i % per) as f64 * 2.4;
        if k == 0 { cx + 0.25 * a.cos() * (a / 60.0) } else { cy + 0.25 * a.sin() * (a / 60.0) }
    });
    let v = ndarray::Array2::from_shape_fn((n, 2), |(i, k)| if k == 0 { -x[[i, 1]] } else { x[[i, 0]] });
    let by_name = crate::analysis::Groups::new(&names);
    let target: Vec<usize> = condition.iter().map(|&c| by_name.of_condition[c]).collect();
    let point_groups: Vec<usize> = condition.iter().map(|&c| groups[c]).collect();
    let points = Grouping { labels: &point_groups, names: &animals };
    let conditions = Grouping { labels: &groups, names: &animals };
    let by_target = Colouring::Categorical { labels: &target, names: &by_name.names };
    save(embedding_grouped(x.view(), by_target, Some(points), "Embedding (grouped)"), "grouped_embedding");
    let by_angle = Colouring::Valued { labels: &condition, values: &angles, name: "angle" };
    save(embedding_grouped(x.view(), by_angle, Some(points), "Embedding (grouped)"), "grouped_embedding_values");
    save(vector_field_grouped(x.view(), v.view(), by_target, Some(points), "Fields"), "grouped_field");
    let d = ndarray::Array2::from_shape_fn((16, 16), |(i, j)| {
        let (a, b) = (place(i), place(j));
        (a.0 - b.0).hypot(a.1 - b.1)
    });
    let m = crate::analysis::mds(d.view(), 2).unwrap();
    let map = |values: Option<&[f64]>| {
        condition_map_grouped(m.points.view(), &names, values, Some(conditions), &m.explained, "Condition map")
    };
    save(map(None), "grouped_map_names");
    save(map(Some(&angles)), "grouped_map_values");
    save(distance_matrix_grouped(d.view(), &names, Some(conditions), "Distances"), "grouped_distances");
    // The same targets meeting across monkeys, and eight groups of many points.
    let close = ndarray::Array2::from_shape_fn((16, 2), |(c, k)| m.points[[c % 8, k]] + 0.04 * (c / 8) as f64);
    let met = condition_map_grouped(close.view(), &names, None, Some(conditions), &m.explained, "Matched");
    save(met, "grouped_map_met");
    let noise = |i: usize| ((i as f64 * 12.9898).sin() * 43758.5453).fract();
    let many = ndarray::Array2::from_shape_fn((3000, 2), |(i, k)| noise(2 * i + k) + 0.2 * (i % 8) as f64);
    let eight: Vec<usize> = (0..3000).map(|i| i % 8).collect();
    let sessions: Vec<String> = (1..=8).map(|s| format!("recording session {s}")).collect();
    let by_session = Grouping { labels: &eight, names: &sessions };
    let t: Vec<f64> = (0..3000).map(|i| i as f64).collect();
    save(embedding_grouped(many.view(), Colouring::values(&t, "t"), Some(by_session), "Many"), "grouped_many");
    let six = [0, 1, 2, 8, 9, 10];
    let d6 = ndarray::Array2::from_shape_fn((6, 6), |(i, j)| d[[six[i], six[j]]]);
    let names6: Vec<String> = six.iter().map(|&c| names[c].clone()).collect();
    let three = ["mihi", "chewie", "a third monkey with a long name"].map(String::from);
    let g6 = Grouping { labels: &[0, 0, 1, 1, 2, 2], names: &three };
    save(distance_matrix_grouped(d6.view(), &names6, Some(g6), "Distances"), "grouped_distances_6");
}
