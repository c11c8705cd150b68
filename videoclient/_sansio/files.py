"""File inputs as values: what callers may pass for ``input_reference`` and ``video``.

A :class:`FileSource` knows its name, sniffed content type and size; the I/O layer
(:mod:`videoclient._io.inputs`) makes one from a path, bytes or a file object, off the
event loop, and opens it again for every attempt of a request. A provider that builds a
request with a file the caller passed puts a :class:`PendingFile` in its place: the
client resolves it before sending. Sniffing here works on bytes already read.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Mapping
from typing import IO, Any, Union

import attrs

__all__ = [
    "IMAGE_TYPES",
    "VIDEO_TYPES",
    "FileInput",
    "FileSource",
    "PendingFile",
    "check_file_input",
    "image_dimensions",
    "is_reference",
    "sniff_type",
]

FileContent = Union[str, "os.PathLike[str]", bytes, IO[bytes]]
#: A path, bytes, a binary file object, or (filename, content[, content_type]).
FileInput = Union[FileContent, tuple[str, FileContent], tuple[str, FileContent, str]]

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime")
SNIFF_BYTES = 64 * 1024


@attrs.frozen
class FileSource:
    """A file to upload: re-openable, with a known size.

    Attributes:
        filename: The name sent in the multipart part (always set).
        content_type: Sniffed from the bytes, or given by the caller.
        size: Length in bytes.
        path: Set when the content lives on disk.
        data: Set when the content is in memory.
        fileobj: Set for a seekable file object; ``offset`` is where its content starts.
    """

    filename: str
    content_type: str
    size: int
    path: str | None = None
    data: bytes | None = attrs.field(default=None, repr=False)
    fileobj: IO[bytes] | None = attrs.field(default=None, repr=False)
    offset: int = 0
    head: bytes = attrs.field(default=b"", repr=False, eq=False)


@attrs.frozen
class PendingFile:
    """A caller's file input that a request needs, not read yet.

    Attributes:
        value: What the caller passed (a path, bytes, a file object or a tuple).
        what: The parameter name, for messages.
        allowed: Content types accepted for it.
        size: For a reference image: the job's ``"WxH"`` the image must match, if any.
        fit: For a reference image: how to resize it to ``size`` (None: it must match).
        background: The padding colour for ``fit="contain"``.
    """

    value: Any = attrs.field(repr=False)
    what: str
    allowed: tuple[str, ...]
    size: str | None = None
    fit: str | None = None
    background: tuple[int, int, int] = (0, 0, 0)
    image: bool = False
    #: In a JSON body (``Request.inline_files``): how the content replaces this value:
    #: ``"data_uri"`` (``data:TYPE;base64,...``) or ``"base64_image"``
    #: (``{"bytesBase64Encoded": ..., "mimeType": TYPE}``). None in a multipart form.
    inline: str | None = None


def sniff_type(head: bytes) -> str | None:
    """The content type from magic bytes: JPEG, PNG, WebP, GIF, MP4/MOV; None if unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    return None


def image_dimensions(head: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header of a PNG, JPEG or WebP; None if not found."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return int(w), int(h)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_dimensions(head)
        if head.startswith(b"\xff\xd8"):
            return _jpeg_dimensions(head)
    except (struct.error, IndexError):
        return None
    return None


def _webp_dimensions(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        b = head[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, h
    if chunk == b"VP8X":
        w = 1 + int.from_bytes(head[24:27], "little")
        h = 1 + int.from_bytes(head[27:30], "little")
        return w, h
    return None


#: JPEG start-of-frame markers (every coding but DHT/JPG/DAC), which carry the dimensions.
SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def _jpeg_dimensions(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            i += 1
            continue
        marker = head[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", head[i + 2 : i + 4])[0]
        if marker in SOF_MARKERS:
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


#: A media type, with parameters: printable ASCII only (it goes into a multipart header).
CONTENT_TYPE_RE = re.compile(r"[!-~]+/[!-~]+(?:;[ -~]*)?")


def default_name(content_type: str | None, what: str) -> str:
    ext = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "image/gif": ".gif",
        "video/mp4": ".mp4",
        "video/quicktime": ".mov",
    }.get(content_type or "", ".bin")
    return what + ext


def is_reference(value: object) -> bool:
    """True for a reference object such as ``{"id": ...}`` or ``{"image_url": ...}``."""
    return isinstance(value, Mapping)


def check_file_input(value: object, *, what: str) -> None:
    """Raise TypeError now for a value that can be no kind of file input.

    Whether a path exists, and what a file holds, is found when it is read (off the loop).
    """
    content = value
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not isinstance(value[0], str):
            raise TypeError(f"{what} tuple must be (filename, content[, content_type])")
        content = value[1]
        if len(value) == 3:
            declared = value[2]
            if declared is not None and (
                not isinstance(declared, str) or not CONTENT_TYPE_RE.fullmatch(declared)
            ):
                raise ValueError(f"{what}: {declared!r:.60} is not a content type (type/subtype)")
    if isinstance(content, (bytes, bytearray, memoryview, str, os.PathLike)):
        return
    if hasattr(content, "read"):
        return
    raise TypeError(
        f"{what} must be a path, bytes, a binary file object or a (filename, content) tuple, "
        f"not {type(content).__name__}"
    )
