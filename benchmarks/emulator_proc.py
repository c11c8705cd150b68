"""The emulator in its own process, with a stats side door: ``python -m benchmarks.emulator_proc``.

Takes every flag of ``python -m videoclient.emulator`` (``--port 0`` for a free port) and
keeps the whole request log. Besides the API it listens on a second port, never faulted
nor rate limited, answering:

- ``GET /stats?since=N``: requests since log index N (``by_route``: ``"GET /videos/{video_id}"``
  -> count; ``by_status``; ``faults``; ``create_span_s``: seconds from the first to the last
  ``POST /videos`` to arrive), plus ``log_len``, ``jobs_created``, ``duplicate_prompts``
  (jobs whose prompt an earlier live job already had),
  ``faults_injected`` and ``renders`` for the whole run;
- ``GET /asset/{video_id}?variant=video``: ``{"sha256", "size"}`` of a job's asset (rendered
  if needed), to check downloads byte for byte.

Once both listen it prints one JSON line, ``{"base_url": ..., "stats_url": ...}``, and runs
until SIGTERM or SIGINT. (The emulator has no HTTP stats endpoint of its own; a
``/_emulator/stats`` route would make this side door unnecessary.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import attrs
from aiohttp import web

from videoclient.emulator import Emulator, EmulatorConfig
from videoclient.emulator._cli import build_parser, config_from_args

__all__ = ["main"]


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _stats_app(emu: Emulator) -> web.Application:
    async def stats(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        records = emu.request_log.snapshot()
        window = records[since:]
        creates = [r.time for r in window if r.method == "POST" and r.route == "/videos"]
        prompts = Counter(job.prompt for job in emu.state.store.jobs())
        return web.json_response(
            {
                "log_len": len(records),
                "requests": len(window),
                "by_route": Counter(f"{r.method} {r.route}" for r in window),
                "by_status": Counter(str(r.status) for r in window),
                "faults": Counter(r.fault for r in window if r.fault),
                "create_span_s": max(creates) - min(creates) if creates else None,
                "jobs_created": emu.jobs_created,
                "duplicate_prompts": sum(n - 1 for n in prompts.values()),
                "faults_injected": emu.faults_injected,
                "renders": emu.renders,
            }
        )

    async def asset(request: web.Request) -> web.Response:
        video_id = request.match_info["video_id"]
        try:
            path = await emu.asset_path(video_id, request.query.get("variant", "video"))
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=404)
        digest, size = await asyncio.get_running_loop().run_in_executor(None, _sha256, path)
        return web.json_response({"sha256": digest, "size": size})

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/asset/{video_id}", asset)
    return app


async def _serve(config: EmulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Emulator(config) as emu:
        runner = web.AppRunner(_stats_app(emu), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            line = {"base_url": emu.base_url, "stats_url": f"http://127.0.0.1:{port}"}
            print(json.dumps(line), flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()


def _pad_inline_videos(mib: int) -> None:
    """Make every inline Vertex video ``mib`` MiB (the MP4, then zero bytes): for RSS runs.

    The client's memory is what is measured; the bytes' content does not matter to it.
    """
    import base64

    from videoclient.emulator.protocols import vertex

    def padded(path: Path) -> str:
        data = path.read_bytes()
        data += bytes(max(0, mib * 1024 * 1024 - len(data)))
        return base64.b64encode(data).decode("ascii")

    vertex._b64 = padded  # type: ignore[assignment]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the emulator's flags, serve until signalled, return an exit code."""
    parser = build_parser("python -m benchmarks.emulator_proc")
    parser.add_argument("--inline-video-mib", type=int, default=0, help="pad inline videos")
    args = parser.parse_args(argv)
    if args.inline_video_mib:
        _pad_inline_videos(args.inline_video_mib)
    try:
        config = attrs.evolve(config_from_args(args), request_log_limit=None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
