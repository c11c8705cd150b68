"""Commands that wait and download: wait, download, generate."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from videoclient import AsyncVideoClient, Video, VideoFailedError
from videoclient._io.disk import default_filename
from videoclient._sansio.models import handle_of

from . import _errors as codes
from ._jobs import (
    create_arguments,
    create_options_prompt_optional,
    naming_created_job,
    wait_for,
    wait_options,
)
from ._output import Output, failure_lines, video_lines, video_table
from ._progress import ByteBar, JobBars, human_bytes
from ._settings import common_options, settings

__all__ = ["COMMANDS"]

VARIANTS = ("video", "thumbnail", "spritesheet")
_SUFFIXES = {"video": ".mp4", "thumbnail": ".thumbnail.webp", "spritesheet": ".spritesheet.jpg"}


@click.command()
@click.argument("video_ids", nargs=-1, required=True, metavar="VIDEO_ID...")
@wait_options
@common_options
@click.pass_context
def wait(
    ctx: click.Context,
    video_ids: Sequence[str],
    timeout: float | None,
    poll_interval: float | None,
) -> None:
    """Wait for jobs to finish, with a progress bar each; exit 1 if any failed."""
    out = Output(settings(ctx))

    async def work(client: AsyncVideoClient) -> list[Video]:
        with JobBars(out) as bars:
            if len(video_ids) == 1:
                video = await client.videos.poll(
                    video_ids[0],
                    timeout=timeout,
                    poll_interval=poll_interval,
                    on_progress=bars.update,
                )
                bars.update(video)
                return [video]
            done: dict[str, Video] = {}
            async for video in client.videos.as_completed(
                video_ids, timeout=timeout, poll_interval=poll_interval, on_progress=bars.update
            ):
                bars.update(video)
                done[handle_of(video)] = video  # by the id asked for, not the one answered
        return [done[v] for v in video_ids]

    videos = settings(ctx).run(work)
    if len(videos) == 1:
        out.result(videos[0], video_lines(videos[0]), [videos[0].id])
    else:
        human = [*video_table(videos, out.width), *failure_lines(videos, out.width)]
        out.result(videos, human, [v.id for v in videos])
    if any(not v.is_completed for v in videos):
        ctx.exit(codes.JOB_FAILED)


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))


async def _fetch(
    client: AsyncVideoClient,
    out: Output,
    video_id: str,
    target: Path | str,
    *,
    variant: str,
    overwrite: bool,
) -> Path:
    name = Path(target).name
    if Path(target).is_dir():  # noqa: ASYNC240 - one stat; the file is named for the job
        name = default_filename(video_id, variant)
    label = f"{variant} {name}" if variant != "video" else name
    with ByteBar(out, f"downloading {label}") as bar:
        return await client.videos.download(
            video_id, target, variant=variant, on_progress=bar, overwrite=overwrite
        )


_create_dirs = click.option(
    "--create-dirs",
    is_flag=True,
    help="Create the missing directories of -o (by default a missing one is an error).",
)


def check_output_dirs(output: str | None, *, create_dirs: bool) -> None:
    """Refuse an ``-o`` whose directory is missing (a usage error naming it), or make it
    when ``--create-dirs`` asks; checked before any job is paid for."""
    if output is None:
        return
    as_dir = output.endswith(("/", os.sep))
    directory = Path(output) if as_dir else Path(output).parent
    if directory.is_dir():
        return
    if create_dirs:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.UsageError(
                f"-o {output}: cannot create {directory} ({exc.strerror})"
            ) from None
        return
    raise click.UsageError(
        f"-o {output}: the directory {directory} does not exist (pass --create-dirs to create it)"
    )


def _file_result(path: Path, video_id: str, variant: str) -> dict[str, Any]:
    return {"video_id": video_id, "variant": variant, "path": path, "bytes": path.stat().st_size}


@click.command()
@click.argument("video_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(),  # a str: a trailing slash says "directory"
    help="File or existing directory (default: VIDEO_ID.mp4 / .webp / .jpg here).",
)
@click.option("--variant", type=click.Choice(VARIANTS), default="video", show_default=True)
@click.option("--overwrite", "-f", is_flag=True, help="Replace an existing file.")
@_create_dirs
@common_options
@click.pass_context
def download(
    ctx: click.Context,
    video_id: str,
    output: str | None,
    variant: str,
    overwrite: bool,
    create_dirs: bool,
) -> None:
    """Download a finished job's video, thumbnail or spritesheet (bytes, rate and ETA)."""
    out = Output(settings(ctx))
    check_output_dirs(output, create_dirs=create_dirs)
    target: Path | str = output if output is not None else Path.cwd()

    async def work(client: AsyncVideoClient) -> Path:
        return await _fetch(client, out, video_id, target, variant=variant, overwrite=overwrite)

    path = settings(ctx).run(work)
    size = human_bytes(path.stat().st_size)
    out.result(_file_result(path, video_id, variant), [f"saved {path} ({size})"], [str(path)])


