//! Every malformed input yields its named error, from files and at dataset construction.

use std::io::Write;

use marble::dataset::io;
use marble::dataset::{Condition, Conditions, Dataset};
use marble::params::Duplicates;
use marble::progress::Silent;
use marble::{Error, Params, examples};
use ndarray::{Array1, Array2, ShapeBuilder, array};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(text.as_bytes()).unwrap();
    p
}

#[test]
fn npz_round_trip_keeps_labels_and_masks() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = examples::planar_fields(&examples::PLANAR_FIELDS, 30, 0).into_vec();
    c[1].mask = Some(Array1::from_iter((0..30).map(|i| i % 3 == 0)));
    let conds = Conditions::new(c).unwrap();
    let p = dir.path().join("x.npz");
    io::write_npz(&p, &conds).unwrap();
    assert_eq!(io::read_conditions(&p).unwrap(), conds);
}

#[test]
fn npz_of_other_dtypes_and_trajectories() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&p).unwrap());
    npz.add_array("trajectory_0_0", &array![[0f32, 0.0], [1.0, 1.0], [3.0, 2.0]]).unwrap();
    npz.add_array("trajectory_0_1", &array![[5i64, 5], [6, 5]]).unwrap();
    npz.add_array("anchor_1", &array![[0.0f64, 1.0]]).unwrap();
    npz.add_array("vector_1", &array![[1i32, 1]]).unwrap();
    npz.finish().unwrap();
    let c = io::read_conditions(&p).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.as_slice()[0].anchor, array![[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]);
    assert_eq!(c.as_slice()[0].vector, array![[1.0, 1.0], [2.0, 1.0], [1.0, 0.0]]);
    assert_eq!(c.as_slice()[1].vector, array![[1.0, 1.0]]);
}

#[test]
fn npz_without_conditions_lists_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&p).unwrap());
    npz.add_array("anchors_0", &array![[0.0f64, 1.0]]).unwrap();
    npz.finish().unwrap();
    let e = io::read_conditions(&p).unwrap_err().to_string();
    assert!(e.contains("anchors_0") && e.contains("anchor_0"), "{e}");
    let p2 = dir.path().join("half.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&p2).unwrap());
    npz.add_array("anchor_0", &array![[0.0f64, 1.0]]).unwrap();
    npz.finish().unwrap();
    assert!(io::read_conditions(&p2).unwrap_err().to_string().contains("no `vector_0`"));
}

#[test]
fn npy_pair() {
    let dir = tempfile::tempdir().unwrap();
    let (a, v) = (dir.path().join("a.npy"), dir.path().join("v.npy"));
    ndarray_npy::write_npy(&a, &array![[0.0f64, 1.0], [2.0, 3.0]]).unwrap();
    ndarray_npy::write_npy(&v, &array![[1.0f32, 0.0], [0.0, 1.0]]).unwrap();
    let c = io::read_npy_pair(&a, &v).unwrap();
    assert_eq!(c.as_slice()[0].vector, array![[1.0, 0.0], [0.0, 1.0]]);
    ndarray_npy::write_npy(&v, &array![[1.0f64, 0.0]]).unwrap();
    assert!(matches!(
        io::read_npy_pair(&a, &v),
        Err(Error::LengthMismatch { array: "vector", expected: 2, found: 1, .. })
    ));
}

