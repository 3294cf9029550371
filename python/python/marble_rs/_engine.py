"""The engine from Python: numpy arrays in and out, progress, Ctrl-C, and notebook display."""

from __future__ import annotations

import html
import os
import shutil
import sys
import time
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from . import _marble
from .errors import Cancelled, InvalidInput, MarbleError, ParameterError


#: The files of a run folder that hold a model: what `transform_with_run` loads.
MODEL_FILES = ("model.json", "model.npz", "params.json", "losses.json")


# --- arrays -----------------------------------------------------------------------------

def _matrix(a: Any, what: str) -> np.ndarray:
    """A 2-D float array as the engine takes it, without a copy when it already is one
    (float64 or float32, C or Fortran order); 1-D becomes one column."""
    x = np.asarray(a)
    if x.dtype not in (np.float64, np.float32):
        if x.dtype.kind not in "biuf":
            raise InvalidInput("invalid_argument", 422, f"`{what}`: dtype {x.dtype} is not numeric")
        x = x.astype(np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2:
        raise InvalidInput("invalid_argument", 422,
                           f"`{what}`: has shape {x.shape}; give an (n_points x dim) array")
    return x


def _per_point(a: Any, what: str, dtype=np.float64) -> np.ndarray:
    x = np.asarray(a)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise InvalidInput("invalid_argument", 422, f"`{what}`: has shape {x.shape}; give one value per point")
    return np.ascontiguousarray(x, dtype=dtype)


def _as_list(x: Any) -> Optional[list]:
    """One array, or a list/tuple of arrays (one per condition)."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _conditions(anchors, vectors, trajectories, names, values, labels, masks, groups=None) -> list:
    if trajectories is not None:
        if anchors is not None or vectors is not None:
            raise InvalidInput("invalid_argument", 422, "give either trajectories or anchors and vectors, not both")
        # One condition: a list of 2-D arrays; several: a list of such lists.
        trajs = list(trajectories)
        if trajs and not isinstance(trajs[0], (list, tuple)):
            trajs = [trajs]
        conds = [{"trajectories": [_matrix(t, f"trajectories[{c}][{j}]") for j, t in enumerate(ts)]}
                 for c, ts in enumerate(trajs)]
    else:
        a, v = _as_list(anchors), _as_list(vectors)
        if a is None or v is None:
            raise InvalidInput("invalid_argument", 422, "give anchors and vectors (or trajectories)")
        if len(a) != len(v):
            raise InvalidInput("length_mismatch", 422,
                               f"{len(a)} anchor arrays but {len(v)} vector arrays; give one of each per condition")
        conds = [{"anchor": _matrix(x, f"anchors[{c}]"), "vector": _matrix(y, f"vectors[{c}]")}
                 for c, (x, y) in enumerate(zip(a, v))]
    for key, given, conv in (("name", names, str), ("value", values, float), ("group", groups, str)):
        if given is not None:
            given = list(given)
            if len(given) != len(conds):
                raise InvalidInput("length_mismatch", 422,
                                   f"{len(given)} {key}s for {len(conds)} conditions; give one per condition")
            for c, g in zip(conds, given):
                c[key] = None if g is None else conv(g)
    for key, given, dtype in (("label", labels, np.float64), ("mask", masks, np.float64)):
        lst = _as_list(given)
        if lst is not None:
            if len(lst) != len(conds):
                raise InvalidInput("length_mismatch", 422,
                                   f"{len(lst)} {key} arrays for {len(conds)} conditions; give one per condition")
            for c, (cond, g) in enumerate(zip(conds, lst)):
                if g is not None:
                    cond[key] = _per_point(g, f"{key}s[{c}]", dtype)
    return conds


def check_param_names(params: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` for a name that is no parameter, naming the nearest."""
    import difflib
    known = set(_marble.default_params())
    unknown = sorted(set(params) - known)
    if unknown:
        hints = [f"`{u}`" + (f" (did you mean `{m[0]}`?)" if (m := difflib.get_close_matches(u, known, 1)) else "")
                 for u in unknown]
        raise ParameterError("params_parse", 422, f"unknown parameter {', '.join(hints)}")


# --- display ----------------------------------------------------------------------------

def _cell(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array {v.shape} {v.dtype}"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, dict)) and len(str(v)) > 80:
        return f"{type(v).__name__} of {len(v)}"
    return str(v)


class Record(Mapping):
    """An engine answer: read it as a dict (``info["id"]``) or by attribute (``info.id``);
    shown in Jupyter as a small table."""

    _title = "record"

    def __init__(self, fields: Mapping[str, Any]):
        self._fields = dict(fields)

    def __getitem__(self, key):
        return self._fields[key]

    def __iter__(self):
        return iter(self._fields)

    def __len__(self):
        return len(self._fields)

    def __getattr__(self, name):
        try:
            return self.__dict__["_fields"][name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}; it has {sorted(self._fields)}") from None

    def __repr__(self):
        inner = ", ".join(f"{k}={_cell(v)}" for k, v in self._fields.items() if k not in ("params",))
        return f"{type(self).__name__}({inner})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td style='text-align:left'>{html.escape(_cell(v))}</td></tr>"
            for k, v in self._fields.items() if k != "params")
        return f"<table><caption>{html.escape(self._title)}</caption>{rows}</table>"


class DatasetInfo(Record):
    """A stored dataset: ``id``, ``name``, ``created``, ``params`` and ``summary`` (what stage 1 found)."""

    _title = "dataset"


class Job(Record):
    """A fit job: ``id``, ``dataset``, ``state`` (queued, running, succeeded, failed, cancelled), ``epoch`` of ``epochs``, losses."""

    _title = "job"


class Model(Record):
    """A trained model: ``id`` (its job's), ``dataset``, ``params``, ``losses`` and ``diffusion_time``."""

    _title = "model"


class Embedding(Record):
    """Latents of a dataset: ``embedding`` (n x out_channels, float32 numpy) and ``condition`` per row."""

    _title = "embedding"


class Analysis(Record):
    """An analysis: ``distances`` (C x C), ``clusters``, ``centroids``, ``histograms``, ``condition_map``, ``view`` (2-D, with ``view_index``), as numpy arrays."""

    _title = "analysis"


class Decoding(Record):
    """Cross-validated ``r2`` (per behaviour column) from the latents, ``baseline_r2`` from PCA, and ``predictions``."""

    _title = "decoding"


class Figure:
    """A figure as SVG; Jupyter shows it inline. ``save(path)`` writes the SVG file."""

    def __init__(self, svg: str, kind: str = "figure"):
        self.svg = svg
        self.kind = kind

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)

    def __repr__(self):
        return f"Figure({self.kind}, {len(self.svg)} characters of SVG)"


