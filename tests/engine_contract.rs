//! One contract over every operation of the `Engine` trait, run on `LocalEngine` and on
//! `HttpEngine` against a live server (127.0.0.1, port 0): the same calls give the same
//! results (same seed, same numbers), and the same mistakes the same error codes.

use std::time::Duration;

use marble::analysis::AnalysisParams;
use marble::engine::*;
use marble::{Params, examples};

/// What a run of the contract gives, with ids and times left out so two engines compare.
#[derive(Debug, PartialEq)]
struct Outcome {
    summary: marble::dataset::Summary,
    npz_summary: marble::dataset::Summary,
    npz_file_summary: marble::dataset::Summary,
    listed: usize,
    job_epochs: (usize, usize),
    losses: marble::model::Losses,
    diffusion_time: f64,
    weights: Vec<u8>,
    embedding: Vec<Vec<f32>>,
    embedding_npy: Vec<u8>,
    distances: Vec<Vec<f64>>,
    clusters: Vec<usize>,
    decode: DecodeInfo,
    arrays: Vec<Vec<u8>>,
    plots: Vec<String>,
    resumed: (JobState, JobState, usize),
    after_delete: usize,
    readiness: (bool, u64),
    errors: Vec<(&'static str, String)>,
}

fn params(epochs: usize) -> Params {
    Params { k: 10, epochs, ..Params::default() }
}

fn conditions() -> marble::Conditions {
    examples::planar_fields(&examples::PLANAR_FIELDS, 60, 0)
}

/// The conditions as the bytes of an .npz, as a user's file would hold them.
fn npz_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fields.npz");
    marble::dataset::io::write_npz(&path, &conditions()).unwrap();
    std::fs::read(&path).unwrap()
}

/// The error code of a call that must fail.
fn code<T: std::fmt::Debug>(what: &'static str, r: marble::Result<T>) -> (&'static str, String) {
    (what, r.expect_err(what).code().to_string())
}

/// A summary without its step timings, which differ from run to run.
fn untimed(mut s: marble::dataset::Summary) -> marble::dataset::Summary {
    s.timings.clear();
    s
}

fn contract(e: &dyn Engine) -> Outcome {
    let d = e.create_dataset(&NewDataset::from_conditions(Some("json"), &conditions(), Some(params(3)))).unwrap();
    let from_npz = e.create_dataset_npz(&npz_bytes(), Some("npz"), Some(&params(3))).unwrap();
    assert_eq!(from_npz.name.as_deref(), Some("npz"));
    // An .npz that is already a file: read (or streamed) from it, and left as it is.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fields.npz");
    std::fs::write(&file, npz_bytes()).unwrap();
    let from_file = e.create_dataset_npz_file(&file, Some("file"), Some(&params(3))).unwrap();
    assert_eq!(from_file.name.as_deref(), Some("file"));
    assert_eq!(std::fs::read(&file).unwrap(), npz_bytes());
    e.delete_dataset(&from_file.id).unwrap();
    let not_npz = dir.path().join("notes.npz");
    std::fs::write(&not_npz, "not an npz").unwrap();
    assert_eq!(e.dataset(&d.id).unwrap(), d);
    let listed = e.list_datasets().unwrap().len();
    let job = e.start_fit(&FitRequest { dataset: d.id.clone(), params: None }).unwrap();
    assert_eq!(e.job(&job.id).unwrap().id, job.id);
    let done = e.wait(&job.id, Duration::from_secs(120)).unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{:?}", done.message);
    assert!(e.list_jobs().unwrap().iter().any(|j| j.id == job.id));
    let model = e.model(&job.id).unwrap();
    let emb = e.transform(&TransformRequest { model: job.id.clone(), dataset: from_npz.id.clone() }).unwrap();
    assert_eq!(e.embedding(&emb.id).unwrap(), emb);
    let analysis = e.analyze(&job.id, &AnalysisParams { n_clusters: 4, ..AnalysisParams::default() }).unwrap();
    let undecoded = code("predictions before decoding", e.model_array(&job.id, RunArray::DecodingPredictions));
    // Behaviour known to the latents' input: the anchors' first coordinate.
    let behaviour: Vec<Vec<f64>> =
        conditions().as_slice().iter().flat_map(|c| c.anchor.rows().into_iter().map(|r| vec![r[0]])).collect();
    let decode = e
        .decode(&job.id, &DecodeRequest { behaviour: behaviour.clone().into(), groups: None, folds: Some(4) })
        .unwrap();
    let plots = PlotKind::ALL.iter().map(|k| e.plot(&job.id, *k).unwrap()).collect();
    // The results as .npy bytes hold what the JSON answers hold.
    let arrays: Vec<Vec<u8>> =
        [RunArray::Embedding, RunArray::Distances, RunArray::Clusters, RunArray::DecodingPredictions]
            .iter()
            .map(|&a| e.model_array(&job.id, a).unwrap())
            .collect();
    let distances: ndarray::Array2<f64> = ndarray_npy::ReadNpyExt::read_npy(&arrays[1][..]).unwrap();
    assert_eq!(distances.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), analysis.distances);
    let clusters: ndarray::Array1<i64> = ndarray_npy::ReadNpyExt::read_npy(&arrays[2][..]).unwrap();
    assert_eq!(clusters.iter().map(|&c| c as usize).collect::<Vec<_>>(), analysis.clusters);
    let predictions: ndarray::Array2<f64> = ndarray_npy::ReadNpyExt::read_npy(&arrays[3][..]).unwrap();
    assert_eq!(predictions.dim(), (behaviour.len(), 1));
    // Cancel a fit, then resume it to the end.
    let long = e.start_fit(&FitRequest { dataset: from_npz.id.clone(), params: Some(params(20)) }).unwrap();
    e.cancel_job(&long.id).unwrap();
    let stopped = e.wait(&long.id, Duration::from_secs(120)).unwrap();
    e.resume_job(&long.id).unwrap();
    let resumed = e.wait(&long.id, Duration::from_secs(120)).unwrap();
    // Delete: gone from the listing and from reads.
    let spare = e.create_dataset_npz(&npz_bytes(), None, None).unwrap();
    e.delete_dataset(&spare.id).unwrap();
    let after_delete = e.list_datasets().unwrap().len();
    let ready = e.readiness().unwrap();
    let errors = vec![
        undecoded,
        code("array of a missing model", e.model_array("job_missing", RunArray::Distances)),
        code("missing dataset", e.dataset("ds_missing")),
        code("deleted dataset", e.dataset(&spare.id)),
        code("delete missing", e.delete_dataset("ds_missing")),
        code("missing job", e.job("job_missing")),
        code("cancel missing", e.cancel_job("job_missing")),
        code("resume finished", e.resume_job(&job.id)),
        code("missing model", e.model("job_missing")),
        code("missing weights", e.model_weights("job_missing")),
        code("missing embedding", e.embedding("emb_missing")),
        code("missing npy", e.embedding_npy("emb_missing")),
        code("transform missing", e.transform(&TransformRequest { model: job.id.clone(), dataset: "ds_x".into() })),
        code("not an npz", e.create_dataset_npz(b"not an npz", None, None)),
        code("not an npz file", e.create_dataset_npz_file(&not_npz, None, None)),
        code("missing npz file", e.create_dataset_npz_file(&dir.path().join("missing.npz"), None, None)),
        code("k too large", e.create_dataset_npz(&npz_bytes(), None, Some(&Params { k: 500, ..params(3) }))),
        code("fit bad params", e.start_fit(&FitRequest { dataset: d.id.clone(), params: Some(params(0)) })),
        code(
            "decode rows",
            e.decode(&job.id, &DecodeRequest { behaviour: vec![vec![0.0]; 7].into(), groups: None, folds: None }),
        ),
        code("analyze missing", e.analyze("job_missing", &AnalysisParams::default())),
        code("plot missing", e.plot("job_missing", PlotKind::Losses)),
    ];
    Outcome {
        summary: untimed(d.summary),
        npz_summary: untimed(from_npz.summary),
        npz_file_summary: untimed(from_file.summary),
        listed,
        job_epochs: (done.epoch, done.epochs),
        losses: model.losses,
        diffusion_time: model.diffusion_time,
        weights: e.model_weights(&job.id).unwrap(),
        embedding: emb.embedding,
        embedding_npy: e.embedding_npy(&emb.id).unwrap(),
        distances: analysis.distances,
        clusters: analysis.clusters,
        decode,
        arrays,
        plots,
        resumed: (stopped.state, resumed.state, resumed.epoch),
        after_delete,
        readiness: (ready.writable, ready.min_free_mib),
        errors,
    }
}

