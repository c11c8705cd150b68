"""``generate``: create a job, wait for it, download its assets — one call."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .._io.disk import check_output, default_filename, refuse_existing
from .._sansio import validate as _validate
from .._sansio.errors import VideoFailedError
from .._sansio.files import FileInput
from .._sansio.models import Video, handle_of
from .transfers import DownloadProgress, TransferOperations
from .waiting import ProgressCallback, WaitingOperations

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._sansio.images import Colour, Fit
    from .waiting import StartOptions

__all__ = ["GeneratedVideo", "GenerateOperations"]


@attrs.frozen
class GeneratedVideo:
    """What :meth:`generate` made: the finished job and the files written.

    Attributes:
        video: The completed :class:`~videoclient.Video`.
        files: The path of each downloaded variant (``"video"``, ``"thumbnail"``, ...).
    """

    video: Video
    files: Mapping[str, Path]

    @property
    def path(self) -> Path:
        """The path of the video file (or of the only variant downloaded)."""
        return self.files.get("video") or next(iter(self.files.values()))


def _plan(output: str | os.PathLike[str], variants: Sequence[str], overwrite: bool) -> Path:
    """Check the output before anything is paid for; return the file or directory to write."""
    if isinstance(variants, str) or not variants:
        raise TypeError("variants must be a non-empty sequence such as ('video', 'thumbnail')")
    for variant in variants:
        _validate.check_variant(variant)
    if len(set(variants)) != len(variants):
        raise ValueError(f"variants repeat: {list(variants)}")
    out = check_output(output, what="output", directory=len(variants) > 1)
    if not out.is_dir():
        refuse_existing(out, overwrite=overwrite)
    return out


class GenerateOperations(WaitingOperations, TransferOperations):
    """``generate``: create, wait and download in one call."""

    async def generate(
        self,
        prompt: str,
        *,
        output: str | os.PathLike[str],
        variants: Sequence[str] = ("video",),
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: FileInput | Mapping[str, Any] | None = None,
        fit: Fit | None = None,
        fit_background: Colour = "#000000",
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        on_download_progress: DownloadProgress | None = None,
        pending_statuses: Collection[str] | None = None,
        overwrite: bool = False,
        **options: Unpack[StartOptions],
    ) -> GeneratedVideo:
        """Create a job, wait for it, and stream its assets to disk.

        The output is checked before the job is created, so nothing is paid for a
        generation whose file cannot be written. A download failure never re-creates
        the job: the error propagates and ``download(video_id, ...)`` can be retried.

        Args:
            prompt: What to generate.
            output: A file path (one variant) or an existing directory (then each file is
                named for the video: ``<id>.mp4``, ``<id>.webp``, ``<id>.jpg``).
            variants: Which assets to download: ``"video"``, ``"thumbnail"``, ``"spritesheet"``.
            model, seconds, size, input_reference, fit, fit_background: As for :meth:`create`.
            poll_interval, timeout, on_progress, pending_statuses: As for :meth:`poll`
                (``timeout`` bounds the wait, not the download).
            on_download_progress: ``(bytes_done, total_or_None)`` for each download.
            overwrite: Replace existing files.
            **options: :class:`StartOptions` (``idempotency_key`` for the create, ...).

        Returns:
            The finished job and the downloaded files.

        Raises:
            VideoFailedError: The job ended ``failed`` (or any status but ``completed``).
            WaitTimeoutError: The wait ran past ``timeout``.
            FileExistsError, NotADirectoryError, FileNotFoundError: Bad output, before any request.

        .. versionadded:: 0.1.0
        """
        out = _plan(output, variants, overwrite)
        for variant in variants:  # a variant the provider cannot serve: nothing is created
            self._session.require(f"content:{variant}")
        video = await self.create_and_poll(
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            fit=fit,
            fit_background=fit_background,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            pending_statuses=pending_statuses,
            **options,
        )
        if video.status != "completed":
            raise VideoFailedError(video)
        poll_opts = {k: v for k, v in options.items() if k not in ("extra_body", "idempotency_key")}
        files: dict[str, Path] = {}
        for variant in variants:
            target = out / default_filename(handle_of(video), variant) if out.is_dir() else out
            files[variant] = await self.download(
                video,
                target,
                variant=variant,
                on_progress=on_download_progress,
                overwrite=overwrite,
                **poll_opts,  # type: ignore[arg-type]
            )
        return GeneratedVideo(video=video, files=files)
