"""Reference-image options as values: ``fit`` modes and the padding colour.

The service rejects a reference image whose dimensions differ from the job's size; the
check, and the resize that ``fit=`` asks for, are in :mod:`videoclient._io.images`.
``fit`` modes, for a target of W x H:

- ``"contain"``: scale to fit inside, centre, pad the rest with ``fit_background``;
- ``"cover"``: scale to cover, centre, crop what sticks out;
- ``"stretch"``: scale each axis on its own (the aspect ratio changes).
"""

from __future__ import annotations

import re
from typing import Literal, Union

__all__ = ["FITS", "INSTALL_HINT", "Colour", "Fit", "check_fit", "parse_colour"]

Fit = Literal["contain", "cover", "stretch"]
FITS: tuple[str, ...] = ("contain", "cover", "stretch")

#: ``"#RGB"``, ``"#RRGGBB"`` or an ``(r, g, b)`` tuple of 0-255 ints.
Colour = Union[str, tuple[int, int, int]]

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
INSTALL_HINT = "pip install 'videoclient[images]'"


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
