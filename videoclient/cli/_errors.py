"""Exceptions as one line for people, and the exit code each one means."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from videoclient import (
    APIConnectionError,
    APIError,
    APIStatusError,
    MissingAPIKeyError,
    RequestLoopError,
    UnsupportedOperationError,
    VideoFailedError,
    WaitTimeoutError,
)
from videoclient.batch import BatchInputError, JournalError

__all__ = ["API_ERROR", "JOB_FAILED", "OK", "USAGE", "describe", "flag_names", "in_flags"]

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
        text = str(exc)
        if "OPENAI_API_KEY" in text or not text:
            return USAGE, NO_KEY, {"type": kind}
        return USAGE, f"{text}; or add --local to use a local emulator", {"type": kind}
    if isinstance(exc, UnsupportedOperationError):
        return USAGE, str(exc), {"type": kind, "provider": exc.provider, "operation": exc.operation}
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
    if isinstance(exc, RequestLoopError):
        details = {"type": kind, "key": list(exc.key), "count": exc.count, "window": exc.window}
        return API_ERROR, str(exc), details
    if isinstance(exc, VideoFailedError):
        return JOB_FAILED, str(exc), {"type": kind, "video_id": exc.video_id, "code": exc.code}
    if isinstance(exc, WaitTimeoutError):
        video_id = exc.video.id if exc.video is not None else None
        return JOB_FAILED, str(exc), {"type": kind, "video_id": video_id}
    if isinstance(exc, FileExistsError):
        if exc.filename:
            return USAGE, f"{exc.filename} already exists (pass --overwrite)", {"type": kind}
        text = re.sub(r"^'(.*)' already exists; pass overwrite=True$", r"\1", str(exc))
        if text != str(exc):  # the client's wording: said as the CLI says it
            return USAGE, f"{text} already exists (pass --overwrite)", {"type": kind}
        return USAGE, str(exc).replace("overwrite=True", "--overwrite"), {"type": kind}
    if isinstance(exc, OSError):
        text = f"{exc.strerror}: {exc.filename}" if exc.filename and exc.strerror else str(exc)
        return USAGE, text, {"type": kind}
    if isinstance(exc, BatchInputError):
        problems = [
            {"where": p.where, "line": p.line, "field": p.field, "reason": p.reason}
            for p in exc.problems
        ]
        return USAGE, str(exc), {"type": kind, "problems": problems}
    if isinstance(exc, (ValueError, TypeError, JournalError)):
        return USAGE, str(exc), {"type": kind}
    return JOB_FAILED, f"unexpected {kind}: {exc} (run with --debug for details)", {"type": kind}


def flag_names(params: Sequence[Any], argv: Sequence[str]) -> dict[str, str]:
    """Each click parameter's Python name and how the user wrote it: the option form
    found in ``argv`` (``-i`` or ``--input-reference``), else its first long form; an
    argument's metavar (``PROMPT``)."""
    names: dict[str, str] = {}
    typed = {a.split("=", 1)[0] for a in argv if a.startswith("-")}
    for param in params:
        if not param.name:
            continue
        opts = [*param.opts, *getattr(param, "secondary_opts", [])]
        if getattr(param, "param_type_name", "") == "argument":
            names[param.name] = param.human_readable_name
            continue
        used = [o for o in opts if o in typed]
        longs = [o for o in opts if o.startswith("--")]
        names[param.name] = (used or longs or opts or [param.name])[0]
    return names


def in_flags(message: str, flags: Mapping[str, str]) -> str:
    """``message`` with the client's argument names (``fit='contain'``, ``input_reference:``)
    written as the command line's flags (``--fit contain``, ``-i:``)."""
    for name in sorted(flags, key=len, reverse=True):
        flag = flags[name]
        n = re.escape(name)
        message = re.sub(rf"(?<![\w-]){n}=((?:'[^']*'(?:, | or )?)+)", _unquoted(flag), message)
        message = re.sub(rf"(?<![\w-]){n}=True\b", flag, message)
        message = re.sub(rf"(?<![\w-]){n}=(?=[\s:,.)]|$)", flag, message)
        message = re.sub(rf"(?<![\w.-]){n}(?= is | must | needs |: )", flag, message)
    return message


def _unquoted(flag: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"{flag} " + match.group(1).replace("'", "")

    return replace
