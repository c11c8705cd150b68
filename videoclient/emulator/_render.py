"""Assets on disk: rendered lazily in a worker pool, once, and reused.

A job costs nothing until someone asks for one of its assets. The first request for
``(job, variant)`` starts one render in the pool; concurrent requests for the same asset
wait on that render; later ones find the file. Files are written under a temporary name
and renamed into place, so a reader never sees half an asset.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ._errors import bad_request
from ._media import load_av, reference_image
from ._scene import Scene
from ._store import Job

__all__ = ["VARIANTS", "Asset", "Renderer"]

T = TypeVar("T")

#: variant -> (media type, file suffix)
VARIANTS: dict[str, tuple[str, str]] = {
    "video": ("video/mp4", ".mp4"),
    "thumbnail": ("image/webp", ".webp"),
    "spritesheet": ("image/jpeg", ".jpg"),
}


@attrs.frozen
class Asset:
    """A rendered file: where it is, its length, its strong ETag and its media type."""

    path: Path
    size: int
    etag: str
    content_type: str


def check_variant(variant: str) -> str:
    """Return ``variant`` if it is one of :data:`VARIANTS`.

    Raises:
        ApiError: 400 (param ``variant``) otherwise.
    """
    if variant not in VARIANTS:
        raise bad_request(
            f"Invalid 'variant': {variant!r}. Expected one of 'video', 'thumbnail', 'spritesheet'.",
            param="variant",
            code="invalid_value",
        )
    return variant


class Renderer:
    """Renders and caches the assets of jobs under ``root``.

    Args:
        root: Directory holding ``assets/`` (renders) and ``inputs/`` (uploaded references).
        fps: Frame rate of videos.
        workers: Threads in the render pool.
    """

    def __init__(self, root: Path, *, fps: int = 24, workers: int = 2) -> None:
        self.assets_dir = root / "assets"
        self.inputs_dir = root / "inputs"
        self.assets_dir.mkdir(parents=True, exist_ok=True)
        self.inputs_dir.mkdir(parents=True, exist_ok=True)
        self.fps = fps
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="videoclient-emulator-render")
        self._inflight: dict[tuple[str, str], asyncio.Task[Asset]] = {}
        self._ready: dict[tuple[str, str], Asset] = {}
        #: How many renders ran, by variant (a job never downloaded never appears here).
        self.renders: Counter[str] = Counter()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking ``fn(*args)`` in the render pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def path(self, video_id: str, variant: str) -> Path:
        """Where the asset is (or will be) kept."""
        return self.assets_dir / f"{video_id}.{variant}{VARIANTS[variant][1]}"

    async def asset(self, job: Job, variant: str) -> Asset:
        """The asset, rendering it first if no one has yet."""
        key = (job.id, variant)
        ready = self._ready.get(key)
        if ready is not None:
            return ready
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self.run(self._ensure, job, variant))
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._settle(key, t))
        # A waiter that goes away (client disconnect) must not cancel the render for the others.
        return await asyncio.shield(task)

    def _settle(self, key: tuple[str, str], task: asyncio.Task[Asset]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self._ready[key] = task.result()

    def forget(self, video_id: str) -> list[Path]:
        """Drop a deleted job's cached entries; return its files for the caller to remove."""
        for variant in VARIANTS:
            self._ready.pop((video_id, variant), None)
        return [self.path(video_id, v) for v in VARIANTS]

    async def close(self) -> None:
        """Wait for running renders and stop the pool."""
        for task in list(self._inflight.values()):
            task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- in the pool -------------------------------------------------------------------------

    def save_input(self, data: bytes, suffix: str) -> str:
        """Keep an uploaded reference (content-addressed); return its file name."""
        name = f"ref_{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
        target = self.inputs_dir / name
        if not target.exists():
            _write_atomically(target, lambda tmp: tmp.write_bytes(data))
        return name

    def _ensure(self, job: Job, variant: str) -> Asset:
        path = self.path(job.id, variant)
        if not path.exists():
            scene = Scene(
                job.width,
                job.height,
                self.fps,
                job.segments,
                lambda name: reference_image(self.inputs_dir / name),
            )
            if variant == "video":
                _write_atomically(path, lambda tmp: _encode_video(tmp, scene))
            elif variant == "thumbnail":
                _write_atomically(path, lambda tmp: scene.thumbnail().save(tmp, "WEBP"))
            else:
                _write_atomically(
                    path, lambda tmp: scene.spritesheet().save(tmp, "JPEG", quality=85)
                )
            self.renders[variant] += 1
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return Asset(path, path.stat().st_size, f'"{digest[:32]}"', VARIANTS[variant][0])


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_video(path: Path, scene: Scene) -> None:
    av = load_av()
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(scene.fps, 1))
        stream.width, stream.height = scene.width, scene.height
        # 4:2:0 needs even sides; 4:4:4 keeps any size exact.
        even = scene.width % 2 == 0 and scene.height % 2 == 0
        stream.pix_fmt = "yuv420p" if even else "yuv444p"
        stream.options = {"preset": "ultrafast", "crf": "26"}
        for index in range(scene.frame_count):
            frame = av.VideoFrame.from_image(scene.frame(index))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
