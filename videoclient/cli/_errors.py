"""Exceptions as one line for people, and the exit code each one means."""

from __future__ import annotations

from typing import Any

from videoclient import (
    APIConnectionError,
    APIError,
    APIStatusError,
    MissingAPIKeyError,
    VideoFailedError,
    WaitTimeoutError,
)
from videoclient.batch import JournalError

__all__ = ["API_ERROR", "JOB_FAILED", "OK", "USAGE", "describe"]

OK = 0
JOB_FAILED = 1
USAGE = 2
API_ERROR = 3
INTERRUPTED = 130

NO_KEY = (
    "no API key: set OPENAI_API_KEY (or pass --api-key), "
    "or add --local to try everything against a local emulator"
)


def describe(exc: BaseException) -> tuple[int, str, dict[str, Any]]:
    """``(exit code, one-line message, details for --json)`` for an exception."""
    kind = type(exc).__name__
    if isinstance(exc, MissingAPIKeyError):
        return USAGE, NO_KEY, {"type": kind}
    if isinstance(exc, APIStatusError):
        parts = [f"{exc.status_code} {exc.message}"]
        if exc.code:
            parts.append(f"(code {exc.code})")
        if exc.request_id:
            parts.append(f"[request id {exc.request_id}]")
        details = {
            "type": kind,
            "status": exc.status_code,
            "code": exc.code,
            "request_id": exc.request_id,
        }
        return API_ERROR, "API error " + " ".join(parts), details
    if isinstance(exc, APIConnectionError):
        return API_ERROR, f"connection failed: {exc.message}", {"type": kind}
    if isinstance(exc, APIError):
        request_id = getattr(exc, "request_id", None)
        suffix = f" [request id {request_id}]" if request_id else ""
        return API_ERROR, f"{exc.message}{suffix}", {"type": kind, "request_id": request_id}
    if isinstance(exc, VideoFailedError):
        return JOB_FAILED, str(exc), {"type": kind, "video_id": exc.video_id, "code": exc.code}
    if isinstance(exc, WaitTimeoutError):
        video_id = exc.video.id if exc.video is not None else None
        return JOB_FAILED, str(exc), {"type": kind, "video_id": video_id}
    if isinstance(exc, FileExistsError):
        if exc.filename:
            return USAGE, f"{exc.filename} already exists (pass --overwrite)", {"type": kind}
        return USAGE, str(exc).replace("overwrite=True", "--overwrite"), {"type": kind}
    if isinstance(exc, OSError):
        text = f"{exc.strerror}: {exc.filename}" if exc.filename and exc.strerror else str(exc)
        return USAGE, text, {"type": kind}
    if isinstance(exc, (ValueError, TypeError, JournalError)):
        return USAGE, str(exc), {"type": kind}
    return JOB_FAILED, f"unexpected {kind}: {exc} (run with --debug for details)", {"type": kind}
