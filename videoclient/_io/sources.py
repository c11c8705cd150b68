"""A :class:`~videoclient._sansio.files.FileSource`'s bytes: opened again for each use.

Blocking file work; the upload streams it through ``anyio.to_thread``, and the input
checks run in a worker thread (:mod:`videoclient._io.inputs`).
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from .._sansio.files import SOF_MARKERS, FileSource, image_dimensions

__all__ = ["open_source", "read_at", "source_dimensions"]


def read_at(src: FileSource, offset: int, size: int) -> bytes:
    """At most ``size`` bytes from ``offset`` of a path source, in one read.

    The file is opened and closed for this read alone, so an upload that is
    abandoned between two pieces holds no file open.
    """
    assert src.path is not None
    with open(src.path, "rb") as fh:
        fh.seek(offset)
        return fh.read(size)


@contextmanager
def open_source(src: FileSource) -> Iterator[IO[bytes]]:
    """Open the content positioned at its start; closes what it opened."""
    if src.path is not None:
        with open(src.path, "rb") as fh:
            yield fh
    elif src.data is not None:
        yield io.BytesIO(src.data)
    else:
        assert src.fileobj is not None
        src.fileobj.seek(src.offset)
        yield src.fileobj


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
        if code in SOF_MARKERS:
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
        with open_source(src) as fh:
            return _jpeg_dimensions_in(fh)
    except (OSError, struct.error):
        return None
