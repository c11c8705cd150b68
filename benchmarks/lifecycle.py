"""Scenario 1, lifecycle: client CPU per job (create, poll to done, download a small MP4)."""

from __future__ import annotations

from functools import partial

from . import baseline
from ._procs import attempt, emulator, rounds, run_driver, stats
from .report import Goal, Metric, Ratio, Section
from .samples import Samples
from .settings import Settings

__all__ = ["LABELS", "run"]

LABELS = {
    "videoclient-async": "videoclient async",
    "videoclient-sync": "videoclient sync",
    "openai-async": "openai-python async",
    "aiohttp": "bare aiohttp",
}
OPENAI, FLOOR = LABELS["openai-async"], LABELS["aiohttp"]


def run(settings: Settings) -> tuple[Section, list[str]]:
    """Measure every client; return the section and any failures."""
    short = settings.baseline[0] if settings.baseline else None
    samples = Samples(baseline.labels_with(LABELS, short))
    render = settings.lifecycle_render
    with emulator("--render-seconds", str(render)) as emu:
        for client in rounds(samples, settings.runs, "lifecycle"):
            driver, import_from = baseline.driver(client, settings.baseline)
            mark = stats(emu.stats_url)["log_len"]
            args = ["--client", driver, "--base-url", emu.base_url]
            args += ["--jobs", str(settings.lifecycle_jobs)]
            timeout = 60 + 10 * settings.lifecycle_jobs * render
            measure = partial(
                run_driver,
                "lifecycle",
                args,
                timeout=timeout,
                import_from=import_from,
            )
            result = attempt(samples, client, measure)
            if result is None:
                continue
            if result.get("source", "videoclient.VideoClient") != "videoclient.VideoClient":
                samples.annotate(client, f"from {result['source']} (not exported yet)")
            requests = stats(emu.stats_url, mark)["requests"] / result["jobs"]
            cpu_ms = result["cpu_per_job"] * 1000
            samples.add(
                client,
                {
                    "cpu_ms": cpu_ms,
                    "requests": requests,
                    "cpu_per_request_ms": cpu_ms / requests,
                    "wall_s": result["wall_per_job"],
                    "import_ms": result["import_cpu"] * 1000,
                    "peak_rss": result["peak_rss_mib"],
                },
            )
    notes = {"aiohttp": "honours every poll-after hint, no retries, no checks: the floor"}
    section = Section(
        key="lifecycle",
        title="Lifecycle: client CPU per job",
        what=(
            f"Create a 64x64 1 s job, poll it to `completed` (emulator: {render:g} s renders, "
            "default `openai-poll-after-ms` hints), download the MP4 to a file; CPU = user + "
            f"system of the client process (`getrusage`), over {settings.lifecycle_jobs} jobs "
            "after a warm-up job, per job. Import CPU is counted apart."
        ),
        metrics=(
            Metric("cpu_ms", "CPU/job", "ms", 2),
            Metric("requests", "requests/job", "", 1),
            Metric("cpu_per_request_ms", "CPU/request", "ms", 2),
            Metric("wall_s", "wall/job", "s", 2),
            Metric("import_ms", "import CPU", "ms", 0),
            Metric("peak_rss", "peak RSS", "MiB", 1),
        ),
        rows=samples.rows(notes),
        ratios=(
            Ratio("cpu_ms", OPENAI),
            Ratio("cpu_ms", FLOOR),
            Ratio("cpu_per_request_ms", FLOOR),
        ),
        goals=(
            Goal(LABELS["videoclient-async"], "cpu_ms", 0.4, peer=OPENAI),
            Goal(LABELS["videoclient-async"], "cpu_ms", 1.25, peer=FLOOR),
        ),
        notes=(
            "openai-python reads `openai-poll-after-ms` once and then polls at that fixed pace, "
            "so it sends fewer requests per job here than clients that follow each (shrinking) "
            "hint; CPU/request separates per-request cost from pacing.",
        ),
    )
    return section, samples.errors
