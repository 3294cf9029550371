"""The reference's calls after `import marble_rs as MARBLE`, with its keyword names and defaults."""

import inspect
import subprocess

import numpy as np
import pytest

import marble_rs as MARBLE
from conftest import marble_bin, planar_fields


def test_the_four_lines_and_what_data_carries():
    anchors, vectors = planar_fields(100)
    data = MARBLE.construct_dataset(anchor=anchors, vector=vectors, spacing=0.0, k=10)
    model = MARBLE.net(data, params={"epochs": 3})
    model.fit(data)
    data = model.transform(data)
    assert data.num_nodes == 300
    assert data.emb.shape == (300, 3)
    assert data.pos.shape == (300, 2) and data.x.shape == (300, 2)
    assert list(np.bincount(data.system)) == [100, 100, 100]
    assert data.sample_ind.shape == (300,)
    # pos is the anchors themselves, in order within each condition.
    first = data.pos[data.system == 0]
    assert np.allclose(first, anchors[0][data.sample_ind[data.system == 0]], atol=1e-6)
    MARBLE.distribution_distances(data)
    assert data.dist.shape == (3, 3) and np.allclose(data.dist, data.dist.T)
    MARBLE.embed_in_2D(data)
    assert data.emb_2D.shape == (300, 2) and np.isfinite(data.emb_2D).all()
    MARBLE.cluster(data, n_clusters=5)
    assert data.clusters["labels"].shape == (300,) and data.clusters["n_clusters"] == 5


def test_keyword_names_and_defaults_are_the_reference_s():
    sig = inspect.signature(MARBLE.construct_dataset)
    expected = dict(label=None, mask=None, graph_type="cknn", k=20, delta=1.0, frac_geodesic_nb=1.5, spacing=0.0,
                    number_of_resamples=1, var_explained=0.9, local_gauges=False, seed=None, metric="euclidean",
                    number_of_eigenvectors=None)
    for name, default in expected.items():
        assert sig.parameters[name].default == default, name
    assert list(sig.parameters)[:2] == ["anchor", "vector"]
    assert str(inspect.signature(MARBLE.distribution_distances)) == \
        "(data: 'Data', cluster_typ: 'str' = 'kmeans', n_clusters: 'Optional[int]' = None, seed: 'int' = 0) -> 'Data'"
    assert list(inspect.signature(MARBLE.net).parameters) == ["data", "params", "loadpath"]
    assert "outdir" in inspect.signature(MARBLE.net.fit).parameters


def test_options_not_implemented_raise_rather_than_being_ignored():
    anchors, vectors = planar_fields(50)
    with pytest.raises(NotImplementedError, match="number_of_resamples"):
        MARBLE.construct_dataset(anchors, vectors, number_of_resamples=2)
    with pytest.raises(NotImplementedError, match="metric"):
        MARBLE.construct_dataset(anchors, vectors, metric="cosine")
    data = MARBLE.construct_dataset(anchors, vectors, k=10)
    with pytest.raises(MARBLE.ParameterError, match="did you mean `epochs`"):
        MARBLE.net(data, params={"epoch": 3})
    with pytest.raises(RuntimeError, match="fit"):
        MARBLE.distribution_distances(data)


def test_save_and_load_give_the_same_embedding(tmp_path):
    anchors, vectors = planar_fields(80)
    data = MARBLE.construct_dataset(anchors, vectors, k=10)
    model = MARBLE.net(data, params={"epochs": 2})
    model.fit(data, outdir=tmp_path / "model")
    emb = model.transform(data).emb.copy()
    loaded = MARBLE.net(data, loadpath=tmp_path / "model")
    again = loaded.transform(data).emb
    assert again.tobytes() == emb.tobytes()


def test_seeded_results_equal_the_cli_bit_for_bit(tmp_path):
    exe = marble_bin()
    if exe is None:
        pytest.skip("no marble binary (set MARBLE_BIN)")
    anchors, vectors = planar_fields(100)
    npz = tmp_path / "fields.npz"
    np.savez(npz, **{f"anchor_{c}": a for c, a in enumerate(anchors)}, **{f"vector_{c}": v for c, v in enumerate(vectors)})
    params = tmp_path / "params.json"
    params.write_text('{"k": 10, "epochs": 3, "seed": 7}')
    subprocess.run([exe, "fit", "--data", str(npz), "--params", str(params), "--out", str(tmp_path / "cli"),
                    "--no-analysis"], check=True, capture_output=True)
    cli = np.load(tmp_path / "cli" / "embedding.npy")
    est = MARBLE.MARBLE(k=10, epochs=3, seed=7, verbose=False).fit(anchors, vectors)
    assert est.embedding_.tobytes() == cli.tobytes()
