"""Checks on the caller's arguments, run before anything is sent.

Wrong types raise TypeError, wrong values ValueError, each saying what to pass
instead. Values are normalised to what goes on the wire (``seconds`` and ``size``
as strings). Unknown models, sizes and durations pass: gateways serve others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "MAX_PROMPT_CHARS",
    "VARIANTS",
    "check_character_name",
    "check_id",
    "check_limit",
    "check_order",
    "check_prompt",
    "check_seconds",
    "check_size",
    "check_variant",
]

MAX_PROMPT_CHARS = 32000
VARIANTS: tuple[str, ...] = ("video", "thumbnail", "spritesheet")

_SIZE_RE = re.compile(r"^([1-9][0-9]{0,5})x([1-9][0-9]{0,5})$")
_BAD_ID_CHARS = re.compile(r"[/\\\s\x00-\x1f\x7f?#%]")


def check_prompt(prompt: Any, *, name: str = "prompt") -> str:
    """A non-blank string of at most 32,000 characters."""
    if not isinstance(prompt, str):
        raise TypeError(f"{name} must be a str, not {type(prompt).__name__}")
    if not prompt.strip():
        raise ValueError(f"{name} must not be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"{name} is {len(prompt)} characters; the API accepts at most {MAX_PROMPT_CHARS}"
        )
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 text can carry it
        raise ValueError(
            f"{name} is not valid Unicode text (a lone surrogate at character {exc.start})"
        ) from None
    return prompt


def check_seconds(seconds: Any) -> str:
    """A positive whole number of seconds, as int or numeric string; returned as a string."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, str)):
        raise TypeError(f"seconds must be an int or a numeric str such as '8', not {seconds!r:.40}")
    text = str(seconds).strip()
    if not text.lstrip("+-").isdigit():
        raise ValueError(f"seconds must be a whole number such as 4, 8 or 12, not {seconds!r:.40}")
    value = int(text)
    if value <= 0:
        raise ValueError(f"seconds must be positive, got {value}")
    return str(value)


def check_size(size: Any) -> str:
    """``"WxH"`` or a ``(width, height)`` pair of positive ints; returned as ``"WxH"``."""
    if isinstance(size, str):
        match = _SIZE_RE.match(size.strip())
        if not match:
            hint = ""
            nums = re.findall(r"[0-9]+", size)
            if len(nums) == 2:
                hint = f" (did you mean '{nums[0]}x{nums[1]}'?)"
            raise ValueError(
                f"size must be 'WIDTHxHEIGHT' such as '1280x720', not {size!r:.40}{hint}"
            )
        return f"{match.group(1)}x{match.group(2)}"
    if isinstance(size, Sequence) and len(size) == 2:
        w, h = size
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
            if w <= 0 or h <= 0:
                raise ValueError(f"size must be positive, got {w}x{h}")
            return f"{w}x{h}"
    raise TypeError(f"size must be a 'WxH' str or a (width, height) tuple, not {size!r:.40}")


def check_id(value: Any, *, name: str = "video_id") -> str:
    """A non-empty id that is safe as one URL path segment."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if value in (".", "..") or _BAD_ID_CHARS.search(value):
        raise ValueError(
            f"{name} {value!r:.60} is not a valid id: ids contain no '/', '\\', '?', '#', '%', "
            "spaces or control characters"
        )
    return value


def check_variant(variant: Any) -> str:
    """One of ``video``, ``thumbnail``, ``spritesheet``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r:.40}")
    return str(variant)


def check_limit(limit: Any) -> int:
    """An int from 0 to 100, as the spec allows."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {limit!r:.40}")
    if not 0 <= limit <= 100:
        raise ValueError(f"limit must be between 0 and 100, got {limit}")
    return limit


def check_order(order: Any) -> str:
    """``asc`` or ``desc``."""
    if order not in ("asc", "desc"):
        raise ValueError(f"order must be 'asc' or 'desc', not {order!r:.40}")
    return str(order)


def check_character_name(name: Any) -> str:
    """A display name of 1 to 80 characters."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    if not 1 <= len(name) <= 80:
        raise ValueError(f"name must be 1 to 80 characters, got {len(name)}")
    return name


def check_model(model: Any) -> str:
    """Any non-empty model name: gateways serve models this library has never heard of."""
    if not isinstance(model, str):
        raise TypeError(f"model must be a str, not {type(model).__name__}")
    if not model.strip():
        raise ValueError("model must not be empty")
    return model
