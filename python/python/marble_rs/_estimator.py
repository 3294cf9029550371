"""``marble_rs.MARBLE``: the estimator scikit-learn and CEBRA users know."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, Optional

import numpy as np

from . import _marble
from ._engine import MODEL_FILES, Engine, _conditions, check_param_names


class MARBLE:
    """MARBLE as an estimator: ``MARBLE(epochs=50, out_channels=3).fit(anchors, vectors)``,
    then ``transform``; or ``fit(trajectories)`` for time series.

    Every keyword is a parameter of the reference (``k``, ``spacing``, ``epochs``,
    ``order``, ``hidden_channels``, ``out_channels``, ``lr``, ``batch_size``,
    ``inner_product_features``, ``seed``, ...; see :func:`marble_rs.default_params`);
    an unknown one raises :class:`ParameterError` naming the nearest. ``verbose`` shows
    progress while fitting. The fit runs on ``engine`` (default: the in-process engine).

    Fitted attributes: ``embedding_`` (latents, one row per input row kept),
    ``condition_`` (its condition), ``distances_`` (C x C between conditions), ``loss_``
    (training loss per epoch), ``val_loss_``, ``model_id_``, ``dataset_id_``.
    """

    def __init__(self, *, verbose: bool = True, **params: Any):
        check_param_names(params)
        self.verbose = verbose
        self._params = dict(params)
        self.engine: Optional[Engine] = None
        self._run_dir: Optional[str] = None

    # scikit-learn's protocol
    def get_params(self, deep: bool = True) -> dict:
        return {"verbose": self.verbose, **self._params}

    def set_params(self, **params: Any) -> "MARBLE":
        verbose = params.pop("verbose", self.verbose)
        fresh = MARBLE(verbose=verbose, **{**self._params, **params})  # checks the names
        self.verbose, self._params = fresh.verbose, fresh._params
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"MARBLE({args})"

    def _engine(self) -> Engine:
        from ._reference import default_engine
        return self.engine or default_engine()

    def fit(self, anchors, vectors=None, *, names=None, values=None, labels=None, masks=None) -> "MARBLE":
        """Fit to ``anchors`` and ``vectors`` (one array each, or lists, one per condition),
        or to time series: ``fit(trajectories)`` (a list of T x D arrays, or a list of such
        lists per condition). Returns the estimator."""
        e = self._engine()
        if vectors is None:
            conds = _conditions(None, None, anchors, names, values, labels, masks)
        else:
            conds = _conditions(anchors, vectors, None, names, values, labels, masks)
        info = e._native.create_dataset(conds, None, self._params or None)
        model = e.fit(info, verbose=self.verbose)
        self.engine = e
        self.dataset_id_ = info["id"]
        self.model_id_ = model["id"]
        self.loss_ = np.asarray(model["losses"]["train_loss"], dtype=np.float64)
        self.val_loss_ = np.asarray(model["losses"]["val_loss"], dtype=np.float64)
        self.embedding_ = e.array(model, "embedding")
        self.condition_ = e.array(model, "condition")
        self.distances_ = e.array(model, "distances")
        self._run_dir = None
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_id_") and self._run_dir is None:
            raise RuntimeError("this MARBLE is not fitted: call fit first (or MARBLE.load)")

    def transform(self, anchors, vectors=None, *, names=None, values=None, labels=None, masks=None) -> np.ndarray:
        """Latents of new data (rows as ``fit`` takes them) with the fitted model."""
        self._check_fitted()
        if vectors is None:
            conds = _conditions(None, None, anchors, names, values, labels, masks)
        else:
            conds = _conditions(anchors, vectors, None, names, values, labels, masks)
        if self._run_dir is not None:
            return _marble.transform_with_run(self._run_dir, conds)
        e = self.engine
        info = e._native.create_dataset(conds, None, self._params or None)
        try:
            return e.transform(self.model_id_, info)["embedding"]
        finally:
            e.delete_dataset(info)

    def fit_transform(self, anchors, vectors=None, **kw) -> np.ndarray:
        """``fit``, then the training data's latents (``embedding_``)."""
        return self.fit(anchors, vectors, **kw).embedding_

    def save(self, path) -> str:
        """Write the fitted model to the folder ``path`` (model.json, model.npz,
        params.json, losses.json, and the fitted arrays); :meth:`load` reads it back."""
        self._check_fitted()
        if self._run_dir is None:
            self.engine.save_model_files(self.model_id_, path)
        elif os.path.abspath(self._run_dir) != os.path.abspath(path):
            os.makedirs(path, exist_ok=True)
            for f in MODEL_FILES:
                shutil.copy2(os.path.join(self._run_dir, f), os.path.join(path, f))
        for name in ("embedding_", "condition_", "distances_"):
            if hasattr(self, name):
                np.save(os.path.join(path, f"{name.rstrip('_')}.npy"), getattr(self, name))
        with open(os.path.join(path, "estimator.json"), "w") as f:
            json.dump({"verbose": self.verbose, "params": self._params}, f)
        return os.fspath(path)

    @classmethod
    def load(cls, path) -> "MARBLE":
        """The estimator saved in ``path``; ``transform`` runs in this process."""
        meta_path = os.path.join(path, "estimator.json")
        meta = {"verbose": True, "params": {}}
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
        est = cls(verbose=meta["verbose"], **meta["params"])
        est._run_dir = os.fspath(path)
        with open(os.path.join(path, "losses.json")) as f:
            losses = json.load(f)
        est.loss_ = np.asarray(losses["train_loss"], dtype=np.float64)
        est.val_loss_ = np.asarray(losses["val_loss"], dtype=np.float64)
        for name in ("embedding", "condition", "distances"):
            p = os.path.join(path, f"{name}.npy")
            if os.path.exists(p):
                setattr(est, name + "_", np.load(p))
        return est
