"""A batch's contact sheet: ``index.html`` beside its videos, one card per line.

Self-contained: one HTML file with its CSS inline, no JavaScript and nothing fetched from the
network; it links the MP4s and shows each line's thumbnail (``NAME.thumbnail.webp`` beside
the video) when one is there, else the video's first frame. While lines are still running
the page reloads itself every few seconds (a ``<meta http-equiv="refresh">``), and the file is
rewritten as lines finish.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

import attrs

from ._journal import COMPLETED, FAILED, Journal

__all__ = ["GALLERY_NAME", "Card", "cards_from_journal", "render_gallery", "write_gallery"]

#: The contact sheet's file name inside a batch's output directory.
GALLERY_NAME = "index.html"
_ENDED = frozenset({COMPLETED, FAILED, "skipped"})
_COLOURS = {COMPLETED: "#1a7f37", "skipped": "#1a7f37", FAILED: "#cf222e"}

_CSS = """
body{font-family:sans-serif;margin:16px;background:#f6f8fa;color:#1f2328}
h1{font-size:20px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;overflow:hidden;margin:0}
.card img,.card video{display:block;width:100%;aspect-ratio:16/9;object-fit:contain;background:#000}
.blank{width:100%;aspect-ratio:16/9;background:#eaeef2}
figcaption{padding:8px;font-size:13px}
.status{color:#fff;border-radius:4px;padding:0 6px;background:#6e7781}
.error{color:#cf222e}
""".strip()


def thumbnail_name(output: str) -> str:
    """Where a line's thumbnail goes beside its video: ``NAME.thumbnail.webp``."""
    stem, _ = os.path.splitext(output)
    return stem + ".thumbnail.webp"


@attrs.frozen
class Card:
    """What the contact sheet shows of one line.

    Attributes:
        line: 1-based line number in the input.
        prompt: The line's prompt.
        status: The line's status (``completed``, ``failed``, ``waiting``, ...).
        output: The video's file name, relative to the output directory.
        seconds: The clip's requested length, when the line gave one.
        error: Why the line failed.
        video_id: The line's job.
    """

    line: int
    prompt: str
    status: str
    output: str
    seconds: str | None = None
    error: str | None = None
    video_id: str | None = None


def _url(name: str) -> str:
    return quote(name.replace(os.sep, "/"), safe="/._-~")


def _card(card: Card, out_dir: Path) -> str:
    video = out_dir / card.output
    thumb = thumbnail_name(card.output)
    if (out_dir / thumb).is_file():
        media = f'<img src="{html.escape(_url(thumb))}" alt="line {card.line}">'
    elif video.is_file():
        media = f'<video src="{html.escape(_url(card.output))}" preload="metadata" muted></video>'
    else:
        media = '<div class="blank"></div>'
    if video.is_file():
        media = f'<a href="{html.escape(_url(card.output))}">{media}</a>'
    colour = _COLOURS.get(card.status, "#6e7781")
    facts = [
        f"line {card.line}",
        f'<span class="status" style="background:{colour}">{html.escape(card.status)}</span>',
    ]
    if card.seconds:
        facts.append(f"{html.escape(card.seconds)} s")
    parts = [
        f'<figure class="card" data-line="{card.line}" data-status="{html.escape(card.status)}">',
        media,
        "<figcaption>",
        f"<div>{' · '.join(facts)}</div>",
        f"<div>{html.escape(card.prompt)}</div>",
    ]
    if video.is_file():
        parts.append(
            f'<div><a href="{html.escape(_url(card.output))}">{html.escape(card.output)}</a></div>'
        )
    if card.error:
        parts.append(f'<div class="error">{html.escape(card.error)}</div>')
    parts.append("</figcaption></figure>")
    return "".join(parts)


def render_gallery(
    cards: Sequence[Card], out_dir: Path, *, title: str = "videoclient batch"
) -> str:
    """The contact sheet's HTML for ``cards`` (paths relative to ``out_dir``)."""
    ordered = sorted(cards, key=lambda c: c.line)
    running = any(c.status not in _ENDED for c in ordered)
    counts: dict[str, int] = {}
    for card in ordered:
        counts[card.status] = counts.get(card.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    refresh = '<meta http-equiv="refresh" content="5">' if running else ""
    body = "".join(_card(c, out_dir) for c in ordered)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"{refresh}<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(summary or 'no lines')}"
        f"{' (still running; this page reloads)' if running else ''}</p>"
        f'<div class="grid">{body}</div></body></html>\n'
    )


def write_gallery(
    out_dir: str | os.PathLike[str], cards: Sequence[Card], *, title: str = "videoclient batch"
) -> Path:
    """Write ``out_dir/index.html`` for ``cards`` (replaced in one step); return its path."""
    out = Path(out_dir)
    path = out / GALLERY_NAME
    tmp = out / f".{GALLERY_NAME}.tmp"
    tmp.write_text(render_gallery(cards, out, title=title), encoding="utf-8")
    os.replace(tmp, path)
    return path


def cards_from_journal(journal: str | os.PathLike[str]) -> list[Card]:
    """A card per line of a batch's journal (the newest record of each line number).

    Raises:
        JournalError: The journal is in use by a running batch, or unreadable.
    """
    with Journal(journal) as store:
        rows = store.rows()
    latest: dict[int, Card] = {}
    stamps: dict[int, float] = {}
    for row in rows:
        if row.line in stamps and stamps[row.line] > row.updated_at:
            continue
        request = _request(row.request)
        latest[row.line] = Card(
            line=row.line,
            prompt=str(request.get("prompt", "")),
            status=row.status,
            output=row.output,
            seconds=None if request.get("seconds") is None else str(request["seconds"]),
            error=row.error,
            video_id=row.video_id,
        )
        stamps[row.line] = row.updated_at
    return [latest[n] for n in sorted(latest)]


def _request(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cards_for(requests: Iterable[tuple[int, str, str | None, str]]) -> list[Card]:
    """Pending cards from ``(line, prompt, seconds, output)`` tuples (before any event)."""
    return [
        Card(line=n, prompt=p, status="pending", output=o, seconds=s) for n, p, s, o in requests
    ]
