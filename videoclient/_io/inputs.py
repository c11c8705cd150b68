"""Reading the caller's file inputs: sniffing, sizes, resizing, run off the event loop.

:func:`resolve_request` turns every :class:`~videoclient._sansio.files.PendingFile` of a
request into a :class:`~videoclient._sansio.files.FileSource`: it checks the path,
reads the first bytes to sniff the type (magic bytes, not the file name) and, for
reference images, the dimensions, and resizes with Pillow when asked. All of that is
blocking work, so the client runs it in a worker thread (:func:`resolve_off_loop`).
"""

from __future__ import annotations

import base64
import functools
import io
import os
from typing import IO, Any

import anyio
import attrs

from .._sansio.files import (
    SNIFF_BYTES,
    FileInput,
    FileSource,
    PendingFile,
    check_file_input,
    default_name,
    sniff_type,
)
from .._sansio.http import Request
from .images import prepare_reference
from .sources import open_source, read_at, source_dimensions

__all__ = [
    "open_source",
    "read_at",
    "resolve_file",
    "resolve_off_loop",
    "resolve_request",
    "source_dimensions",
]


def _from_content(
    content: Any, filename: str | None, what: str
) -> tuple[FileSource, bytes, str | None]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        head = data[:SNIFF_BYTES]
        kind = sniff_type(head)
        name = filename or default_name(kind, what)
        return FileSource(name, "", len(data), data=data, head=head), head, kind
    if isinstance(content, (str, os.PathLike)):
        path = os.fspath(content)
        if not os.path.exists(path):
            hint = ""
            if isinstance(content, str) and content.startswith("video_"):
                hint = f"; to refer to an existing video pass {{'id': {content!r}}}"
            raise FileNotFoundError(f"{what}: no such file: {path!r}{hint}")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{what}: {path!r} is a directory, not a file")
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        kind = sniff_type(head)
        name = filename or os.path.basename(path) or default_name(kind, what)
        return FileSource(name, "", size, path=path, head=head), head, kind
    if hasattr(content, "read"):
        fileobj: IO[bytes] = content
        if isinstance(fileobj, io.TextIOBase):  # reading it would decode (and fail) first
            raise TypeError(f"{what}: file object must be opened in binary mode ('rb')")
        seekable = getattr(fileobj, "seekable", lambda: False)()
        if not seekable:
            data = fileobj.read()
            if not isinstance(data, bytes):
                raise TypeError(f"{what}: file object must be opened in binary mode ('rb')")
            return _from_content(data, filename or _name_of(fileobj), what)
        offset = fileobj.tell()
        head = fileobj.read(SNIFF_BYTES)
        if not isinstance(head, bytes):
            raise TypeError(f"{what}: file object must be opened in binary mode ('rb')")
        size = fileobj.seek(0, os.SEEK_END) - offset
        fileobj.seek(offset)
        kind = sniff_type(head)
        name = filename or _name_of(fileobj) or default_name(kind, what)
        src = FileSource(name, "", size, fileobj=fileobj, offset=offset, head=head)
        return src, head, kind
    raise TypeError(
        f"{what} must be a path, bytes, a binary file object or a (filename, content) tuple, "
        f"not {type(content).__name__}"
    )


def _name_of(fileobj: Any) -> str | None:
    name = getattr(fileobj, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else None


def resolve_file(value: FileInput, *, what: str, allowed: tuple[str, ...]) -> FileSource:
    """Turn a caller's file input into a :class:`FileSource`, checking it before any request.

    Args:
        value: A path, bytes, binary file object, or ``(filename, content[, content_type])``.
        what: The parameter name, for messages.
        allowed: Content types accepted for this parameter.

    Raises:
        FileNotFoundError, IsADirectoryError: The path is not a readable file.
        ValueError: The file is empty, or its type is not among ``allowed``.
        TypeError: The value is of no supported kind.
    """
    check_file_input(value, what=what)  # the tuple's shape and declared type
    filename: str | None = None
    declared: str | None = None
    content: Any = value
    if isinstance(value, tuple):
        filename, content = value[0], value[1]
        if len(value) == 3:
            declared = value[2]
    src, _, kind = _from_content(content, filename, what)
    if src.size == 0:
        raise ValueError(f"{what}: the file is empty (0 bytes)")
    content_type = declared or kind
    if content_type is None or (declared is None and content_type not in allowed):
        found = f"it looks like {kind}" if kind else "its type is not recognised"
        raise ValueError(f"{what}: unsupported file type ({found}); use {', '.join(allowed)}")
    return attrs.evolve(src, content_type=content_type)


def resolve_pending(pending: PendingFile) -> FileSource:
    """Read a :class:`PendingFile` into a checked (and, for ``fit``, resized) FileSource."""
    src = resolve_file(pending.value, what=pending.what, allowed=pending.allowed)
    if pending.image:
        src = prepare_reference(
            src, size=pending.size, fit=pending.fit, background=pending.background
        )
    return src


def _inline(value: Any) -> Any:
    """A JSON value with each inline PendingFile replaced by its content in base64."""
    if isinstance(value, PendingFile):
        src = resolve_pending(value)
        with open_source(src) as fh:
            data = fh.read(src.size)
        text = base64.b64encode(data).decode("ascii")
        if value.inline == "base64_image":
            return {"bytesBase64Encoded": text, "mimeType": src.content_type}
        return f"data:{src.content_type};base64,{text}"
    if isinstance(value, dict):
        return {k: _inline(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline(v) for v in value]
    return value


def resolve_request(req: Request) -> Request:
    """``req`` with every pending file read; blocking (see :func:`resolve_off_loop`)."""
    if req.inline_files:
        return attrs.evolve(req, json=_inline(req.json), inline_files=False)
    if req.form is None or not needs_files(req):
        return req
    form = tuple(
        (key, resolve_pending(value) if isinstance(value, PendingFile) else value)
        for key, value in req.form
    )
    return attrs.evolve(req, form=form)


def needs_files(req: Request) -> bool:
    """Whether ``req`` still holds a file to read."""
    if req.inline_files:
        return True
    return req.form is not None and any(isinstance(v, PendingFile) for _, v in req.form)


async def resolve_off_loop(req: Request) -> Request:
    """:func:`resolve_request` in a worker thread, so the event loop never blocks on it.

    Reading a large file's head from a slow disk, or resizing a reference image with
    Pillow, takes milliseconds to seconds: other requests keep going meanwhile.
    """
    if not needs_files(req):
        return req
    return await anyio.to_thread.run_sync(functools.partial(resolve_request, req))
