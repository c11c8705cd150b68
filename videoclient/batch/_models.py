"""What a batch reports: an event per change, a result per line, the summary of a run.

Pure values (attrs only).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from . import _journal as jr
from ._input import BatchRequest

__all__ = ["SKIPPED", "BatchEvent", "BatchSummary", "LineResult"]

#: The status of a line that needed no work this run (:attr:`LineResult.status`).
SKIPPED = "skipped"


@attrs.frozen
class BatchEvent:
    """A line changed: what ``on_event`` receives.

    Attributes:
        line: 1-based line number in the input.
        status: ``pending``, ``creating``, ``waiting``, ``downloading``, ``completed``,
            ``failed`` or ``skipped``.
        output: Where the line's video goes.
        video_id: The line's job, once created.
        progress: The job's progress (0-100) while waiting, when the server reports it.
        bytes_done, bytes_total: Download progress (``bytes_total`` None when unknown).
        error: Why the line failed.
        concurrency: The concurrency limit in force (lower after a 429).
    """

    line: int
    status: str
    output: Path
    video_id: str | None = None
    progress: int | None = None
    bytes_done: int | None = None
    bytes_total: int | None = None
    error: str | None = None
    concurrency: int | None = None


@attrs.frozen
class LineResult:
    """How one line ended this run.

    Attributes:
        line: 1-based line number in the input.
        request: The request.
        output: Its video file (present when ``status`` is ``completed`` or ``skipped``).
        status: ``completed`` (done in this run), ``skipped`` (done before, or the output
            file already existed) or ``failed``.
        video_id: The job, if one was created (the id its create answered).
        error: Why it failed.
        answered_id: The id the server last gave the job when it differs from
            ``video_id`` (a gateway re-stamping ids); None otherwise.

            .. versionadded:: 0.1.0
    """

    line: int
    request: BatchRequest
    output: Path
    status: str
    video_id: str | None = None
    error: str | None = None
    answered_id: str | None = None


@attrs.frozen
class BatchSummary:
    """The outcome of :func:`run_batch`, one :class:`LineResult` per input line.

    Attributes:
        results: In input order.
        journal: The journal file (rerun with it to retry what failed).
    """

    results: tuple[LineResult, ...]
    journal: Path

    def _with(self, status: str) -> tuple[LineResult, ...]:
        return tuple(r for r in self.results if r.status == status)

    @property
    def completed(self) -> tuple[LineResult, ...]:
        """Lines finished in this run."""
        return self._with(jr.COMPLETED)

    @property
    def failed(self) -> tuple[LineResult, ...]:
        """Lines that failed; a rerun retries them."""
        return self._with(jr.FAILED)

    @property
    def skipped(self) -> tuple[LineResult, ...]:
        """Lines done before this run (or whose output already existed)."""
        return self._with(SKIPPED)

    @property
    def outputs(self) -> tuple[Path, ...]:
        """Every output file present: completed and skipped lines."""
        return tuple(r.output for r in self.results if r.status != jr.FAILED)

    @property
    def ok(self) -> bool:
        """True when no line failed."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        """``{"completed": n, "failed": n, "skipped": n}``."""
        return {
            "completed": len(self.completed),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }
