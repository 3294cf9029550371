"""marble-rs: MARBLE (Gosztolai et al., Nature Methods 2025) over marble's Rust engine.

Four lines, as with the reference::

    import marble_rs as MARBLE
    data = MARBLE.construct_dataset(anchor=pos, vector=vel, spacing=0.03)
    model = MARBLE.net(data, params={"epochs": 50})
    model.fit(data)
    data = model.transform(data)

or the estimator, ``marble_rs.MARBLE(epochs=50).fit(anchors, vectors)``, or the engine
itself, in this process (``marble_rs.Engine()``) or behind ``marble serve``
(``marble_rs.Engine.connect(url)``), with numpy arrays in and out.
"""

from . import _marble
from ._engine import (Analysis, DatasetInfo, Decoding, Embedding, Engine, Figure, Job, Model, Record)
from ._estimator import MARBLE
from ._reference import (Data, cluster, construct_dataset, default_engine, distribution_distances,
                         embed_in_2D, net)
from .errors import (Busy, Cancelled, Conflict, DiskFull, InvalidInput, MarbleError, NotFound,
                     ParameterError, Unavailable)

__version__ = _marble.__version__


def default_params() -> dict:
    """Every parameter of a fit (the reference's keys) with its default."""
    return dict(_marble.default_params())


def default_analysis_params() -> dict:
    """Every analysis parameter (distances, clusters, 2-D view) with its default."""
    return dict(_marble.default_analysis_params())


__all__ = [
    "Engine", "MARBLE", "Data", "construct_dataset", "net", "distribution_distances", "embed_in_2D",
    "cluster", "default_engine", "default_params", "default_analysis_params",
    "Record", "DatasetInfo", "Job", "Model", "Embedding", "Analysis", "Decoding", "Figure",
    "MarbleError", "InvalidInput", "ParameterError", "NotFound", "Conflict", "Busy", "DiskFull",
    "Unavailable", "Cancelled",
]
