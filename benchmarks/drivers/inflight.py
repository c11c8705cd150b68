"""Many-jobs-in-flight driver: CPU per job with ``--concurrency`` jobs running at once.

Each job is what a new user writes first: ``create_and_poll``, then the thumbnail into memory
(``download_content(variant="thumbnail")``). ``--jobs`` jobs run under a semaphore of
``--concurrency``; CPU (``getrusage``, user + system, every thread) is counted from the first
create to the last thumbnail, after one warm-up job, and divided by the number of jobs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._common import (
    KEY,
    bare_create_and_poll,
    base_parser,
    cpu_seconds,
    emit,
    missing_peer,
    peak_rss_mib,
    quiet_warnings,
)
from ._common import skip as skip_client

CLIENTS = ("videoclient-async", "openai-async", "aiohttp")
SIZE = "64x64"
SECONDS = 1

Job = Callable[[int], Awaitable[int]]


async def _measure(job: Job, jobs: int, concurrency: int) -> dict[str, Any]:
    """Warm up with one job, then run ``jobs`` at ``concurrency`` at once and measure."""
    await job(-1)
    gate = asyncio.Semaphore(concurrency)

    async def gated(i: int) -> int:
        async with gate:
            return await job(i)

    c0, t0 = cpu_seconds(), time.perf_counter()
    sizes = await asyncio.gather(*(gated(i) for i in range(jobs)))
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    if not all(sizes):
        raise RuntimeError("a thumbnail came back empty")
    return {"cpu_per_job": cpu / jobs, "wall": wall, "cpu": cpu}


async def _videoclient(base_url: str, jobs: int, concurrency: int) -> dict[str, Any]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=base_url) as client:

        async def job(i: int) -> int:
            video = await client.videos.create_and_poll(
                prompt=f"bench inflight {i}", size=SIZE, seconds=SECONDS
            )
            return len(await client.videos.download_content(video.id, variant="thumbnail"))

        return await _measure(job, jobs, concurrency)


async def _openai(base_url: str, jobs: int, concurrency: int) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=base_url) as client:

        async def job(i: int) -> int:
            video = await client.videos.create_and_poll(
                prompt=f"bench inflight {i}",
                size=SIZE,  # type: ignore[arg-type]
                seconds=str(SECONDS),  # type: ignore[arg-type]
            )
            content = await client.videos.download_content(video.id, variant="thumbnail")
            return len(content.content)

        return await _measure(job, jobs, concurrency)


async def _aiohttp(base_url: str, jobs: int, concurrency: int) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def job(i: int) -> int:
            body = {"prompt": f"bench inflight {i}", "size": SIZE, "seconds": str(SECONDS)}
            video = await bare_create_and_poll(session, base_url, body)
            url = f"{base_url}/videos/{video['id']}/content"
            async with session.get(url, params={"variant": "thumbnail"}) as resp:
                resp.raise_for_status()
                return len(await resp.read())

        return await _measure(job, jobs, concurrency)


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--jobs", type=int, default=150, help="measured jobs (after one warm-up)")
    p.add_argument("--concurrency", type=int, default=50, help="jobs in flight at once")
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip_client(reason)
        return
    quiet_warnings()
    run = {"videoclient-async": _videoclient, "openai-async": _openai, "aiohttp": _aiohttp}
    result = asyncio.run(run[args.client](args.base_url, args.jobs, args.concurrency))
    result.update(jobs=args.jobs + 1, peak_rss_mib=peak_rss_mib())
    emit(result)


if __name__ == "__main__":
    main()
