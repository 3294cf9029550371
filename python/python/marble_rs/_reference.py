"""The reference implementation's top-level calls, over marble's engine.

Code written against the Python MARBLE runs after ``import marble_rs as MARBLE``::

    data = MARBLE.construct_dataset(anchor=pos, vector=vel, spacing=0.03)
    model = MARBLE.net(data, params={"epochs": 50})
    model.fit(data)
    data = model.transform(data)

with the same keyword names and defaults. Arrays are numpy arrays, not torch tensors.
Where behaviour differs, the docstring says so; an option that is not implemented raises
:class:`NotImplementedError` rather than being ignored.
"""

from __future__ import annotations

import atexit
import os
from typing import Any, Mapping, Optional

import numpy as np

from . import _marble
from ._engine import DatasetInfo, Engine, _conditions, check_param_names

_default: Optional[Engine] = None


def default_engine() -> Engine:
    """The in-process engine the reference-style calls use unless given ``engine=``: its
    data lives in a temporary folder removed at exit."""
    global _default
    if _default is None:
        _default = Engine()
    return _default


@atexit.register
def _drop_default() -> None:
    global _default
    _default = None


_CONSTRUCTION = ("graph_type", "k", "delta", "frac_geodesic_nb", "spacing", "var_explained", "local_gauges", "seed")


class Data:
    """What :func:`construct_dataset` returns: the conditions, stored and built (stage 1) by
    the engine, and what later calls add, as numpy arrays.

    - ``num_nodes``: points after sampling; ``summary``: what stage 1 found;
    - after ``net.fit``/``net.transform``: ``emb`` (latents), ``pos`` (anchors), ``x``
      (vectors), ``system`` (condition of each point), ``sample_ind`` (its row in that
      condition's input), ``label`` and ``mask`` where given;
    - ``dist`` after :func:`distribution_distances`, ``clusters`` after :func:`cluster`,
      ``emb_2D`` after :func:`embed_in_2D`.

    Differs from the reference: ``pos``, ``x``, ``system`` and ``sample_ind`` are filled
    once a model has embedded the data (the engine keeps the sampled points with the run),
    and they are numpy arrays, not torch tensors.
    """

    def __init__(self, engine: Engine, info, params: dict, conditions: list):
        self.engine = engine
        self.dataset = info
        self.params = params
        self._conditions = conditions
        self.model_id: Optional[str] = None
        self.emb = None
        self.emb_2D = None
        self.dist = None
        self.clusters = None

    @property
    def num_nodes(self) -> int:
        return int(self.dataset["summary"]["n_points"])

    @property
    def summary(self):
        return self.dataset["summary"]

    def _require_model(self, what: str) -> str:
        if self.model_id is None:
            raise RuntimeError(f"{what} needs an embedding: run `model.fit(data)` and `model.transform(data)` first")
        return self.model_id

    def __getattr__(self, name):
        if name in ("pos", "x", "system", "sample_ind"):
            raise AttributeError(f"data.{name} is filled once a model has embedded the data "
                                 "(`model.fit(data)` then `model.transform(data)`)")
        raise AttributeError(name)

    def __repr__(self):
        return f"Data(num_nodes={self.num_nodes}, conditions={len(self._conditions)}, dataset={self.dataset['id']})"

    def _repr_html_(self):
        return self.dataset._repr_html_()


def construct_dataset(anchor, vector, label=None, mask=None, graph_type="cknn", k=20, delta=1.0,
                      frac_geodesic_nb=1.5, spacing=0.0, number_of_resamples=1, var_explained=0.9,
                      local_gauges=False, seed=None, metric="euclidean", number_of_eigenvectors=None,
                      *, names=None, values=None, engine: Optional[Engine] = None) -> Data:
    """Build the dataset (stage 1): ``anchor`` and ``vector`` are one array each or lists
    of arrays, one per condition (as the reference takes them).

    Differs from the reference: ``seed=None`` means seed 0 (results are always
    reproducible); ``number_of_resamples`` other than 1 and ``metric`` other than
    ``"euclidean"`` are not implemented and raise; ``number_of_eigenvectors`` selects the
    spectral diffusion with that many eigenpairs (the default, None, uses the exact Krylov
    diffusion, which needs no eigenpairs at all).

    Beyond the reference, keyword-only: ``names`` and ``values`` per condition (e.g.
    ``values=mus``) label the conditions in results and figures, and ``engine`` picks the
    engine (default: :func:`default_engine`, in this process)."""
    if number_of_resamples != 1:
        raise NotImplementedError("number_of_resamples other than 1 is not implemented; resample the data yourself")
    if metric != "euclidean":
        raise NotImplementedError(f"metric={metric!r} is not implemented; marble uses the Euclidean metric")
    params: dict[str, Any] = dict(graph_type=graph_type, k=k, delta=delta, frac_geodesic_nb=frac_geodesic_nb,
                                  spacing=spacing, var_explained=var_explained, local_gauges=local_gauges,
                                  seed=0 if seed is None else int(seed))
    if number_of_eigenvectors is not None:
        params.update(diffusion_method="spectral", n_eigenpairs=int(number_of_eigenvectors))
    engine = engine or default_engine()
    conds = _conditions(anchor, vector, None, names, values, label, mask)
    info = DatasetInfo(engine._native.create_dataset(conds, None, params))
    return Data(engine, info, params, conds)


