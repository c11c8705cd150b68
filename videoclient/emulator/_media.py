"""Checks on uploaded media, and the lazy imports of PyAV and Pillow (the ``[emulator]`` extra).

Everything here blocks (decoding), so callers run it in the render pool, never on the loop.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._errors import ApiError, bad_request

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "IMAGE_TYPES",
    "check_image",
    "load_av",
    "load_pil",
    "missing_dependency",
    "probe_video",
    "reference_image",
]

#: Media types accepted for an image ``input_reference``, and the file suffix each is kept under.
IMAGE_TYPES: dict[str, str] = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
_PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def missing_dependency(exc: ImportError) -> ApiError:
    """The error for an emulator installed without its ``[emulator]`` extra."""
    return ApiError(
        500,
        f"The emulator cannot render or inspect media: {exc}. "
        "Install its extra with: pip install 'videoclient[emulator]'",
        type="server_error",
        code="emulator_dependency_missing",
    )


def load_pil() -> ModuleType:
    """``PIL.Image``, or an :class:`ApiError` that says how to install it."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise missing_dependency(exc) from exc
    return Image


def load_av() -> ModuleType:
    """``av``, or an :class:`ApiError` that says how to install it."""
    try:
        import av
    except ImportError as exc:
        raise missing_dependency(exc) from exc
    return av


def check_image(data: bytes, content_type: str | None, width: int, height: int, param: str) -> str:
    """Check an image reference; return the media type it really is.

    Raises:
        ApiError: 400 if it is not a JPEG, PNG or WebP image of exactly ``width`` x ``height``.
    """
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared and declared not in IMAGE_TYPES and declared != "application/octet-stream":
        raise _bad_type(param, declared)
    pil = load_pil()
    try:
        with pil.open(io.BytesIO(data)) as img:
            real = _PIL_FORMATS.get(str(img.format))
            got = img.size
            img.verify()
    except ApiError:
        raise
    except Exception as exc:
        raise _bad_type(param, declared or "unknown") from exc
    if real is None:
        raise _bad_type(param, declared or "unknown")
    if got != (width, height):
        raise bad_request(
            "Inpaint image must match the requested width and height "
            f"(got {got[0]}x{got[1]}, requested {width}x{height}).",
            param=param,
            code="invalid_value",
        )
    return real


def _bad_type(param: str, declared: str) -> ApiError:
    return bad_request(
        f"Invalid file format for '{param}' ({declared}). Supported formats are "
        "image/jpeg, image/png and image/webp.",
        param=param,
        code="invalid_value",
    )


def probe_video(data: bytes, param: str) -> tuple[int, int, int]:
    """(width, height, whole seconds, at least 1) of an uploaded video.

    Raises:
        ApiError: 400 if it does not decode as a video.
    """
    av = load_av()
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            duration = _duration(container, stream)
    except Exception as exc:
        raise bad_request(
            f"Invalid '{param}': the upload is not a video the emulator can decode.",
            param=param,
            code="invalid_value",
        ) from exc
    if not (width and height):
        raise bad_request(f"Invalid '{param}': the video has no frames.", param=param)
    return int(width), int(height), max(1, math.ceil(duration - 1e-6))


def _duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    frames = sum(1 for _ in container.decode(stream))
    rate = float(stream.average_rate or 24)
    return frames / rate


def reference_image(path: Path) -> Image.Image:
    """The picture a reference file contributes: the image itself, or a video's first frame."""
    pil = load_pil()
    if path.suffix in (".jpg", ".png", ".webp"):
        with pil.open(path) as img:
            return img.convert("RGB")  # type: ignore[no-any-return]
    av = load_av()
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return frame.to_image()  # type: ignore[no-any-return]
    return pil.new("RGB", (16, 16))  # type: ignore[no-any-return]
