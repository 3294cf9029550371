"""Exceptions of marble_rs: one per row of the engine's error table, by HTTP status.

Every exception is a :class:`MarbleError` with the table's ``code`` (``"ragged"``,
``"not_found"``, ...), its HTTP ``status`` and the engine's ``detail``, whether the engine
runs in this process or behind ``marble serve``. Subclasses also derive from the built-in
exception Python users expect: :class:`ValueError` for unusable input or parameters,
:class:`KeyError` for an unknown id or parameter name, :class:`OSError` for a full disk.
"""

from __future__ import annotations


class MarbleError(Exception):
    """An error of the marble engine, with the error table's ``code`` and ``detail``."""

    def __init__(self, code: str, status: int, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.detail} [{self.code}]"

    def __reduce__(self):
        return (type(self), (self.code, self.status, self.detail))


class InvalidInput(MarbleError, ValueError):
    """Data or arguments the engine cannot use (NaN, ragged rows, mismatched lengths, ...)."""


class ParameterError(InvalidInput, KeyError):
    """A parameter that does not exist (the message names the nearest one) or is out of range."""

    def __str__(self) -> str:  # KeyError would quote the message
        return MarbleError.__str__(self)


class NotFound(MarbleError, KeyError):
    """No dataset, job, model or embedding with that id."""

    def __str__(self) -> str:
        return MarbleError.__str__(self)


class Conflict(MarbleError):
    """The resource is not in a state for this call (a model whose fit has not finished)."""


class Busy(MarbleError):
    """The engine's queue is full: try again later."""


class DiskFull(MarbleError, OSError):
    """The data folder's disk is below its free-space floor; nothing was written."""


class Unavailable(MarbleError):
    """The server, device or store cannot be reached now."""


class Cancelled(MarbleError):
    """A fit was cancelled (Ctrl-C, or ``cancel_job``) before it finished."""


_BY_CODE = {"invalid_params": ParameterError, "params_parse": ParameterError, "disk_full": DiskFull}
_BY_STATUS = {400: InvalidInput, 404: NotFound, 409: Conflict, 413: InvalidInput, 415: InvalidInput,
              422: InvalidInput, 429: Busy, 503: Unavailable, 507: DiskFull}


def from_engine(code: str, status: int, detail: str) -> MarbleError:
    """The exception for an engine error (called by the extension module)."""
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status, MarbleError)
    return cls(code, status, detail)


__all__ = ["MarbleError", "InvalidInput", "ParameterError", "NotFound", "Conflict", "Busy",
           "DiskFull", "Unavailable", "Cancelled", "from_engine"]
