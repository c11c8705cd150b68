"""Transfer driver: one large download or upload against :mod:`benchmarks.fileserver`.

A small transfer first (warm-up: imports, connection), then the large one; reports its
seconds and the growth of peak RSS over the warm-up's (``ru_maxrss``). For ``curl`` the
figures are the curl child's own (``os.wait4``), and seconds are curl's ``time_total``.

- ``videoclient``: ``client.videos.download(id, path)`` / ``client.videos.edit(video=path, ...)``;
- ``openai-buffered``: ``(await videos.download_content(id)).write_to_file(path)``;
- ``openai-stream``: ``with_streaming_response.videos.download_content(id)`` then
  ``stream_to_file``; ``openai`` uploads with ``videos.edit(video=(name, open file, type))``;
- ``aiohttp``: ``resp.content.iter_chunked(256 KiB)`` to a file / ``FormData`` with an open file;
- ``aiohttp-durable``: the same download with durable writes (each 256 KiB chunk
  written in a worker thread, then fsync and rename);
- ``curl``: ``curl -s -o FILE`` / ``curl -F video=@FILE``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ._common import (
    KEY,
    base_parser,
    cpu_seconds,
    emit,
    missing_peer,
    peak_rss_mib,
    quiet_warnings,
    skip,
)

CLIENTS = (
    "videoclient",
    "openai-buffered",
    "openai-stream",
    "openai",
    "aiohttp",
    "aiohttp-durable",
    "curl",
)
CHUNK = 256 * 1024


async def _videoclient(args: Any) -> dict[str, Any]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=args.base_url) as client:
        if args.op == "download":

            async def once(big: bool) -> None:
                vid, target = _download_names(args, big)
                await client.videos.download(vid, target, overwrite=True)
        else:

            async def once(big: bool) -> None:
                await client.videos.edit(video=_upload_file(args, big), prompt="bench upload")

        return await _measure(once)


async def _openai(args: Any) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=args.base_url) as client:
        if args.op == "download" and args.client == "openai-buffered":

            async def once(big: bool) -> None:
                vid, target = _download_names(args, big)
                content = await client.videos.download_content(vid)
                content.write_to_file(target)
        elif args.op == "download":

            async def once(big: bool) -> None:
                vid, target = _download_names(args, big)
                async with client.with_streaming_response.videos.download_content(vid) as resp:
                    await resp.stream_to_file(target)
        else:

            async def once(big: bool) -> None:
                path = _upload_file(args, big)
                with open(path, "rb") as fh:  # noqa: ASYNC230 - as a user would
                    await client.videos.edit(
                        prompt="bench upload", video=(path.name, fh, "video/mp4")
                    )

        return await _measure(once)


async def _aiohttp(args: Any) -> dict[str, Any]:
    import aiohttp
    import anyio

    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        if args.client == "aiohttp-durable":

            async def once(big: bool) -> None:
                vid, target = _download_names(args, big)
                tmp = target.with_name(target.name + ".part")
                async with session.get(f"{args.base_url}/videos/{vid}/content") as resp:
                    resp.raise_for_status()
                    with open(tmp, "wb") as fh:  # noqa: ASYNC230
                        async for chunk in resp.content.iter_chunked(CHUNK):
                            await anyio.to_thread.run_sync(fh.write, chunk)
                        fh.flush()
                        await anyio.to_thread.run_sync(os.fsync, fh.fileno())
                os.replace(tmp, target)
        elif args.op == "download":

            async def once(big: bool) -> None:
                vid, target = _download_names(args, big)
                async with session.get(f"{args.base_url}/videos/{vid}/content") as resp:
                    resp.raise_for_status()
                    with open(target, "wb") as fh:  # noqa: ASYNC230 - the floor: no thread hop
                        async for chunk in resp.content.iter_chunked(CHUNK):
                            fh.write(chunk)
        else:

            async def once(big: bool) -> None:
                path = _upload_file(args, big)
                with open(path, "rb") as fh:  # noqa: ASYNC230
                    form = aiohttp.FormData()
                    form.add_field("prompt", "bench upload")
                    form.add_field("video", fh, filename=path.name, content_type="video/mp4")
                    async with session.post(f"{args.base_url}/videos/edits", data=form) as resp:
                        resp.raise_for_status()
                        await resp.read()

        return await _measure(once)


def _download_names(args: Any, big: bool) -> tuple[str, Path]:
    out = Path(args.out_dir)
    return ("video_big", out / "big.mp4") if big else ("video_small", out / "small.mp4")


def _upload_file(args: Any, big: bool) -> Path:
    return Path(args.upload_big if big else args.upload_small)


async def _measure(once: Any) -> dict[str, Any]:
    await once(False)
    base = peak_rss_mib()
    c0, t0 = cpu_seconds(), time.perf_counter()
    await once(True)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    peak = peak_rss_mib()
    return {"seconds": seconds, "cpu": cpu, "rss_growth_mib": peak - base, "peak_rss_mib": peak}


def _curl_once(args: Any, big: bool) -> tuple[float, float]:
    """One curl run: (curl's time_total, curl's peak RSS in MiB)."""
    auth = ["-H", f"Authorization: Bearer {KEY}"]
    if args.op == "download":
        vid, target = _download_names(args, big)
        url = f"{args.base_url}/videos/{vid}/content"
        cmd = ["curl", "-sf", "-o", str(target), *auth, "-w", "%{time_total}", url]
    else:
        path = _upload_file(args, big)
        url = f"{args.base_url}/videos/edits"
        cmd = [
            "curl", "-sf", "-o", os.devnull, *auth, "-w", "%{time_total}",
            "-F", "prompt=bench upload", "-F", f"video=@{path};type=video/mp4", url,
        ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode != 0:
        raise RuntimeError(f"curl exited {proc.returncode}")
    return float(out.strip()), usage.ru_maxrss / 1024


def _curl(args: Any) -> dict[str, Any] | None:
    if shutil.which("curl") is None:
        return None
    _, base = _curl_once(args, False)
    seconds, peak = _curl_once(args, True)
    return {"seconds": seconds, "rss_growth_mib": peak - base, "peak_rss_mib": peak}


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--op", choices=("download", "upload"), required=True)
    p.add_argument("--bytes", type=int, required=True, help="size of the large transfer")
    p.add_argument("--out-dir", required=True, help="where downloads are written")
    p.add_argument("--upload-big", help="the large file to upload")
    p.add_argument("--upload-small", help="the small file to upload (warm-up)")
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip(reason)
        return
    quiet_warnings()
    result: dict[str, Any] | None
    if args.client == "curl":
        result = _curl(args)
        if result is None:
            skip("curl is not installed")
            return
    elif args.client == "videoclient":
        result = asyncio.run(_videoclient(args))
    elif args.client.startswith("openai"):
        result = asyncio.run(_openai(args))
    else:
        result = asyncio.run(_aiohttp(args))
    if args.op == "download":
        got = (Path(args.out_dir) / "big.mp4").stat().st_size
        if got != args.bytes:
            raise SystemExit(f"downloaded {got} bytes, expected {args.bytes}")
        for name in ("big.mp4", "small.mp4"):
            (Path(args.out_dir) / name).unlink(missing_ok=True)
    result["mib_per_s"] = args.bytes / (1024 * 1024) / result["seconds"]
    emit(result)


if __name__ == "__main__":
    main()
