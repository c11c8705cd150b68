"""The handlers of the Videos API, one per operation of the spec, plus the signed content URL.

Handlers read parameters, ask the store, and answer with the shared wire format
(:func:`videoclient._sansio.wire.unstructure` of the shared models). Errors are raised as
:class:`~._errors.ApiError` and shaped by the middleware in :mod:`._app`.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from aiohttp import web

from .._sansio.models import DeletedVideo
from .._sansio.wire import unstructure
from . import _params as params
from ._bodies import read_body
from ._content import send_asset
from ._errors import bad_request, missing_parameter
from ._media import IMAGE_TYPES, check_image, probe_video
from ._params import ImageUrl, Upload
from ._render import check_variant
from ._state import EmulatorState
from ._store import Job, NewJob, Segment

__all__ = [
    "API_ROUTES",
    "FAULT_PENDING",
    "FAULT_TAKEN",
    "KEY",
    "ROUTE",
    "STATE",
    "VIDEO_ID",
    "request_key",
    "signed",
]

T = TypeVar("T")


def request_key(name: str, kind: type[T]) -> web.RequestKey[T]:
    """A typed per-request storage key; a plain string on aiohttp versions without RequestKey."""
    factory = getattr(web, "RequestKey", None)
    if factory is None:  # pragma: no cover - aiohttp older than the one in the dev environment
        return cast("web.RequestKey[T]", f"videoclient_emulator.{name}")
    return cast("web.RequestKey[T]", factory(name, kind))


STATE = web.AppKey("state", EmulatorState)
#: The matched route template without its base prefix (set by the observe middleware).
ROUTE = request_key("route", str)
#: The caller's API key (set by the auth middleware).
KEY = request_key("key", str)
#: A fault chosen for this request that the handler itself must act on (``truncated``).
FAULT_PENDING = request_key("fault_pending", str)
#: The fault actually injected into this request.
FAULT_TAKEN = request_key("fault_taken", str)
#: The video the request was about, for the request log.
VIDEO_ID = request_key("video_id", str)

_VIDEO_SUFFIXES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE]


def _video(request: web.Request, job: Job, *, replayed: bool = False) -> web.Response:
    st = _state(request)
    request[VIDEO_ID] = job.id
    headers: dict[str, str] = {}
    poll = st.store.poll_after_ms(job)
    if poll is not None:
        headers["openai-poll-after-ms"] = str(poll)
    if replayed:
        headers["idempotent-replayed"] = "true"
    return web.json_response(unstructure(st.store.view(job)), headers=headers)


async def _body(request: web.Request) -> dict[str, Any]:
    return await read_body(request, _state(request).config.max_upload_bytes)


def _idempotency(request: web.Request, body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The scoped ``Idempotency-Key`` (per API key) and the request's fingerprint."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None, None
    route = f"{request.method} {request.path}"
    scope = f"{request.get(KEY, '')}\x00{key}"
    return scope, params.fingerprint(route, body)


def _replayed(
    request: web.Request, key: str | None, fingerprint: str | None
) -> web.Response | None:
    st = _state(request)
    ident = st.store.replay(key, fingerprint)
    if ident is None:
        return None
    st.advance()
    if ident.startswith("char_"):
        request[VIDEO_ID] = ident
        body = unstructure(st.store.character_view(st.store.character(ident)))
        return web.json_response(body, headers={"idempotent-replayed": "true"})
    return _video(request, st.store.get(ident), replayed=True)


# -- references ------------------------------------------------------------------------------


def _keep_image(st: EmulatorState, data: bytes, ctype: str | None, w: int, h: int, p: str) -> str:
    real = check_image(data, ctype, w, h, p)
    return st.renderer.save_input(data, IMAGE_TYPES[real])


async def _image_reference(st: EmulatorState, ref: Upload | ImageUrl, w: int, h: int) -> str:
    if isinstance(ref, ImageUrl):
        param = "input_reference.image_url"
        ctype, data = params.decode_data_url(ref.url, param=param)
    else:
        param, ctype, data = "input_reference", ref.content_type, ref.data
    return await st.renderer.run(_keep_image, st, data, ctype, w, h, param)


def _keep_video(st: EmulatorState, upload: Upload) -> tuple[int, int, int, str]:
    width, height, seconds = probe_video(upload.data, "video")
    if max(width, height) > params.MAX_SIDE:
        raise bad_request(f"Invalid 'video': larger than {params.MAX_SIDE} pixels.", param="video")
    suffix = _VIDEO_SUFFIXES.get(upload.content_type.split(";")[0].strip(), ".mp4")
    return width, height, seconds, st.renderer.save_input(upload.data, suffix)


# -- /videos ---------------------------------------------------------------------------------


async def create_video(request: web.Request) -> web.Response:
    st = _state(request)
    body = await _body(request)
    key, fingerprint = _idempotency(request, body)
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay
    prompt = params.prompt(body)
    model = params.model(body)
    width, height = params.size(body)
    seconds = params.seconds(body)
    ref = params.input_reference(body)
    reference = await _image_reference(st, ref, width, height) if ref is not None else None
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay  # a twin request finished while this one checked its image
    job = st.create(
        NewJob(
            prompt=prompt,
            model=model,
            width=width,
            height=height,
            segments=(Segment(prompt, seconds, reference),),
            idempotency_key=key,
            fingerprint=fingerprint,
        )
    )
    return _video(request, job)


async def list_videos(request: web.Request) -> web.Response:
    st = _state(request)
    limit, order, after = params.list_query(request.query)
    st.advance()
    jobs, more = st.store.page(limit=limit, order=order, after=after)
    now = st.clock()
    data = [unstructure(st.store.view(job, now)) for job in jobs]
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "first_id": jobs[0].id if jobs else None,
            "last_id": jobs[-1].id if jobs else None,
            "has_more": more,
        }
    )


async def retrieve_video(request: web.Request) -> web.Response:
    st = _state(request)
    st.advance()
    return _video(request, st.store.get(request.match_info["video_id"]))


async def delete_video(request: web.Request) -> web.Response:
    st = _state(request)
    st.advance()
    video_id = request.match_info["video_id"]
    request[VIDEO_ID] = video_id
    st.store.delete(video_id)
    files = st.renderer.forget(video_id)
    await st.renderer.run(_unlink_all, files)
    return web.json_response(unstructure(DeletedVideo(id=video_id, deleted=True)))


def _unlink_all(paths: list[Any]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def remix_video(request: web.Request) -> web.Response:
    st = _state(request)
    body = await _body(request)
    key, fingerprint = _idempotency(request, body)
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay
    st.advance()
    source = st.store.source(request.match_info["video_id"], param="video_id")
    prompt = params.prompt(body)
    job = st.create(
        NewJob(
            prompt=prompt,
            model=source.model,
            width=source.width,
            height=source.height,
            segments=(Segment(prompt, source.seconds, source.segments[0].reference),),
            remixed_from=source.id,
            source_id=source.id,
            kind="remix",
            idempotency_key=key,
            fingerprint=fingerprint,
        )
    )
    return _video(request, job)


async def _derived(request: web.Request, kind: str) -> web.Response:
    """An edit or an extension: of a completed job by id, or of an uploaded video."""
    st = _state(request)
    body = await _body(request)
    key, fingerprint = _idempotency(request, body)
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay
    ref = params.video_reference(body)
    prompt = params.prompt(body)
    extra = params.seconds(body, required=True) if kind == "extend" else 0
    if isinstance(ref, str):
        st.advance()
        source = st.store.source(ref, param="video")
        model, width, height, source_id = source.model, source.width, source.height, source.id
        before = source.segments
    else:
        width, height, seconds, name = await st.renderer.run(_keep_video, st, ref)
        model, source_id = params.DEFAULT_MODEL, None
        before = (Segment("", seconds, name),)
        if (replay := _replayed(request, key, fingerprint)) is not None:
            return replay
    if kind == "extend":
        segments = (*before, Segment(prompt, extra))
    else:
        total = sum(s.seconds for s in before)
        segments = (Segment(prompt, total, before[0].reference),)
    job = st.create(
        NewJob(
            prompt=prompt,
            model=model,
            width=width,
            height=height,
            segments=segments,
            source_id=source_id,
            kind=kind,
            idempotency_key=key,
            fingerprint=fingerprint,
        )
    )
    return _video(request, job)


async def edit_video(request: web.Request) -> web.Response:
    return await _derived(request, "edit")


async def extend_video(request: web.Request) -> web.Response:
    return await _derived(request, "extend")


# -- content ---------------------------------------------------------------------------------


async def _serve_content(request: web.Request, video_id: str, variant: str) -> web.StreamResponse:
    st = _state(request)
    request[VIDEO_ID] = video_id
    st.advance()
    job = st.store.downloadable(video_id)
    asset = await st.renderer.asset(job, variant)
    truncate = request.get(FAULT_PENDING) == "truncated" and asset.size > 1
    if truncate:
        request[FAULT_TAKEN] = "truncated"
        st.faults.record("truncated")
    return await send_asset(request, asset, truncate=truncate)


async def video_content(request: web.Request) -> web.StreamResponse:
    st = _state(request)
    video_id = request.match_info["video_id"]
    variant = check_variant(request.query.get("variant", "video"))
    if not st.config.redirect_content:
        return await _serve_content(request, video_id, variant)
    request[VIDEO_ID] = video_id
    st.advance()
    st.store.downloadable(video_id)
    location = str(request.url.origin()) + st.signed_path(video_id, variant)
    return web.Response(status=302, headers={"Location": location})


async def signed(request: web.Request) -> web.StreamResponse:
    """``GET /_emulator/signed/{video_id}/{variant}``: content without a key, until it expires."""
    st = _state(request)
    video_id, variant = request.match_info["video_id"], request.match_info["variant"]
    st.check_signature(
        video_id, variant, request.query.get("expires", ""), request.query.get("signature", "")
    )
    return await _serve_content(request, video_id, check_variant(variant))


# -- characters ------------------------------------------------------------------------------


def _check_video(upload: Upload) -> None:
    probe_video(upload.data, "video")


async def create_character(request: web.Request) -> web.Response:
    st = _state(request)
    body = await _body(request)
    key, fingerprint = _idempotency(request, body)
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay
    video = body.get("video")
    if video is None:
        raise missing_parameter("video")
    if not isinstance(video, Upload):
        raise bad_request("Invalid 'video': expected an uploaded video file.", param="video")
    name = params.name(body)
    await st.renderer.run(_check_video, video)
    if (replay := _replayed(request, key, fingerprint)) is not None:
        return replay
    character = st.store.create_character(name, idempotency_key=key, fingerprint=fingerprint)
    request[VIDEO_ID] = character.id
    return web.json_response(unstructure(st.store.character_view(character)))


async def retrieve_character(request: web.Request) -> web.Response:
    st = _state(request)
    character = st.store.character(request.match_info["character_id"])
    return web.json_response(unstructure(st.store.character_view(character)))


#: (method, path under the base, handler) for every operation of the spec.
API_ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/videos", create_video),
    ("GET", "/videos", list_videos),
    ("POST", "/videos/characters", create_character),
    ("GET", "/videos/characters/{character_id}", retrieve_character),
    ("POST", "/videos/edits", edit_video),
    ("POST", "/videos/extensions", extend_video),
    ("GET", "/videos/{video_id}", retrieve_video),
    ("DELETE", "/videos/{video_id}", delete_video),
    ("GET", "/videos/{video_id}/content", video_content),
    ("POST", "/videos/{video_id}/remix", remix_video),
)
