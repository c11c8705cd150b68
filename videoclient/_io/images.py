"""Reference images: checked against the requested size, and resized on request (Pillow).

The service rejects a reference image whose dimensions differ from the job's size
after the upload. :func:`prepare_reference` finds that out before anything is sent: it
reads the dimensions from the file's header (no decoding) and raises :class:`ValueError`,
or, when the caller passed ``fit=``, resizes the image with Pillow (the ``[images]``
extra, imported only then). The client calls it in a worker thread.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import attrs

from .._sansio.files import FileSource
from .._sansio.images import INSTALL_HINT
from .sources import open_source, source_dimensions

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["fit_image", "prepare_reference"]

_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            f"fit= resizes the reference image with Pillow, which is not installed: {INSTALL_HINT}"
        ) from exc
    return Image


def fit_image(
    src: FileSource, size: tuple[int, int], fit: str, background: tuple[int, int, int]
) -> FileSource:
    """A copy of the image ``src`` resized to exactly ``size``, in the same format.

    Args:
        src: A PNG, JPEG or WebP file.
        size: (width, height) of the result.
        fit: ``"contain"``, ``"cover"`` or ``"stretch"``.
        background: The padding colour for ``"contain"``.

    Returns:
        An in-memory :class:`FileSource` with the same name and content type.

    Raises:
        ImportError: Pillow is not installed (the ``[images]`` extra).
        ValueError: The image cannot be decoded.
    """
    image_mod = _pillow()
    from PIL import ImageOps, UnidentifiedImageError

    fmt = _FORMATS.get(src.content_type)
    if fmt is None:
        raise ValueError(f"input_reference: cannot resize a {src.content_type} image")
    try:
        with open_source(src) as fh:
            img: Image = image_mod.open(fh)
            img.load()
    except (UnidentifiedImageError, image_mod.DecompressionBombError, OSError) as exc:
        raise ValueError(f"input_reference: the image cannot be decoded: {exc}") from exc
    # An RGB colour profile (Display P3 photos) still describes the converted pixels; one
    # for CMYK or grey would not, and is dropped.
    icc = img.info.get("icc_profile") if img.mode in ("RGB", "RGBA", "P", "PA") else None
    img = ImageOps.exif_transpose(img) or img
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    img = img.convert("RGBA" if has_alpha and fmt != "JPEG" else "RGB")
    method = image_mod.Resampling.LANCZOS
    if fit == "stretch":
        out = img.resize(size, method)
    elif fit == "cover":
        out = ImageOps.fit(img, size, method=method, centering=(0.5, 0.5))
    else:
        colour = (*background, 255) if img.mode == "RGBA" else background
        out = ImageOps.pad(img, size, method=method, color=colour, centering=(0.5, 0.5))
    buf = io.BytesIO()
    save: dict[str, Any] = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if icc:
        save["icc_profile"] = icc
    out.save(buf, format=fmt, **save)
    data = buf.getvalue()
    return FileSource(src.filename, src.content_type, len(data), data=data, head=data[: 64 * 1024])


def _rotated(src: FileSource) -> bool:
    """Whether the image carries an EXIF orientation other than upright (needs Pillow).

    Its stored size then differs from the displayed one, which ``fit`` produces (turning
    the pixels upright): such an image is always resized, never sent as it is.
    """
    try:
        from PIL import Image as image_mod
    except ImportError:  # nothing to resize with: the size check alone decides, as before
        return False
    try:
        with open_source(src) as fh, image_mod.open(fh) as img:
            return int(img.getexif().get(0x0112, 1)) != 1
    except Exception:  # unreadable here: fit_image reports it
        return True


def _parse_size(size: str) -> tuple[int, int]:
    w, _, h = size.partition("x")
    return int(w), int(h)


def prepare_reference(
    src: FileSource,
    *,
    size: str | None,
    fit: str | None,
    background: tuple[int, int, int] = (0, 0, 0),
) -> FileSource:
    """Check a reference image against the requested ``size``; resize it if ``fit`` says so.

    Args:
        src: The image to upload.
        size: The job's size as ``"WxH"`` (already validated), or None (nothing to match).
        fit: None to require an exact match, else how to resize (see the module doc).
        background: The padding colour for ``fit="contain"``.

    Returns:
        ``src`` itself when it already has the size, else a resized copy.

    Raises:
        ValueError: The dimensions differ (and no ``fit``), cannot be read, or ``fit``
            was given without ``size``.
        ImportError: ``fit`` needs Pillow and it is not installed.
    """
    if size is None:
        if fit is not None:
            raise ValueError("fit= needs size=: the size to fit the reference image to")
        return src
    want = _parse_size(size)
    have = source_dimensions(src)
    if have == want and (fit is None or not _rotated(src)):
        return src
    if fit is not None:
        resized = fit_image(src, want, fit, background)
        return attrs.evolve(resized, filename=src.filename)
    if have is None:
        raise ValueError(
            f"input_reference: cannot read the dimensions of {src.filename!r} (a corrupt or "
            f"truncated {src.content_type} file?); it must be {size} to match size="
        )
    raise ValueError(
        f"input_reference is {have[0]}x{have[1]} but size is {size}: the reference image must "
        "match the requested width and height. Resize it, or pass fit='contain', 'cover' or "
        f"'stretch' to have it resized ({INSTALL_HINT})"
    )