# --- progress ---------------------------------------------------------------------------

class _Progress:
    """A tqdm bar over epochs where tqdm is installed, else one line per epoch."""

    def __init__(self, total: int, verbose: bool, desc: str):
        self.verbose, self.shown = verbose, 0
        self.bar = None
        if verbose:
            try:
                from tqdm.auto import tqdm
                self.bar = tqdm(total=total, desc=desc, unit="epoch")
            except ImportError:
                pass

    def update(self, job: Mapping[str, Any]) -> None:
        epoch = int(job.get("epoch") or 0)
        if not self.verbose or epoch <= self.shown:
            return
        loss = job.get("train_loss")
        val = job.get("val_loss")
        if self.bar is not None:
            self.bar.update(epoch - self.shown)
            if loss is not None:
                self.bar.set_postfix(train=f"{loss:.4f}", val=f"{val:.4f}" if val is not None else "n/a")
        else:
            for e in range(self.shown + 1, epoch + 1):
                tail = f" train {loss:.4f}" if (e == epoch and loss is not None) else ""
                tail += f" val {val:.4f}" if (e == epoch and val is not None) else ""
                print(f"epoch {e}/{job.get('epochs')}{tail}", file=sys.stderr, flush=True)
        self.shown = epoch

    def close(self):
        if self.bar is not None:
            self.bar.close()


# --- the engine -------------------------------------------------------------------------