#[test]
fn csv_with_and_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let with = write(&dir, "a.csv", "x0,x1,v0,v1,label\n0,0,1,0,7\n1,0,0,1,8\n");
    let without = write(&dir, "b.csv", "0,0,1,0\n1,1,0,1\n2,1,1,1\n");
    let c = io::read_csv(&[with, without.clone()], None).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.as_slice()[0].label.as_ref().unwrap(), &array![7.0, 8.0]);
    assert_eq!(c.as_slice()[1].anchor, array![[0.0, 0.0], [1.0, 1.0], [2.0, 1.0]]);
    // With --anchor-dim 1 the same file has 1 anchor column and 3 vector columns.
    assert_eq!(io::read_csv(std::slice::from_ref(&without), Some(1)).unwrap().signal_dim(), 3);
    let ragged = write(&dir, "r.csv", "0,0,1,0\n1,1,0\n");
    assert!(matches!(io::read_csv(&[ragged], None), Err(Error::Ragged { expected: 4, found: 3, .. })));
    let nan = write(&dir, "n.csv", "0,0,1,0\n1,nan,0,1\n");
    assert!(matches!(io::read_csv(&[nan], None), Err(Error::NonFinite { array: "anchor", row: 1, column: 1, .. })));
    let odd = write(&dir, "o.csv", "0,0,1\n");
    assert!(io::read_csv(&[odd], None).unwrap_err().to_string().contains("--anchor-dim"));
    let bad_header = write(&dir, "h.csv", "x0,speed\n0,1\n");
    assert!(io::read_csv(&[bad_header], None).unwrap_err().to_string().contains("`speed`"));
    let dims = write(&dir, "d.csv", "0,0,0,1,0,0\n");
    assert!(matches!(io::read_csv(&[without, dims], None), Err(Error::DimensionMismatch { condition: 1, .. })));
}