def _targets(output: str | None, extras: Sequence[str]) -> dict[str, Path] | None:
    """Each variant's file for a named output; None when the name depends on the job id."""
    if output is None or output.endswith(("/", os.sep)) or Path(output).is_dir():
        return None
    path = Path(output)
    stem = path.with_suffix("") if path.suffix else path
    targets = {"video": path}
    for variant in extras:
        targets[variant] = stem.with_name(stem.name + _SUFFIXES[variant])
    return targets


#: Options that describe a new job: they have no say over a job ``--resume`` finishes.
_CREATE_ONLY = ("model", "seconds", "size", "input_reference", "fit", "idempotency_key")


def _finish_command(output: str | None, extras: Sequence[str]) -> Any:
    def words(video_id: str) -> list[str]:
        tail = ["-o", output] if output is not None else []
        return ["generate", "--resume", video_id, *tail, *(f"--{v}" for v in extras)]

    return words


def _check_resume(ctx: click.Context, params: dict[str, Any]) -> None:
    resume = params["resume"]
    if resume is None:
        if params["prompt"] is None:
            raise click.MissingParameter(ctx=ctx, param_type="argument", param_hint="'PROMPT'")
        return
    if params["prompt"] is not None:
        raise click.UsageError("give a PROMPT or --resume VIDEO_ID, not both", ctx)
    given = [n for n in _CREATE_ONLY if params.get(n) is not None]
    if given:
        flags = ", ".join("--" + n.replace("_", "-") for n in given)
        raise click.UsageError(
            f"--resume finishes a job that exists: {flags} cannot change it", ctx
        )


@click.command()
@create_options_prompt_optional
@click.option(
    "--resume",
    metavar="VIDEO_ID",
    help="Finish a job an earlier generate started: wait for it and download it.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(),  # a str: a trailing slash says "directory"
    help="The MP4 to write (default: VIDEO_ID.mp4 here; a directory works too).",
)
@click.option("--thumbnail", is_flag=True, help="Also save the thumbnail (NAME.thumbnail.webp).")
@click.option(
    "--spritesheet", is_flag=True, help="Also save the spritesheet (NAME.spritesheet.jpg)."
)
@click.option("--overwrite", "-f", is_flag=True, help="Replace existing files.")
@click.option("--idempotency-key", metavar="KEY", help="Send this Idempotency-Key with the create.")
@_create_dirs
@wait_options
@common_options
@click.pass_context
def generate(ctx: click.Context, /, output: str | None, **params: Any) -> None:
    """Create a video from PROMPT, wait for it and download it: one command.

    \b
    videoclient generate "a paper boat sailing on a rainy street" -o boat.mp4
    videoclient generate --local "a paper boat" -o demo.mp4 --thumbnail
    videoclient generate --resume video_abc -o boat.mp4   # finish one cut short
    """
    _check_resume(ctx, params)
    opts = settings(ctx)
    out = Output(opts)
    extras = [v for v in ("thumbnail", "spritesheet") if params[v]]
    overwrite: bool = params["overwrite"]
    resume: str | None = params["resume"]
    kwargs = create_arguments(params) if resume is None else {}
    if params["idempotency_key"]:
        kwargs["idempotency_key"] = params["idempotency_key"]
    check_output_dirs(output, create_dirs=params["create_dirs"])
    named = _targets(output, extras)
    if named is not None:  # checked before the job is paid for
        for path in named.values():
            if path.exists() and not overwrite:
                raise _exists_error(path)

    with naming_created_job(out, _finish_command(output, extras)) as created:

        async def work(client: AsyncVideoClient) -> tuple[Video, dict[str, Path]]:
            if resume is not None:
                video = await client.videos.retrieve(resume)
            else:
                video = await client.videos.create(**kwargs)
            created.append(video.id)
            final = await wait_for(
                client,
                video,
                out,
                timeout=params["timeout"],
                poll_interval=params["poll_interval"],
            )
            if not final.is_completed:
                raise VideoFailedError(final)
            where = Path(output) if output is not None else Path.cwd()
            targets = named or {v: where / (final.id + _SUFFIXES[v]) for v in ("video", *extras)}
            files: dict[str, Path] = {}
            for variant, target in targets.items():
                files[variant] = await _fetch(
                    client, out, final.id, target, variant=variant, overwrite=overwrite
                )
            return final, files

        video, files = opts.run(work)
    human = [f"saved {p} ({human_bytes(p.stat().st_size)})" for p in files.values()]
    data = {"video": video, "files": {k: str(p) for k, p in files.items()}}
    out.result(data, human, [str(p) for p in files.values()])


COMMANDS = (wait, download, generate)
