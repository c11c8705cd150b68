"""Veo on Vertex AI (``predictLongRunning`` / ``fetchPredictOperation``), express and project modes.

Owns everything Vertex-specific: the request builders and operation reading
(:mod:`.protocol`), Google's error shape (:mod:`.errors`) and the credentials of both
modes (:mod:`.auth`). Pure: imports only :mod:`videoclient._sansio`.

Vertex has no list, delete, remix, edit, extend or characters, gives no progress and no
poll hint, and returns the MP4 inline as base64 in the finished operation (or in the
caller's bucket with ``storageUri``). It sends no idempotency key: a create that may have
reached the server is not sent again by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..._sansio.adapter import PartialProvider
from ..._sansio.config import ClientConfig
from ..._sansio.errors import APIStatusError
from ..._sansio.files import FileInput
from ..._sansio.http import Request, Response
from . import auth, protocol
from .errors import status_error

__all__ = ["VertexProvider"]

M = TypeVar("M")

#: Veo takes from about 11 s to several minutes, sends no hint and no progress; Google's
#: own samples poll every 10-20 s. The first poll comes after 10 s, then every 15 s,
#: then every 20 s (a 60 s job is seen within 20 s of its end, in 5 polls).
MIN_POLL_INTERVAL = 10.0
MAX_POLL_INTERVAL = 20.0


class VertexProvider(PartialProvider):
    """The :class:`~videoclient._sansio.adapter.Provider` for Veo on Vertex AI.

    Args:
        project, location: Project mode's resource; both None in express mode.
    """

    name = "vertex"
    credential_headers: tuple[str, ...] = auth.CREDENTIAL_HEADERS
    capabilities: frozenset[str] = frozenset({"create", "image_input", "retrieve", "content:video"})
    deduplicates_creates = False
    min_poll_interval = MIN_POLL_INTERVAL
    max_poll_interval = MAX_POLL_INTERVAL
    content_in_job = False
    #: The content request's answer is JSON with the video inline in this field.
    content_inline: str | None = protocol.INLINE_FIELD

    fixed_headers = staticmethod(auth.fixed_headers)
    key_headers = staticmethod(auth.key_headers)
    token_headers = staticmethod(auth.token_headers)
    base_query = staticmethod(auth.base_query)
    check_id = staticmethod(protocol.check_operation)
    build_retrieve = staticmethod(protocol.build_retrieve)
    build_content = staticmethod(protocol.build_content)
    build_job_content = staticmethod(protocol.build_job_content)

    def __init__(self, project: str | None = None, location: str | None = None) -> None:
        if (project is None) != (location is None):
            raise ValueError("project mode needs both project and location")
        self.project = project
        self.location = location
        self._prefix = f"projects/{project}/locations/{location}/" if project else ""
        if project is not None:
            protocol.model_path(self._prefix, "m")  # a project or location fit for a path

    @classmethod
    def for_config(cls, config: ClientConfig) -> VertexProvider:
        return cls(config.project, config.location) if config.project else cls()

    def build_create(
        self,
        *,
        prompt: str,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: FileInput | Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        fit: str | None = None,
        fit_background: Any = "#000000",
    ) -> Request:
        return protocol.build_create(
            self._prefix,
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            extra_body=extra_body,
            fit=fit,
        )

    def status_error(
        self, resp: Response, *, method: str | None = None, url: str | None = None
    ) -> APIStatusError:
        return status_error(resp, method=method, url=url)

    def parse(
        self, resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
    ) -> M:
        return protocol.parse_model(resp, cls, method=method, url=url)

    def __repr__(self) -> str:
        if self.project:
            return f"VertexProvider(project={self.project!r}, location={self.location!r})"
        return "VertexProvider()"
