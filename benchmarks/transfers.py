"""Scenario 3, transfers: a large download and a large upload against :mod:`benchmarks.fileserver`."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
from functools import partial
from pathlib import Path

from ._procs import Server, attempt, rounds, run_driver
from .fileserver import make_file, warm
from .report import Goal, Metric, Ratio, Section
from .samples import Samples
from .settings import MIB, Settings

__all__ = ["DOWNLOAD_LABELS", "UPLOAD_LABELS", "run"]

DOWNLOAD_LABELS = {
    "videoclient": "videoclient",
    "openai-buffered": "openai-python buffered",
    "openai-stream": "openai-python streaming",
    "aiohttp": "bare aiohttp",
    "aiohttp-durable": "bare aiohttp, thread writes + fsync",
    "curl": "curl",
}
UPLOAD_LABELS = {
    "videoclient": "videoclient",
    "openai": "openai-python",
    "aiohttp": "bare aiohttp",
    "curl": "curl",
}
METRICS = (
    Metric("mib_per_s", "throughput", "MiB/s", 0),
    Metric("rss_growth", "peak RSS growth", "MiB", 1),
    Metric("cpu_s", "CPU", "s", 2),
    Metric("peak_rss", "peak RSS", "MiB", 1),
)


def _last_upload(url: str) -> int | None:
    with urllib.request.urlopen(f"{url}/_bench/last-upload", timeout=30) as resp:
        received: int | None = json.load(resp)["bytes"]
    return received


def _measure(
    samples: Samples, settings: Settings, srv: Server, op: str, tmp: Path, total: int
) -> None:
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    for client in rounds(samples, settings.runs, op):
        args = ["--client", client, "--base-url", srv.base_url, "--op", op, "--bytes", str(total)]
        args += ["--out-dir", str(out)]
        args += [
            "--upload-big",
            str(tmp / "up_big.mp4"),
            "--upload-small",
            str(tmp / "up_small.mp4"),
        ]
        timeout = 120 + total / MIB
        result = attempt(samples, client, partial(run_driver, "transfer", args, timeout=timeout))
        if result is None:
            continue
        if op == "upload" and (got := _last_upload(srv.info["url"])) != total:
            samples.fail(client, f"the server received {got} bytes of {total}")
            continue
        values = {
            "mib_per_s": result["mib_per_s"],
            "rss_growth": result["rss_growth_mib"],
            "peak_rss": result["peak_rss_mib"],
        }
        if "cpu" in result:
            values["cpu_s"] = result["cpu"]
        samples.add(client, values)


RAM_DIR = "/dev/shm"


def storage_dir(settings: Settings) -> str | None:
    """The directory the transfer files go to (None: the temp dir).

    RAM-backed by default, when there is one with room for every file: on a shared VM
    the kernel time of page-cache writes to disk varied from 0.35 to 3.3 s for the same
    512 MiB, which drowned the differences between clients.
    """
    if settings.transfer_dir is not None:
        return settings.transfer_dir
    need = 3 * (settings.download_bytes + settings.upload_bytes)
    usable = os.path.isdir(RAM_DIR) and os.access(RAM_DIR, os.W_OK)
    if usable and shutil.disk_usage(RAM_DIR).free > need:
        return RAM_DIR
    return None


def run(settings: Settings) -> tuple[list[Section], list[str]]:
    """Measure downloads and uploads; return both sections and any failures."""
    down, up = Samples(DOWNLOAD_LABELS), Samples(UPLOAD_LABELS)
    down_mib, up_mib = settings.download_bytes // MIB, settings.upload_bytes // MIB
    curl_note = {} if shutil.which("curl") else {"curl": "not installed"}
    where = storage_dir(settings)
    with tempfile.TemporaryDirectory(prefix="videoclient-bench-", dir=where) as name:
        tmp = Path(name)
        (tmp / "srv").mkdir()
        warm(make_file(tmp / "up_big.mp4", settings.upload_bytes))
        make_file(tmp / "up_small.mp4", 4096)
        serve = ["--dir", str(tmp / "srv"), "--size", str(settings.download_bytes)]
        with Server("benchmarks.fileserver", serve) as srv:
            _measure(down, settings, srv, "download", tmp, settings.download_bytes)
            _measure(up, settings, srv, "upload", tmp, settings.upload_bytes)
    vc_down, vc_up = DOWNLOAD_LABELS["videoclient"], UPLOAD_LABELS["videoclient"]
    storage = (
        f"a RAM-backed file system ({where}; `--transfer-dir DIR` measures another)"
        if where == RAM_DIR
        else f"`{where or tempfile.gettempdir()}`"
    )
    server = (
        "Served by `benchmarks/fileserver.py` in its own process (aiohttp `FileResponse`: "
        "sendfile, Content-Length, ETag, Range), from a sparse file, over loopback; every "
        f"client's files are written to {storage}. The served and uploaded files are read "
        "once before the first run, so no client pays for bringing them into the page cache."
    )
    download = Section(
        key="download",
        title=f"Download: {down_mib} MiB",
        what=(
            f"One {down_mib} MiB asset to a file, after a 4 KiB warm-up download in the same "
            "process; peak RSS growth = `ru_maxrss` after minus after the warm-up (curl: "
            "its own `ru_maxrss`, large minus small run). videoclient: `videos.download(id, "
            "path)`; openai-python buffered: `(await videos.download_content(id))"
            ".write_to_file(path)`; streaming: `with_streaming_response.videos"
            ".download_content(id)` + `stream_to_file`; bare aiohttp: `iter_chunked(256 KiB)` "
            "to a file; bare aiohttp, thread writes + fsync: the same with each chunk written in "
            "a worker thread, then fsync and rename; curl: `curl -s -o FILE`."
        ),
        metrics=METRICS,
        rows=down.rows(
            {
                **curl_note,
                "openai-buffered": "holds the whole asset in memory",
                "aiohttp-durable": "what durable writes cost (cf. `download(fsync=True)`)",
            }
        ),
        ratios=(Ratio("mib_per_s", "curl"), Ratio("cpu_s", DOWNLOAD_LABELS["aiohttp"])),
        goals=(
            Goal(vc_down, "mib_per_s", 0.9, peer="curl", at_least=True),
            Goal(vc_down, "rss_growth", 32),
        ),
        notes=(
            server,
            "videoclient reads bodies of 4 MiB and more straight off the socket into reused "
            "buffers (up to 1 MiB), writes each to the file as it fills, and renames "
            "the temporary file into place (atomic); `download(..., fsync=True)` adds "
            "durability across power loss, at about the cost the thread-writes + fsync row "
            "shows over bare aiohttp.",
        ),
    )
    upload = Section(
        key="upload",
        title=f"Upload: {up_mib} MiB",
        what=(
            f"`POST /videos/edits` with a {up_mib} MiB MP4 as multipart, after a 4 KiB warm-up "
            "upload; the server checks that every byte arrived. videoclient: `videos.edit("
            "video=path)`; openai-python: `videos.edit(video=(name, open file, type))`; bare "
            "aiohttp: `FormData` with the open file; curl: `curl -F video=@FILE`."
        ),
        metrics=METRICS,
        rows=up.rows(curl_note),
        ratios=(Ratio("mib_per_s", "curl"), Ratio("cpu_s", UPLOAD_LABELS["aiohttp"])),
        goals=(
            Goal(vc_up, "mib_per_s", 0.9, peer="curl", at_least=True),
            Goal(vc_up, "rss_growth", 32),
        ),
        notes=(server,),
    )
    return [download, upload], down.errors + up.errors
