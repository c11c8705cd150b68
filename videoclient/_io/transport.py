"""The one module that talks HTTP: aiohttp session lifetime, retries, redirects, error mapping.

The session is created lazily inside the running event loop on first use, reused
for every call, and closed exactly once by :meth:`Transport.close`. aiohttp is
imported only when this module is (the client imports it on first request), which
keeps ``import videoclient`` light.

Invariants kept here:
- no aiohttp or asyncio exception leaves this module: every failure becomes an
  :class:`~videoclient.APIError` subclass;
- every attempt of one create carries the same ``Idempotency-Key`` (where one is sent), and
  a create that may have reached the server is resent only under the idempotent policy;
- credentials go only to the configured origin, never across a redirect elsewhere;
- the API key appears in no log line and no error.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import platform
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp
import anyio
from multidict import CIMultiDict
from yarl import URL

from .._sansio import creates as _creates
from .._sansio import retry as _retry
from .._sansio.adapter import Provider
from .._sansio.config import ClientConfig, Timeout
from .._sansio.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MissingAPIKeyError,
)
from .._sansio.http import Request, Response
from .._sansio.multipart import encode
from .._sansio.options import CallOptions
from . import clock
from .closing import EndedByClose
from .redirects import REDIRECT_STATUSES, after_redirect, redirect_target, warn_if_insecure
from .stream import StreamResponse, describe, read_capped, safe
from .upload import stream_body

__all__ = ["StreamResponse", "Transport"]

log = logging.getLogger("videoclient")

T = TypeVar("T")

MAX_REDIRECTS = 5
#: Compact JSON bodies; one encoder (json.dumps with options builds a new one per call).
_JSON = json.JSONEncoder(separators=(",", ":"))


def _version() -> str:
    from .._sansio.version import __version__

    return __version__


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class Transport:
    """Sends :class:`~videoclient._sansio.http.Request` values over one aiohttp session."""

    def __init__(self, config: ClientConfig, provider: Provider) -> None:
        self._config = config
        self._provider = provider
        self._dedup = provider.deduplicates_creates
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Bodies being read, and requests waiting for their answers: closing the client
        #: ends them ("the client is closed").
        self._streams: weakref.WeakSet[StreamResponse] = weakref.WeakSet()
        self._inflight: set[anyio.CancelScope] = set()
        # While the server's rate limit is in force (a 429 asked us to wait until this
        # monotonic time), no request of this client goes out: one 429 pauses the whole
        # client instead of every concurrent call finding the limit on its own.
        self._rate_limited_until = 0.0
        self._base = URL(config.base_url.rstrip("/") + "/")
        # None when the base has a query or fragment: then paths are joined the long way.
        plain = not self._base.query_string and not self._base.fragment
        self._base_str = str(self._base) if plain else None
        self._user_agent = f"videoclient/{_version()} Python/{platform.python_version()}"
        # What every request sends, worked out once: the config is frozen, so only the
        # per-request parts (Accept, the idempotency key, a token from a provider, the
        # call's extra headers and query) are added per request.
        fixed: CIMultiDict[str] = CIMultiDict()
        fixed["User-Agent"] = self._user_agent
        fixed.update(provider.fixed_headers(config))
        # A static key goes in once; a token provider (or a missing key, which must fail
        # at the first request, not here) is asked per request by _auth_headers.
        self._static_auth = config.token_provider is None and config.api_key is not None
        if self._static_auth:
            fixed.update(provider.key_headers(config))
        self._fixed_headers = fixed
        self._base_query = provider.base_query(config)
        self._default_timeouts = {
            stream: self._make_timeout(config.timeout, stream=stream) for stream in (False, True)
        }

    @property
    def config(self) -> ClientConfig:
        return self._config

    # -- session lifetime --------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise APIConnectionError("the client is closed")
        if self._other_loop():
            raise APIConnectionError(
                "this client is bound to the event loop it first sent a request in, and this "
                "is another one (a second asyncio.run?): create one client per event loop, "
                "or use the blocking VideoClient"
            )
        if self._session is None:
            self._loop = asyncio.get_running_loop()
            warn_if_insecure(self._base)
            cfg = self._config
            ssl_opt: Any = True if cfg.ssl is None else cfg.ssl
            if isinstance(ssl_opt, str):
                import ssl

                ssl_opt = ssl.create_default_context(cafile=ssl_opt)
            connector = aiohttp.TCPConnector(
                limit=cfg.max_connections,
                limit_per_host=cfg.max_connections_per_host,
                ssl=ssl_opt,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=True,
                # An API client has no use for cookies, and aiohttp's jar ignores ports.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def abandon(self) -> None:
        """Drop the session without closing anything: for a forked child.

        The child's copies of the connections are the parent's connections. Closing them
        here would take the parent's sockets off the event loop's epoll set, which the
        two processes share, and over TLS would write to them; aiohttp does that when it
        finalizes a connector not marked closed.
        """
        self._closed = True
        session, self._session = self._session, None
        if session is None:
            return
        connector = session.connector
        session.detach()
        if connector is not None:
            connector._closed = True  # its finalizer then leaves the connections alone

    def _ended_by_close(self, req: Request, opts: CallOptions) -> EndedByClose:
        """A block that :meth:`close` ends: with "the client is closed", not a cancellation.

        One per attempt (sending and reading the answer share it): each is a cancel scope,
        and their cost is paid on every request.
        """
        return EndedByClose(self._inflight, self._url, req, opts)

    def _other_loop(self) -> bool:
        """Whether the session belongs to an event loop other than the running one."""
        return self._loop is not None and self._loop is not asyncio.get_running_loop()

    async def close(self) -> None:
        """Close the session (once); later calls do nothing."""
        self._closed = True
        for scope in list(self._inflight):
            scope.cancel()
        for stream in list(self._streams):
            stream.abort(APIConnectionError("the client is closed", url=stream.url))
        session, self._session = self._session, None
        if session is None:
            return
        if self._loop is not None and self._loop.is_closed():
            # Its loop is gone, and with it every connection: nothing is left to close
            # (and aiohttp cannot close a connector from another loop).
            session.detach()
            return
        await session.close()

    # -- building one attempt ----------------------------------------------------------------

    async def _auth_headers(self) -> dict[str, str]:
        cfg = self._config
        if cfg.token_provider is not None:
            token = cfg.token_provider()
            if inspect.isawaitable(token):
                token = await token
            if not isinstance(token, str) or not token:
                raise MissingAPIKeyError("the token_provider returned no token")
            return dict(self._provider.token_headers(token))
        return dict(self._provider.key_headers(cfg))

    async def _headers(self, req: Request, opts: CallOptions, idem: str | None) -> CIMultiDict[str]:
        # Precedence, lowest first: the fixed headers (User-Agent, organization, project,
        # a static key), Accept, the token, the idempotency key; then the config's
        # default_headers and the call's extra_headers replace any of them.
        if req.anonymous:
            # A signed URL on another origin: a second auth mechanism would be refused (and
            # a credential must not leave the API's origin), so only the bare necessities.
            return CIMultiDict(
                {
                    "User-Agent": self._user_agent,
                    "Accept": req.accept,
                    "Accept-Encoding": "identity",
                }
            )
        headers: CIMultiDict[str] = self._fixed_headers.copy()
        headers["Accept"] = req.accept
        if req.stream:
            # Content is verified against Content-Length and resumed by byte ranges: no gzip.
            headers["Accept-Encoding"] = "identity"
        if not self._static_auth:
            headers.update(await self._auth_headers())
        if idem is not None:
            headers["Idempotency-Key"] = idem
        if self._config.default_headers:
            headers.update(self._config.default_headers)
        if opts.extra_headers:
            headers.update(opts.extra_headers)
        return headers

    def _url(self, req: Request, opts: CallOptions) -> URL:
        # Request paths are relative, already quoted and free of dot segments (ids are
        # checked), so appending them to the base is what URL.join would give, cheaper.
        if req.anonymous:
            return URL(req.path, encoded=True)  # signed as it is: its query is not touched
        if self._base_str is not None:
            url = URL(self._base_str + req.path, encoded=True)
        else:
            url = self._base.join(URL(req.path, encoded=True))
        if not (self._base_query or req.params or opts.extra_query):
            return url
        query = [*self._base_query, *req.params, *opts.extra_query.items()]
        return url.with_query(query)

    def _body(
        self,
        req: Request,
        headers: CIMultiDict[str],
        opts: CallOptions,
        failed: list[Exception],
    ) -> Any:
        if req.form is not None:
            body = encode(req.form)
            headers["Content-Type"] = body.content_type
            headers["Content-Length"] = str(body.length)
            return stream_body(body.segments, opts.on_upload_progress, body.length, failed)
        if req.json is not None:
            headers["Content-Type"] = "application/json"
            return _JSON.encode(req.json).encode()
        return None

    def _client_timeout(self, timeout: Timeout, *, stream: bool) -> aiohttp.ClientTimeout:
        if timeout is self._config.timeout:
            return self._default_timeouts[stream]
        return self._make_timeout(timeout, stream=stream)

    @staticmethod
    def _make_timeout(timeout: Timeout, *, stream: bool) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None if stream else timeout.total,
            sock_connect=timeout.connect,
            sock_read=timeout.read,
        )

    # -- sending -----------------------------------------------------------------------------

    async def _open(
        self, req: Request, opts: CallOptions, idem: str | None, extra: Mapping[str, str] | None
    ) -> aiohttp.ClientResponse:
        """Send one attempt and return its final (non-redirect) response, unreleased.

        The caller must release the response, and run this inside :meth:`_ended_by_close`.
        """
        session = self._get_session()
        headers = await self._headers(req, opts, idem)
        if extra:
            headers.update(extra)
        url = self._url(req, opts)
        origin: URL | None = None
        method = req.method
        timeout = self._client_timeout(opts.timeout, stream=req.stream)
        send_body = True
        # What the upload progress callback raised: the caller's own error, raised as itself
        # (aiohttp reports it as a broken connection, which would be retried).
        failed: list[Exception] = []
        for _ in range(MAX_REDIRECTS + 1):
            data = self._body(req, headers, opts, failed) if send_body else None
            try:
                resp = await session.request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    timeout=timeout,
                    allow_redirects=False,
                )
            except asyncio.CancelledError:
                # Closing the client cancels the calls queued for a connection (aiohttp
                # cancels their waiters): they end as "closed", like those already sent.
                # A cancellation of this task itself goes on as one.
                if self._closed and not _cancel_requested():
                    raise APIConnectionError(
                        "the client is closed", method=method, url=safe(url)
                    ) from None
                raise
            except asyncio.TimeoutError as exc:
                if failed:
                    raise failed[0] from None
                raise APITimeoutError(
                    f"{method} {safe(url)} timed out",
                    method=method,
                    url=safe(url),
                    # A connect timeout: nothing of the request was sent.
                    request_sent=not isinstance(exc, aiohttp.ConnectionTimeoutError),
                ) from exc
            except aiohttp.ClientError as exc:
                if failed:
                    raise failed[0] from None
                raise APIConnectionError(
                    f"{method} {safe(url)} failed: {describe(exc)}",
                    method=method,
                    url=safe(url),
                    # Refused, unresolvable, or a TLS handshake that failed: never sent.
                    request_sent=not isinstance(exc, aiohttp.ClientConnectorError),
                ) from exc
            if resp.status not in REDIRECT_STATUSES:
                return resp
            location = resp.headers.get("Location")
            if not location:
                return resp
            resp.release()
            if origin is None:
                origin = url.origin()
            target = redirect_target(url, location, method)
            if target.origin() != origin:
                for name in self._provider.credential_headers:
                    headers.popall(name, None)
            method, keep_body = after_redirect(resp.status, method)
            if not keep_body:
                send_body = False
                headers.popall("Content-Type", None)
                headers.popall("Content-Length", None)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("redirect %s -> %s", resp.status, safe(target))
            url = target
        raise APIConnectionError(
            f"more than {MAX_REDIRECTS} redirects", method=method, url=safe(url)
        )

    def _idempotency_key(self, req: Request, opts: CallOptions) -> str | None:
        """A create's key: the caller's, else a new one where keys are honoured."""
        if not req.creates:
            return None
        if opts.idempotency_key is not None:
            return opts.idempotency_key
        if _creates.sends_key(opts.create_retry, deduplicates=self._dedup):
            return _creates.new_idempotency_key()
        return None

    def _conservative(self, opts: CallOptions) -> bool:
        return _creates.is_conservative(opts.create_retry, deduplicates=self._dedup)

    def _job_may_exist(self, error: APIError, opts: CallOptions, *, resent: bool) -> APIError:
        """``error`` of a create that may have made a job, saying so and what was done."""
        why = _creates.doubt_reason(
            self._provider.name, opts.create_retry, deduplicates=self._dedup, resent=resent
        )
        error.mark_job_may_exist(why)
        return error

    async def _respect_rate_limit(self) -> None:
        """Hold a request back while a 429 told this client to wait."""
        wait = self._rate_limited_until - clock.now()
        if wait > 0:
            await clock.sleep(wait, "retry")

    async def _retry_wait(
        self,
        req: Request,
        attempt: int,
        opts: CallOptions,
        why: str,
        headers: Mapping[str, str] | None,
        status: int | None = None,
    ) -> bool:
        """Sleep before the next attempt if one is left; False when the budget is spent
        (or the client was closed: nothing could be sent)."""
        if self._closed or self._other_loop():
            return False
        # Every body can be sent again: files are re-opened (or re-seeked) per attempt.
        asked = self._provider.server_delay(headers) if headers else None
        delay = _retry.retry_delay(attempt + 1, asked)
        if status == 429:
            self._rate_limited_until = max(self._rate_limited_until, clock.now() + delay)
        if attempt >= opts.max_retries:
            return False
        log.debug(
            "retrying %s %s after %s in %.2fs (retry %d/%d)",
            req.method,
            req.shown,
            why,
            delay,
            attempt + 1,
            opts.max_retries,
        )
        await clock.sleep(delay, "retry")
        return True

    async def _attempts(
        self,
        req: Request,
        opts: CallOptions,
        once: Callable[[int], Awaitable[T]],
        *,
        first_attempt: int = 0,
        after: Exception | None = None,
    ) -> T:
        """The one retry loop: ``once(attempt)`` until it returns, or the budget is spent.

        ``once`` raises :class:`_RetryableAnswer` for an answer worth another attempt and
        :class:`~videoclient.APIConnectionError` for a failed one; between attempts the
        loop waits (:meth:`_retry_wait`), and every attempt respects a 429 pause. Sending,
        streaming and resuming a download all go through it: a resume enters with
        ``after`` (the failure that broke the body at attempt ``first_attempt``), so it
        waits and spends the budget exactly as a failed attempt inside the loop does.
        """
        attempt = first_attempt
        if after is not None:
            if not await self._retry_wait(req, attempt, opts, type(after).__name__, None):
                raise after
            attempt += 1
        while True:
            try:
                if self._rate_limited_until:
                    await self._respect_rate_limit()
                return await once(attempt)
            except _RetryableAnswer as answer:
                resp = answer.resp
                why = f"HTTP {resp.status}"
                # A create answered with a 5xx (not a refusal) may have made a job.
                doubt = req.creates and resp.status not in self._provider.unprocessed_statuses
                if not (doubt and self._conservative(opts)) and await self._retry_wait(
                    req, attempt, opts, why, resp.headers, resp.status
                ):
                    attempt += 1
                    continue
                if doubt:
                    error = self._provider.status_error(
                        resp, method=req.method, url=safe(self._url(req, opts))
                    )
                    raise self._job_may_exist(error, opts, resent=attempt > 0) from None
                result: T = answer.give_up()
                return result
            except APIConnectionError as exc:
                log.debug("%s %s attempt %d failed: %s", req.method, req.shown, attempt + 1, exc)
                doubt = req.creates and exc.request_sent
                if not (doubt and self._conservative(opts)) and await self._retry_wait(
                    req, attempt, opts, type(exc).__name__, None
                ):
                    attempt += 1
                    continue
                if doubt:
                    self._job_may_exist(exc, opts, resent=attempt > 0)
                raise

    def _retryable(self, resp: Response) -> bool:
        return resp.status >= 400 and _retry.should_retry_status(
            resp.status, self._provider.retry_hint(resp.headers)
        )

    async def send(self, req: Request, opts: CallOptions) -> Response:
        """Send a JSON request with retries and return the complete response (any status)."""
        idem = self._idempotency_key(req, opts)

        async def once(attempt: int) -> Response:
            with self._ended_by_close(req, opts):  # sending and the read that waits, too
                raw = await self._open(req, opts, idem, None)
                try:
                    body = await read_capped(raw, req, self._config.max_json_bytes)
                    resp = Response(raw.status, _lower(raw.headers), body)
                finally:
                    raw.release()
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s -> %d (attempt %d, request_id=%s)",
                    req.method,
                    req.shown,
                    resp.status,
                    attempt + 1,
                    resp.request_id,
                )
            if self._retryable(resp):
                raise _RetryableAnswer(resp, lambda: resp)
            return resp

        return await self._attempts(req, opts, once)

    @asynccontextmanager
    async def stream(
        self,
        req: Request,
        opts: CallOptions,
        headers: Mapping[str, str] | None = None,
        *,
        first_attempt: int = 0,
        after: Exception | None = None,
    ) -> AsyncIterator[StreamResponse]:
        """Open a streamed response, retrying until the status line is a success or final.

        A 4xx/5xx answer is read (capped) and raised as :class:`~videoclient.APIStatusError`.
        Only opening is retried: an error raised while the caller reads the body
        propagates as it is (the caller decides whether to resume).

        Args:
            req: The request.
            opts: The call's options (timeouts, retry budget, extra headers).
            headers: Headers added to this request (``Range``, ``If-Range``, ...).
            first_attempt: Retries of this call already spent (by earlier resumes).
            after: The failure that broke the previous response's body (a resume): wait
                and spend one retry before opening, or raise it when none is left.
        """

        async def once(attempt: int) -> StreamResponse:
            with self._ended_by_close(req, opts):
                raw = await self._open(req, opts, None, headers or {})
            status, resp_headers = raw.status, _lower(raw.headers)
            if status < 400:
                log.debug(
                    "%s %s -> %d streaming (request_id=%s)",
                    req.method,
                    req.shown,
                    status,
                    resp_headers.get("x-request-id"),
                )
                return StreamResponse(status, resp_headers, safe(raw.url), raw, attempt)
            try:
                body = await read_capped(raw, req, self._config.max_json_bytes)
            finally:
                raw.release()
            resp = Response(status, resp_headers, body)
            error = self._provider.status_error(resp, method=req.method, url=safe(raw.url))

            def give_up() -> StreamResponse:
                raise error

            if self._retryable(resp):
                raise _RetryableAnswer(resp, give_up)
            raise error

        stream = await self._attempts(req, opts, once, first_attempt=first_attempt, after=after)
        self._streams.add(stream)
        try:
            yield stream
        finally:
            stream.release()


class _RetryableAnswer(Exception):
    """An answer worth another attempt; ``give_up()`` is what the call ends with otherwise."""

    def __init__(self, resp: Response, give_up: Callable[[], Any]) -> None:
        super().__init__(resp.status)
        self.resp = resp
        self.give_up = give_up


def _cancel_requested() -> bool:
    """Whether the current task itself was asked to stop (``Task.cancelling``, 3.11+)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False
