"""Waiting for jobs: server-paced polling, deadlines, progress, many jobs at once."""

from __future__ import annotations

from ._videos import VideoOperations

__all__ = ["WaitingOperations"]


class WaitingOperations(VideoOperations):
    """``poll``, ``*_and_poll``, ``as_completed`` and ``wait_all``."""
