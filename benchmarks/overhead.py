"""Scenario 5, overhead: import time, and per-call latency of the sync and async clients."""

from __future__ import annotations

import subprocess
import sys
import time
from functools import partial

from . import baseline
from ._procs import ROOT, attempt, child_env, emulator, log, rounds, run_driver
from .report import Goal, Metric, Ratio, Section, median
from .samples import Samples
from .settings import Settings

__all__ = ["CALL_LABELS", "IMPORTS", "run_calls", "run_imports"]

#: Label -> the statement timed (``python -c STATEMENT``).
IMPORTS = {
    "videoclient": "import videoclient",
    "openai-python": "import openai",
    "videoclient + aiohttp": "import videoclient, videoclient._io.transport",
    "aiohttp": "import aiohttp",
}
CALL_LABELS = {
    "videoclient-async": "videoclient async",
    "videoclient-sync": "videoclient sync",
    "openai-async": "openai-python async",
    "openai-sync": "openai-python sync",
}


def _start(statement: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=child_env(), check=True)
    return time.perf_counter() - t0


def run_imports(settings: Settings) -> tuple[Section, list[str]]:
    """Time ``python -c "import X"`` minus ``python -c "pass"`` (median of several starts)."""
    statements = {"": "pass", **IMPORTS}
    for statement in statements.values():  # warm the bytecode caches
        _start(statement)
    times: dict[str, list[float]] = {label: [] for label in statements}
    for i in range(settings.import_runs):
        log(f"  imports: run {i + 1}/{settings.import_runs}")
        for label, statement in statements.items():
            times[label].append(_start(statement))
    bare = median(times.pop(""))
    samples = Samples({label: label for label in IMPORTS})
    for label, starts in times.items():
        for t in starts:
            samples.add(label, {"ms": (t - bare) * 1000})
    section = Section(
        key="imports",
        title="Import time",
        what=(
            f'Wall time of `python -c "import X"` minus that of `python -c "pass"` '
            f"({bare * 1000:.0f} ms here), median of {settings.import_runs} "
            f"start{'s' if settings.import_runs != 1 else ''} with warm "
            "bytecode caches (as an installed package has)."
        ),
        metrics=(Metric("ms", "import", "ms", 0),),
        rows=samples.rows(
            {
                "videoclient + aiohttp": "what the first request adds (aiohttp loads lazily)",
                "aiohttp": "for reference",
            }
        ),
        ratios=(Ratio("ms", "openai-python"),),
        goals=(Goal("videoclient", "ms", 0.3, peer="openai-python"),),
    )
    return section, []


def run_calls(settings: Settings) -> tuple[Section, list[str]]:
    """Median ``retrieve`` latency, one call after another, for each client."""
    short = settings.baseline[0] if settings.baseline else None
    samples = Samples(baseline.labels_with(CALL_LABELS, short))
    with emulator("--render-seconds", "600") as emu:
        for client in rounds(samples, settings.runs, "calls"):
            driver, import_from = baseline.driver(client, settings.baseline)
            args = ["--client", driver, "--base-url", emu.base_url, "--calls", str(settings.calls)]
            measure = partial(run_driver, "calls", args, timeout=300, import_from=import_from)
            result = attempt(samples, client, measure)
            if result is None:
                continue
            if result.get("source", "videoclient.VideoClient") != "videoclient.VideoClient":
                samples.annotate(client, f"from {result['source']} (not exported yet)")
            samples.add(
                client,
                {
                    "median_us": result["median_us"],
                    "mean_us": result["mean_us"],
                    "cpu_us": result["cpu_per_call_us"],
                },
            )
    vc_async, vc_sync = CALL_LABELS["videoclient-async"], CALL_LABELS["videoclient-sync"]
    section = Section(
        key="calls",
        title="Per-call overhead: sync vs async",
        what=(
            f"{settings.calls} `retrieve` calls one after another against the emulator (after 20 "
            "warm-up calls), in one process per client; latency per call."
        ),
        metrics=(
            Metric("median_us", "median latency", "us", 0),
            Metric("mean_us", "mean latency", "us", 0),
            Metric("cpu_us", "client CPU/call", "us", 0),
        ),
        rows=samples.rows(),
        ratios=(Ratio("median_us", vc_async), Ratio("cpu_us", vc_async)),
        goals=(Goal(vc_sync, "median_us", 1.15, peer=vc_async),),
        notes=(
            "The sync client runs each call on its own event-loop thread; the latency includes "
            "the emulator's time to answer (the same for every client).",
        ),
    )
    return section, samples.errors
