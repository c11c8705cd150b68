"""Writing results: JSON for machines, aligned plain text for people, nothing extra when quiet.

Plain text never contains escape codes; only progress bars on a terminal do (see
:mod:`._progress`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import click

from videoclient import Video

from ._settings import Settings

__all__ = ["Output", "failure_lines", "to_json", "video_lines", "video_table"]


def to_json(value: Any) -> Any:
    """A JSON-ready form of models, paths, mappings and sequences.

    A model becomes its wire fields (unknown ones from ``extra`` included); ``request_id``
    is kept when known.
    """
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            if field.name in ("extra", "request_id"):
                continue
            out[field.name] = to_json(getattr(value, field.name))
        extra = getattr(value, "extra", None)
        if isinstance(extra, Mapping):
            out.update({k: to_json(v) for k, v in extra.items() if k not in out})
        request_id = getattr(value, "request_id", None)
        if request_id:
            out["request_id"] = request_id
        return out
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def _when(ts: int | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def video_lines(video: Video) -> list[str]:
    """A job as ``name: value`` lines."""
    rows: list[tuple[str, object]] = [
        ("id", video.id),
        ("status", video.status),
        ("progress", f"{video.progress}%" if video.progress is not None else None),
        ("model", video.model),
        ("size", video.size),
        ("seconds", video.seconds),
        ("prompt", video.prompt),
        ("created", _when(video.created_at) if video.created_at else None),
        ("completed", _when(video.completed_at) if video.completed_at else None),
        ("expires", _when(video.expires_at) if video.expires_at else None),
        ("remixed from", video.remixed_from_video_id),
    ]
    if video.error is not None:
        code = f" ({video.error.code})" if video.error.code else ""
        rows.append(("error", f"{video.error.message}{code}"))
    width = max(len(name) for name, _ in rows)
    return [f"{name + ':':<{width + 1}} {value}" for name, value in rows if value is not None]


#: Columns a narrow terminal drops first, in order (ID, STATUS and PROMPT stay).
_DROP_ORDER = ("CREATED", "MODEL", "SECONDS", "SIZE", "PROGRESS")
_MIN_PROMPT = 12


def video_table(videos: Sequence[Video], width: int | None = None) -> list[str]:
    """Jobs as an aligned table with a header row.

    With ``width`` (a terminal's columns), no line is longer: the prompt is shortened
    first, then the least useful columns are left out, so nothing wraps mid-word.
    """
    header = ("ID", "STATUS", "PROGRESS", "MODEL", "SIZE", "SECONDS", "CREATED", "PROMPT")
    rows = [
        (
            v.id,
            v.status,
            f"{v.progress}%" if v.progress is not None else "-",
            v.model or "-",
            v.size or "-",
            v.seconds or "-",
            _when(v.created_at),
            " ".join((v.prompt or "").split()),
        )
        for v in videos
    ]
    keep = list(range(len(header)))

    def widths(prompt_width: int) -> list[int]:
        found = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        found[-1] = min(found[-1], prompt_width)
        return found

    prompt_width = 40
    if width is not None:
        for name in (None, *_DROP_ORDER):
            if name is not None:
                keep.remove(header.index(name))
            cols = widths(10**6)
            fixed = sum(cols[i] + 2 for i in keep if i != len(header) - 1)
            prompt_width = max(_MIN_PROMPT, min(cols[-1], width - fixed))
            if fixed + prompt_width <= width:
                break
        prompt_width = max(len("PROMPT"), min(prompt_width, width - fixed))
    cols = widths(prompt_width)
    lines = []
    for row in [header, *rows]:
        cells = [_short(str(row[i]), cols[i]).ljust(cols[i]) for i in keep]
        lines.append("  ".join(cells).rstrip())
    return lines


def failure_lines(videos: Sequence[Video], width: int | None = None) -> list[str]:
    """A line per job that did not complete, saying why (cut to ``width`` if given)."""
    lines = []
    for v in videos:
        if v.is_completed or v.is_pending:
            continue
        head, reason = f"{v.id} {v.status}", "no reason given"
        if v.error is not None:
            head += f" ({v.error.code})" if v.error.code else ""
            reason = v.error.message or "no reason given"
        line = f"{head}: {reason}"
        lines.append(_short(line, width) if width is not None else line)
    return lines


class Output:
    """Where a command's results go, in the form the options asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def json(self) -> bool:
        return self.settings.json

    @property
    def quiet(self) -> bool:
        return self.settings.quiet

    @property
    def terminal(self) -> bool:
        """True when stdout is a terminal (progress bars may draw)."""
        return sys.stdout.isatty()

    @property
    def width(self) -> int | None:
        """The terminal's columns when stdout is one (tables are fitted to it)."""
        if not self.terminal:
            return None
        return shutil.get_terminal_size().columns

    @property
    def progress(self) -> bool:
        """Whether to show progress at all (not with ``--json`` or ``--quiet``)."""
        return not (self.json or self.quiet)

    def info(self, message: str) -> None:
        """A line for people: not with ``--json`` or ``--quiet``."""
        if self.progress:
            click.echo(message)

    def result(self, data: Any, human: Sequence[str], quiet: Sequence[str] = ()) -> None:
        """A command's result: ``data`` as JSON, ``human`` lines, or ``quiet`` lines."""
        if self.json:
            click.echo(json.dumps(to_json(data), indent=2, ensure_ascii=False))
        elif self.quiet:
            for line in quiet:
                click.echo(line)
        else:
            for line in human:
                click.echo(line)

    def note(self, message: str, details: Mapping[str, Any]) -> None:
        """A line on stderr that goes with an error (JSON with ``--json``), always shown."""
        if self.json:
            click.echo(json.dumps({"note": {"message": message, **details}}), err=True)
        else:
            click.echo(f"videoclient: {message}", err=True)

    def error(self, message: str, details: Mapping[str, Any]) -> None:
        """One line on stderr (a JSON object with ``--json``)."""
        if self.json:
            click.echo(json.dumps({"error": {"message": message, **details}}), err=True)
        else:
            click.echo(f"videoclient: error: {message}", err=True)
        sys.stderr.flush()