class Engine:
    """marble's engine: ``Engine()`` runs it in this process (data in a temporary folder,
    removed at exit, unless ``data_dir`` names one); ``Engine.connect(url)`` talks to a
    ``marble serve``. Both offer the same calls and give the same results.

    Parameters are keyword arguments with the reference's names (``k``, ``epochs``,
    ``order``, ``out_channels``, ...); an unknown name raises :class:`ParameterError`
    naming the nearest one.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, *, workers: Optional[int] = None,
                 _native: Any = None):
        self._native = _native if _native is not None else _marble.Engine(
            None if data_dir is None else os.fspath(data_dir), workers)

    @classmethod
    def connect(cls, url: str, token: Optional[str] = None) -> "Engine":
        """The engine behind ``marble serve`` at ``url`` (``MARBLE_TOKEN`` if the server has one)."""
        return cls(_native=_marble.Engine.connect(url.rstrip("/"), token))

    @property
    def data_dir(self) -> Optional[str]:
        """The in-process engine's data folder; None for a remote engine."""
        d = self._native.data_dir
        return None if d is None else os.fspath(d)

    @property
    def url(self) -> Optional[str]:
        return self._native.url

    def __repr__(self):
        where = self.url or self.data_dir
        return f"marble_rs.Engine({'remote ' if self.url else ''}{where})"

    # datasets
    def create_dataset(self, anchors=None, vectors=None, *, trajectories=None, names=None, values=None,
                       labels=None, masks=None, groups=None, name: Optional[str] = None,
                       params: Optional[Mapping[str, Any]] = None, **kwparams) -> DatasetInfo:
        """Store conditions and build their dataset (stage 1). ``anchors`` and ``vectors``
        are one (n x D) and (n x S) array each, or lists of them (one per condition);
        or ``trajectories``, time series (T x D) of one condition or lists per condition.
        Optional ``names``/``values``/``groups`` per condition (a group is the animal or
        session a condition was recorded in), ``labels``/``masks`` per point."""
        conds = _conditions(anchors, vectors, trajectories, names, values, labels, masks, groups)
        p = {**(params or {}), **kwparams} or None
        return DatasetInfo(self._native.create_dataset(conds, name, p))

    def create_dataset_npz(self, npz: bytes | str | os.PathLike, name: Optional[str] = None, **params) -> DatasetInfo:
        """Store conditions from an .npz (its bytes, or a path): ``anchor_0``, ``vector_0``, ..."""
        if not isinstance(npz, (bytes, bytearray, memoryview)):
            with open(npz, "rb") as f:
                npz = f.read()
        return DatasetInfo(self._native.create_dataset_npz(bytes(npz), name, params or None))

    def datasets(self) -> list:
        return [DatasetInfo(d) for d in self._native.list_datasets()]

    def dataset(self, id: str) -> DatasetInfo:
        return DatasetInfo(self._native.dataset(_id(id)))

    def delete_dataset(self, id: str) -> None:
        self._native.delete_dataset(_id(id))

    # jobs
    def start_fit(self, dataset, **params) -> Job:
        """Queue a fit of a dataset; returns at once. Parameters default to the dataset's."""
        return Job(self._native.start_fit(_id(dataset), params or None))

    def job(self, id) -> Job:
        return Job(self._native.job(_id(id)))

    def jobs(self) -> list:
        return [Job(j) for j in self._native.list_jobs()]

    def cancel_job(self, id) -> Job:
        return Job(self._native.cancel_job(_id(id)))

    def resume_job(self, id) -> Job:
        return Job(self._native.resume_job(_id(id)))

    def wait(self, job, *, verbose: bool = True, timeout: Optional[float] = None) -> Job:
        """Follow a job to its end with progress (a tqdm bar, or a line per epoch). Ctrl-C
        cancels it (within a second) and raises KeyboardInterrupt; the engine stays usable.
        A failed fit raises :class:`MarbleError`; a cancelled one :class:`Cancelled`."""
        jid = _id(job)
        info = self._native.job(jid)
        bar = _Progress(int(info.get("epochs") or 0), verbose, f"fit {jid}")
        start = time.monotonic()
        try:
            while info["state"] not in ("succeeded", "failed", "cancelled"):
                bar.update(info)
                if timeout is not None and time.monotonic() - start > timeout:
                    raise TimeoutError(f"job {jid} is still {info['state']} after {timeout} s")
                time.sleep(0.1)
                info = self._native.job(jid)
            bar.update(info)
        except KeyboardInterrupt:
            self._native.cancel_job(jid)
            self._native.wait(jid, 30.0)
            raise
        finally:
            bar.close()
        if info["state"] == "failed":
            raise MarbleError("fit_failed", 500, f"the fit {jid} failed: {info.get('message')}")
        if info["state"] == "cancelled":
            raise Cancelled("cancelled", 409, f"the fit {jid} was cancelled")
        return Job(info)

    def fit(self, dataset, *, verbose: bool = True, **params) -> Model:
        """Fit a dataset and wait for it (see :meth:`wait`); returns the model."""
        job = self.start_fit(dataset, **params)
        self.wait(job, verbose=verbose)
        return self.model(job)

    # models
    def model(self, id) -> Model:
        return Model(self._native.model(_id(id)))

    def model_weights(self, id) -> bytes:
        """The model's weights: the bytes of its model.npz."""
        return self._native.model_weights(_id(id))

    def array(self, model, name: str) -> np.ndarray:
        """One array of the model's results as numpy: ``embedding``, ``condition``,
        ``sample_index``, ``anchor``, ``vector``, ``distances``, ``clusters``,
        ``cluster_centroids``, ``view_2d``, ``view_2d_index``, ``condition_map``,
        ``decoding_predictions``, ..."""
        return self._native.model_array(_id(model), name)

    def transform(self, model, dataset) -> Embedding:
        """Embed a stored dataset with a model: ``embedding`` (n x out_channels, float32)
        and ``condition`` per row."""
        out = self._native.transform(_id(model), _id(dataset))
        out["condition"] = np.asarray(out["condition"], dtype=np.int64)
        return Embedding(out)

    def analyze(self, model, **params) -> Analysis:
        """Distances between conditions, clusters, and the 2-D views, as numpy arrays."""
        a = dict(self._native.analyze(_id(model), params or None))
        for key in ("distances", "centroids", "histograms", "condition_map", "view"):
            a[key] = np.asarray(a[key], dtype=np.float64)
        for key in ("clusters", "view_index"):
            a[key] = np.asarray(a[key], dtype=np.int64)
        return Analysis(a)

    def decode(self, model, behaviour, groups=None, folds: Optional[int] = None) -> Decoding:
        """Cross-validated R^2 of behaviour (one row per point) from the latents and from
        the PCA baseline; ``predictions`` are the latents' out-of-fold predictions."""
        b = _matrix(behaviour, "behaviour").astype(np.float64, copy=False)
        g = None if groups is None else [int(x) for x in np.asarray(groups).ravel()]
        d = dict(self._native.decode(_id(model), b, g, folds))
        d["predictions"] = self.array(model, "decoding_predictions")
        return Decoding(d)

    def plot(self, model, kind: str = "embedding") -> Figure:
        """A figure: ``embedding``, ``distances``, ``losses``, ``clusters``,
        ``vector_field`` or ``condition_map``."""
        return Figure(self._native.plot(_id(model), kind), kind)

    def save_model_files(self, model, outdir) -> str:
        """Copy a model's files (model.json, model.npz, params.json, losses.json) to
        ``outdir``, for loading without the engine. Needs the in-process engine."""
        if self.data_dir is None:
            raise NotImplementedError("saving a model's files needs the in-process engine; a server keeps its models by id")
        src = os.path.join(self.data_dir, "runs", _id(model))
        os.makedirs(outdir, exist_ok=True)
        if os.path.abspath(src) != os.path.abspath(outdir):
            for f in MODEL_FILES:
                shutil.copy2(os.path.join(src, f), os.path.join(outdir, f))
        return os.fspath(outdir)

    def readiness(self) -> Record:
        return Record(self._native.readiness())


def _id(x) -> str:
    """An id, or a record holding one."""
    if isinstance(x, str):
        return x
    if isinstance(x, Mapping) and "id" in x:
        return x["id"]
    raise TypeError(f"expected an id (str) or an engine record, got {type(x).__name__}")
