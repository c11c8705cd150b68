"""Inline-download driver: peak RSS growth fetching a finished Veo job's inline MP4 to a file.

The job is created with a bare POST and left to finish; then, with RSS measured from
there, ``videoclient-vertex`` downloads it by name (one streamed fetch of the operation,
decoded into the file), ``videoclient-vertex-poll`` polls it (the poll that sees it done)
and downloads the Video it got (decoding that poll's kept answer, no second fetch), and
``genai-async`` polls it with ``operations.get`` and writes ``video_bytes``. Growth = peak
RSS after - RSS before.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from ._common import KEY, base_parser, emit, quiet_warnings, skip

CLIENTS = ("videoclient-vertex", "videoclient-vertex-poll", "genai-async")
MODEL = "veo-3.1-generate-001"


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _create(root: str) -> str:
    body = {"instances": [{"prompt": "bench inline"}], "parameters": {"durationSeconds": 4}}
    req = urllib.request.Request(
        f"{root}/v1beta1/publishers/google/models/{MODEL}:predictLongRunning",
        data=json.dumps(body).encode(),
        headers={"x-goog-api-key": KEY, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as resp:
        name: str = json.loads(resp.read())["name"]
    return name


async def _videoclient(root: str, name: str, out: Path) -> None:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient.vertex(KEY, base_url=root) as client:
        await client.videos.download(name, out)


async def _videoclient_poll(root: str, name: str, out: Path) -> None:
    from videoclient import AsyncVideoClient

    async with AsyncVideoClient.vertex(KEY, base_url=root) as client:
        video = await client.videos.retrieve(name)
        assert video.status == "completed", video.status
        await client.videos.download(video, out)


async def _genai(root: str, name: str, out: Path) -> None:
    from google import genai
    from google.genai import types

    client = genai.Client(vertexai=True, api_key=KEY, http_options=types.HttpOptions(base_url=root))
    try:
        op = await client.aio.operations.get(types.GenerateVideosOperation(name=name))
        video = op.result.generated_videos[0].video  # type: ignore[union-attr,index]
        out.write_bytes(video.video_bytes)  # type: ignore[union-attr,arg-type]  # noqa: ASYNC240
    finally:
        await client.aio.aclose()


def main() -> None:
    p = base_parser(__doc__ or "", CLIENTS)
    p.add_argument("--wait", type=float, default=2.0, help="seconds the job needs to finish")
    args = p.parse_args()
    from importlib.util import find_spec

    if args.client == "genai-async" and find_spec("google") is None:
        skip("google-genai is not installed")
        return
    quiet_warnings()
    root = args.base_url.removesuffix("/v1")
    if args.client.startswith("videoclient-"):
        import videoclient  # noqa: F401
    else:
        from google import genai  # noqa: F401
    name = _create(root)
    time.sleep(args.wait)
    with tempfile.TemporaryDirectory(prefix="videoclient-bench-") as tmp:
        out = Path(tmp) / "inline.mp4"
        with open("/proc/self/clear_refs", "w") as fh:  # peak RSS starts again from now
            fh.write("5")
        before = _status_kib("VmRSS")
        fetch = {
            "videoclient-vertex": _videoclient,
            "videoclient-vertex-poll": _videoclient_poll,
        }.get(args.client, _genai)
        asyncio.run(fetch(root, name, out))
        peak = _status_kib("VmHWM")
        size = out.stat().st_size
    result: dict[str, Any] = {
        "video_mib": size / (1024 * 1024),
        "rss_growth_mib": (peak - before) / 1024,
        "peak_rss_mib": peak / 1024,
    }
    emit(result)


if __name__ == "__main__":
    main()
