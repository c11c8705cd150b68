"""The server's words from an error body, whatever shape it comes in.

Providers and the gateways in front of them wrap errors differently; each shape below is
read for its message (and code, param, type where it has them), so an error never says
"no error message" while the body holds one:

- an ``error`` object with ``message``, ``type``, ``param``, ``code``: OpenAI's, and Google's
  (with ``status``); a gateway answers in it for any provider, so it is read for every one;
- ``error`` as a string: Runway, many proxies;
- ``detail`` as a string (FastAPI, fal, LiteLLM's own routes), or as a list of
  ``loc``/``msg``/``type`` issues (FastAPI and LiteLLM validation errors);
- RFC 7807 problem details, ``title`` / ``detail`` / ``status`` / ``type`` (Replicate);
- a top-level ``message`` (and ``code``): assorted APIs and load balancers;
- an ``error`` object whose message embeds another error: LiteLLM re-wrapping the upstream's;
  or whose ``metadata.raw`` holds the upstream's answer: OpenRouter's.

LiteLLM puts the upstream's whole error body (JSON, or a Python dict's repr) inside its own
message; the upstream's message, code and type are taken from there when they can be read.
Pure values only: :func:`read_error` is tested with canned bodies and no event loop.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["ErrorReading", "read_error", "request_id_of"]

#: How much of a gateway's message is searched for an embedded upstream error.
_EMBED_LIMIT = 16 * 1024
#: How deep errors inside errors are read (a gateway's, inside a gateway's...).
_MAX_DEPTH = 8
#: How many list entries (FastAPI issues, RFC 7807 invalid fields) make the message.
_MAX_ITEMS = 5
#: Headers that carry a request id, most specific first: OpenAI's, the generic one, and
#: LiteLLM's call id (a gateway that drops the upstream's id names its own call).
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-litellm-call-id")


@attrs.frozen
class ErrorReading:
    """What an error body says; any field may be None.

    Attributes:
        message: The server's words.
        code: A machine-readable code (``error.code``, Google's ``status``...).
        param: The parameter the error is about.
        type: The error's type (``error.type``, a problem-details ``type`` URI).
    """

    message: str | None = None
    code: str | None = None
    param: str | None = None
    type: str | None = None

    def fill(self, other: ErrorReading) -> ErrorReading:
        """This reading, with its missing fields taken from ``other``."""
        return ErrorReading(
            self.message or other.message,
            self.code or other.code,
            self.param or other.param,
            self.type or other.type,
        )


def _text(value: Any) -> str | None:
    """A field as text: None, empty and containers are no text, nor LiteLLM's ``"None"``
    (its proxy writes a missing type or param as the string)."""
    if value is None or isinstance(value, (Mapping, list)):
        return None
    text = str(value).strip()
    return None if text in ("", "None", "null") else text


def _where(loc: Any) -> str:
    """A FastAPI ``loc`` (``["body", "size"]``) as ``size``; a bare ``["body"]`` as nothing."""
    if not isinstance(loc, list):
        return _text(loc) or ""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]  # where the field was sent, not which field: said by the rest
    return ".".join(parts)


def _issues(items: list[Any], text_keys: tuple[str, ...], where_keys: tuple[str, ...]) -> str:
    """A list of issues (``{"loc", "msg"}``, ``{"field", "description"}``...) as one line."""
    parts: list[str] = []
    for item in items[:_MAX_ITEMS]:
        if not isinstance(item, Mapping):
            if (text := _text(item)) is not None:
                parts.append(text)
            continue
        text = next((t for k in text_keys if (t := _text(item.get(k))) is not None), "")
        where = next((w for k in where_keys if (w := _where(item.get(k)))), "")
        if text or where:
            parts.append(f"{where}: {text}" if where and text else text or where)
    if len(items) > _MAX_ITEMS:
        parts.append(f"and {len(items) - _MAX_ITEMS} more")
    return "; ".join(parts)


def _detail(detail: Any, depth: int) -> ErrorReading:
    """FastAPI's ``detail``: a string, a list of validation issues, or an object."""
    if isinstance(detail, list):
        first = detail[0] if detail and isinstance(detail[0], Mapping) else {}
        message = _issues(detail, ("msg", "message"), ("loc", "path", "field")) or None
        return ErrorReading(message, _text(first.get("type")), _where(first.get("loc")) or None)
    if isinstance(detail, Mapping):
        return _read(detail, depth + 1)
    return ErrorReading(_text(detail))


def _problem(body: Mapping[str, Any]) -> ErrorReading:
    """RFC 7807 problem details: ``title`` and ``detail``, plus Replicate's invalid fields."""
    title, detail = _text(body.get("title")), _text(body.get("detail"))
    message = f"{title}: {detail}" if title and detail and detail != title else title or detail
    fields = body.get("invalid_fields") or body.get("errors")
    if isinstance(fields, list) and fields:
        issues = _issues(fields, ("description", "message", "detail"), ("field", "pointer"))
        if issues:
            message = f"{message} ({issues})" if message else issues
    kind = _text(body.get("type"))
    kind = None if kind == "about:blank" else kind  # RFC 7807: "no more than the status"
    return ErrorReading(message, _text(body.get("code")), None, kind)


def _embedded(message: str, depth: int) -> ErrorReading | None:
    """The upstream error a gateway wrote into its message, if one can be read there.

    Tried at each ``{`` (up to a few): as JSON, then as a Python literal (LiteLLM often
    writes the dict's repr); ``ast.literal_eval`` evaluates literals only, never code.
    """
    text = message[:_EMBED_LIMIT]
    start = text.find("{")
    tries = 0
    while start != -1 and tries < 4:
        tries += 1
        candidate = text[start:]
        found: Any = None
        try:
            found, _ = json.JSONDecoder().raw_decode(candidate)
        except (ValueError, RecursionError):
            end = candidate.rfind("}")
            try:
                found = ast.literal_eval(candidate[: end + 1]) if end > 0 else None
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                found = None
        if isinstance(found, Mapping):
            inner = _read(found, depth + 1)
            if inner.message:
                return inner
        start = text.find("{", start + 1)
    return None


def _error_object(err: Mapping[str, Any], depth: int) -> ErrorReading:
    """OpenAI's ``error`` object (Google's too: its ``status`` is kept as the code)."""
    reading = ErrorReading(
        _text(err.get("message")),
        _text(err.get("code")),
        _text(err.get("param")),
        _text(err.get("type")),
    )
    if reading.message is None and "detail" in err:
        reading = reading.fill(_detail(err["detail"], depth))
    metadata = err.get("metadata")
    raw = metadata.get("raw") if isinstance(metadata, Mapping) else None
    if isinstance(raw, str) and raw.strip():
        # OpenRouter: a generic message, with the upstream provider's answer in metadata.raw.
        embedded = _embedded(raw, depth) if "{" in raw else None
        upstream = embedded or ErrorReading(raw[:300].strip())
        if upstream.message and upstream.message != reading.message:
            joined = f"{reading.message}: {upstream.message}" if reading.message else None
            return attrs.evolve(reading, message=joined or upstream.message)
    if reading.message and "{" in reading.message:
        inner = _embedded(reading.message, depth)
        if inner is not None:
            # The upstream's words and codes; the gateway's own fill the gaps.
            return inner.fill(reading)
    return reading


def read_error(body: Any) -> ErrorReading:
    """The message (and code, param, type) of a decoded error body, in any shape above.

    Never raises; a body in no known shape gives an empty :class:`ErrorReading`.
    """
    return _read(body, 0)


def _read(body: Any, depth: int) -> ErrorReading:
    """:func:`read_error` of a body found ``depth`` levels inside another one."""
    if not isinstance(body, Mapping) or depth > _MAX_DEPTH:
        return ErrorReading()
    err = body.get("error")
    if isinstance(err, Mapping):
        return _error_object(err, depth)
    top = ErrorReading(
        None, _text(body.get("code")), _text(body.get("param")), _text(body.get("type"))
    )
    if isinstance(err, str) and err.strip():
        embedded = _embedded(err, depth) if "{" in err else None
        return (embedded or ErrorReading(err.strip())).fill(top)
    if "title" in body:
        return _problem(body)
    if "detail" in body:
        return _detail(body["detail"], depth).fill(top)
    message = _text(body.get("message")) or _text(body.get("msg"))
    if message is not None:
        if "{" in message and (embedded := _embedded(message, depth)) is not None:
            return embedded.fill(top)
        return ErrorReading(message).fill(top)
    if isinstance(body.get("errors"), list):  # {"errors": [{"message": ...}]}
        return ErrorReading(_issues(body["errors"], ("message", "detail"), ("field",)) or None)
    return ErrorReading()


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id an answer names (lower-cased headers), from the first header that has one."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name, "").strip()
        if value:
            return value
    return None
