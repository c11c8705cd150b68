"""The contact sheet of a batch: kept up to date while ``batch`` runs, rebuilt by ``gallery``."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio
import attrs
import click

from videoclient import AsyncVideoClient, VideoClientError
from videoclient.batch import DEFAULT_JOURNAL_NAME, BatchEvent, BatchRequest
from videoclient.batch._gallery import (
    Card,
    cards_from_journal,
    thumbnail_name,
    write_gallery,
)
from videoclient.batch._input import output_names

from ._output import Output
from ._settings import common_options, settings

__all__ = ["COMMANDS", "Sheet"]

#: Rewrite the sheet at most this often while lines progress (every end is written).
_EVERY = 1.0


class Sheet:
    """``index.html`` of a running batch: a card per line, rewritten as lines change."""

    def __init__(self, out_dir: Path, requests: Sequence[BatchRequest], title: str) -> None:
        self.out_dir = out_dir
        self.title = title
        names = output_names(requests)
        self.cards = {
            n: Card(
                line=n,
                prompt=r.prompt,
                status="pending",
                output=name,
                seconds=None if r.seconds is None else str(r.seconds),
            )
            for n, (r, name) in enumerate(zip(requests, names, strict=True), start=1)
        }
        #: The provider each line names (None: the batch's own client's).
        self.providers = {n: r.provider for n, r in enumerate(requests, start=1)}
        self._written = 0.0

    def __call__(self, event: BatchEvent) -> None:
        card = self.cards.get(event.line)
        if card is None:
            return
        output = os.path.relpath(event.output, self.out_dir)
        changed = attrs.evolve(
            card,
            status=event.status,
            output=output,
            video_id=event.video_id or card.video_id,
            error=event.error if event.status == "failed" else None,
        )
        if changed == card:
            return
        self.cards[event.line] = changed
        ended = event.status in ("completed", "failed", "skipped")
        if ended or time.monotonic() - self._written >= _EVERY:
            self.write()

    def write(self) -> Path | None:
        """Write the sheet now (a sheet that cannot be written never stops the batch)."""
        if not self.out_dir.is_dir():
            return None
        self._written = time.monotonic()
        with contextlib.suppress(OSError):
            return write_gallery(self.out_dir, list(self.cards.values()), title=self.title)
        return None

    async def fetch_thumbnails(
        self, client: AsyncVideoClient, others: Mapping[str, AsyncVideoClient] | None = None
    ) -> None:
        """Download the thumbnail of every finished line that has none yet, then rewrite.

        Each line's thumbnail is asked of its own provider's client (``others``, by name);
        a provider with no thumbnails (Runway, Vertex) is asked nothing.
        """
        clients = {client.provider: client, **(others or {})}
        todo = [
            c
            for c in self.cards.values()
            if c.status in ("completed", "skipped")
            and c.video_id
            and not (self.out_dir / thumbnail_name(c.output)).exists()
        ]
        limit = anyio.CapacityLimiter(4)

        async def one(card: Card) -> None:
            async with limit:
                assert card.video_id is not None
                own = clients.get(self.providers.get(card.line) or client.provider)
                if own is None:
                    return
                with contextlib.suppress(VideoClientError, OSError, ValueError):
                    target = self.out_dir / thumbnail_name(card.output)
                    await own.videos.download(card.video_id, target, variant="thumbnail")

        async with anyio.create_task_group() as tg:
            for card in todo:
                tg.start_soon(one, card)
        self.write()


@click.command()
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR"
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The batch's journal (default: DIR/videoclient-journal.sqlite).",
)
@common_options
@click.pass_context
def gallery(ctx: click.Context, directory: Path, journal: Path | None) -> None:
    """Rebuild DIR/index.html, a batch's contact sheet, from its journal (no network)."""
    path = journal if journal is not None else directory / DEFAULT_JOURNAL_NAME
    if not path.is_file():
        raise click.UsageError(f"no batch journal at {path} (pass --journal FILE)")
    cards = cards_from_journal(path)
    written = write_gallery(directory, cards, title=f"videoclient batch: {directory.name}")
    out = Output(settings(ctx))
    data = {"path": written, "cards": len(cards)}
    out.result(data, [f"wrote {written} ({len(cards)} cards)"], [str(written)])


COMMANDS = (gallery,)
