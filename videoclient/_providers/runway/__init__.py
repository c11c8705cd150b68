"""Runway's API (``/v1/text_to_video``, ``/v1/image_to_video``, ``/v1/tasks/{id}``).

Owns everything Runway-specific: the request builders and task reading
(:mod:`.protocol`), the model table (:mod:`.models`), the ``{"error": "..."}`` shape
(:mod:`.errors`) and the credentials with ``X-Runway-Version`` (:mod:`.auth`). Pure:
imports only :mod:`videoclient._sansio`.

Runway has no list, remix, edit, extend or characters, and only the video itself to
download (from a signed URL on another origin, fetched without credentials); it asks
clients not to expect updates more often than every 5 s, and sends no idempotency key,
so a create is never sent twice when it may have reached the server.
"""

from __future__ import annotations

from typing import TypeVar

from ..._sansio import validate
from ..._sansio.adapter import PartialProvider
from ..._sansio.errors import APIStatusError
from ..._sansio.http import Response
from . import auth, protocol
from .errors import status_error

__all__ = ["RUNWAY", "RunwayProvider"]

M = TypeVar("M")

#: "Consumers of this API should not expect updates more frequent than once every five
#: seconds" (the SDK's ``tasks.retrieve`` docstring).
MIN_POLL_INTERVAL = 5.0
MAX_POLL_INTERVAL = 15.0


class RunwayProvider(PartialProvider):
    """The :class:`~videoclient._sansio.adapter.Provider` for Runway."""

    name = "runway"
    credential_headers: tuple[str, ...] = auth.CREDENTIAL_HEADERS
    capabilities: frozenset[str] = frozenset(
        {"create", "image_input", "retrieve", "delete", "content:video"}
    )
    deduplicates_creates = False
    #: 429, and 502/503: Runway's documented load shedding ("retry"), answered before
    #: the task is made (docs.dev.runwayml.com/errors/errors).
    unprocessed_statuses: frozenset[int] = frozenset({429, 502, 503})
    min_poll_interval = MIN_POLL_INTERVAL
    max_poll_interval = MAX_POLL_INTERVAL
    content_inline: str | None = None
    content_in_job = True

    check_id = staticmethod(validate.check_id)
    fixed_headers = staticmethod(auth.fixed_headers)
    key_headers = staticmethod(auth.key_headers)
    token_headers = staticmethod(auth.token_headers)
    base_query = staticmethod(auth.base_query)

    build_create = staticmethod(protocol.build_create)
    build_retrieve = staticmethod(protocol.build_retrieve)
    build_delete = staticmethod(protocol.build_delete)
    build_content = staticmethod(protocol.build_content)
    build_job_content = staticmethod(protocol.build_job_content)

    def status_error(
        self, resp: Response, *, method: str | None = None, url: str | None = None
    ) -> APIStatusError:
        return status_error(resp, method=method, url=url)

    def parse(
        self, resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
    ) -> M:
        return protocol.parse_model(resp, cls, method=method, url=url)

    def __repr__(self) -> str:
        return "RunwayProvider()"


#: The one instance: the provider holds no state (the config is passed in).
RUNWAY = RunwayProvider()
