"""OpenAI's error shape, ``{"error": {"message", "code", "param", "type"}}``, and every other
shape a gateway in front may answer with (:mod:`videoclient._sansio.errorshapes`)."""

from __future__ import annotations

from ..._sansio.answers import status_error_from
from ..._sansio.errors import APIStatusError
from ..._sansio.http import Response

__all__ = ["raise_for_status", "status_error"]


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx response."""
    return status_error_from(resp, method=method, url=url)


def raise_for_status(resp: Response, *, method: str | None = None, url: str | None = None) -> None:
    """Raise :func:`status_error` for a 4xx/5xx response; nothing for any other."""
    if resp.status >= 400:
        raise status_error(resp, method=method, url=url)