class net:
    """The model: ``net(data, params=None, loadpath=None)``; ``fit``, ``transform``,
    ``save_model``, ``load_model``. ``params`` takes the reference's training keys
    (``epochs``, ``order``, ``hidden_channels``, ``out_channels``, ``batch_size``, ``lr``,
    ``inner_product_features``, ``diffusion``, ...); an unknown key raises naming the
    nearest one."""

    def __init__(self, data: Data, params: Optional[Mapping[str, Any]] = None, loadpath=None):
        self.engine = data.engine
        check_param_names(params or {})
        self.params = {**data.params, **dict(params or {})}
        self.model_id: Optional[str] = None
        self.losses = None
        self._run_dir: Optional[str] = None
        if loadpath is not None:
            self.load_model(loadpath)

    def fit(self, data: Data, outdir=None, verbose: bool = False) -> None:
        """Train on ``data`` (the engine's fit, with a progress bar when ``verbose``)."""
        model = self.engine.fit(data.dataset, verbose=verbose, **self.params)
        self.model_id = model["id"]
        self.losses = model["losses"]
        self._run_dir = None
        if outdir is not None:
            self.save_model(outdir)

    def transform(self, data: Data) -> Data:
        """Embed ``data``: sets ``data.emb`` and the per-point arrays, and returns ``data``."""
        if self.model_id is None and self._run_dir is None:
            raise RuntimeError("the model is not trained: call fit(data) or load a model first")
        if self._run_dir is not None:
            data.emb = _marble.transform_with_run(self._run_dir, data._conditions)
            return data
        e = self.engine
        if data.dataset["id"] == e.job(self.model_id)["dataset"]:
            data.emb = e.array(self.model_id, "embedding")
            data.pos = e.array(self.model_id, "anchor")
            data.x = e.array(self.model_id, "vector")
            data.system = e.array(self.model_id, "condition")
            data.sample_ind = e.array(self.model_id, "sample_index")
        else:
            emb = e.transform(self.model_id, data.dataset)
            data.emb, data.system = emb["embedding"], emb["condition"]
        data.model_id = self.model_id
        return data

    def save_model(self, outdir, best: bool = False) -> str:
        """Write the model (model.json, model.npz, params.json, losses.json) to ``outdir``;
        ``net(data, loadpath=outdir)`` reads it back. Needs the in-process engine."""
        if self.model_id is None:
            raise RuntimeError("nothing to save: the model is not trained")
        return self.engine.save_model_files(self.model_id, outdir)

    def load_model(self, loadpath) -> None:
        """Use the model saved in ``loadpath`` (by ``save_model`` or ``marble fit --out``)."""
        if not os.path.exists(os.path.join(loadpath, "model.json")):
            raise FileNotFoundError(f"{loadpath} holds no model.json; give a folder written by save_model or `marble fit`")
        self._run_dir = os.fspath(loadpath)
        self.model_id = None


def distribution_distances(data: Data, cluster_typ: str = "kmeans", n_clusters: Optional[int] = None,
                           seed: int = 0) -> Data:
    """Distances between the conditions' embeddings: ``data.dist`` (C x C). With
    ``n_clusters=None`` (the default), optimal transport between the point clouds; with a
    number, between k-means histograms (``data.clusters`` set too)."""
    if cluster_typ != "kmeans":
        raise NotImplementedError(f"cluster_typ={cluster_typ!r} is not implemented; use 'kmeans'")
    params: dict[str, Any] = {"seed": int(seed)}
    if n_clusters is not None:
        params.update(distance="clusters", n_clusters=int(n_clusters))
    a = data.engine.analyze(data._require_model("distribution_distances"), **params)
    data.dist = a["distances"]
    data.clusters = {"labels": a["clusters"], "centroids": a["centroids"], "n_clusters": len(a["centroids"])}
    return data


def embed_in_2D(data: Data, embed_typ: str = "umap", manifold=None, seed: int = 0) -> Data:
    """The embedding in 2-D: ``data.emb_2D`` (``embed_typ`` "umap" or "PCA"). Differs from
    the reference: points beyond the view's limit are placed by UMAP's transform, and
    ``manifold`` (a fitted reducer to reuse) is not implemented."""
    if manifold is not None:
        raise NotImplementedError("manifold= (reusing a fitted reducer) is not implemented")
    kinds = {"umap": "umap", "pca": "pca"}
    if embed_typ.lower() not in kinds:
        raise NotImplementedError(f"embed_typ={embed_typ!r} is not implemented; use 'umap' or 'PCA'")
    model = data._require_model("embed_in_2D")
    a = data.engine.analyze(model, embed=kinds[embed_typ.lower()], seed=int(seed))
    view = np.full((len(data.emb) if data.emb is not None else a["view_index"].max() + 1, 2), np.nan)
    view[a["view_index"]] = a["view"]
    data.emb_2D = view
    return data


def cluster(data: Data, cluster_typ: str = "kmeans", n_clusters: int = 15, seed: int = 0) -> Data:
    """k-means clusters of the embedding: ``data.clusters`` with ``labels`` per point,
    ``centroids`` and ``n_clusters``."""
    if cluster_typ != "kmeans":
        raise NotImplementedError(f"cluster_typ={cluster_typ!r} is not implemented; use 'kmeans'")
    a = data.engine.analyze(data._require_model("cluster"), n_clusters=int(n_clusters), seed=int(seed))
    data.clusters = {"labels": a["clusters"], "centroids": a["centroids"], "n_clusters": len(a["centroids"])}
    return data
