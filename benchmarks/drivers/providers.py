"""Providers driver: client CPU per job on Runway and Veo on Vertex AI, beside their SDKs.

One job = create, wait until done (every client polls every ``POLL`` seconds, so each sends
the same requests), download the MP4 to a file. One warm-up job, then ``--jobs`` jobs;
CPU (``getrusage``, user + system, every thread) per job. ``videoclient-vertex-stdlib`` is
videoclient on Vertex with pybase64 (the ``speedups`` extra) hidden: the standard library
decodes the base64, as in an install without the extra.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ._common import KEY, base_parser, cpu_seconds, emit, peak_rss_mib, quiet_warnings, skip

CLIENTS = (
    "videoclient-runway",
    "runwayml-async",
    "videoclient-vertex",
    "videoclient-vertex-stdlib",
    "genai-async",
)
POLL = 0.2
MODEL_VEO = "veo-3.1-generate-001"

Job = Callable[[int], Awaitable[str]]


async def _measure(job: Job, jobs: int) -> dict[str, Any]:
    statuses = [await job(-1)]
    c0, t0 = cpu_seconds(), time.perf_counter()
    for i in range(jobs):
        statuses.append(await job(i))
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    return {"cpu_per_job": cpu / jobs, "wall_per_job": wall / jobs, "statuses": statuses}


async def _videoclient(provider: str, root: str, out: Path, jobs: int) -> dict[str, Any]:
    from videoclient import AsyncVideoClient

    if provider == "runway":
        client = AsyncVideoClient.runway(KEY, base_url=root)
        seconds = 2
    else:
        client = AsyncVideoClient.vertex(KEY, base_url=root)
        seconds = 4
    async with client:

        async def job(i: int) -> str:
            video = await client.videos.create_and_poll(
                prompt=f"bench providers {i}", size="1280x720", seconds=seconds, poll_interval=POLL
            )
            await client.videos.download(video, out / f"{i}.mp4", overwrite=True)
            return video.status

        return await _measure(job, jobs)


async def _runwayml(root: str, out: Path, jobs: int) -> dict[str, Any]:
    import httpx
    import runwayml.lib.polling as polling
    from runwayml import AsyncRunwayML

    polling.POLL_TIME, polling.POLL_JITTER = POLL, 0  # the same pace as the others
    async with AsyncRunwayML(api_key=KEY, base_url=root) as client, httpx.AsyncClient() as http:

        async def job(i: int) -> str:
            created = await client.text_to_video.create(
                model="gen4.5", prompt_text=f"bench providers {i}", ratio="1280:720", duration=2
            )
            task = await created.wait_for_task_output()
            async with http.stream("GET", task.output[0]) as resp:
                resp.raise_for_status()
                with open(out / f"{i}.mp4", "wb") as fh:  # noqa: ASYNC230 - as its users write it
                    async for chunk in resp.aiter_bytes(256 * 1024):
                        fh.write(chunk)
            return str(task.status)

        return await _measure(job, jobs)


async def _genai(root: str, out: Path, jobs: int) -> dict[str, Any]:
    from google import genai
    from google.genai import types

    client = genai.Client(vertexai=True, api_key=KEY, http_options=types.HttpOptions(base_url=root))

    async def job(i: int) -> str:
        op = await client.aio.models.generate_videos(
            model=MODEL_VEO,
            source=types.GenerateVideosSource(prompt=f"bench providers {i}"),
            config=types.GenerateVideosConfig(
                duration_seconds=4, aspect_ratio="16:9", resolution="720p"
            ),
        )
        while not op.done:
            await asyncio.sleep(POLL)
            op = await client.aio.operations.get(op)
        video = op.result.generated_videos[0].video  # type: ignore[union-attr,index]
        (out / f"{i}.mp4").write_bytes(video.video_bytes)  # type: ignore[union-attr,arg-type]
        return "done"

    try:
        return await _measure(job, jobs)
    finally:
        await client.aio.aclose()


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--jobs", type=int, default=5, help="measured jobs (after one warm-up)")
    args = p.parse_args()
    from importlib.util import find_spec

    peer = {"runwayml-async": "runwayml", "genai-async": "google.genai"}.get(args.client)
    if peer is not None and find_spec(peer.split(".")[0]) is None:
        skip(f"{peer} is not installed")
        return
    quiet_warnings()
    root = args.base_url.removesuffix("/v1")
    start_cpu = cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="videoclient-bench-") as tmp:
        out = Path(tmp)
        t0 = cpu_seconds()
        if args.client.startswith("videoclient-"):
            if args.client.endswith("-stdlib"):
                sys.modules["pybase64"] = None  # type: ignore[assignment]  # as if not installed
            import videoclient  # noqa: F401

            import_cpu = cpu_seconds() - t0
            provider = args.client.removeprefix("videoclient-").removesuffix("-stdlib")
            result = asyncio.run(_videoclient(provider, root, out, args.jobs))
        elif args.client == "runwayml-async":
            import runwayml  # noqa: F401

            import_cpu = cpu_seconds() - t0
            result = asyncio.run(_runwayml(root, out, args.jobs))
        else:
            from google import genai  # noqa: F401

            import_cpu = cpu_seconds() - t0
            result = asyncio.run(_genai(root, out, args.jobs))
    result.update(
        jobs=args.jobs + 1, start_cpu=start_cpu, import_cpu=import_cpu, peak_rss_mib=peak_rss_mib()
    )
    emit(result)


if __name__ == "__main__":
    main()