#[test]
fn json_conditions_and_their_errors() {
    let ok = r#"{"conditions": [
        {"anchor": [[0, 0], [1, 0]], "vector": [[1, 0], [1, 0]], "mask": [true, false]},
        {"trajectories": [[[0, 0], [0, 1], [0, 3]]]}
    ]}"#;
    let c = io::parse_json(ok, "test").unwrap();
    assert_eq!(c.as_slice()[1].vector, array![[0.0, 1.0], [0.0, 2.0]]);
    assert_eq!(c.as_slice()[0].mask.as_ref().unwrap(), &array![true, false]);
    let cases = [
        (r#"{"conditions": [{"anchor": [[0, 0], [1]], "vector": [[1, 0], [1, 0]]}]}"#, "ragged"),
        (r#"{"conditions": [{"anchor": [[0, 0]], "vector": [[1, 0], [1, 0]]}]}"#, "length_mismatch"),
        (r#"{"conditions": [{"anchor": [[0, null]], "vector": [[1, 0]]}]}"#, "input_format"),
        (r#"{"conditions": [{"anchor": [], "vector": []}]}"#, "empty_condition"),
        (r#"{"conditions": []}"#, "no_conditions"),
        (r#"{"conditions": [{"anchor": [[0, 0]], "vektor": [[1, 0]]}]}"#, "input_format"),
        (
            r#"{"conditions": [{"anchor": [[0, 0]], "vector": [[1, 0]]}, {"anchor": [[0, 0, 0]], "vector": [[1, 0]]}]}"#,
            "dimension_mismatch",
        ),
        (r#"{"conds": []}"#, "input_format"),
    ];
    for (text, code) in cases {
        let e = io::parse_json(text, "test").unwrap_err();
        assert_eq!(e.code(), code, "{text}: {e}");
    }
}

#[test]
fn json_mistakes_name_where_they_are() {
    let e = io::parse_json(r#"{"conditions": [{"anchor": [[0, 0], [1, "a"]], "vector": [[1, 0], [1, 0]]}]}"#, "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("at `conditions[0].anchor[1][1]`") && e.contains("JSON has no NaN"), "{e}");
    let e = io::parse_json(r#"[{"anchor": [[0, 0]], "vector": [[1, 0]], "lable": [1]}]"#, "t").unwrap_err().to_string();
    assert!(e.contains("at `[0].lable`: unknown field `lable`, expected one of"), "{e}");
    let e = io::parse_json(r#"{"conditions": [{"anchor": [[0, 0]], "vector": [[1, 0]]}]} trailing"#, "t").unwrap_err();
    assert_eq!(e.code(), "input_format");
    // Ragged rows keep their code and the first row at fault, in any array.
    let e = io::parse_json(r#"[{"trajectories": [[[0, 0], [0, 1], [2]]]}]"#, "t").unwrap_err();
    assert!(
        matches!(&e, Error::Ragged { row: 2, expected: 2, found: 1, origin } if origin.ends_with("trajectory 0")),
        "{e:?}"
    );
    // Masks as true/false or 0/1, and null as absent.
    let c = io::parse_json(r#"[{"anchor": [[0], [1]], "vector": [[1], [1]], "mask": [1, 0], "label": null}]"#, "t")
        .unwrap();
    assert_eq!(c.as_slice()[0].mask.as_ref().unwrap(), &array![true, false]);
    assert!(c.as_slice()[0].label.is_none());
}

#[test]
fn arrays_in_any_memory_order_build_the_same_dataset() {
    // numpy hands over Fortran-order arrays and column selections; the build reads rows.
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS[..2], 40, 0);
    let fortran: Vec<Condition> = conds
        .as_slice()
        .iter()
        .map(|c| {
            let mut f = c.clone();
            f.anchor = Array2::from_shape_vec(c.anchor.dim().f(), c.anchor.t().iter().copied().collect()).unwrap();
            assert!(!f.anchor.is_standard_layout());
            f
        })
        .collect();
    let fortran = Conditions::new(fortran).unwrap();
    let p = Params { k: 8, ..Params::default() }.check().unwrap();
    let (a, b) = (Dataset::build(&conds, &p, &Silent).unwrap(), Dataset::build(&fortran, &p, &Silent).unwrap());
    assert_eq!(a.anchor, b.anchor);
    assert_eq!(a.summary.n_points, b.summary.n_points);
}

fn line(n: usize) -> Condition {
    Condition::new(
        Array2::from_shape_fn((n, 2), |(i, c)| if c == 0 { i as f64 } else { (i as f64).sin() }),
        Array2::ones((n, 2)),
    )
}

#[test]
fn dataset_errors_name_the_condition() {
    let p = Params::default().check().unwrap();
    // Fewer points than k + 1.
    let c = Conditions::new(vec![line(50), line(15)]).unwrap();
    let e = Dataset::build(&c, &p, &Silent).unwrap_err();
    assert!(matches!(e, Error::TooFewPoints { condition: 1, n_points: 15, k: 20, after: "" }), "{e}");
    assert!(e.to_string().contains("use k < 15"));
    // Too few after sampling.
    let sparse = Params { spacing: 0.3, ..Params::default() }.check().unwrap();
    let e = Dataset::build(&Conditions::new(vec![line(100)]).unwrap(), &sparse, &Silent).unwrap_err();
    assert!(matches!(e, Error::TooFewPoints { after: " after sampling", .. }), "{e}");
    // Duplicate anchors, when refused.
    let mut dup = line(40);
    let row = dup.anchor.row(3).to_owned();
    dup.anchor.row_mut(30).assign(&row);
    let refuse = Params { duplicates: Duplicates::Error, ..Params::default() }.check().unwrap();
    let e = Dataset::build(&Conditions::new(vec![line(40), dup.clone()]).unwrap(), &refuse, &Silent).unwrap_err();
    assert!(matches!(e, Error::DuplicatePoints { condition: 1, first: 3, second: 30 }), "{e}");
    assert!(e.to_string().contains("duplicates = \"merge\""), "{e}");
    // Merging them can leave too few points.
    let mut few = line(22);
    let row = few.anchor.row(0).to_owned();
    few.anchor.row_mut(1).assign(&row);
    few.anchor.row_mut(2).assign(&row);
    let e = Dataset::build(&Conditions::new(vec![few]).unwrap(), &p, &Silent).unwrap_err();
    assert!(matches!(e, Error::TooFewPoints { n_points: 20, after: " after merging repeated anchors", .. }), "{e}");
    // local_gauges with a signal outside the embedding space.
    let mismatch =
        Condition::new(Array2::from_shape_fn((60, 3), |(i, c)| ((i * (c + 1)) as f64).sin()), Array2::ones((60, 2)));
    let lp = Params { local_gauges: true, ..Params::default() }.check().unwrap();
    let e = Dataset::build(&Conditions::new(vec![mismatch]).unwrap(), &lp, &Silent).unwrap_err();
    assert!(e.to_string().contains("`local_gauges`"), "{e}");
}

#[test]
fn local_gauges_in_the_plane_fall_back_with_a_note() {
    let c = examples::planar_fields(&[examples::Field::Saddle], 200, 0);
    let p = Params { local_gauges: true, diffusion: false, ..Params::default() }.check().unwrap();
    let d = Dataset::build(&c, &p, &Silent).unwrap();
    assert!(!d.local_gauges());
    assert!(d.summary.notes.iter().any(|n| n.contains("local_gauges")));
}

#[test]
fn tables_from_npy_of_any_numeric_dtype_or_csv_with_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let npy = |name: &str, write: &dyn Fn(&std::path::Path)| {
        let p = dir.path().join(name);
        write(&p);
        io::read_table(&p).unwrap()
    };
    let expect = array![[1.0, 2.0], [3.0, 4.0]];
    assert_eq!(npy("f32.npy", &|p| ndarray_npy::write_npy(p, &expect.mapv(|v| v as f32)).unwrap()), expect);
    assert_eq!(npy("i32.npy", &|p| ndarray_npy::write_npy(p, &expect.mapv(|v| v as i32)).unwrap()), expect);
    assert_eq!(npy("u8.npy", &|p| ndarray_npy::write_npy(p, &expect.mapv(|v| v as u8)).unwrap()), expect);
    let column = npy("i64.npy", &|p| ndarray_npy::write_npy(p, &array![3i64, 1, 2]).unwrap());
    assert_eq!(column, array![[3.0], [1.0], [2.0]]);
    let csv = write(&dir, "b.csv", "x, y\n1, 2\n3,4\n");
    assert_eq!(io::read_table(&csv).unwrap(), expect);
    let e = io::read_table(&write(&dir, "bad.csv", "x,y\n1,2\n3,oops\n")).unwrap_err();
    assert!(e.to_string().contains("line 3, column 2: `oops` is not a number"), "{e}");
    let e = io::read_table(&write(&dir, "ragged.csv", "x,y\n1,2\n3\n")).unwrap_err();
    assert!(matches!(e, Error::Ragged { row: 3, expected: 2, found: 1, .. }), "{e:?}");
    // The one CSV reader: no header means the first line is data, and `#` lines are comments.
    let bare = write(&dir, "bare.csv", "# trial behaviour\n1,2\n3,4\n");
    assert_eq!(io::read_named_table(&bare).unwrap(), (expect.clone(), vec![]));
    let p = dir.path().join("nan.npy");
    ndarray_npy::write_npy(&p, &array![[1.0, f64::NAN]]).unwrap();
    let e = io::read_table(&p).unwrap_err().to_string();
    assert!(e.contains("row 0, column 1 is NaN; remove or interpolate non-finite values"), "{e}");
}

#[test]
fn dataset_npz_holds_the_graph_edge_by_edge() {
    let dir = tempfile::tempdir().unwrap();
    let conds = examples::planar_fields(&examples::PLANAR_FIELDS[..2], 40, 0);
    let d = Dataset::build(&conds, &Params { k: 8, ..Params::default() }.check().unwrap(), &Silent).unwrap();
    let p = dir.path().join("dataset.npz");
    io::write_dataset_npz(&p, &d).unwrap();
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(&p).unwrap()).unwrap();
    let edges: Array2<i64> = npz.by_name("edge_index").unwrap();
    let weights: Array1<f64> = npz.by_name("edge_weight").unwrap();
    assert_eq!(edges.ncols(), d.adjacency.nnz());
    for (e, w) in weights.iter().enumerate() {
        assert_eq!(d.adjacency.get(edges[[0, e]] as usize, edges[[1, e]] as usize), *w);
    }
    let split: Array1<u8> = npz.by_name("split").unwrap();
    assert_eq!(split.len(), d.n_points());
    assert!(split.iter().all(|&s| s <= 2));
    let anchor: Array2<f64> = npz.by_name("anchor").unwrap();
    assert_eq!(anchor, d.anchor);
}
