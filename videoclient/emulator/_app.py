"""The aiohttp application: routes under ``/v1`` and ``/openai/v1``, and the middleware chain.

Middlewares, outermost first:

1. ``observe``      shapes every error as OpenAI does, stamps ``x-request-id``, logs the request;
2. ``authenticate`` 401 without a key (``Authorization: Bearer`` or Azure's ``api-key``);
3. ``limit``        the per-key rate limit (429) and its ``x-ratelimit-*`` headers;
4. ``faults``       seeded transient faults.

In gateway mode (``gateway_quirks``) a ``gateway`` middleware sits between 1 and 2 and plays
the quirks of an OpenAI-compatible proxy (:mod:`._gateway`).

``/_emulator/...`` routes (signed content URLs, health) skip 2-4's key and limit checks, as
a storage gateway would.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._errors import ApiError
from ._faults import PRE_HANDLER_FAULTS
from ._gateway import GATEWAY, Gateway, gateway, strip_headers
from ._log import RequestRecord
from ._routes import (
    API_ROUTES,
    FAULT_PENDING,
    FAULT_TAKEN,
    KEY,
    ROUTE,
    STATE,
    VIDEO_ID,
    request_key,
    signed,
)
from ._state import EmulatorState
from .protocols import runway, vertex

__all__ = ["PREFIXES", "build_app", "build_asset_app"]

logger = logging.getLogger("videoclient.emulator")

#: Where the API is served: OpenAI's base and Azure's.
PREFIXES = ("/v1", "/openai/v1")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EXTRA_HEADERS = request_key("extra_headers", dict)
REQUEST_ID = request_key("request_id", str)
_DROPPED = frozenset({"reset", "lost_response"})


def _route_of(request: web.Request) -> str | None:
    """The matched route template without its base prefix, or None if nothing matched."""
    if request.match_info.http_exception is not None:
        return None
    resource = request.match_info.route.resource
    if resource is None:
        return None
    canonical = resource.canonical
    for prefix in PREFIXES:
        if canonical.startswith(prefix + "/"):
            return canonical[len(prefix) :]
    return canonical


def _error_response(exc: ApiError, route: str | None = None) -> web.Response:
    if runway.is_runway_route(route):
        body = runway.error_body(exc)
    elif vertex.is_vertex_route(route):
        body = vertex.error_body(exc)
    else:
        body = exc.body()
    return web.json_response(body, status=exc.status, headers=exc.headers)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    st = request.app[STATE]
    arrived = st.monotonic()
    request[REQUEST_ID] = f"req_{secrets.token_hex(16)}"
    route = _route_of(request)
    try:
        if route is None:
            raise ApiError(404, f"Invalid URL ({request.method} {request.path})")
        request[ROUTE] = route
        response = await handler(request)
    except ApiError as exc:
        response = _error_response(exc, route)
    except web.HTTPException as exc:  # aiohttp's own (e.g. a body past client_max_size)
        response = _error_response(ApiError(exc.status, exc.reason), route)
    except Exception:
        logger.exception("unexpected error in %s %s", request.method, request.path)
        response = _error_response(
            ApiError(
                500,
                "The server had an error while processing your request.",
                type="server_error",
            ),
            route,
        )
    fault = request.get(FAULT_TAKEN)
    st.log.append(
        RequestRecord(
            time=arrived,
            method=request.method,
            path=request.path,
            route=route,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            status=None if fault in _DROPPED else response.status,
            fault=fault,
            video_id=request.get(VIDEO_ID),
        )
    )
    return response


def _key_of(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    key = key or request.headers.get("api-key", "").strip()
    return key or request.headers.get("x-goog-api-key", "").strip()  # Vertex express mode


def _masked(key: str) -> str:
    return f"{key[:3]}{'*' * 8}{key[-4:]}" if len(key) > 10 else "*" * 8


def _is_gateway(request: web.Request) -> bool:
    return request[ROUTE].startswith("/_emulator/")


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_gateway(request):
        return await handler(request)
    key = _key_of(request)
    if not key:
        raise ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or in an api-key header.",
        )
    expected = request.app[STATE].config.api_key
    if expected is not None and not secrets.compare_digest(key, expected):
        raise ApiError(
            401,
            f"Incorrect API key provided: {_masked(key)}. The emulator was started with "
            "--api-key; use that key.",
            code="invalid_api_key",
        )
    request[KEY] = key
    return await handler(request)


@web.middleware
async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    limiter = request.app[STATE].limiter
    if limiter is None or _is_gateway(request):
        return await handler(request)
    allowed, headers = limiter.take(request[KEY])
    request[EXTRA_HEADERS] = headers
    if not allowed:
        wait = int(headers["retry-after-ms"]) / 1000
        raise ApiError(
            429,
            f"Rate limit reached for requests per min (RPM): Limit {limiter.limit}, "
            f"Used {limiter.limit}, Requested 1. Please try again in {math.ceil(wait * 1000)}ms.",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )
    return await handler(request)


def _drop_connection(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


@web.middleware
async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    plan = request.app[STATE].faults
    route = request[ROUTE]
    if route == "/_emulator/health":
        return await handler(request)
    kind = plan.fault_for(
        f"{request.method} {route}",
        creates=request.method == "POST",
        streams=route.endswith("/content") or _is_gateway(request),
    )
    if kind is None:
        return await handler(request)
    if kind == "truncated":
        request[FAULT_PENDING] = kind  # the content handler cuts the body itself
        return await handler(request)
    request[FAULT_TAKEN] = kind
    plan.record(kind)
    if kind in PRE_HANDLER_FAULTS and kind != "reset":
        raise ApiError(
            int(kind.removeprefix("http_")),
            "The server had an error while processing your request. Sorry about that! "
            "(emulator: injected fault)",
            type="server_error",
        )
    if kind == "reset":
        _drop_connection(request)
        return web.Response(status=500)  # never sent: the connection is gone
    try:
        return await handler(request)
    finally:
        _drop_connection(request)  # lost_response: the work is done, the answer never arrives


async def _stamp(request: web.Request, response: web.StreamResponse) -> None:
    """Headers every answer carries (added just before they are sent)."""
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers["x-request-id"] = request_id
    response.headers.update(request.get(EXTRA_HEADERS, {}))


async def health(request: web.Request) -> web.Response:
    st = request.app[STATE]
    return web.json_response({"status": "ok", "jobs": len(st.store)})


def build_app(state: EmulatorState) -> web.Application:
    """The emulator's application, serving ``state``."""
    quirks = bool(state.config.gateway_quirks)
    app = web.Application(
        middlewares=[observe, *([gateway] if quirks else []), authenticate, limit, faults],
        client_max_size=state.config.max_upload_bytes,
    )
    app[STATE] = state
    app.on_response_prepare.append(_stamp)
    if quirks:
        app[GATEWAY] = Gateway(state.config)
        app.on_response_prepare.append(strip_headers)  # after _stamp: it removes what it adds
    for prefix in PREFIXES:
        for method, path, handler in API_ROUTES:
            if method == "GET":
                app.router.add_get(prefix + path, handler)
            else:
                app.router.add_route(method, prefix + path, handler)
    for method, path, handler in (*runway.ROUTES, *vertex.ROUTES):
        app.router.add_route(method, path, handler)
    app.router.add_get("/_emulator/signed/{video_id}/{variant}", signed)
    app.router.add_get("/_emulator/health", health)
    return app


def build_asset_app(state: EmulatorState) -> web.Application:
    """The second origin's application (signed asset URLs; see :mod:`._cdn`)."""
    from ._cdn import build_cdn_app

    return build_cdn_app(state, [observe, faults])
