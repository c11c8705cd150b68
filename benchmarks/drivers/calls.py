"""Per-call overhead driver: latency of ``retrieve`` against the emulator, one call after another.

Creates one job, makes ``--warmup`` retrieves, then times ``--calls`` retrieves each with
``perf_counter``; reports the median latency and the CPU per call.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._common import (
    KEY,
    base_parser,
    cpu_seconds,
    emit,
    import_sync_client,
    missing_peer,
    quiet_warnings,
    skip,
)

CLIENTS = ("videoclient-async", "videoclient-sync", "openai-async", "openai-sync")


def _summary(latencies: list[float], cpu: float) -> dict[str, Any]:
    return {
        "median_us": statistics.median(latencies) * 1e6,
        "mean_us": statistics.fmean(latencies) * 1e6,
        "cpu_per_call_us": cpu / len(latencies) * 1e6,
        "calls": len(latencies),
    }


async def _timed_async(
    call: Callable[[], Awaitable[Any]], warmup: int, calls: int
) -> dict[str, Any]:
    for _ in range(warmup):
        await call()
    latencies = []
    c0 = cpu_seconds()
    for _ in range(calls):
        t0 = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - t0)
    return _summary(latencies, cpu_seconds() - c0)


def _timed_sync(call: Callable[[], Any], warmup: int, calls: int) -> dict[str, Any]:
    for _ in range(warmup):
        call()
    latencies = []
    c0 = cpu_seconds()
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    return _summary(latencies, cpu_seconds() - c0)


async def _videoclient_async(base_url: str, warmup: int, calls: int) -> dict[str, Any]:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient(KEY, base_url=base_url) as client:
        video = await client.videos.create(prompt="bench calls", size="64x64", seconds=1)
        return await _timed_async(lambda: client.videos.retrieve(video.id), warmup, calls)


def _videoclient_sync(base_url: str, warmup: int, calls: int) -> dict[str, Any] | None:
    found = import_sync_client()
    if found is None:
        return None
    VideoClient, source = found
    with VideoClient(KEY, base_url=base_url) as client:
        video = client.videos.create(prompt="bench calls", size="64x64", seconds=1)
        result = _timed_sync(lambda: client.videos.retrieve(video.id), warmup, calls)
        return {**result, "source": source}


async def _openai_async(base_url: str, warmup: int, calls: int) -> dict[str, Any]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=KEY, base_url=base_url) as client:
        video = await client.videos.create(
            prompt="bench calls",
            size="64x64",  # type: ignore[arg-type]
            seconds="1",  # type: ignore[arg-type]
        )
        return await _timed_async(lambda: client.videos.retrieve(video.id), warmup, calls)


def _openai_sync(base_url: str, warmup: int, calls: int) -> dict[str, Any]:
    from openai import OpenAI

    with OpenAI(api_key=KEY, base_url=base_url) as client:
        video = client.videos.create(
            prompt="bench calls",
            size="64x64",  # type: ignore[arg-type]
            seconds="1",  # type: ignore[arg-type]
        )
        return _timed_sync(lambda: client.videos.retrieve(video.id), warmup, calls)


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--warmup", type=int, default=20)
    args = p.parse_args()
    if (reason := missing_peer(args.client)) is not None:
        skip(reason)
        return
    quiet_warnings()
    result: dict[str, Any] | None
    if args.client == "videoclient-async":
        result = asyncio.run(_videoclient_async(args.base_url, args.warmup, args.calls))
    elif args.client == "videoclient-sync":
        result = _videoclient_sync(args.base_url, args.warmup, args.calls)
        if result is None:
            skip("videoclient has no sync VideoClient yet")
            return
    elif args.client == "openai-async":
        result = asyncio.run(_openai_async(args.base_url, args.warmup, args.calls))
    else:
        result = _openai_sync(args.base_url, args.warmup, args.calls)
    emit(result)


if __name__ == "__main__":
    main()
