"""How a :class:`~videoclient.Video` shows itself in a notebook (``_repr_html_``).

Pure: text in, HTML out, no file is opened and nothing from Jupyter is imported. Which
files a job was downloaded to is told by the client, which writes each finished download
into :data:`downloads` (plain data: ids to paths as the caller gave them); the card then
embeds a ``<video>`` player for the MP4, with the thumbnail as its poster.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import quote

__all__ = ["DownloadRecord", "Shown", "downloads", "video_html"]

_STATUS_COLOURS = {
    "completed": "#1a7f37",
    "failed": "#cf222e",
    "queued": "#6e7781",
    "in_progress": "#0969da",
}


class _Error(Protocol):
    @property
    def code(self) -> str | None: ...
    @property
    def message(self) -> str: ...


class Shown(Protocol):
    """What a card shows of a job (a :class:`~videoclient.Video`)."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def progress(self) -> int | None: ...
    @property
    def prompt(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def size(self) -> str | None: ...
    @property
    def seconds(self) -> str | None: ...
    @property
    def error(self) -> _Error | None: ...


class DownloadRecord:
    """The files recent downloads wrote, by job id and variant (at most ``limit`` jobs)."""

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._files: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()  # sync clients download from many threads

    def record(self, video_id: str, variant: str, path: str) -> None:
        """Note that ``video_id``'s ``variant`` was written to ``path``."""
        with self._lock:
            files = self._files.pop(video_id, {})
            files[variant] = path
            self._files[video_id] = files
            while len(self._files) > self._limit:
                self._files.popitem(last=False)

    def files(self, video_id: str) -> dict[str, str]:
        """``{variant: path}`` of what was downloaded for ``video_id`` (a copy)."""
        with self._lock:
            return dict(self._files.get(video_id, {}))


#: Written by the client after every download; read by :func:`video_html`.
downloads = DownloadRecord()


def _url(path: str) -> str:
    """A relative URL for a file path (Jupyter serves files beside the notebook)."""
    return quote(path.replace("\\", "/"), safe="/:._-~")


def _row(name: str, value: object) -> str:
    return (
        f'<tr><th style="text-align:left;padding-right:1em">{html.escape(name)}</th>'
        f"<td>{html.escape(str(value))}</td></tr>"
    )


def video_html(video: Shown, files: Mapping[str, str] | None = None) -> str:
    """A self-contained HTML card for ``video``: id, status, progress, error, and the
    player for its downloaded MP4 (``files``: variant to path, default :data:`downloads`).
    """
    files = downloads.files(video.id) if files is None else files
    colour = _STATUS_COLOURS.get(video.status, "#6e7781")
    completed = video.status == "completed"
    done = 100 if completed else max(0, min(100, video.progress or 0))
    parts = [
        '<div class="videoclient-video" style="font-family:sans-serif;max-width:640px;'
        'border:1px solid #d0d7de;border-radius:6px;padding:8px">',
        f"<div><code>{html.escape(video.id)}</code> "
        f'<span class="status" style="color:#fff;background:{colour};border-radius:4px;'
        f'padding:0 6px">{html.escape(video.status)}</span></div>',
        f'<progress value="{done}" max="100" style="width:100%">{done}%</progress>',
    ]
    rows = [
        (name, value)
        for name, value in (
            ("prompt", video.prompt),
            ("model", video.model),
            ("size", video.size),
            ("seconds", video.seconds),
            ("progress", f"{done}%"),
        )
        if value is not None
    ]
    parts.append("<table>" + "".join(_row(n, v) for n, v in rows) + "</table>")
    if video.error is not None:
        code = f" ({video.error.code})" if video.error.code else ""
        parts.append(
            '<div class="error" style="color:#cf222e">'
            f"{html.escape(video.error.message or 'failed')}{html.escape(code)}</div>"
        )
    mp4 = files.get("video")
    if mp4 is not None:
        poster = files.get("thumbnail")
        poster_attr = f' poster="{html.escape(_url(poster))}"' if poster else ""
        parts.append(
            f'<video controls width="100%" src="{html.escape(_url(mp4))}"{poster_attr}>'
            f'<a href="{html.escape(_url(mp4))}">{html.escape(mp4)}</a></video>'
        )
    elif completed:
        parts.append("<div><em>not downloaded yet: client.videos.download(video, PATH)</em></div>")
    parts.append("</div>")
    return "".join(parts)
