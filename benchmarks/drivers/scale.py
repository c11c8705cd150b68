"""Scale driver: ``--jobs`` jobs submitted at once and waited for; wall time, CPU and peak RSS.

- ``videoclient-as-completed``: every ``create`` under one ``gather``, then
  ``client.videos.as_completed(jobs)``;
- ``videoclient-poll``: ``create_and_poll`` per job under one ``gather``;
- ``openai-async``: ``AsyncOpenAI().videos.create_and_poll`` per job under one ``gather``.

Wall time runs from the first create to the last job done. Requests are counted by the
orchestrator at the emulator.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
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

CLIENTS = ("videoclient-as-completed", "videoclient-poll", "openai-async")
SIZE = "64x64"


async def _videoclient(base_url: str, jobs: int, as_completed: bool) -> list[str]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=base_url) as client:
        prompts = [f"bench scale {i}" for i in range(jobs)]
        if as_completed:
            created = await asyncio.gather(
                *(client.videos.create(prompt=p, size=SIZE, seconds=1) for p in prompts)
            )
            return [v.status async for v in client.videos.as_completed(created)]
        done = await asyncio.gather(
            *(client.videos.create_and_poll(prompt=p, size=SIZE, seconds=1) for p in prompts)
        )
        return [v.status for v in done]


async def _openai(base_url: str, jobs: int) -> list[str]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=base_url) as client:
        done = await asyncio.gather(
            *(
                client.videos.create_and_poll(
                    prompt=f"bench scale {i}",
                    size=SIZE,  # type: ignore[arg-type]
                    seconds="1",  # type: ignore[arg-type]
                )
                for i in range(jobs)
            )
        )
        return [v.status for v in done]


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--jobs", type=int, required=True)
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip(reason)
        return
    quiet_warnings()
    if args.client == "openai-async":
        import openai  # noqa: F401
    else:
        import videoclient  # noqa: F401
    imported_rss = peak_rss_mib()
    c0, t0 = cpu_seconds(), time.perf_counter()
    if args.client == "openai-async":
        statuses = asyncio.run(_openai(args.base_url, args.jobs))
    else:
        as_completed = args.client == "videoclient-as-completed"
        statuses = asyncio.run(_videoclient(args.base_url, args.jobs, as_completed))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    result: dict[str, Any] = {
        "wall": wall,
        "cpu": cpu,
        "peak_rss_mib": peak_rss_mib(),
        "imported_rss_mib": imported_rss,
        "statuses": dict(Counter(statuses)),
    }
    emit(result)


if __name__ == "__main__":
    main()
