"""Commands for single operations: create, get, list, delete, remix, edit, extend."""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from videoclient import AsyncVideoClient, Video, VideoFailedError

from . import _errors as codes
from ._output import Output, video_lines, video_table
from ._progress import JobBars
from ._settings import common_options, settings

__all__ = [
    "COMMANDS",
    "command_line",
    "create_options",
    "create_options_prompt_optional",
    "naming_created_job",
    "reference",
    "video_argument",
    "wait_options",
]

FITS = ("contain", "cover", "stretch")


def reference(value: str | None) -> Any:
    """An ``--input-reference``: a URL or data URL, a ``file-...`` id, or a local path."""
    if value is None:
        return None
    if value.startswith(("http://", "https://", "data:")):
        return {"image_url": value}
    if value.startswith("file-") and not Path(value).exists():
        return {"file_id": value}
    return Path(value)


_FILE_LIKE = re.compile(r"[/\\]|\.(?:mp4|mov|m4v|webm|mkv)$", re.IGNORECASE)


def video_argument(value: str) -> Any:
    """A video to edit or extend: an MP4 file if the path exists, else a job id.

    Something that reads as a file (a directory part, a video suffix) but does not exist
    is a usage error, not a job id the server would answer with a 404.
    """
    path = Path(value)
    if path.is_file():
        return path
    if _FILE_LIKE.search(value):
        raise click.BadParameter(f"no such file: {value} (to use a job, pass its id)")
    return {"id": value}


def create_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a create (shared by ``create`` and ``generate``)."""
    return _create_options(fn, prompt_required=True)


def create_options_prompt_optional(fn: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`create_options` with PROMPT optional (``generate --resume`` needs none)."""
    return _create_options(fn, prompt_required=False)


def _create_options(fn: Callable[..., Any], *, prompt_required: bool) -> Callable[..., Any]:
    decorators = [
        click.argument("prompt", required=prompt_required),
        click.option("--model", "-m", help="Model, e.g. sora-2 (default: the server's)."),
        click.option("--seconds", "-s", help="Clip length in seconds, e.g. 4, 8, 12."),
        click.option("--size", help="WIDTHxHEIGHT, e.g. 1280x720."),
        click.option(
            "--input-reference",
            "-i",
            metavar="IMAGE",
            help="Start from an image: a file, an https:// or data: URL, or a file-... id.",
        ),
        click.option(
            "--fit",
            type=click.Choice(FITS),
            help="Resize the input image to --size: pad (contain), crop (cover) or stretch.",
        ),
        click.option(
            "--fit-background",
            default="#000000",
            show_default=True,
            metavar="#RRGGBB",
            help="Padding colour for --fit contain.",
        ),
    ]
    for decorate in reversed(decorators):
        fn = decorate(fn)
    return fn


def create_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``client.videos.create`` from the create options."""
    kwargs: dict[str, Any] = {"prompt": params["prompt"]}
    for name in ("model", "seconds", "size"):
        if params.get(name) is not None:
            kwargs[name] = params[name]
    ref = reference(params.get("input_reference"))
    if ref is not None:
        kwargs["input_reference"] = ref
    if params.get("fit") is not None:
        kwargs["fit"] = params["fit"]
        kwargs["fit_background"] = params["fit_background"]
    return kwargs


def wait_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--timeout`` and ``--poll-interval`` for commands that wait."""
    fn = click.option(
        "--poll-interval",
        type=click.FloatRange(min=0, min_open=True),
        metavar="S",
        help="Seconds between polls when the server gives no hint (default: 1 growing to 10).",
    )(fn)
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="S",
        help="Give up waiting after S seconds (exit code 1).",
    )(fn)


async def wait_for(
    client: AsyncVideoClient,
    video: Video,
    out: Output,
    *,
    timeout: float | None,
    poll_interval: float | None,
) -> Video:
    """Poll ``video`` to its end, drawing its bar."""
    with JobBars(out) as bars:
        bars.update(video)
        final = await client.videos.poll(
            video, timeout=timeout, poll_interval=poll_interval, on_progress=bars.update
        )
        bars.update(final)
    return final


def command_line(out: Output, *words: str) -> str:
    """``videoclient [--local] WORDS...`` as a shell command to copy."""
    local = ["--local"] if out.settings.local else []
    return shlex.join(["videoclient", *local, *words])


@contextlib.contextmanager
def naming_created_job(
    out: Output, finish: Callable[[str], Sequence[str]] = lambda video_id: ("wait", video_id)
) -> Iterator[list[str]]:
    """A list for the id of the job a command creates; if the command then fails or is
    interrupted (the job may still be rendering), stderr gives the command that finishes
    it without creating another: ``finish(video_id)``'s words after ``videoclient``."""
    created: list[str] = []
    try:
        yield created
    except VideoFailedError:
        raise
    except (Exception, KeyboardInterrupt):
        if created:
            video_id = created[0]
            command = command_line(out, *finish(video_id))
            out.note(
                f"the job {video_id} was created and is kept on the server; finish it "
                f"without paying again with: {command}",
                {"video_id": video_id, "command": command},
            )
        raise


def show_video(ctx: click.Context, video: Video) -> None:
    """Print a job; exit 1 when it ended unsuccessfully."""
    Output(settings(ctx)).result(video, video_lines(video), [video.id])
    if not video.is_pending and not video.is_completed:
        ctx.exit(codes.JOB_FAILED)


