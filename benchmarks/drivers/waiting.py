"""Waiting-cost driver: one job, then ``--jobs`` jobs at once, each waited for.

Requests are counted at the emulator, through its stats side door, around each phase.

- ``videoclient-as-completed``: ``create`` each (under a semaphore of 50), then
  ``as_completed``; with one job, ``create_and_poll``;
- ``videoclient-poll``: ``create`` each, then ``poll`` each under ``gather``; with one job,
  ``create_and_poll``;
- ``openai-async``: ``create_and_poll`` each under ``gather`` (reads the hint only once);
- ``fixed-1s``: a bare aiohttp loop retrieving each job every second.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from typing import Any

from ._common import KEY, base_parser, emit, missing_peer, quiet_warnings, skip

CLIENTS = ("videoclient-as-completed", "videoclient-poll", "openai-async", "fixed-1s")
SIZE = "64x64"
PENDING = ("queued", "in_progress")


async def _videoclient(base_url: str, jobs: int, as_completed: bool) -> list[str]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=base_url) as client:
        if jobs == 1:
            video = await client.videos.create_and_poll(prompt="bench wait", size=SIZE, seconds=1)
            return [video.status]
        gate = asyncio.Semaphore(50)

        async def start(i: int) -> Any:
            async with gate:
                return await client.videos.create(prompt=f"bench wait {i}", size=SIZE, seconds=1)

        created = await asyncio.gather(*(start(i) for i in range(jobs)))
        if as_completed:
            return [v.status async for v in client.videos.as_completed(created)]
        done = await asyncio.gather(*(client.videos.poll(v) for v in created))
        return [v.status for v in done]


async def _openai(base_url: str, jobs: int) -> list[str]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=base_url) as client:
        done = await asyncio.gather(
            *(
                client.videos.create_and_poll(
                    prompt=f"bench wait {i}",
                    size=SIZE,  # type: ignore[arg-type]
                    seconds="1",  # type: ignore[arg-type]
                )
                for i in range(jobs)
            )
        )
        return [v.status for v in done]


async def _fixed(base_url: str, jobs: int) -> list[str]:
    import aiohttp

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as session:

        async def one(i: int) -> str:
            body = {"prompt": f"bench wait {i}", "size": SIZE, "seconds": "1"}
            async with session.post(f"{base_url}/videos", json=body) as resp:
                resp.raise_for_status()
                video = await resp.json()
            while video["status"] in PENDING:
                await asyncio.sleep(1.0)
                async with session.get(f"{base_url}/videos/{video['id']}") as resp:
                    resp.raise_for_status()
                    video = await resp.json()
            status: str = video["status"]
            return status

        return list(await asyncio.gather(*(one(i) for i in range(jobs))))


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--jobs", type=int, required=True, help="jobs at once (after a 1-job run)")
    p.add_argument("--stats-url", required=True, help="the emulator's stats side door")
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip(reason)
        return
    quiet_warnings()
    result: dict[str, Any] = {}
    for phase, jobs in (("one", 1), ("many", args.jobs)):
        mark = _stats(args.stats_url)["log_len"]
        t0 = time.perf_counter()
        if args.client == "openai-async":
            statuses = asyncio.run(_openai(args.base_url, jobs))
        elif args.client == "fixed-1s":
            statuses = asyncio.run(_fixed(args.base_url, jobs))
        else:
            as_completed = args.client == "videoclient-as-completed"
            statuses = asyncio.run(_videoclient(args.base_url, jobs, as_completed))
        wall = time.perf_counter() - t0
        result[phase] = {
            "jobs": jobs,
            "wall": wall,
            "statuses": dict(Counter(statuses)),
            "window": _stats(args.stats_url, mark),
        }
    emit(result)


def _stats(stats_url: str, since: int = 0) -> dict[str, Any]:
    """The emulator's counters since log index ``since`` (its stats side door)."""
    with urllib.request.urlopen(f"{stats_url}/stats?since={since}", timeout=30) as resp:
        window: dict[str, Any] = json.load(resp)
    return window


if __name__ == "__main__":
    main()
