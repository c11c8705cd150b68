"""Gateway mode: the emulator behaves like an OpenAI-compatible proxy in front of itself.

Turned on by ``EmulatorConfig.gateway_quirks`` (``videoclient serve --gateway-quirks``), each
quirk is one thing a real gateway (LiteLLM 1.110, resellers) was seen doing to ``/v1/videos``:

``restamp-ids``
    Every retrieve answers with a new id for the job (LiteLLM re-encodes ids of a second
    model group on each retrieve). Every id handed out keeps working for retrieve, content,
    delete and remix: the gateway decodes it back to the job's own id.
``drop-headers``
    Answers lose ``x-request-id``, ``openai-poll-after-ms``, ``ETag``, ``Accept-Ranges`` and
    ``idempotent-replayed`` (ranges are still honoured, there is just no validator).
``error-shapes``
    Error answers come in another shape than OpenAI's (:data:`GATEWAY_ERROR_SHAPES`): one
    fixed shape (``gateway_error_shape``), or each error the next shape in turn.
``ignore-variant``
    ``GET /videos/{id}/content`` drops ``variant``: every download is the MP4.
``refuse-list``
    ``GET /videos`` answers 400 (a gateway has no list route for a deployment).
``refuse-delete``
    ``DELETE /videos/{id}`` answers 405 ``{"detail": "Method Not Allowed"}`` (FastAPI's).
``drop-idempotency``
    ``Idempotency-Key`` is not forwarded: every create makes a new job.

Only the OpenAI routes (``/videos...`` under ``/v1`` and ``/openai/v1``) are affected; the
middleware sits just inside ``observe``, so the request log still records what the client
sent and the answer it got. A quirk that rewrites the request (variant, key, id) forwards a
clone of it down the chain, as a proxy forwards a new request upstream.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from ._config import GATEWAY_ERROR_SHAPES, EmulatorConfig
from ._errors import ApiError
from ._routes import ROUTE

__all__ = ["DROPPED_HEADERS", "GATEWAY", "Gateway", "gateway", "strip_headers"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: The headers ``drop-headers`` removes from every answer.
DROPPED_HEADERS = (
    "x-request-id",
    "openai-poll-after-ms",
    "ETag",
    "Accept-Ranges",
    "idempotent-replayed",
)

_STAMP = "videoclient-gateway:"
_LITELLM_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    503: "ServiceUnavailableError",
}


class Gateway:
    """What one gateway-mode emulator decides: ids, error shapes, and which quirks are on.

    Args:
        config: The emulator's configuration (``gateway_quirks``, ``gateway_error_shape``).
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.quirks = config.gateway_quirks
        self.error_shape = config.gateway_error_shape
        self._stamps = 0
        self._errors = 0

    def __contains__(self, quirk: str) -> bool:
        return quirk in self.quirks

    # -- ids ---------------------------------------------------------------------------------

    def restamp(self, video_id: str) -> str:
        """A new id for ``video_id``, different from every one handed out before."""
        self._stamps += 1
        raw = f"{_STAMP}{self._stamps};video_id:{video_id}".encode()
        return "video_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def original(video_id: str) -> str:
        """The job's own id behind an id :meth:`restamp` made (any other id unchanged)."""
        body = video_id.removeprefix("video_")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return video_id
        if not raw.startswith(_STAMP):
            return video_id
        _, _, ident = raw.partition(";video_id:")
        return ident or video_id

    # -- errors ------------------------------------------------------------------------------

    def next_shape(self) -> str:
        """The shape of the next error answer."""
        if self.error_shape is not None:
            return self.error_shape
        shape = GATEWAY_ERROR_SHAPES[self._errors % len(GATEWAY_ERROR_SHAPES)]
        self._errors += 1
        return shape

    def error_response(self, exc: ApiError) -> web.Response:
        """``exc`` answered in the next gateway error shape."""
        shape = self.next_shape()
        body = shaped_error(shape, exc)
        ctype = "application/problem+json" if shape == "problem" else "application/json"
        return web.json_response(body, status=exc.status, headers=exc.headers, content_type=ctype)


