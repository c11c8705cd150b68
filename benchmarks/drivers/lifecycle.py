"""Lifecycle driver: CPU seconds per job (create, poll to done, download a small asset).

One warm-up job (unmeasured: connection set-up, lazy imports), then ``--jobs`` jobs one
after another; the CPU time of those jobs (``getrusage``, user + system, every thread) is
divided by their number. Interpreter start and imports are measured apart (``import_cpu``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ._common import (
    KEY,
    bare_create_and_poll,
    base_parser,
    cpu_seconds,
    emit,
    import_sync_client,
    missing_peer,
    peak_rss_mib,
    quiet_warnings,
    skip,
)

CLIENTS = ("videoclient-async", "videoclient-sync", "openai-async", "aiohttp")
SIZE = "64x64"
SECONDS = 1

Job = Callable[[int], Awaitable[str]]


def _measure_sync(job: Callable[[int], str], jobs: int) -> dict[str, Any]:
    statuses = [job(-1)]
    c0, t0 = cpu_seconds(), time.perf_counter()
    statuses += [job(i) for i in range(jobs)]
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    return {"cpu_per_job": cpu / jobs, "wall_per_job": wall / jobs, "statuses": statuses}


async def _measure(job: Job, jobs: int) -> dict[str, Any]:
    statuses = [await job(-1)]
    c0, t0 = cpu_seconds(), time.perf_counter()
    for i in range(jobs):
        statuses.append(await job(i))
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    return {"cpu_per_job": cpu / jobs, "wall_per_job": wall / jobs, "statuses": statuses}


async def _videoclient_async(base_url: str, out: Path, jobs: int) -> dict[str, Any]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=base_url) as client:

        async def job(i: int) -> str:
            video = await client.videos.create_and_poll(
                prompt=f"bench lifecycle {i}", size=SIZE, seconds=SECONDS
            )
            await client.videos.download(video, out / f"{i}.mp4")
            return video.status

        return await _measure(job, jobs)


def _videoclient_sync(base_url: str, out: Path, jobs: int) -> dict[str, Any] | None:
    found = import_sync_client()
    if found is None:
        return None
    VideoClient, source = found

    with VideoClient(KEY, base_url=base_url) as client:

        def job(i: int) -> str:
            video = client.videos.create_and_poll(
                prompt=f"bench lifecycle {i}", size=SIZE, seconds=SECONDS
            )
            client.videos.download(video, out / f"{i}.mp4")
            status: str = video.status
            return status

        return {**_measure_sync(job, jobs), "source": source}


async def _openai_async(base_url: str, out: Path, jobs: int) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=base_url) as client:

        async def job(i: int) -> str:
            video = await client.videos.create_and_poll(
                prompt=f"bench lifecycle {i}",
                size=SIZE,  # type: ignore[arg-type]
                seconds=str(SECONDS),  # type: ignore[arg-type]
            )
            content = await client.videos.download_content(video.id)
            content.write_to_file(out / f"{i}.mp4")
            return video.status

        return await _measure(job, jobs)


async def _aiohttp(base_url: str, out: Path, jobs: int) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def job(i: int) -> str:
            body = {"prompt": f"bench lifecycle {i}", "size": SIZE, "seconds": str(SECONDS)}
            video = await bare_create_and_poll(session, base_url, body)
            async with session.get(f"{base_url}/videos/{video['id']}/content") as resp:
                resp.raise_for_status()
                with open(out / f"{i}.mp4", "wb") as fh:  # noqa: ASYNC230 - the floor: no thread hop
                    async for chunk in resp.content.iter_chunked(256 * 1024):
                        fh.write(chunk)
            status: str = video["status"]
            return status

        return await _measure(job, jobs)


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--jobs", type=int, default=5, help="measured jobs (after one warm-up)")
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip(reason)
        return
    quiet_warnings()
    start_cpu = cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="videoclient-bench-") as tmp:
        out = Path(tmp)
        t0 = cpu_seconds()
        if args.client == "videoclient-async":
            import videoclient

            import_cpu = cpu_seconds() - t0
            result = asyncio.run(_videoclient_async(args.base_url, out, args.jobs))
        elif args.client == "videoclient-sync":
            import videoclient  # noqa: F401

            import_cpu = cpu_seconds() - t0
            sync = _videoclient_sync(args.base_url, out, args.jobs)
            if sync is None:
                skip("videoclient has no sync VideoClient yet")
                return
            result = sync
        elif args.client == "openai-async":
            import openai  # noqa: F401

            import_cpu = cpu_seconds() - t0
            result = asyncio.run(_openai_async(args.base_url, out, args.jobs))
        else:
            import aiohttp  # noqa: F401

            import_cpu = cpu_seconds() - t0
            result = asyncio.run(_aiohttp(args.base_url, out, args.jobs))
    result.update(
        jobs=args.jobs + 1, start_cpu=start_cpu, import_cpu=import_cpu, peak_rss_mib=peak_rss_mib()
    )
    emit(result)


if __name__ == "__main__":
    main()
