"""Errors are Python exceptions with the error table's code and detail."""

import numpy as np
import pytest

import marble_rs
from conftest import planar_fields


def test_bad_input_raises_value_errors_with_codes(local):
    anchors, vectors = planar_fields(60)
    bad = [a.copy() for a in anchors]
    bad[1][7, 0] = np.nan
    with pytest.raises(marble_rs.InvalidInput) as e:
        local.create_dataset(bad, vectors, k=10)
    assert isinstance(e.value, ValueError) and e.value.code == "non_finite" and e.value.status == 422
    assert e.value.detail.startswith("condition 1: anchor[7, 0] is NaN")
    with pytest.raises(ValueError) as e:
        local.create_dataset([anchors[0]], [vectors[0][:-1]], k=10)
    assert e.value.code == "length_mismatch"
    with pytest.raises(marble_rs.InvalidInput, match="vector arrays"):
        local.create_dataset(anchors, vectors[:2])
    with pytest.raises(marble_rs.InvalidInput) as e:
        local.create_dataset([a[:5] for a in anchors], [v[:5] for v in vectors], k=10)
    assert e.value.code == "too_few_points"
    with pytest.raises(marble_rs.InvalidInput, match="numeric"):
        local.create_dataset([np.array([["a", "b"]])], [np.array([[1.0, 2.0]])])


def test_unknown_ids_and_names(local):
    with pytest.raises(marble_rs.NotFound) as e:
        local.dataset("ds_missing")
    assert isinstance(e.value, KeyError) and e.value.code == "not_found" and "ds_missing" in str(e.value)
    with pytest.raises(marble_rs.ParameterError, match='did you mean "epochs"'):
        local.start_fit("ds_missing", epoch=3)
    anchors, vectors = planar_fields(60)
    model = local.fit(local.create_dataset(anchors, vectors, k=10, epochs=1), verbose=False)
    with pytest.raises(marble_rs.InvalidInput) as e:
        local.plot(model, "scatter")
    assert e.value.code == "unknown_name" and "embedding" in e.value.detail
    with pytest.raises(marble_rs.NotFound):
        local.array(model, "decoding_predictions")
    # Errors pickle (multiprocessing, joblib).
    import pickle
    err = pickle.loads(pickle.dumps(marble_rs.NotFound("not_found", 404, "x")))
    assert err.code == "not_found"


def test_every_public_name_is_documented_and_the_native_module_stubbed():
    import ast
    import inspect
    import pathlib
    for name in marble_rs.__all__:
        obj = getattr(marble_rs, name)
        assert inspect.getdoc(obj), f"marble_rs.{name} has no docstring"
    stub = ast.parse((pathlib.Path(marble_rs.__file__).parent / "_marble.pyi").read_text())
    stubbed = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    engine = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    methods = {n.name for n in engine.body if isinstance(n, ast.FunctionDef)}
    native = marble_rs._marble
    assert {n for n in dir(native) if not n.startswith("__") and callable(getattr(native, n))} <= stubbed
    assert {n for n in dir(native.Engine) if not n.startswith("_")} <= methods
