"""``videoclient batch``: many prompts from JSON Lines or CSV, resumable, with a progress board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from videoclient import AsyncVideoClient
from videoclient.batch import BatchEvent, BatchInputError, BatchSummary, InputProblem, run_batch
from videoclient.batch._check import find_problems
from videoclient.batch._gallery import GALLERY_NAME
from videoclient.batch._input import read_lines

from . import _errors as codes
from ._gallery import Sheet
from ._output import Output
from ._progress import BatchBoard
from ._settings import common_options, settings

__all__ = ["COMMANDS"]


def _line_order(problem: InputProblem) -> int:
    return problem.line or 0


def _summary_lines(summary: BatchSummary) -> list[str]:
    counts = summary.counts()
    lines = [
        f"{counts['completed']} completed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped (journal: {summary.journal})"
    ]
    for result in summary.failed:
        lines.append(f"  line {result.line} failed: {result.error}")
    if summary.failed:
        lines.append("Run the same command again to retry the failed lines.")
    return lines


def _summary_json(summary: BatchSummary) -> dict[str, Any]:
    return {
        **summary.counts(),
        "journal": str(summary.journal),
        "results": [
            {
                "line": r.line,
                "status": r.status,
                "output": str(r.output),
                "video_id": r.video_id,
                "error": r.error,
                "prompt": r.request.prompt,
            }
            for r in summary.results
        ],
    }


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Jobs in flight at once (halved on 429, recovering when calm).",
)
@click.option(
    "--out",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the videos (default: FILE's name without suffix, plus -videos).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Journal file recording each line's progress (default: in the --out directory).",
)
@click.option("--overwrite", "-f", is_flag=True, help="Replace files that are already there.")
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="S",
    help="Fail a line whose job takes longer than S seconds (a rerun resumes it).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    metavar="S",
    help="Seconds between polls when the server gives no hint.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Tries again of a step after transient errors, within one run.",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Send again a line whose earlier create may have made a job (its answer was lost) "
    "although the provider does not deduplicate creates (may make and bill a second job).",
)
@click.option(
    "--no-gallery",
    is_flag=True,
    help="Do not write the contact sheet (index.html with thumbnails) beside the videos.",
)
@common_options
@click.pass_context
def batch(
    ctx: click.Context,
    file: Path,
    concurrency: int,
    out_dir: Path | None,
    journal: Path | None,
    overwrite: bool,
    wait_timeout: float | None,
    poll_interval: float | None,
    retries: int,
    resend_uncertain: bool,
    no_gallery: bool,
) -> None:
    """Generate a video for every line of FILE (.jsonl or .csv); rerun to resume.

    \b
    JSON Lines: {"prompt": "a red kite", "seconds": 4, "size": "1280x720", "name": "kite"}
    CSV: a header row naming the columns (prompt, model, seconds, size,
         input_reference, fit, name, provider).

    A line naming a provider (openai, runway, vertex) runs on it, with that provider's
    key from its environment variable (or the local emulator's protocol with --local).

    A killed run started again with the same journal never submits a line twice: it
    resumes waiting and downloading where it stopped and retries only what failed. Where
    the provider does not deduplicate creates (Runway, Vertex, --create-retry
    conservative), a line whose create may have made a job is not resent: it fails,
    saying so, until --resend-uncertain.

    The videos' directory also gets index.html, a contact sheet with a card per line
    (thumbnail, prompt, status, error, link to the MP4), rewritten as lines finish;
    'videoclient gallery DIR' rebuilds it from the journal.
    """
    opts = settings(ctx)
    out = Output(opts)
    requests, problems = read_lines(file)
    if not requests and problems:  # nothing to check further
        raise BatchInputError(problems)
    target = out_dir if out_dir is not None else Path(file.stem + "-videos")

    others: dict[str, AsyncVideoClient] = {}

    async def work(client: AsyncVideoClient) -> BatchSummary:
        # Every bad line at once: unreadable ones and those the client's checks refuse.
        found = sorted([*problems, *await find_problems(client, requests, others)], key=_line_order)
        if found:
            raise BatchInputError(found)
        sheet = None if no_gallery else Sheet(target, requests, f"videoclient batch: {file.name}")

        def on_event(event: BatchEvent) -> None:
            board(event)
            if sheet is not None:
                sheet(event)

        with BatchBoard(out, len(requests)) as board:
            summary = await run_batch(
                client,
                requests,
                clients=others,
                out_dir=target,
                journal=journal,
                concurrency=concurrency,
                overwrite=overwrite,
                on_event=on_event,
                wait_timeout=wait_timeout,
                poll_interval=poll_interval,
                retries=retries,
                resend_uncertain=resend_uncertain,
            )
        if sheet is not None:
            await sheet.fetch_thumbnails(client, others)
        return summary

    try:
        named = {r.provider for r in requests if r.provider is not None}
        summary = opts.run(work, also=others.update, providers=named)
    except KeyboardInterrupt:
        out.note("stopped; run the same command again to resume", {"type": "KeyboardInterrupt"})
        ctx.exit(codes.INTERRUPTED)
    data, lines = _summary_json(summary), _summary_lines(summary)
    if not no_gallery and (target / GALLERY_NAME).is_file():
        data["gallery"] = str(target / GALLERY_NAME)
        lines.insert(0, f"contact sheet: {target / GALLERY_NAME}")
    out.result(data, lines, [str(p) for p in summary.outputs])
    if summary.failed:
        ctx.exit(codes.JOB_FAILED)


COMMANDS = (batch,)
