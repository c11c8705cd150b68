"""The provider seam: what the client asks of each API's pure package.

The drivers (waiting, transfers, batches) are written once; everything they need to
know about one API comes from a :class:`Provider`: how to authenticate, how to build each
request, how to read a job and an error, and what the answers say about timing. A
provider is pure: it builds and reads values and never does I/O, so it is tested on
canned JSON without an event loop (the import contracts keep ``_providers`` free of
aiohttp, anyio, asyncio, sqlite3 and PIL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from . import retry
from .config import ClientConfig
from .errors import APIStatusError, UnsupportedOperationError
from .files import FileInput
from .http import Request, Response
from .images import Colour
from .models import Video

__all__ = ["ALL_OPERATIONS", "PartialProvider", "Provider", "require", "unsupported"]

#: Every operation a provider may have. ``content:<variant>`` is a download of that variant;
#: ``image_input`` a create from an image.
ALL_OPERATIONS: frozenset[str] = frozenset(
    {
        "create",
        "image_input",
        "retrieve",
        "list",
        "delete",
        "remix",
        "edit",
        "extend",
        "characters",
        "content:video",
        "content:thumbnail",
        "content:spritesheet",
    }
)


def unsupported(provider: str, operation: str) -> UnsupportedOperationError:
    """The error for an operation ``provider`` does not have (raised before any request)."""
    hints = {
        "list": "it has no list endpoint: keep the ids of the jobs you create",
        "delete": "its jobs cannot be deleted through the API",
    }
    return UnsupportedOperationError(provider, operation, hints.get(operation))


def require(provider: Provider, operation: str) -> None:
    """Raise :class:`~videoclient.UnsupportedOperationError` unless ``provider`` has it."""
    if operation not in provider.capabilities:
        raise unsupported(provider.name, operation)


M = TypeVar("M")


class Provider(Protocol):
    """One video API, as pure code.

    Attributes:
        name: The provider's name, for messages (``"openai"``).
        credential_headers: Lower-cased names of headers that carry a credential or an
            account; the transport drops them when a redirect leaves the API's origin.
        capabilities: The operations of :data:`ALL_OPERATIONS` this API has; the client
            raises :class:`~videoclient.UnsupportedOperationError` for any other before
            sending anything.
        deduplicates_creates: Whether the API provably deduplicates a create sent twice
            (an ``Idempotency-Key``): only then may a create that may have reached the
            server be sent again. It decides the default create-retry policy
            (``"idempotent"`` when True, else ``"conservative"``).
        unprocessed_statuses: Statuses that prove a request was not acted on (the server
            refused it before doing anything: 429, and a provider's documented load
            shedding): a create answered with one may be sent again under either policy.
        min_poll_interval: The shortest wait between two polls of one job unless the
            caller passes ``poll_interval`` (0: no floor; Runway asks for 5 s).
        max_poll_interval: The longest wait the poll back-off grows to.
        content_in_job: True when a job's content is found through the job itself (a
            signed URL in it): the client retrieves the job, then asks
            :meth:`build_job_content`.
        content_inline: The JSON field of the content request's answer that holds the
            asset as base64 (Vertex's ``bytesBase64Encoded``), decoded as it streams; None
            when the answer is the asset itself. With no such field in the answer, the
            answer is read as a job and :meth:`build_job_content` says why.
    """

    name: str
    credential_headers: tuple[str, ...]
    capabilities: frozenset[str]
    deduplicates_creates: bool
    unprocessed_statuses: frozenset[int]
    min_poll_interval: float
    max_poll_interval: float
    content_in_job: bool
    content_inline: str | None

    # -- credentials and fixed parts ---------------------------------------------------------

    def fixed_headers(self, config: ClientConfig) -> Mapping[str, str]:
        """Headers every request carries, apart from the credential."""

    def key_headers(self, config: ClientConfig) -> Mapping[str, str]:
        """The static key's header(s); raises MissingAPIKeyError when there is no key."""

    def token_headers(self, token: str) -> Mapping[str, str]:
        """The header(s) for a token from a ``token_provider``."""

    def base_query(self, config: ClientConfig) -> tuple[tuple[str, str], ...]:
        """Query parameters every request carries."""

    def check_id(self, video_id: str) -> str:
        """A job id as this API writes them (ids are opaque per provider); ValueError if not."""

    # -- reading answers ---------------------------------------------------------------------

    def status_error(
        self, resp: Response, *, method: str | None = None, url: str | None = None
    ) -> APIStatusError:
        """The typed error for a 4xx/5xx answer, with the server's words in it."""

    def parse(
        self, resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
    ) -> M:
        """A 2xx JSON answer read as ``cls`` (raises the status error for 4xx/5xx)."""

    def poll_hint(self, headers: Mapping[str, str]) -> float | None:
        """Seconds the answer asks the client to wait before polling again, if it says."""

    def retry_hint(self, headers: Mapping[str, str]) -> bool | None:
        """The server's own retry decision for a failed answer, if it gives one."""

    def server_delay(self, headers: Mapping[str, str], *, now: float | None = None) -> float | None:
        """Seconds the server asked to wait before retrying, if it asked."""

    # -- building requests -------------------------------------------------------------------

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
        fit_background: Colour = "#000000",
    ) -> Request: ...
    def build_retrieve(self, video_id: str) -> Request: ...
    def build_list(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> Request: ...
    def build_delete(self, video_id: str) -> Request: ...
    def build_remix(
        self, video_id: str, *, prompt: str, extra_body: Mapping[str, Any] | None = None
    ) -> Request: ...
    def build_edit(
        self, *, video: Any, prompt: str, extra_body: Mapping[str, Any] | None = None
    ) -> Request: ...
    def build_extend(
        self,
        *,
        video: Any,
        prompt: str,
        seconds: int | str,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Request: ...
    def build_create_character(
        self, *, name: str, video: Any, extra_body: Mapping[str, Any] | None = None
    ) -> Request: ...
    def build_get_character(self, character_id: str) -> Request: ...
    def build_content(self, video_id: str, *, variant: str = "video") -> Request: ...
    def build_job_content(self, video: Video, *, variant: str = "video") -> Request:
        """The download of a retrieved job's content (when :attr:`content_in_job`)."""


class PartialProvider:
    """A base for a provider without some of the operations: each raises
    :class:`~videoclient.UnsupportedOperationError` (the client checks
    :attr:`Provider.capabilities` first; these keep a direct call honest too)."""

    name = "partial"
    #: A 429 refuses before anything is done, whatever the API.
    unprocessed_statuses: frozenset[int] = frozenset({429})

    def build_list(
        self, *, limit: int | None = None, order: str | None = None, after: str | None = None
    ) -> Request:
        raise unsupported(self.name, "list")

    def build_delete(self, video_id: str) -> Request:
        raise unsupported(self.name, "delete")

    def build_remix(self, video_id: str, **kwargs: Any) -> Request:
        raise unsupported(self.name, "remix")

    def build_edit(self, **kwargs: Any) -> Request:
        raise unsupported(self.name, "edit")

    def build_extend(self, **kwargs: Any) -> Request:
        raise unsupported(self.name, "extend")

    def build_create_character(self, **kwargs: Any) -> Request:
        raise unsupported(self.name, "characters")

    def build_get_character(self, character_id: str) -> Request:
        raise unsupported(self.name, "characters")

    @staticmethod
    def poll_hint(headers: Mapping[str, str]) -> float | None:
        """None: these providers send no poll hint (their floor applies)."""
        return None

    @staticmethod
    def retry_hint(headers: Mapping[str, str]) -> bool | None:
        return None

    @staticmethod
    def server_delay(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
        """The standard ``Retry-After`` (seconds or an HTTP date)."""
        return retry.retry_after(headers, now=now)
