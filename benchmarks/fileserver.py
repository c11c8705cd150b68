"""A static server for the transfer benchmarks: ``python -m benchmarks.fileserver``.

Rendering hundreds of MiB of H.264 in the emulator is not practical, so the transfer rows
use this peer instead: it serves ``GET /v1/videos/{id}/content`` from files it generates
(``aiohttp.web.FileResponse``: sendfile, Content-Length, strong ETag, Range, If-Range) and
accepts ``POST /v1/videos/edits`` (multipart), reading and discarding the upload in 256 KiB
pieces and answering a queued job; ``GET /_bench/last-upload`` tells how many bytes of the
``video`` part the last upload carried. It runs in its own process, so its memory and CPU are
never counted as the client's.

Ids served: ``video_small`` (4 KiB, for warm-up) and ``video_big`` (``--size`` bytes; a
sparse file of zeros after an MP4 header). It prints ``{"base_url": ..., "url": ...}`` on one line once
listening, and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from aiohttp import BodyPartReader, web

__all__ = ["MP4_HEADER", "main", "make_file"]

#: The first bytes of an MP4 (an ``ftyp`` box), so the file sniffs as ``video/mp4``.
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
CHUNK = 256 * 1024


def make_file(path: Path, size: int) -> Path:
    """Write an MP4 header then zeros (sparse) up to ``size`` bytes; return ``path``."""
    with open(path, "wb") as fh:
        fh.write(MP4_HEADER[:size])
        fh.truncate(size)
    return path


def warm(path: Path) -> None:
    """Read ``path`` through once, so its pages are in the page cache before a run.

    The first read of a sparse file fills the page cache with zeroed pages, which on our
    benchmark VM cost seconds (the host hands the memory back page by page): without
    this, whichever client ran first paid for it.
    """
    buf = bytearray(1024 * 1024)
    with open(path, "rb", buffering=0) as fh:
        while fh.readinto(buf):
            pass


def _app(root: Path) -> web.Application:
    uploads: list[int] = []  # bytes of the video part, per upload

    async def content(request: web.Request) -> web.StreamResponse:
        path = root / f"{request.match_info['video_id']}.mp4"
        if not path.is_file():
            return web.json_response(
                {
                    "error": {
                        "message": "not found",
                        "type": "invalid_request_error",
                        "code": "video_not_found",
                        "param": None,
                    }
                },
                status=404,
            )
        return web.FileResponse(path, chunk_size=CHUNK, headers={"Content-Type": "video/mp4"})

    async def edit(request: web.Request) -> web.Response:
        received = 0
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader):
                while chunk := await part.read_chunk(CHUNK):
                    if part.name == "video":
                        received += len(chunk)
        uploads.append(received)
        now = int(time.time())
        video = {
            "id": "video_uploaded",
            "object": "video",
            "status": "queued",
            "model": "sora-2",
            "progress": 0,
            "created_at": now,
            "completed_at": None,
            "expires_at": None,
            "size": "64x64",
            "seconds": "1",
            "remixed_from_video_id": None,
            "error": None,
            "prompt": "x",
        }
        return web.json_response(video, headers={"x-bytes-received": str(received)})

    async def last_upload(request: web.Request) -> web.Response:
        return web.json_response({"bytes": uploads[-1] if uploads else None})

    app = web.Application()
    app.router.add_get("/_bench/last-upload", last_upload)
    app.router.add_get("/v1/videos/{video_id}/content", content)
    app.router.add_post("/v1/videos/edits", edit)
    return app


async def _serve(root: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(_app(root), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}"
        print(json.dumps({"base_url": url + "/v1", "url": url}), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the files in ``--dir``, serve until signalled, return an exit code."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.fileserver", description=__doc__)
    p.add_argument("--dir", required=True, help="where to write the served files")
    p.add_argument("--size", type=int, required=True, help="bytes of video_big")
    args = p.parse_args(argv)
    root = Path(args.dir)
    make_file(root / "video_small.mp4", 4096)
    warm(make_file(root / "video_big.mp4", args.size))
    asyncio.run(_serve(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
