"""A streamed response, and how URLs and errors are told without their secrets.

:class:`StreamResponse` is a response whose body has not been read yet: read it in
chunks, or take the connection over for raw reads (:mod:`videoclient._io.receiver`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping

import aiohttp
import attrs
from yarl import URL

from .._sansio.errors import APIConnectionError, APIResponseValidationError, APITimeoutError
from .._sansio.http import Request
from .receiver import BodyReceiver

__all__ = ["DOWNLOAD_CHUNK", "WHOLE_MIN", "StreamResponse", "describe", "read_capped", "safe"]

DOWNLOAD_CHUNK = 256 * 1024


@attrs.define(eq=False)  # compared by identity: kept in a WeakSet
class StreamResponse:
    """A response whose body has not been read yet."""

    status: int
    headers: Mapping[str, str]
    url: str
    _raw: aiohttp.ClientResponse
    #: Which attempt of the call this response answered (0 for the first).
    attempt: int = 0
    _reading: bool = attrs.field(default=False, init=False)
    _receiver: BodyReceiver | None = attrs.field(default=None, init=False)

    def release(self) -> None:
        """Give the connection back (or close it, after a raw read took it over)."""
        self._raw.release()

    def abort(self, error: APIConnectionError) -> None:
        """End the body now: a read waiting for bytes raises ``error`` (the client closes)."""
        receiver = self._receiver
        if receiver is not None:
            receiver.fail(error)
            receiver.close()
            return
        self._raw.content.set_exception(error)  # wakes a read that waits, with this error
        self._raw.close()

    async def read_chunk(self, size: int = DOWNLOAD_CHUNK) -> bytes:
        """Up to ``size`` bytes of the body, ``b""`` at its end.

        Raises:
            APITimeoutError: Nothing arrived for the read (idle) timeout.
            APIConnectionError: The connection broke mid-body.
        """
        self._reading = True
        try:
            return await self._raw.content.read(size)
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(
                "timed out reading the response body (no byte within the read timeout)",
                url=self.url,
            ) from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(
                f"the connection broke mid-body: {describe(exc)}", url=self.url
            ) from exc

    @property
    def content_length(self) -> int | None:
        """This response's Content-Length, when declared."""
        return self._raw.content_length

    async def iter_chunks(self, size: int = DOWNLOAD_CHUNK) -> AsyncIterator[bytes]:
        """The body in chunks of at most ``size`` bytes; a broken link is APIConnectionError."""
        while chunk := await self.read_chunk(size):
            yield chunk

    def hand_over(self, idle_timeout: float | None) -> BodyReceiver | None:
        """Take the connection from aiohttp and read the rest of the body raw.

        Only for a plain body of known length that nothing was read from yet: no
        ``Content-Encoding``, not chunked. The connection is closed when the response is
        released, never pooled again. Returns None (nothing changed: read with
        :meth:`read_chunk`) when the body does not qualify or the connection cannot
        be taken.
        """
        raw = self._raw
        length = raw.content_length
        encoding = raw.headers.get("Content-Encoding", "identity").strip().lower()
        conn = raw.connection
        content = raw.content
        if (
            length is None
            or encoding != "identity"
            or "chunked" in raw.headers.get("Transfer-Encoding", "").lower()
            or conn is None
            or content.exception() is not None
            or content.is_eof()
            or self._reading
        ):
            return None
        transport, protocol = conn.transport, conn.protocol
        if transport is None or protocol is None or transport.is_closing():
            return None
        receiver = BodyReceiver(length, url=self.url, idle_timeout=idle_timeout)
        # aiohttp's stream holds the body's first bytes; the rest is still in the socket.
        # Nothing else runs between taking those and swapping the protocol, so no byte
        # can go to the old one.
        head = content.read_nowait()
        try:
            protocol.pause_reading()  # stops aiohttp's own reading and its read timer
            transport.set_protocol(receiver)
        except Exception as exc:  # an aiohttp that cannot be taken over: resume instead
            receiver.fail(
                APIConnectionError(f"could not take over the connection: {describe(exc)}")
            )
            receiver.start(None, head)
            return receiver
        receiver.start(transport, head)
        self._receiver = receiver
        return receiver


_URL_SECRETS = re.compile(r"(https?://)(?:[^\s/@]*@)?([^\s?#'\"]*)(?:[?#][^\s'\"]*)?")


def describe(exc: BaseException) -> str:
    """A short text for ``exc``, without the user info or query of any URL in it."""
    text = str(exc) or type(exc).__name__
    return _URL_SECRETS.sub(r"\1\2", text)[:300]


def safe(url: URL) -> str:
    """The URL without user info or query (signed URLs carry secrets in the query)."""
    return str(url.with_user(None).with_query(None))


def _too_big(raw: aiohttp.ClientResponse, req: Request, cap: int) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"{req.method} {req.shown}: response body exceeds {cap} bytes",
        status_code=raw.status,
        request_id=raw.headers.get("x-request-id"),
    )


#: JSON answers at least this long are gathered in one growing buffer: joining the pieces
#: at the end (aiohttp's ``read``) would hold the whole answer twice at that moment, and a
#: finished Vertex operation carries its video inline (85 MiB of JSON for a 64 MiB MP4).
WHOLE_MIN = 1024 * 1024


async def read_capped(raw: aiohttp.ClientResponse, req: Request, cap: int) -> bytes | bytearray:
    """The whole body of a JSON (or error) response, at most ``max_json_bytes`` of it.

    A large body (:data:`WHOLE_MIN`) comes back as the ``bytearray`` it was read into.
    """
    content = raw.content
    try:
        declared = raw.content_length
        if "Content-Encoding" not in raw.headers:
            # Nothing is decompressed: the body is exactly as long as declared.
            if declared is not None and declared > cap:
                raise _too_big(raw, req, cap)
            small = declared is not None and declared < WHOLE_MIN
            if small and content.is_eof():
                # The usual case for JSON: the whole body came with the headers.
                return content.read_nowait()
            if small:
                # aiohttp reads no further than the declared length: the cap holds.
                return await content.read()
        elif declared is not None and declared > cap:
            raise _too_big(raw, req, cap)
        body = bytearray()
        while chunk := await content.readany():
            if len(body) + len(chunk) > cap:
                raise _too_big(raw, req, cap)
            body += chunk  # grown in place (realloc), not copied piece by piece
        plain = "Content-Encoding" not in raw.headers
        if plain and declared is not None and len(body) < declared:
            raise APIConnectionError(
                f"{req.method} {req.shown}: the response broke off after {len(body)} "
                f"of {declared} bytes"
            )
    except asyncio.TimeoutError as exc:
        raise APITimeoutError(f"{req.method} {req.shown}: timed out reading the response") from exc
    except aiohttp.ClientError as exc:
        raise APIConnectionError(
            f"{req.method} {req.shown}: the response broke off: {describe(exc)}"
        ) from exc
    return body if len(body) >= WHOLE_MIN else bytes(body)
