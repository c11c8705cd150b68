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
from videoclient._sansio.models import handle_of
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


def _console() -> Any:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


def _rich_progress(*columns: Any, console: Any = None) -> Any:
    from rich.progress import Progress

    return Progress(*columns, console=console or _console(), transient=False)


def _fitted(console: Any, others: int, label: int) -> tuple[Any, Any]:
    """A label column and a bar sized so a line fits ``console``'s width: ``others`` is
    what the remaining columns take; the label gets at least ``label`` columns, and is
    cut with an ellipsis rather than wrapped (rich would squeeze the figures instead)."""
    from rich.progress import BarColumn, TextColumn
    from rich.table import Column

    bar = max(10, min(40, console.width - others - label))
    room = max(label, console.width - others - bar - 1)
    text = TextColumn(
        "{task.description}",
        table_column=Column(no_wrap=True, overflow="ellipsis", max_width=room),
    )
    return text, BarColumn(bar_width=bar)


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
            from rich.progress import TaskProgressColumn, TextColumn, TimeElapsedColumn

            console = _console()
            # percentage 4, a status ~11, the clock 7, four gaps
            label, bar = _fitted(console, others=4 + 11 + 7 + 5, label=38)
            self._bars = _rich_progress(
                label,
                bar,
                TaskProgressColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=console,
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
        handle = handle_of(video)  # one bar per job, however the server re-stamps its id
        if self._bars is not None:
            task = self._tasks.get(handle)
            if task is None:
                task = self._tasks[handle] = self._bars.add_task(
                    handle, total=100, status=video.status
                )
            self._bars.update(task, completed=done, status=video.status)
            if not video.is_pending:  # ended: its clock stops with it, failed or not
                self._bars.stop_task(task)
            return
        before = self._seen.get(handle)
        step = done // 25
        if before is None or before[0] != video.status or before[1] != step:
            self._seen[handle] = (video.status, step)
            click.echo(f"{handle}: {video.status} {done}%")


def _rate_column() -> Any:
    """Bytes per second: the recent rate while running, the average once done (rich's own
    column shows ``?`` for a file that arrived faster than it samples)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.speed
            if task.finished and task.elapsed:
                speed = task.completed / task.elapsed
            if speed is None:
                return Text("", style="progress.data.speed")
            return Text(f"{human_bytes(speed)}/s", style="progress.data.speed")

    return RateColumn()


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
            from rich.progress import DownloadColumn, TimeRemainingColumn

            console = _console()
            # "123.4/567.8 MB" 14, "123.4 MB/s" 10, the time left 7, four gaps
            label, bar = _fitted(console, others=14 + 10 + 7 + 5, label=34)
            self._bars = _rich_progress(
                label,
                bar,
                DownloadColumn(),
                _rate_column(),
                TimeRemainingColumn(),
                console=console,
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
            self._task = self._bars.add_task(self._text(), total=self.total)
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def counts(self) -> dict[str, int]:
        """Lines by status, in a fixed order, zero counts left out; lines not started
        yet count as ``pending``."""
        counts = {s: 0 for s in _BATCH_ORDER}
        for status in self._status.values():
            counts[status] = counts.get(status, 0) + 1
        counts["pending"] += max(0, self.total - len(self._status))  # not started yet
        return {s: n for s, n in counts.items() if n}

    def _text(self) -> str:
        return " · ".join(f"{n} {s}" for s, n in self.counts().items())

    def __call__(self, event: BatchEvent) -> None:
        changed = self._status.get(event.line) != event.status
        self._status[event.line] = event.status
        self.concurrency = event.concurrency
        if self._bars is not None:
            ended = sum(1 for s in self._status.values() if s in _ENDED)
            self._bars.update(self._task, completed=ended, description=self._text())
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
