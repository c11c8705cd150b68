"""Veo on Vertex AI on the emulator: ``predictLongRunning`` and ``fetchPredictOperation`` at
Vertex's paths (express ``/v1beta1/publishers/google/models/M:...`` and project
``/v1beta1/projects/P/locations/L/publishers/google/models/M:...``), written from the
Vertex AI REST reference.

A job is an operation named ``[projects/P/locations/L/]publishers/google/models/M/operations/ID``
(the form of the request that created it). Until it ends, ``fetchPredictOperation`` answers
``{"name", "done": false}``; then ``done: true`` with ``response.videos[0]`` holding the MP4
inline as ``bytesBase64Encoded`` (or a ``gcsUri`` under the request's ``storageUri``), a
safety-filtered result (``raiMediaFilteredCount`` and reasons, no video: the prompt holds
``[emulator:fail]``), or an ``error`` (``--fail-rate``). Errors are Google's
``{"error": {"code", "message", "status"}}``. Any key (``x-goog-api-key``) or bearer token
is accepted unless the emulator was started with ``--api-key``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from .._bodies import read_body
from .._errors import ApiError, bad_request
from .._params import decode_data_url
from .._routes import STATE, VIDEO_ID
from .._store import Job, NewJob, Segment

__all__ = ["ROUTES", "error_body", "is_vertex_route"]

#: (aspectRatio, resolution) -> (width, height)
_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}
_RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
}
_IMAGE_MAGIC = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg", b"RIFF": ".webp"}


def error_body(exc: ApiError) -> dict[str, Any]:
    """Google's error shape."""
    status = _RPC_STATUS.get(exc.status, "INTERNAL" if exc.status >= 500 else "FAILED_PRECONDITION")
    return {"error": {"code": exc.status, "message": exc.message, "status": status}}


def _resource(request: web.Request) -> tuple[str, str, str]:
    """(prefix, model, action) of a request: ``projects/P/locations/L/`` or ``""``."""
    model, sep, action = request.match_info["target"].partition(":")
    if not sep or not model:
        raise ApiError(404, f"Invalid URL ({request.method} {request.path})")
    project = request.match_info.get("project")
    prefix = f"projects/{project}/locations/{request.match_info['location']}/" if project else ""
    return prefix, model, action


def _size(parameters: dict[str, Any]) -> tuple[int, int]:
    ratio = parameters.get("aspectRatio", "16:9")
    resolution = str(parameters.get("resolution", "720p")).lower()
    size = _SIZES.get((ratio, resolution))
    if size is None:
        raise bad_request(
            f"Unsupported aspectRatio/resolution {ratio!r}/{resolution!r}: aspectRatio must be "
            "16:9 or 9:16 and resolution 720p, 1080p or 4k."
        )
    return size


def _seconds(parameters: dict[str, Any]) -> int:
    raw = parameters.get("durationSeconds", 8)
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 8:
        raise bad_request(f"Unsupported durationSeconds {raw!r}: use 4, 6 or 8.")
    return raw


def _save_image(st: Any, image: dict[str, Any]) -> str:
    data_b64 = image.get("bytesBase64Encoded")
    if not isinstance(data_b64, str):
        raise bad_request(
            "image: only bytesBase64Encoded is served by the emulator (no Cloud Storage)."
        )
    _, data = decode_data_url(f"data:image/png;base64,{data_b64}", param="image")
    suffix = next((s for magic, s in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if suffix is None:
        raise bad_request("image: not a JPEG, PNG or WebP image.")
    name: str = st.renderer.save_input(data, suffix)
    return name


async def _predict(request: web.Request, prefix: str, model: str) -> web.Response:
    st = request.app[STATE]
    body = await read_body(request, st.config.max_upload_bytes)
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
        raise bad_request("instances must hold one instance.")
    instance = instances[0]
    prompt = instance.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise bad_request("instances[0].prompt is required.")
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise bad_request("parameters must be an object.")
    width, height = _size(parameters)
    seconds = _seconds(parameters)
    reference = None
    if isinstance(instance.get("image"), dict):
        reference = await st.renderer.run(_save_image, st, instance["image"])
    job = st.create(
        NewJob(
            prompt=prompt,
            model=model,
            width=width,
            height=height,
            segments=(Segment(prompt, seconds, reference),),
            kind="vertex:" + json.dumps([prefix, parameters.get("storageUri")]),
        )
    )
    request[VIDEO_ID] = job.id
    return web.json_response({"name": _name(prefix, model, job)})


def _name(prefix: str, model: str, job: Job) -> str:
    return f"{prefix}publishers/google/models/{model}/operations/{job.id}"


def _b64(path: Any) -> str:
    with open(path, "rb") as fh:
        return base64.b64encode(fh.read()).decode("ascii")


async def _fetch(request: web.Request, prefix: str, model: str) -> web.Response:
    st = request.app[STATE]
    body = await read_body(request, st.config.max_upload_bytes)
    name = body.get("operationName")
    if not isinstance(name, str) or "/operations/" not in name:
        raise bad_request("operationName is required.")
    resource, _, job_id = name.rpartition("/operations/")
    if resource != f"{prefix}publishers/google/models/{model}":
        raise bad_request(f"operationName {name!r} does not belong to {request.path}.")
    st.advance()
    request[VIDEO_ID] = job_id
    job: Job | None = st.store.find(job_id)
    if job is None or not job.kind.startswith("vertex:"):
        raise ApiError(404, f"Operation {name} not found.")
    if job.finished_at is None:
        return web.json_response({"name": name, "done": False})
    operation: dict[str, Any] = {"name": name, "done": True}
    response_type = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
    if job.status == "failed" and job.error_code == "moderation_blocked":
        operation["response"] = {
            "@type": response_type,
            "raiMediaFilteredCount": 1,
            "raiMediaFilteredReasons": [job.error_message or "filtered"],
        }
    elif job.status != "completed":
        operation["error"] = {
            "code": 13,
            "message": job.error_message or "Video generation failed.",
        }
    else:
        _, storage = json.loads(job.kind.removeprefix("vertex:"))
        if storage:
            video = {
                "gcsUri": f"{storage.rstrip('/')}/{job.id}/sample_0.mp4",
                "mimeType": "video/mp4",
            }
        else:
            asset = await st.renderer.asset(job, "video")
            video = {
                "bytesBase64Encoded": await st.renderer.run(_b64, asset.path),
                "mimeType": "video/mp4",
            }
        operation["response"] = {
            "@type": response_type,
            "raiMediaFilteredCount": 0,
            "videos": [video],
        }
    return web.json_response(operation)


async def model_action(request: web.Request) -> web.Response:
    prefix, model, action = _resource(request)
    if action == "predictLongRunning":
        return await _predict(request, prefix, model)
    if action == "fetchPredictOperation":
        return await _fetch(request, prefix, model)
    raise ApiError(404, f"Invalid URL ({request.method} {request.path})")


_EXPRESS = "/v1beta1/publishers/google/models/{target}"
_PROJECT = "/v1beta1/projects/{project}/locations/{location}/publishers/google/models/{target}"

#: (method, path, handler), served at the emulator's root.
ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", _EXPRESS, model_action),
    ("POST", _PROJECT, model_action),
)


def is_vertex_route(route: str | None) -> bool:
    """Whether a matched route is one of Vertex's."""
    return route in (_EXPRESS, _PROJECT)
