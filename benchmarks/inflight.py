"""Scenario: many jobs in flight. Client CPU per job with 50 jobs running at once."""

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
    "openai-async": "openai-python async",
    "aiohttp": "bare aiohttp",
}
OPENAI, FLOOR = LABELS["openai-async"], LABELS["aiohttp"]


def run(settings: Settings) -> tuple[Section, list[str]]:
    """Measure every client (and the baseline's); return the section and any failures."""
    short = settings.baseline[0] if settings.baseline else None
    samples = Samples(baseline.labels_with(LABELS, short))
    n, at_once, render = (
        settings.inflight_jobs,
        settings.inflight_concurrency,
        settings.inflight_render,
    )
    with emulator("--render-seconds", str(render)) as emu:
        for client in rounds(samples, settings.runs, "inflight"):
            driver, import_from = baseline.driver(client, settings.baseline)
            mark = stats(emu.stats_url)["log_len"]
            args = ["--client", driver, "--base-url", emu.base_url]
            args += ["--jobs", str(n), "--concurrency", str(at_once)]
            measure = partial(
                run_driver,
                "inflight",
                args,
                timeout=120 + 10 * render * n / at_once,
                import_from=import_from,
            )
            result = attempt(samples, client, measure)
            if result is None:
                continue
            requests = stats(emu.stats_url, mark)["requests"] / result["jobs"]
            cpu_ms = result["cpu_per_job"] * 1000
            samples.add(
                client,
                {
                    "cpu_ms": cpu_ms,
                    "requests": requests,
                    "cpu_per_request_ms": cpu_ms / requests,
                    "wall_s": result["wall"],
                    "peak_rss": result["peak_rss_mib"],
                },
            )
    notes = {"aiohttp": "honours every poll-after hint, no retries, no checks: the floor"}
    section = Section(
        key="inflight",
        title=f"Many jobs in flight: {at_once} at once",
        what=(
            f"{n} jobs, at most {at_once} at once (a semaphore), each `create_and_poll` (64x64, "
            '1 s) and then its thumbnail into memory (`download_content(variant="thumbnail")`), '
            f"against the emulator in its own process ({render:g} s renders, default hints); "
            "CPU = user + system of the client process (`getrusage`) from the first create to "
            "the last thumbnail, after one warm-up job, per job. Requests counted at the emulator."
        ),
        metrics=(
            Metric("cpu_ms", "CPU/job", "ms", 2),
            Metric("requests", "requests/job", "", 1),
            Metric("cpu_per_request_ms", "CPU/request", "ms", 2),
            Metric("wall_s", "wall", "s", 1),
            Metric("peak_rss", "peak RSS", "MiB", 1),
        ),
        rows=samples.rows(notes),
        ratios=(
            Ratio("cpu_ms", FLOOR),
            Ratio("cpu_per_request_ms", FLOOR),
            Ratio("cpu_ms", OPENAI),
        ),
        goals=(Goal(LABELS["videoclient-async"], "cpu_ms", 1.25, peer=FLOOR),),
    )
    return section, samples.errors
