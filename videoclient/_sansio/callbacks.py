"""Calling the user's callbacks, which may be plain functions or coroutine functions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["notify"]


async def notify(callback: Callable[..., object] | None, *args: Any) -> None:
    """Call ``callback(*args)`` if there is one, awaiting its result when it is awaitable."""
    if callback is not None:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
