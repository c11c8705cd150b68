"""Streaming transfers: constant-memory, resumable, verified downloads."""

from __future__ import annotations

from ._videos import VideoOperations

__all__ = ["TransferOperations"]


class TransferOperations(VideoOperations):
    """``stream_content`` and ``download``."""
