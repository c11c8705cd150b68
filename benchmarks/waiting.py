"""Scenario 4, waiting cost: requests per job, for one job and for many at once."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from ._procs import attempt, emulator, rounds, run_driver
from .report import Goal, Metric, Ratio, Section
from .samples import Samples
from .settings import Settings

__all__ = ["LABELS", "run"]

LABELS = {
    "videoclient-as-completed": "videoclient as_completed",
    "videoclient-poll": "videoclient poll per job",
    "openai-async": "openai-python create_and_poll",
    "fixed-1s": "fixed 1 s poller (aiohttp)",
}
WAIT_ROUTES = ("GET /videos", "GET /videos/{video_id}")


def _counts(window: dict[str, Any], jobs: int) -> tuple[float, float]:
    """(every request per job, waiting GETs per job) in a stats window."""
    gets = sum(window["by_route"].get(route, 0) for route in WAIT_ROUTES)
    return window["requests"] / jobs, gets / jobs


def run(settings: Settings) -> tuple[Section, list[str]]:
    """Measure every client for 1 job and for N; return the section and any failures."""
    samples = Samples(LABELS)
    n, render, hint = settings.waiting_jobs, settings.waiting_render, settings.waiting_hint_ms
    bound = math.ceil(render * 1000 / hint) + 2
    flags = ["--render-seconds", str(render)]
    flags += ["--poll-after-min-ms", str(hint), "--poll-after-max-ms", str(hint)]
    with emulator(*flags) as emu:
        for client in rounds(samples, settings.runs, "waiting"):
            args = ["--client", client, "--base-url", emu.base_url, "--jobs", str(n)]
            args += ["--stats-url", emu.stats_url]
            timeout = 120 + 40 * render
            result = attempt(samples, client, partial(run_driver, "waiting", args, timeout=timeout))
            if result is None:
                continue
            one, many = result["one"], result["many"]
            if any(r["statuses"].get("completed", 0) != r["jobs"] for r in (one, many)):
                samples.fail(
                    client, f"not every job completed: {one['statuses']}, {many['statuses']}"
                )
                continue
            per_job, _ = _counts(one["window"], 1)
            many_per_job, many_gets = _counts(many["window"], n)
            samples.add(
                client,
                {
                    "one": per_job,
                    "many": many_per_job,
                    "many_gets": many_gets,
                    "many_wall": many["wall"],
                },
            )
    vc = LABELS["videoclient-as-completed"]
    openai = LABELS["openai-async"]
    section = Section(
        key="waiting",
        title="Waiting cost: requests per job",
        what=(
            f"Emulator with {render:g} s renders and a fixed `openai-poll-after-ms` of {hint} ms "
            f"(so one job needs at most ceil(render/hint) + 2 = {bound} requests). One job: "
            f"create and wait (`create_and_poll` for both videoclient rows). {n} jobs: created "
            "at once, then waited; requests counted at the emulator."
        ),
        metrics=(
            Metric("one", "1 job: requests", "", 1),
            Metric("many", f"{n} jobs: requests/job", "", 2),
            Metric("many_gets", f"{n} jobs: polls/job", "", 2),
            Metric("many_wall", f"{n} jobs: wall", "s", 2),
        ),
        rows=samples.rows(),
        ratios=(Ratio("one", openai), Ratio("many_gets", openai)),
        goals=(Goal(vc, "one", bound),),
        notes=(
            "polls = `GET /videos` (list pages) and `GET /videos/{id}`; requests/job also counts "
            "the create.",
        ),
    )
    return section, samples.errors
