"""OpenAI's Videos API (``/v1/videos``), and Azure's OpenAI-style endpoints as a mode of it.

Owns everything OpenAI-specific: the request builders and model reading
(:mod:`.protocol`), the ``{"error": {...}}`` shape (:mod:`.errors`), the timing headers
``openai-poll-after-ms``, ``x-should-retry`` and ``retry-after-ms`` (:mod:`.hints`), and
the credentials (:mod:`.auth`). Pure: imports only :mod:`videoclient._sansio`.
"""

from __future__ import annotations

from typing import TypeVar

from ..._sansio import validate
from ..._sansio.adapter import ALL_OPERATIONS, unsupported
from ..._sansio.errors import APIStatusError
from ..._sansio.http import Request, Response
from ..._sansio.models import Video
from ..._sansio.pacing import MAX_INTERVAL
from . import auth, hints, protocol
from .errors import status_error

__all__ = ["OPENAI", "OpenAIProvider"]

M = TypeVar("M")


class OpenAIProvider:
    """The :class:`~videoclient._sansio.adapter.Provider` for OpenAI-shaped APIs."""

    name = "openai"
    credential_headers: tuple[str, ...] = auth.CREDENTIAL_HEADERS
    capabilities: frozenset[str] = ALL_OPERATIONS
    #: Every create carries an ``Idempotency-Key`` that the API honours.
    deduplicates_creates = True
    #: A 429 refuses before anything is done; a 5xx may come after the job was made.
    unprocessed_statuses: frozenset[int] = frozenset({429})
    min_poll_interval = 0.0
    max_poll_interval = MAX_INTERVAL
    content_inline: str | None = None
    content_in_job = False

    check_id = staticmethod(validate.check_id)
    fixed_headers = staticmethod(auth.fixed_headers)
    key_headers = staticmethod(auth.key_headers)
    token_headers = staticmethod(auth.token_headers)
    base_query = staticmethod(auth.base_query)

    poll_hint = staticmethod(hints.poll_after)
    retry_hint = staticmethod(hints.retry_hint)
    server_delay = staticmethod(hints.server_delay)

    build_create = staticmethod(protocol.build_create)
    build_retrieve = staticmethod(protocol.build_retrieve)
    build_list = staticmethod(protocol.build_list)
    build_delete = staticmethod(protocol.build_delete)
    build_remix = staticmethod(protocol.build_remix)
    build_edit = staticmethod(protocol.build_edit)
    build_extend = staticmethod(protocol.build_extend)
    build_create_character = staticmethod(protocol.build_create_character)
    build_get_character = staticmethod(protocol.build_get_character)
    build_content = staticmethod(protocol.build_content)

    def build_job_content(self, video: Video, *, variant: str = "video") -> Request:
        raise unsupported(self.name, "content from the job")  # its content has its own path

    def status_error(
        self, resp: Response, *, method: str | None = None, url: str | None = None
    ) -> APIStatusError:
        return status_error(resp, method=method, url=url)

    def parse(
        self, resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
    ) -> M:
        return protocol.parse_model(resp, cls, method=method, url=url)

    def __repr__(self) -> str:
        return "OpenAIProvider()"


#: The one instance: the provider holds no state (the config is passed in).
OPENAI = OpenAIProvider()
