"""Scenario: providers. Client CPU per job on Runway and on Veo (Vertex AI), beside each SDK."""

from __future__ import annotations

from functools import partial

from ._procs import attempt, emulator, rounds, run_driver, stats
from .report import Goal, Metric, Ratio, Section
from .samples import Samples
from .settings import Settings

__all__ = ["LABELS", "run", "run_inline"]

LABELS = {
    "videoclient-runway": "videoclient on Runway",
    "runwayml-async": "runwayml AsyncRunwayML",
    "videoclient-vertex": "videoclient on Vertex",
    "videoclient-vertex-stdlib": "videoclient on Vertex, stdlib base64",
    "genai-async": "google-genai client.aio",
}


RSS_LABELS = {
    "videoclient-vertex": "videoclient on Vertex, download by name",
    "videoclient-vertex-poll": "videoclient on Vertex, poll + download",
    "genai-async": "google-genai client.aio",
}


def run_inline(settings: Settings) -> tuple[Section, list[str]]:
    """Peak RSS growth downloading a large inline Vertex video (64 MiB; 8 MiB quick)."""
    mib = 8 if settings.quick else 64
    samples = Samples(RSS_LABELS)
    flags = ("--render-seconds", "0.3", "--fps", "8", "--inline-video-mib", str(mib))
    with emulator(*flags) as emu:
        for client in rounds(samples, settings.runs, "providers-inline"):
            args = ["--client", client, "--base-url", emu.base_url, "--wait", "1.5"]
            result = attempt(samples, client, partial(run_driver, "inline_rss", args, timeout=120))
            if result is None:
                continue
            samples.add(
                client,
                {
                    "growth": result["rss_growth_mib"],
                    "per_mib": result["rss_growth_mib"] / result["video_mib"],
                    "peak_rss": result["peak_rss_mib"],
                },
            )
    section = Section(
        key="providers-inline",
        title=f"Providers: peak RSS downloading a {mib} MiB inline Vertex video",
        what=(
            f"A finished Veo operation carries a {mib} MiB MP4 inline as base64 "
            f"({mib * 4 // 3} MiB of JSON); each client fetches it once and writes the video "
            "to a file: videoclient by name (`download(name)`: the operation streamed and "
            "decoded into the file), or as a wait ends (`retrieve` sees it done, `download` "
            "decodes that answer), google-genai with `operations.get` and `video_bytes`. "
            "Growth = peak RSS during the fetch - RSS before it (Linux VmHWM after clearing it)."
        ),
        metrics=(
            Metric("growth", "RSS growth", "MiB", 1),
            Metric("per_mib", "growth / video size", "x", 2),
            Metric("peak_rss", "peak RSS", "MiB", 1),
        ),
        rows=samples.rows({}),
        ratios=(Ratio("growth", RSS_LABELS["genai-async"]),),
        goals=(
            Goal(RSS_LABELS["videoclient-vertex"], "per_mib", 2.5),
            Goal(RSS_LABELS["videoclient-vertex-poll"], "per_mib", 2.5),
        ),
        notes=(),
    )
    return section, samples.errors


def run(settings: Settings) -> tuple[Section, list[str]]:
    """Measure every client; return the section and any failures."""
    samples = Samples(LABELS)
    render = settings.lifecycle_render
    with emulator("--render-seconds", str(render), "--fps", "8") as emu:
        for client in rounds(samples, settings.runs, "providers"):
            mark = stats(emu.stats_url)["log_len"]
            args = ["--client", client, "--base-url", emu.base_url]
            args += ["--jobs", str(settings.lifecycle_jobs)]
            timeout = 60 + 10 * settings.lifecycle_jobs * render
            result = attempt(
                samples, client, partial(run_driver, "providers", args, timeout=timeout)
            )
            if result is None:
                continue
            requests = stats(emu.stats_url, mark)["requests"] / result["jobs"]
            samples.add(
                client,
                {
                    "cpu_ms": result["cpu_per_job"] * 1000,
                    "requests": requests,
                    "wall_s": result["wall_per_job"],
                    "peak_rss": result["peak_rss_mib"],
                },
            )
    section = Section(
        key="providers",
        title="Providers: client CPU per job on Runway and Veo (Vertex AI)",
        what=(
            "Create a 1280x720 job (Runway `gen4.5` 2 s through `/v1/text_to_video`; Veo 4 s "
            "through `predictLongRunning`), wait for it polling every 0.2 s (the SDKs' own "
            "pace shortened to the same), download the MP4 to a file (Runway: its signed URL; "
            f"Vertex: the inline base64). Emulator: {render:g} s renders at 8 fps. CPU = user + "
            "system of the client process per job, after a warm-up job."
        ),
        metrics=(
            Metric("cpu_ms", "CPU/job", "ms", 2),
            Metric("requests", "requests/job", "", 1),
            Metric("wall_s", "wall/job", "s", 2),
            Metric("peak_rss", "peak RSS", "MiB", 1),
        ),
        rows=samples.rows({}),
        ratios=(
            Ratio("cpu_ms", LABELS["runwayml-async"]),
            Ratio("cpu_ms", LABELS["genai-async"]),
        ),
        goals=(
            Goal(LABELS["videoclient-runway"], "cpu_ms", 0.5, peer=LABELS["runwayml-async"]),
            Goal(LABELS["videoclient-vertex"], "cpu_ms", 0.5, peer=LABELS["genai-async"]),
        ),
        notes=(
            "runwayml's download is an httpx stream of the signed URL (it has no helper); "
            "google-genai holds the decoded video in memory (`video_bytes`); videoclient "
            "decodes the answer of the poll that saw the operation done into the file "
            "(temp file, length check, rename) without fetching it again.",
            "videoclient on Vertex decodes the base64 with pybase64 (the `speedups` extra, "
            "in `[all]`); the stdlib row hides it, as an install without the extra runs.",
        ),
    )
    return section, samples.errors
