"""The second origin: signed, expiring asset URLs that refuse any credential.

Runway's task outputs are signed CDN URLs on another host; a presigned URL is refused
when the request carries a second auth mechanism (S3 answers 400 "Only one auth mechanism
allowed"). The emulator serves them from a second port (another origin) so that a client
sending its key there, or following the API's origin rules wrongly, fails as it would for
real. The same faults (a truncated body, resets) apply, so resumes can be tested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._errors import ApiError
from ._routes import STATE, signed

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["CREDENTIAL_HEADERS", "build_cdn_app"]

#: A request carrying any of these is refused: the signature is the only credential.
CREDENTIAL_HEADERS = ("authorization", "api-key", "x-goog-api-key", "x-api-key")


@web.middleware
async def refuse_credentials(request: web.Request, handler: Any) -> web.StreamResponse:
    if any(name in request.headers for name in CREDENTIAL_HEADERS):
        raise ApiError(
            400,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
            code="InvalidArgument",
        )
    response: web.StreamResponse = await handler(request)
    return response


def build_cdn_app(state: EmulatorState, middlewares: list[Any]) -> web.Application:
    """The asset origin's application: ``GET /_emulator/signed/{video_id}/{variant}``.

    Args:
        state: The running emulator's state (shared with the API origin).
        middlewares: The API origin's ``observe`` and ``faults`` (logging, error shape,
            injected faults); the credential check runs between them.
    """
    observe, faults = middlewares
    app = web.Application(middlewares=[observe, refuse_credentials, faults])
    app[STATE] = state
    app.router.add_get("/_emulator/signed/{video_id}/{variant}", signed)
    return app
