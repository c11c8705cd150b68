"""Google's error shape: an ``error`` object with ``code`` (429), ``message`` and ``status``
(``RESOURCE_EXHAUSTED``).

``status`` (the google.rpc code name) becomes the error's ``code``; any other shape (a
gateway's) is read by :func:`~videoclient._sansio.errorshapes.read_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..._sansio.answers import status_error_from
from ..._sansio.errors import APIStatusError
from ..._sansio.errorshapes import ErrorReading, read_error
from ..._sansio.http import Response

__all__ = ["error_fields", "status_error"]


def error_fields(body: Any) -> ErrorReading:
    """A Google error body: its ``status`` is the code (before the numeric ``code``)."""
    reading = read_error(body)
    err = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(err, Mapping) and err.get("status"):
        reading = attrs.evolve(reading, code=str(err["status"]))
    return reading


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx Vertex answer."""
    return status_error_from(resp, error_fields, method=method, url=url)
