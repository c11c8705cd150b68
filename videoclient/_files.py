"""File inputs: what callers may pass for ``input_reference`` and ``video``, made uniform.

A :class:`FileSource` knows its name, sniffed content type and size, and can be
opened again for every attempt of a request, so uploads stream from disk in chunks
and retries resend the same bytes. Only the first bytes are read here, to sniff the
type (magic bytes, not the file name) and, for images, the dimensions.
"""

from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Union

import attrs

__all__ = [
    "FileInput",
    "FileSource",
    "image_dimensions",
    "resolve_file",
    "sniff_type",
    "source_dimensions",
]

FileContent = Union[str, "os.PathLike[str]", bytes, IO[bytes]]
#: A path, bytes, a binary file object, or (filename, content[, content_type]).
FileInput = Union[FileContent, tuple[str, FileContent], tuple[str, FileContent, str]]

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime")
_SNIFF_BYTES = 64 * 1024


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

    def read_at(self, offset: int, size: int) -> bytes:
        """At most ``size`` bytes from ``offset`` of a path source, in one read.

        The file is opened and closed for this read alone, so an upload that is
        abandoned between two pieces holds no file open.
        """
        assert self.path is not None
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            return fh.read(size)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Open the content positioned at its start; closes what it opened."""
        if self.path is not None:
            with open(self.path, "rb") as fh:
                yield fh
        elif self.data is not None:
            yield io.BytesIO(self.data)
        else:
            assert self.fileobj is not None
            self.fileobj.seek(self.offset)
            yield self.fileobj


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
_SOF_MARKERS = frozenset(
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
        if marker in _SOF_MARKERS:
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def _jpeg_dimensions_in(fh: IO[bytes], limit: int = 4096) -> tuple[int, int] | None:
    """Walk a JPEG's segment headers with seeks (large EXIF/ICC blocks are skipped, not read)."""
    if fh.read(2) != b"\xff\xd8":
        return None
    for _ in range(limit):
        byte = fh.read(1)
        if byte != b"\xff":
            return None
        marker = fh.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fh.read(1)
        if not marker:
            return None
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            continue
        if code in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if code in _SOF_MARKERS:
            frame = fh.read(5)
            if len(frame) < 5:
                return None
            h, w = struct.unpack(">HH", frame[1:5])
            return int(w), int(h)
        if length < 2:
            return None
        fh.seek(length - 2, os.SEEK_CUR)
    return None


def source_dimensions(src: FileSource) -> tuple[int, int] | None:
    """(width, height) of an image file: from its first bytes, or for a JPEG whose frame
    header lies past them (big EXIF or ICC blocks), by walking its segment headers.

    Returns None when the file is not a PNG, JPEG or WebP, or its header is unreadable.
    """
    dims = image_dimensions(src.head)
    if dims is not None or not src.head.startswith(b"\xff\xd8") or src.size <= len(src.head):
        return dims
    try:
        with src.open() as fh:
            return _jpeg_dimensions_in(fh)
    except (OSError, struct.error):
        return None


#: A media type, with parameters: printable ASCII only (it goes into a multipart header).
_CONTENT_TYPE = re.compile(r"[!-~]+/[!-~]+(?:;[ -~]*)?")


def _default_name(content_type: str | None, what: str) -> str:
    ext = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "image/gif": ".gif",
        "video/mp4": ".mp4",
        "video/quicktime": ".mov",
    }.get(content_type or "", ".bin")
    return what + ext


def _from_content(
    content: Any, filename: str | None, what: str
) -> tuple[FileSource, bytes, str | None]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        head = data[:_SNIFF_BYTES]
        kind = sniff_type(head)
        name = filename or _default_name(kind, what)
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
            head = fh.read(_SNIFF_BYTES)
        kind = sniff_type(head)
        name = filename or os.path.basename(path) or _default_name(kind, what)
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
        head = fileobj.read(_SNIFF_BYTES)
        if not isinstance(head, bytes):
            raise TypeError(f"{what}: file object must be opened in binary mode ('rb')")
        size = fileobj.seek(0, os.SEEK_END) - offset
        fileobj.seek(offset)
        kind = sniff_type(head)
        name = filename or _name_of(fileobj) or _default_name(kind, what)
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
    filename: str | None = None
    declared: str | None = None
    content: Any = value
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not isinstance(value[0], str):
            raise TypeError(f"{what} tuple must be (filename, content[, content_type])")
        filename, content = value[0], value[1]
        if len(value) == 3:
            declared = value[2]
            if declared is not None and (
                not isinstance(declared, str) or not _CONTENT_TYPE.fullmatch(declared)
            ):
                raise ValueError(f"{what}: {declared!r:.60} is not a content type (type/subtype)")
    src, _, kind = _from_content(content, filename, what)
    if src.size == 0:
        raise ValueError(f"{what}: the file is empty (0 bytes)")
    content_type = declared or kind
    if content_type is None or (declared is None and content_type not in allowed):
        found = f"it looks like {kind}" if kind else "its type is not recognised"
        raise ValueError(f"{what}: unsupported file type ({found}); use {', '.join(allowed)}")
    return attrs.evolve(src, content_type=content_type)


def is_reference(value: object) -> bool:
    """True for a reference object such as ``{"id": ...}`` or ``{"image_url": ...}``."""
    return isinstance(value, Mapping)
