"""Runway's task API on the emulator: ``/v1/text_to_video``, ``/v1/image_to_video``,
``/v1/tasks/{id}`` (GET and DELETE), written from Runway's API reference.

A job shows as a Runway task: ``PENDING`` while queued, ``THROTTLED`` while it waits for
a ``max_active`` slot, ``RUNNING`` with ``progress`` 0-1, then ``SUCCEEDED`` with
``output`` (a signed URL on the emulator's second origin, expiring after
``signed_url_ttl``), ``FAILED`` with ``failure`` and ``failureCode``, or ``CANCELLED``
after a DELETE. Errors are ``{"error": "message"}``. Every request needs
``X-Runway-Version``.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from aiohttp import web

from .._bodies import read_body
from .._errors import ApiError, bad_request
from .._params import decode_data_url
from .._routes import STATE, VIDEO_ID
from .._store import Job, NewJob, Segment

__all__ = ["ROUTES", "error_body", "is_runway_route", "task_view"]

_VERSIONS = ("2024-11-06",)
_IMAGE_MAGIC = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg", b"RIFF": ".webp"}


def error_body(exc: ApiError) -> dict[str, Any]:
    """Runway's error shape."""
    return {"error": exc.message}


def _iso(stamp: float) -> str:
    when = datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def task_view(job: Job, now: float, store: Any, output_url: str | None) -> dict[str, Any]:
    """One task as ``GET /v1/tasks/{id}`` shows it."""
    body: dict[str, Any] = {"id": job.id, "createdAt": _iso(job.created_at)}
    status = job.status
    if status == "queued":
        waited = now >= job.created_at + job.queue_seconds  # only a free slot is missing
        body["status"] = "THROTTLED" if waited else "PENDING"
    elif status == "in_progress":
        body["status"] = "RUNNING"
        body["progress"] = round(store.progress(job, now) / 100, 2)
    elif status == "completed":
        body["status"] = "SUCCEEDED"
        body["output"] = [output_url]
    elif status == "failed":
        body["status"] = "FAILED"
        body["failure"] = job.error_message or "The task failed."
        body["failureCode"] = (
            "SAFETY.INPUT.TEXT" if job.error_code == "moderation_blocked" else ("INTERNAL")
        )
    else:
        body["status"] = "CANCELLED"
    return body


def _version(request: web.Request) -> None:
    version = request.headers.get("X-Runway-Version")
    if not version:
        raise bad_request("You must provide an API version in the X-Runway-Version header.")
    if version not in _VERSIONS:
        raise bad_request(f"Invalid API version: {version!r}. Valid versions: 2024-11-06.")


def _ratio(body: dict[str, Any]) -> tuple[int, int]:
    raw = body.get("ratio")
    if raw is None:
        raise bad_request("Validation of body failed: ratio is required.")
    width, _, height = str(raw).partition(":")
    if (
        not (width.isdigit() and height.isdigit())
        or not 0 < int(width) <= 4096
        or not (0 < int(height) <= 4096)
    ):
        raise bad_request(f"Validation of body failed: invalid ratio {raw!r}.")
    return int(width), int(height)


def _duration(body: dict[str, Any]) -> int:
    raw = body.get("duration", 5)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 2 <= raw <= 20:
        raise bad_request(f"Validation of body failed: invalid duration {raw!r}.")
    return raw


def _prompt(body: dict[str, Any], *, required: bool) -> str:
    text = body.get("promptText")
    if text is None and not required:
        return ""
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise bad_request("Validation of body failed: promptText must be 1 to 1000 characters.")
    return text


def _save_image(st: Any, url: str) -> str:
    media_type, data = decode_data_url(url, param="promptImage")
    suffix = next((s for magic, s in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if suffix is None or not media_type.startswith("image/"):
        raise bad_request(
            "Validation of body failed: promptImage is not a JPEG, PNG or WebP image."
        )
    name: str = st.renderer.save_input(data, suffix)
    return name


async def _create(request: web.Request, *, image: bool) -> web.Response:
    st = request.app[STATE]
    _version(request)
    body = await read_body(request, st.config.max_upload_bytes)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("Validation of body failed: model is required.")
    prompt = _prompt(body, required=not image)
    width, height = _ratio(body)
    seconds = _duration(body)
    reference = None
    if image:
        ref = body.get("promptImage")
        if isinstance(ref, list) and ref and isinstance(ref[0], dict):
            ref = ref[0].get("uri")
        if not isinstance(ref, str) or not ref:
            raise bad_request("Validation of body failed: promptImage is required.")
        reference = await st.renderer.run(_save_image, st, ref)
    job = st.create(
        NewJob(
            prompt=prompt or "(image)",
            model=model,
            width=width,
            height=height,
            segments=(Segment(prompt, seconds, reference),),
            kind="runway",
        )
    )
    request[VIDEO_ID] = job.id
    return web.json_response({"id": job.id})


async def text_to_video(request: web.Request) -> web.Response:
    return await _create(request, image=False)


async def image_to_video(request: web.Request) -> web.Response:
    return await _create(request, image=True)


def _task(request: web.Request) -> Job:
    st = request.app[STATE]
    _version(request)
    st.advance()
    task_id = request.match_info["task_id"]
    request[VIDEO_ID] = task_id
    job: Job | None = st.store.find(task_id)
    if job is None:
        raise ApiError(404, "Task not found.", code="not_found")
    return job


async def get_task(request: web.Request) -> web.Response:
    st = request.app[STATE]
    job = _task(request)
    url = None
    if job.status == "completed":
        url = st.cdn_origin + st.signed_path(job.id, "video")
    now = st.clock()
    if not math.isfinite(now):  # pragma: no cover - a broken injected clock
        raise ApiError(500, "clock error")
    return web.json_response(task_view(job, now, st.store, url))


async def delete_task(request: web.Request) -> web.Response:
    st = request.app[STATE]
    job = _task(request)
    if job.finished_at is None:
        st.store.cancel(job.id)
    else:
        st.store.delete(job.id)
        for path in st.renderer.forget(job.id):
            path.unlink(missing_ok=True)
    return web.Response(status=204)


#: (method, path, handler), served at the emulator's root.
ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/v1/text_to_video", text_to_video),
    ("POST", "/v1/image_to_video", image_to_video),
    ("GET", "/v1/tasks/{task_id}", get_task),
    ("DELETE", "/v1/tasks/{task_id}", delete_task),
)

_ROUTE_NAMES = frozenset(path.removeprefix("/v1") for _, path, _ in ROUTES)


def is_runway_route(route: str | None) -> bool:
    """Whether a matched route (without its ``/v1`` prefix) is one of Runway's."""
    return route in _ROUTE_NAMES
