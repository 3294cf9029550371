"""marble_rs.MARBLE as scikit-learn and CEBRA users know it."""

import numpy as np
import pytest

import marble_rs
from conftest import planar_fields, van_der_pol


def test_fit_transform_and_fitted_attributes():
    anchors, vectors = planar_fields(100)
    est = marble_rs.MARBLE(k=10, epochs=3, verbose=False)
    assert est.fit(anchors, vectors) is est
    assert est.embedding_.shape == (300, 3)
    assert est.distances_.shape == (3, 3)
    assert est.loss_.shape == (3,) and np.isfinite(est.loss_).all()
    # The training data through transform gives the training embedding.
    assert np.array_equal(est.transform(anchors, vectors), est.embedding_)
    assert np.array_equal(marble_rs.MARBLE(k=10, epochs=3, verbose=False).fit_transform(anchors, vectors),
                          est.embedding_)


def test_time_series_fit():
    trajs = van_der_pol()
    est = marble_rs.MARBLE(k=10, epochs=2, verbose=False).fit(trajs)
    # Each trajectory of T points gives T - 1 anchors with their velocities.
    assert est.embedding_.shape[0] == 2 * 6 * 120
    assert est.distances_.shape == (2, 2)


def test_params_and_clone():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    est = marble_rs.MARBLE(k=10, epochs=3, verbose=False)
    assert est.get_params() == {"verbose": False, "k": 10, "epochs": 3}
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    assert est.set_params(epochs=5).get_params()["epochs"] == 5
    with pytest.raises(marble_rs.ParameterError, match="did you mean `epochs`"):
        est.set_params(epoch=5)
    with pytest.raises(KeyError):
        marble_rs.MARBLE(out_channel=3)


def test_save_and_load(tmp_path):
    anchors, vectors = planar_fields(80)
    est = marble_rs.MARBLE(k=10, epochs=2, verbose=False).fit(anchors, vectors)
    est.save(tmp_path / "est")
    back = marble_rs.MARBLE.load(tmp_path / "est")
    assert back.get_params() == est.get_params()
    assert np.array_equal(back.embedding_, est.embedding_)
    assert np.array_equal(back.transform(anchors, vectors), est.transform(anchors, vectors))
    with pytest.raises(RuntimeError, match="not fitted"):
        marble_rs.MARBLE().transform(anchors, vectors)