#[test]
fn both_engines_keep_one_contract() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let local = LocalEngine::open(LocalOptions::new(a.path())).unwrap();
    let http = HttpEngine::with_token(&crate::server::start(b.path(), |_| {}), None);
    let (l, h) = (contract(&local), contract(&http));
    // What each result must be, on either engine.
    assert_eq!(l.summary.n_points, 240);
    assert_eq!(l.summary, l.npz_summary, "the same arrays as JSON or as .npz bytes");
    assert_eq!(l.summary, l.npz_file_summary, "the same arrays as an .npz file");
    assert_eq!((l.listed, l.after_delete), (2, 2));
    assert_eq!(l.job_epochs, (3, 3));
    assert_eq!(l.embedding.len(), 240);
    // The .npy is the embedding itself: float32, 240 x out_channels.
    let npy: ndarray::Array2<f32> = ndarray_npy::ReadNpyExt::read_npy(&l.embedding_npy[..]).unwrap();
    assert_eq!(npy.nrows(), 240);
    assert!(npy.rows().into_iter().zip(&l.embedding).all(|(r, e)| r.to_vec() == *e));
    assert_eq!(l.resumed, (JobState::Cancelled, JobState::Succeeded, 20));
    assert_eq!(l.readiness, (true, 64));
    for plot in &l.plots {
        roxmltree::Document::parse(plot).unwrap();
    }
    let expected = [
        ("missing dataset", "not_found"),
        ("deleted dataset", "not_found"),
        ("missing model", "not_found"),
        ("missing npy", "not_found"),
        ("not an npz", "input_format"),
        ("not an npz file", "input_format"),
        ("predictions before decoding", "not_found"),
        ("array of a missing model", "not_found"),
        ("fit bad params", "invalid_params"),
    ];
    for (what, want) in expected {
        let got = &l.errors.iter().find(|(w, _)| *w == what).unwrap().1;
        assert_eq!(got, want, "{what}");
    }
    // Errors come back as the same variants, with the field named.
    for e in [&local as &dyn Engine, &http] {
        let err = e.dataset("ds_missing").unwrap_err();
        assert!(matches!(&err, marble::Error::NotFound { kind: "dataset", id } if id == "ds_missing"), "{err:?}");
        let d = e.create_dataset_npz(&npz_bytes(), None, Some(&params(3))).unwrap();
        let err = e.start_fit(&FitRequest { dataset: d.id, params: Some(Params { k: 0, ..params(3) }) }).unwrap_err();
        assert!(err.code() == "invalid_params" && err.to_string().contains("`k`"), "{err}");
    }
    // And the two engines agree on all of it, bit for bit (same seed, same training).
    assert_eq!(l.errors, h.errors, "the same code for the same mistake");
    assert_eq!(l, h);
}
