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

from .config import ClientConfig
from .errors import APIStatusError
from .files import FileInput
from .http import Request, Response
from .images import Colour

__all__ = ["Provider"]

M = TypeVar("M")


class Provider(Protocol):
    """One video API, as pure code.

    Attributes:
        name: The provider's name, for messages (``"openai"``).
        credential_headers: Lower-cased names of headers that carry a credential or an
            account; the transport drops them when a redirect leaves the API's origin.
    """

    name: str
    credential_headers: tuple[str, ...]

    # -- credentials and fixed parts ---------------------------------------------------------

    def fixed_headers(self, config: ClientConfig) -> Mapping[str, str]:
        """Headers every request carries, apart from the credential."""

    def key_headers(self, config: ClientConfig) -> Mapping[str, str]:
        """The static key's header(s); raises MissingAPIKeyError when there is no key."""

    def token_headers(self, token: str) -> Mapping[str, str]:
        """The header(s) for a token from a ``token_provider``."""

    def base_query(self, config: ClientConfig) -> tuple[tuple[str, str], ...]:
        """Query parameters every request carries."""

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
