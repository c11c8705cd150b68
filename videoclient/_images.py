"""Reference images: checked against the requested size, and resized on request.

The service rejects a reference image whose dimensions differ from the job's size
("must match the requested width and height"), after the upload. :func:`prepare_reference`
finds that out before anything is sent: it reads the dimensions from the file's header
(no decoding) and raises :class:`ValueError`, or, when the caller passed ``fit=``,
resizes the image with Pillow (the ``[images]`` extra, imported only then).

``fit`` modes, for a target of W x H:

- ``"contain"``: scale to fit inside, centre, pad the rest with ``fit_background``;
- ``"cover"``: scale to cover, centre, crop what sticks out;
- ``"stretch"``: scale each axis on its own (the aspect ratio changes).

No I/O library is imported here; the resize is CPU work done when the request is built.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, Literal, Union

import attrs

from ._files import FileSource, source_dimensions

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["FITS", "Colour", "Fit", "check_fit", "fit_image", "parse_colour", "prepare_reference"]

Fit = Literal["contain", "cover", "stretch"]
FITS: tuple[str, ...] = ("contain", "cover", "stretch")

#: ``"#RGB"``, ``"#RRGGBB"`` or an ``(r, g, b)`` tuple of 0-255 ints.
Colour = Union[str, tuple[int, int, int]]

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_INSTALL = "pip install 'videoclient[images]'"


def parse_colour(value: Colour) -> tuple[int, int, int]:
    """``"#000000"``, ``"#fff"`` or ``(r, g, b)`` as an RGB tuple.

    Raises:
        ValueError: Not a hex colour, or a component outside 0-255.
        TypeError: Neither a str nor a 3-tuple.
    """
    if isinstance(value, str):
        match = _HEX.match(value.strip())
        if not match:
            raise ValueError(f"fit_background must be a colour such as '#000000', not {value!r}")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    if isinstance(value, tuple) and len(value) == 3:
        if all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value):
            return value
        raise ValueError(f"fit_background components must be ints 0-255, not {value!r}")
    raise TypeError(f"fit_background must be '#RRGGBB' or an (r, g, b) tuple, not {value!r:.40}")


def check_fit(fit: str | None, background: Colour) -> tuple[str | None, tuple[int, int, int]]:
    """Validate ``fit`` and ``fit_background``; returns them normalised.

    Raises:
        ValueError: ``fit`` is not one of :data:`FITS`, or the colour is invalid.
    """
    if fit is not None and fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(map(repr, FITS))}, not {fit!r}")
    return fit, parse_colour(background)


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            f"fit= resizes the reference image with Pillow, which is not installed: {_INSTALL}"
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
        with src.open() as fh:
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
        with src.open() as fh, image_mod.open(fh) as img:
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
        f"'stretch' to have it resized ({_INSTALL})"
    )