def _started(
    ctx: click.Context,
    start: Callable[[AsyncVideoClient], Any],
    *,
    wait: bool,
    timeout: float | None,
    poll_interval: float | None,
) -> None:
    opts = settings(ctx)
    out = Output(opts)

    with naming_created_job(out) as created:

        async def work(client: AsyncVideoClient) -> Video:
            video: Video = await start(client)
            created.append(video.id)
            if not wait:
                return video
            return await wait_for(client, video, out, timeout=timeout, poll_interval=poll_interval)

        final = opts.run(work)
    show_video(ctx, final)


_wait_flag = click.option("--wait", "-w", is_flag=True, help="Wait for the job to finish.")
_key_option = click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Send this Idempotency-Key: repeating the command returns the same job.",
)


def _options(key: str | None) -> dict[str, Any]:
    return {"idempotency_key": key} if key else {}


@click.command()
@create_options
@_key_option
@_wait_flag
@wait_options
@common_options
@click.pass_context
def create(ctx: click.Context, /, **params: Any) -> None:
    """Start a video job from PROMPT and print it (add --wait to wait for it)."""
    kwargs = {**create_arguments(params), **_options(params["idempotency_key"])}
    _started(
        ctx,
        lambda c: c.videos.create(**kwargs),
        wait=params["wait"],
        timeout=params["timeout"],
        poll_interval=params["poll_interval"],
    )


@click.command()
@click.argument("video_id")
@common_options
@click.pass_context
def get(ctx: click.Context, video_id: str) -> None:
    """Print a job's current state."""
    show_video(ctx, settings(ctx).run(lambda c: c.videos.retrieve(video_id)))


@click.command(name="list")
@click.option(
    "--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="Jobs per page."
)
@click.option("--order", type=click.Choice(["asc", "desc"]), default="desc", show_default=True)
@click.option("--after", metavar="VIDEO_ID", help="Start after this job.")
@click.option("--all", "all_pages", is_flag=True, help="Every job, page after page.")
@common_options
@click.pass_context
def list_(ctx: click.Context, limit: int, order: str, after: str | None, all_pages: bool) -> None:
    """List jobs, newest first."""

    async def work(client: AsyncVideoClient) -> list[Video]:
        if all_pages:
            return [v async for v in client.videos.list(limit=limit, order=order, after=after)]
        page = await client.videos.list_page(limit=limit, order=order, after=after)
        return list(page.data)

    videos = settings(ctx).run(work)
    out = Output(settings(ctx))
    human = video_table(videos, out.width) if videos else ["no videos"]
    out.result(videos, human, [v.id for v in videos])


@click.command()
@click.argument("video_ids", nargs=-1, required=True, metavar="VIDEO_ID...")
@common_options
@click.pass_context
def delete(ctx: click.Context, video_ids: Sequence[str]) -> None:
    """Delete finished jobs and their files on the server."""

    async def work(client: AsyncVideoClient) -> list[Any]:
        return [await client.videos.delete(v) for v in video_ids]

    deleted = settings(ctx).run(work)
    human = [f"deleted {d.id}" if d.deleted else f"not deleted {d.id}" for d in deleted]
    data: Any = deleted[0] if len(deleted) == 1 else deleted
    Output(settings(ctx)).result(data, human, [d.id for d in deleted])


@click.command()
@click.argument("video_id")
@click.argument("prompt")
@_key_option
@_wait_flag
@wait_options
@common_options
@click.pass_context
def remix(ctx: click.Context, /, video_id: str, prompt: str, **params: Any) -> None:
    """Start a job that remixes a completed VIDEO_ID with a new PROMPT."""
    options = _options(params["idempotency_key"])
    _started(
        ctx,
        lambda c: c.videos.remix(video_id, prompt=prompt, **options),
        wait=params["wait"],
        timeout=params["timeout"],
        poll_interval=params["poll_interval"],
    )


@click.command()
@click.argument("video")
@click.argument("prompt")
@_key_option
@_wait_flag
@wait_options
@common_options
@click.pass_context
def edit(ctx: click.Context, /, video: str, prompt: str, **params: Any) -> None:
    """Start a job that edits VIDEO (a job id or an MP4 file) as PROMPT says."""
    target = video_argument(video)
    options = _options(params["idempotency_key"])
    _started(
        ctx,
        lambda c: c.videos.edit(video=target, prompt=prompt, **options),
        wait=params["wait"],
        timeout=params["timeout"],
        poll_interval=params["poll_interval"],
    )


@click.command()
@click.argument("video")
@click.argument("prompt")
@click.option("--seconds", "-s", required=True, help="Length of the new segment.")
@_key_option
@_wait_flag
@wait_options
@common_options
@click.pass_context
def extend(ctx: click.Context, /, video: str, prompt: str, seconds: str, **params: Any) -> None:
    """Start a job that continues VIDEO (a job id or an MP4 file) with PROMPT."""
    target = video_argument(video)
    options = _options(params["idempotency_key"])
    _started(
        ctx,
        lambda c: c.videos.extend(video=target, prompt=prompt, seconds=seconds, **options),
        wait=params["wait"],
        timeout=params["timeout"],
        poll_interval=params["poll_interval"],
    )


COMMANDS = (create, get, list_, delete, remix, edit, extend)
