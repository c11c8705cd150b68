"""Scenario 2, scale: N jobs submitted at once and waited for."""

from __future__ import annotations

from functools import partial

from ._procs import Server, attempt, emulator, rounds, run_driver, stats
from .report import Goal, Metric, Ratio, Section
from .samples import Samples
from .settings import Settings

__all__ = ["LABELS", "run"]

LABELS = {
    "videoclient-as-completed": "videoclient as_completed",
    "videoclient-poll": "videoclient poll",
    "openai-async": "openai-python",
}
OPENAI = LABELS["openai-async"]


def _measure(samples: Samples, emu: Server, client: str, n: int, render: float) -> None:
    mark = stats(emu.stats_url)["log_len"]
    args = ["--client", client, "--base-url", emu.base_url, "--jobs", str(n)]
    timeout = 120 + 10 * render + n / 10
    result = attempt(samples, client, partial(run_driver, "scale", args, timeout=timeout))
    if result is None:
        return
    seen = stats(emu.stats_url, mark)
    done = result["statuses"].get("completed", 0)
    if done != n:
        samples.fail(client, f"{done} of {n} jobs completed: {result['statuses']}")
        return
    # The last job cannot finish before its create arrived plus the render time.
    ideal = (seen["create_span_s"] or 0.0) + render
    samples.add(
        client,
        {
            "wall_over_render": result["wall"] / render,
            "ideal_over_render": ideal / render,
            "wall_over_ideal": result["wall"] / ideal,
            "requests": seen["requests"],
            "requests_per_job": seen["requests"] / n,
            "peak_rss": result["peak_rss_mib"],
            "cpu_s": result["cpu"],
            "wall_s": result["wall"],
        },
    )


def run(settings: Settings) -> tuple[Section, list[str]]:
    """Measure every client; return the section and any failures.

    Each run gets a fresh emulator (``--quick``: one emulator for every client).
    """
    samples = Samples(LABELS)
    n, render = settings.scale_jobs, settings.scale_render
    flags = ("--render-seconds", str(render))
    if settings.quick:
        with emulator(*flags) as emu:
            for client in rounds(samples, settings.runs, "scale"):
                _measure(samples, emu, client, n, render)
    else:
        for client in rounds(samples, settings.runs, "scale"):
            with emulator(*flags) as emu:
                _measure(samples, emu, client, n, render)
    goals = []
    for label in (LABELS["videoclient-as-completed"], LABELS["videoclient-poll"]):
        goals += [Goal(label, "wall_over_render", 1.15), Goal(label, "peak_rss", 150)]
    where = "one emulator" if settings.quick else "a fresh emulator per run"
    section = Section(
        key="scale",
        title=f"Scale: {n:,} jobs at once",
        what=(
            f"{n:,} jobs (64x64, 1 s) created under one `gather` and waited for, against "
            f"{where} ({render:g} s renders, default hints); wall time from the first create "
            "to the last job done, over the render time; requests counted at the emulator "
            "(creates included); peak RSS of the client process (`ru_maxrss`). *ideal* = the "
            "time from the first to the last create arriving at the emulator, plus the render "
            "time: the last job cannot be done sooner, so wall/ideal is the waiting lag. videoclient "
            "as_completed: `create` each, then `as_completed(jobs)`; videoclient poll: "
            "`create_and_poll` per job; openai-python: `AsyncOpenAI().videos.create_and_poll` "
            "per job."
        ),
        metrics=(
            Metric("wall_over_render", "wall/render", "x", 2),
            Metric("ideal_over_render", "ideal/render", "x", 2),
            Metric("wall_over_ideal", "wall/ideal", "x", 2),
            Metric("requests", "requests", "", 0),
            Metric("requests_per_job", "requests/job", "", 2),
            Metric("peak_rss", "peak RSS", "MiB", 1),
            Metric("cpu_s", "CPU", "s", 2),
            Metric("wall_s", "wall", "s", 2),
        ),
        rows=samples.rows(),
        ratios=(
            Ratio("wall_over_render", OPENAI),
            Ratio("requests", OPENAI),
            Ratio("cpu_s", OPENAI),
            Ratio("peak_rss", OPENAI),
        ),
        goals=tuple(goals),
    )
    return section, samples.errors
