"""multipart/form-data framing, without I/O.

:func:`encode` lays a form out as a list of byte strings and :class:`FileSource`
placeholders; the transport writes the bytes and streams each file's content in
chunks in between. Because every file's size is known, the total length is too,
so the body goes out with a Content-Length instead of chunked encoding.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import attrs

from .files import FileSource, PendingFile

__all__ = ["FormField", "MultipartBody", "encode", "new_boundary"]

FormField = tuple[str, str | FileSource | PendingFile]


@attrs.frozen
class MultipartBody:
    """A laid-out form: ``segments`` in order, ``length`` bytes in all."""

    boundary: str
    segments: tuple[bytes | FileSource, ...]
    length: int

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"


def new_boundary() -> str:
    return "videoclient-" + secrets.token_hex(16)


def _quote(value: str) -> str:
    # RFC 7578 §4.2: names and filenames are quoted strings; escape what would end them.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode(fields: Sequence[FormField], boundary: str | None = None) -> MultipartBody:
    """Frame ``fields`` (text values or files) as one multipart/form-data body."""
    boundary = boundary or new_boundary()
    dash = f"--{boundary}\r\n".encode()
    segments: list[bytes | FileSource] = []
    length = 0
    for name, value in fields:
        if isinstance(value, PendingFile):  # the client reads files before sending
            raise TypeError(f"the file for {name!r} was not read before encoding")
        if isinstance(value, FileSource):
            head = (
                f'Content-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(value.filename)}"\r\n'
                f"Content-Type: {value.content_type}\r\n\r\n"
            ).encode()
            segments += [dash + head, value, b"\r\n"]
            length += len(dash) + len(head) + value.size + 2
        else:
            part = (
                f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
            segments.append(dash + part)
            length += len(dash) + len(part)
    tail = f"--{boundary}--\r\n".encode()
    segments.append(tail)
    length += len(tail)
    return MultipartBody(boundary, _merge(segments), length)


def _merge(segments: list[bytes | FileSource]) -> tuple[bytes | FileSource, ...]:
    """Join adjacent byte strings so the writer does fewer, larger writes."""
    out: list[bytes | FileSource] = []
    for seg in segments:
        if isinstance(seg, bytes) and out and isinstance(out[-1], bytes):
            out[-1] = out[-1] + seg
        else:
            out.append(seg)
    return tuple(out)