def shaped_error(shape: str, exc: ApiError) -> dict[str, Any]:
    """The body of ``exc`` in one of :data:`GATEWAY_ERROR_SHAPES`."""
    if shape == "detail":
        return {"detail": exc.message}
    if shape == "detail-list":
        return {"detail": [{"loc": ["body"], "msg": exc.message, "type": "value_error"}]}
    if shape == "error-string":
        return {"error": exc.message}
    if shape == "problem":
        try:
            title = HTTPStatus(exc.status).phrase
        except ValueError:
            title = "Error"
        return {"type": "about:blank", "title": title, "status": exc.status, "detail": exc.message}
    if shape == "message":
        return {"message": exc.message}
    cls = _LITELLM_CLASSES.get(exc.status, "APIError")
    return {
        "error": {
            "message": f"litellm.{cls}: OpenAIException - {json.dumps(exc.body())}",
            "type": None,
            "param": None,
            "code": str(exc.status),
        }
    }


GATEWAY = web.AppKey("gateway", Gateway)


def _is_api(request: web.Request) -> bool:
    route = request.get(ROUTE)
    return route is not None and route.startswith("/videos")


def _refusal(request: web.Request, gw: Gateway) -> ApiError | web.Response | None:
    route, method = request[ROUTE], request.method
    if "refuse-list" in gw and method == "GET" and route == "/videos":
        return ApiError(
            400,
            "Listing videos is not supported for this deployment: no model to route the "
            "request to. (emulator: --gateway-quirks refuse-list)",
        )
    if "refuse-delete" in gw and method == "DELETE" and route == "/videos/{video_id}":
        return web.json_response(
            {"detail": "Method Not Allowed"}, status=405, headers={"Allow": "GET"}
        )
    return None


def _forwarded(request: web.Request, gw: Gateway) -> web.Request:
    """The request the gateway sends upstream: ids decoded, dropped parts removed."""
    if "video_id" in request.match_info:
        request.match_info["video_id"] = gw.original(request.match_info["video_id"])
    drop_key = "drop-idempotency" in gw and "Idempotency-Key" in request.headers
    drop_variant = "ignore-variant" in gw and "variant" in request.rel_url.query
    if not (drop_key or drop_variant):
        return request
    headers = request.headers.copy()
    if drop_key:
        headers.popall("Idempotency-Key")
    kept = [(k, v) for k, v in request.rel_url.query.items() if not drop_variant or k != "variant"]
    clone = request.clone(headers=headers, rel_url=request.rel_url.with_query(kept))
    clone.update(request)
    return clone


def _restamped(gw: Gateway, response: web.Response) -> web.Response:
    if response.status != 200 or not isinstance(response.body, bytes):
        return response
    body = json.loads(response.body)
    body["id"] = gw.restamp(str(body["id"]))
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    headers.pop("Content-Type", None)
    return web.json_response(body, status=response.status, headers=headers)


@web.middleware
async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Play the gateway's quirks on the OpenAI routes (see the module docstring)."""
    gw = request.app[GATEWAY]
    if not _is_api(request):
        return await handler(request)
    shapes = "error-shapes" in gw
    upstream = request
    try:
        refusal = _refusal(request, gw)
        if isinstance(refusal, ApiError):
            raise refusal
        if refusal is not None:
            return refusal
        upstream = _forwarded(request, gw)
        response = await handler(upstream)
    except ApiError as exc:
        if not shapes:
            raise
        return gw.error_response(exc)
    except web.HTTPException as exc:
        if not shapes:
            raise
        return gw.error_response(ApiError(exc.status, exc.reason))
    finally:
        if upstream is not request:
            request.update(upstream)  # what the chain noted (fault, video id) for the log
    if (
        "restamp-ids" in gw
        and request.method == "GET"
        and request[ROUTE] == "/videos/{video_id}"
        and isinstance(response, web.Response)
    ):
        return _restamped(gw, response)
    return response


async def strip_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``drop-headers``: remove :data:`DROPPED_HEADERS` just before an answer is sent."""
    gw = request.app[GATEWAY]
    if "drop-headers" not in gw or not _is_api(request):
        return
    for name in DROPPED_HEADERS:
        response.headers.popall(name, None)
