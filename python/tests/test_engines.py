"""The in-process and remote engines on one scenario, with equal results."""

import io

import numpy as np
import pytest

import marble_rs
from conftest import planar_fields


def scenario(e):
    anchors, vectors = planar_fields()
    ds = e.create_dataset(anchors, vectors, names=["slow", "mid", "fast"], values=[0.5, 1.0, 1.5],
                          name="fields", k=10, epochs=3)
    assert ds.name == "fields" and ds["summary"]["n_points"] == 450
    model = e.fit(ds, verbose=False)
    emb = e.transform(model, ds)
    analysis = e.analyze(model, n_clusters=4)
    behaviour = np.concatenate([a[:, :1] for a in anchors])
    dec = e.decode(model, behaviour, folds=4)
    arrays = {n: e.array(model, n) for n in ("embedding", "condition", "distances", "clusters", "view_2d")}
    weights = np.load(io.BytesIO(e.model_weights(model)))
    svg = e.plot(model, "distances")
    return {
        "summary": ds["summary"]["n_points"],
        "losses": model["losses"]["train_loss"],
        "embedding": emb["embedding"],
        "condition": emb["condition"],
        "distances": analysis["distances"],
        "clusters": analysis["clusters"],
        "r2": dec["r2"],
        "baseline_r2": dec["baseline_r2"],
        "predictions": dec["predictions"],
        "arrays": arrays,
        "weights": {k: weights[k] for k in weights.files},
        "svg": svg.svg,
    }


def test_both_engines_give_the_same_results(local, server):
    a, b = scenario(local), scenario(marble_rs.Engine.connect(server))
    # Shapes and types as numpy users expect them.
    assert a["embedding"].shape == (450, 3) and a["embedding"].dtype == np.float32
    assert a["distances"].shape == (3, 3) and np.allclose(a["distances"], a["distances"].T)
    assert np.all(np.diag(a["distances"]) == 0)
    assert a["clusters"].dtype == np.int64 and set(a["clusters"]) <= set(range(4))
    assert a["arrays"]["distances"].tobytes() == a["distances"].tobytes()
    assert a["predictions"].shape == (450, 1)
    # The anchors' first coordinate is in the latents' input: decodable.
    assert a["r2"][0] > 0.5
    assert a["svg"].lstrip().startswith("<svg") or "<svg" in a["svg"][:200]
    # Bit for bit between the engines (same seed, same arrays).
    for key in ("summary", "losses", "r2", "baseline_r2"):
        assert a[key] == b[key], key
    for key in ("embedding", "condition", "distances", "clusters", "predictions"):
        assert a[key].tobytes() == b[key].tobytes(), key
    for name in a["arrays"]:
        assert a["arrays"][name].tobytes() == b["arrays"][name].tobytes(), name
    for name in a["weights"]:
        assert np.array_equal(a["weights"][name], b["weights"][name]), name


def test_records_display_as_tables_and_figures_as_svg(local):
    anchors, vectors = planar_fields(60)
    ds = local.create_dataset(anchors, vectors, k=10, epochs=2)
    html = ds._repr_html_()
    assert "<table>" in html and ds.id in html
    model = local.fit(ds, verbose=False)
    fig = local.plot(model, "losses")
    assert fig._repr_svg_().count("<svg") >= 1
    assert "<table>" in model._repr_html_()


def test_float32_fortran_and_1d_inputs_are_taken_as_they_are(local):
    anchors, vectors = planar_fields(60)
    a = local.create_dataset(anchors, vectors, k=10)
    b = local.create_dataset([np.asfortranarray(x).astype(np.float64) for x in anchors],
                             [np.asfortranarray(v) for v in vectors], k=10)
    assert a["summary"]["n_points"] == b["summary"]["n_points"] == 180
    c = local.create_dataset([x.astype(np.float32) for x in anchors], vectors, k=10)
    assert c["summary"]["n_points"] == 180


def test_the_gil_is_released_while_the_engine_works(local):
    import threading
    anchors, vectors = planar_fields(200)
    ds = local.create_dataset(anchors, vectors, k=10, epochs=30)
    job = local.start_fit(ds)
    ticks = []
    t = threading.Thread(target=lambda: local._native.wait(job.id, 120.0))
    t.start()
    while t.is_alive():
        ticks.append(1)
        t.join(0.01)
    assert local.job(job).state == "succeeded"
    assert len(ticks) > 3, "the main thread ran while the engine waited"


def test_groups_reach_the_summary_the_matching_and_the_decoding(local):
    # The three fields twice, the copy shifted: two groups ("a", "b") sharing names and values.
    anchors, vectors = planar_fields()
    shifted = [a + 10.0 for a in anchors]
    ds = local.create_dataset(anchors + shifted, vectors + vectors, names=["slow", "mid", "fast"] * 2,
                              values=[0.5, 1.0, 1.5] * 2, groups=["a"] * 3 + ["b"] * 3, k=10, epochs=2)
    assert [c["group"] for c in ds["summary"]["conditions"]] == ["a"] * 3 + ["b"] * 3
    model = local.fit(ds, verbose=False)
    analysis = local.analyze(model, n_clusters=4)
    assert analysis["condition_groups"] == ["a"] * 3 + ["b"] * 3
    pairs = analysis["matching"]["pairs"]
    assert [(p["from"], p["to"]) for p in pairs] == [("a", "b"), ("b", "a")]
    assert all(len(p["matches"]) == 3 and 0.0 <= p["accuracy"] <= 1.0 for p in pairs)
    behaviour = np.concatenate([a[:, :1] for a in anchors] * 2)
    dec = local.decode(model, behaviour, folds=4)
    assert [(t["train"], t["test"]) for t in dec["transfer"]["transfers"]] == [("a", "b"), ("b", "a")]
    assert [w["group"] for w in dec["transfer"]["within"]] == ["a", "b"]
    with pytest.raises(marble_rs.InvalidInput, match="give every condition a group"):
        local.create_dataset(anchors, vectors, groups=["a", None, "b"])
