"""Writing results: JSON for machines, aligned plain text for people, nothing extra when quiet.

Plain text never contains escape codes; only progress bars on a terminal do (see
:mod:`._progress`).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import click

from videoclient import Video

from ._settings import Settings

__all__ = ["Output", "to_json", "video_lines", "video_table"]


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


def video_table(videos: Sequence[Video]) -> list[str]:
    """Jobs as an aligned table with a header row."""
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
            _short(v.prompt, 40),
        )
        for v in videos
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]


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
