"""Progress: rich bars on a terminal, plain lines elsewhere (pipes, CI), nothing when quiet.

Each display is a context manager; leaving it stops the bars, leaving them drawn in their
final state with the cursor restored. Plain displays print a line per change of status
(and a few for progress), never an escape code.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from videoclient import Video
from videoclient.batch import BatchEvent

from ._output import Output

__all__ = ["BatchBoard", "ByteBar", "JobBars", "human_bytes"]

_BATCH_ORDER = ("completed", "skipped", "failed", "downloading", "waiting", "creating", "pending")
_ENDED = frozenset({"completed", "failed", "skipped"})


def human_bytes(n: float) -> str:
    """``1.5 MB`` style sizes (powers of 1000, as rich shows them)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def _rich_progress(*columns: Any) -> Any:
    from rich.console import Console
    from rich.progress import Progress

    console = Console(file=sys.stdout, highlight=False)
    return Progress(*columns, console=console, transient=False)


class JobBars:
    """One bar per job, driven by its ``progress`` and ``status``."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.live = out.progress and out.terminal
        self._bars: Any = None
        self._tasks: dict[str, Any] = {}
        self._seen: dict[str, tuple[str, int]] = {}

    def __enter__(self) -> JobBars:
        if self.live:
            from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self._bars = _rich_progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
            )
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def update(self, video: Video) -> None:
        """Show ``video``'s latest state."""
        if not self.out.progress:
            return
        done = 100 if video.is_completed else (video.progress or 0)
        if self._bars is not None:
            task = self._tasks.get(video.id)
            if task is None:
                task = self._tasks[video.id] = self._bars.add_task(
                    video.id, total=100, status=video.status
                )
            self._bars.update(task, completed=done, status=video.status)
            return
        before = self._seen.get(video.id)
        step = done // 25
        if before is None or before[0] != video.status or before[1] != step:
            self._seen[video.id] = (video.status, step)
            click.echo(f"{video.id}: {video.status} {done}%")


class ByteBar:
    """A download's bytes, rate and time left (a start line when not on a terminal)."""

    def __init__(self, out: Output, label: str) -> None:
        self.out = out
        self.label = label
        self.live = out.progress and out.terminal
        self._bars: Any = None
        self._task: Any = None
        self._started = False

    def __enter__(self) -> ByteBar:
        if self.live:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._bars = _rich_progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._bars.add_task(self.label, total=None)
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, done: int, total: int | None) -> None:
        if self._bars is not None:
            self._bars.update(self._task, completed=done, total=total)
        elif self.out.progress and not self._started:
            self._started = True
            size = f" ({human_bytes(total)})" if total is not None else ""
            click.echo(f"{self.label}{size}")


class BatchBoard:
    """A batch: one overall bar with counts by status (a line per change when not a TTY)."""

    def __init__(self, out: Output, total: int) -> None:
        self.out = out
        self.total = total
        self.live = out.progress and out.terminal
        self._bars: Any = None
        self._task: Any = None
        self._status: dict[int, str] = {}
        self.concurrency: int | None = None

    def __enter__(self) -> BatchBoard:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bars = _rich_progress(
                TextColumn("batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
            )
            self._task = self._bars.add_task("", total=self.total)
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def counts(self) -> dict[str, int]:
        """Lines by status, in a fixed order, zero counts left out."""
        counts = {s: 0 for s in _BATCH_ORDER}
        for status in self._status.values():
            counts[status] = counts.get(status, 0) + 1
        return {s: n for s, n in counts.items() if n}

    def __call__(self, event: BatchEvent) -> None:
        changed = self._status.get(event.line) != event.status
        self._status[event.line] = event.status
        self.concurrency = event.concurrency
        if self._bars is not None:
            ended = sum(1 for s in self._status.values() if s in _ENDED)
            text = " · ".join(f"{n} {s}" for s, n in self.counts().items())
            self._bars.update(self._task, completed=ended, description=text)
        elif changed and self.out.progress:
            click.echo(self._line(event))

    @staticmethod
    def _line(event: BatchEvent) -> str:
        parts = [f"line {event.line}: {event.status}"]
        if event.video_id:
            parts.append(event.video_id)
        if event.status in ("completed", "skipped"):
            parts.append(f"-> {event.output}")
        if event.status == "failed" and event.error:
            parts.append(f"({event.error})")
        return " ".join(parts)
