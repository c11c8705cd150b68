"""Runway's models and what each accepts: ratios per input kind, durations.

From the official SDK's parameter types (runwayml 5.x ``text_to_video_create_params``,
``image_to_video_create_params``). A model not listed here passes through unchanged: its
``size`` becomes a ratio as given and its ``seconds`` are sent as an integer.
"""

from __future__ import annotations

import attrs

__all__ = ["DEFAULT_MODEL", "MODELS", "ModelSpec"]

DEFAULT_MODEL = "gen4.5"

_GEN4_I2V = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
_VEO = ("1280:720", "720:1280", "1080:1920", "1920:1080")


@attrs.frozen
class ModelSpec:
    """What one model accepts. ``text_ratios`` is empty for an image-only model."""

    text_ratios: tuple[str, ...]
    image_ratios: tuple[str, ...]
    durations: tuple[int, ...]
    default_seconds: int


MODELS: dict[str, ModelSpec] = {
    "gen4.5": ModelSpec(("1280:720", "720:1280"), _GEN4_I2V, tuple(range(2, 11)), 5),
    "gen4_turbo": ModelSpec((), _GEN4_I2V, tuple(range(2, 11)), 5),
    "veo3.1": ModelSpec(_VEO, _VEO, (4, 6, 8), 8),
    "veo3.1_fast": ModelSpec(_VEO, _VEO, (4, 6, 8), 8),
    "veo3": ModelSpec(_VEO, _VEO, (8,), 8),
}
