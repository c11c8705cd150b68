"""The chaos run: ``python -m benchmarks.chaos [--jobs 1000] [--quick] [--json]``.

Starts the emulator in its own process with transient faults (``--fault-rate``: 5xx,
connection resets, lost create responses, truncated downloads), a seed and a rate limit,
then runs every input through ``create_and_poll`` + ``download`` in this process with
``AsyncVideoClient`` and reports:

- jobs: inputs, completed and downloaded, failed (by phase and exception class);
- faults injected (by kind) and 429s answered, read from the emulator;
- duplicates: jobs created twice for one input (every input has its own prompt), and
  orphans: jobs the emulator created whose id the caller never saw;
- corrupt files: downloads whose SHA-256 differs from the emulator's own asset;
- temporary files left in the download directory; the client's peak RSS.

Exit code 1 when an integrity check fails (a corrupt file, a duplicate job, a temporary file
left behind), else 0; jobs that fail after their retries are reported, not fatal.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ._procs import asset_sha256, emulator, log, stats
from .drivers._common import KEY, peak_rss_mib
from .machine import describe

__all__ = ["ChaosResult", "main", "render_chaos"]


@dataclass(frozen=True)
class ChaosResult:
    """What a chaos run found (see the module docstring).

    Attributes:
        failed: Inputs that failed after their retries, by ``"phase: reason"``; the phase
            is ``create`` (no job id came back), ``wait`` (the job was created, then
            ``create_and_poll`` raised while polling), ``job`` (it ended ``failed``) or
            ``download``.
        orphans: Jobs the emulator created whose id the caller never saw (not even
            through ``on_progress``, which ``create_and_poll`` calls with the new job
            first).
        duplicates: Jobs whose prompt (unique per input) an earlier job already had.
    """

    command: str
    machine: str
    inputs: int
    completed: int
    downloaded: int
    failed: Mapping[str, int]
    jobs_created: int
    orphans: int
    duplicates: int
    faults: Mapping[str, int]
    rate_limited: int
    requests: int
    corrupt: int
    temp_files_left: int
    peak_rss_mib: float
    wall_s: float
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """No corrupt file, no duplicate job, no temporary file left."""
        return self.corrupt == 0 and self.duplicates == 0 and self.temp_files_left == 0


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none"


def render_chaos(result: ChaosResult) -> str:
    """The result as a Markdown table, with the command and machine line."""
    r = result
    faults = sum(r.faults.values())
    rows = [
        ("inputs", f"{r.inputs:,}"),
        ("jobs completed", f"{r.completed:,}"),
        ("completed and downloaded", f"{r.downloaded:,}"),
        ("failed after retries", f"{sum(r.failed.values()):,} ({_counts(r.failed)})"),
        ("requests at the emulator", f"{r.requests:,} ({r.requests / max(r.inputs, 1):.1f}/job)"),
        ("faults injected", f"{faults:,} ({_counts(r.faults)})"),
        ("429 rate-limited answers", f"{r.rate_limited:,}"),
        ("jobs created at the emulator", f"{r.jobs_created:,}"),
        ("duplicate jobs (same input twice)", f"{r.duplicates:,}"),
        ("orphan jobs (id never seen by the caller)", f"{r.orphans:,}"),
        ("corrupt files (SHA-256 vs the emulator's asset)", f"{r.corrupt:,}"),
        ("temporary files left", f"{r.temp_files_left:,}"),
        ("client peak RSS", f"{r.peak_rss_mib:.1f} MiB"),
        ("wall time", f"{r.wall_s:.1f} s"),
    ]
    lines = [
        f"`{r.command}` on {r.machine}",
        "",
        "| chaos run | |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in rows),
        "",
        f"Integrity: {'intact' if r.intact else 'VIOLATED'}",
    ]
    return "\n".join(lines) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Outcome:
    downloads: dict[int, tuple[str, Path]] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)
    ids: set[str] = field(default_factory=set)
    completed: int = 0


async def _run_jobs(
    base_url: str, out: Path, jobs: int, concurrency: int, max_retries: int
) -> _Outcome:
    from videoclient import AsyncVideoClient, Video

    gate = asyncio.Semaphore(concurrency)
    outcome = _Outcome()
    done = 0

    async with AsyncVideoClient(KEY, base_url=base_url, max_retries=max_retries) as client:

        async def one(i: int) -> None:
            nonlocal done
            created: list[str] = []

            def seen(video: Video) -> None:  # called with the new job first
                if not created:
                    created.append(video.id)
                    outcome.ids.add(video.id)

            phase = "create"
            async with gate:
                try:
                    video = await client.videos.create_and_poll(
                        prompt=f"chaos {i}", size="64x64", seconds=1, on_progress=seen
                    )
                    if video.status != "completed":
                        outcome.failed[f"job: {video.status}"] += 1
                        return
                    outcome.completed += 1
                    phase = "download"
                    path = await client.videos.download(video, out / f"{i}.mp4")
                    outcome.downloads[i] = (video.id, path)
                except Exception as exc:
                    if phase == "create" and created:
                        phase = "wait"
                    outcome.failed[f"{phase}: {type(exc).__name__}"] += 1
                    log(f"  job {i} failed in {phase}: {type(exc).__name__}: {exc}")
                finally:
                    done += 1
                    if done % 100 == 0:
                        log(f"  {done}/{jobs} jobs done")

        await asyncio.gather(*(one(i) for i in range(jobs)))
    return outcome


def _verify(stats_url: str, downloads: Mapping[int, tuple[str, Path]]) -> int:
    """How many downloaded files differ from the emulator's asset."""

    def corrupt(item: tuple[str, Path]) -> bool:
        video_id, path = item
        return asset_sha256(stats_url, video_id) != _sha256(path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sum(pool.map(corrupt, downloads.values()))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__)
    a = p.add_argument
    a("--jobs", type=int, default=None, help="inputs (default 1000; --quick: 30)")
    a("--quick", action="store_true", help="a small run (30 jobs)")
    a("--fault-rate", type=float, default=0.2, help="emulator --fault-rate (default 0.2)")
    a("--fail-rate", type=float, default=0.0, help="emulator --fail-rate (default 0)")
    a("--seed", type=int, default=7, help="emulator --seed (default 7)")
    a("--rate-limit", type=int, default=6000, help="requests per minute (default 6000)")
    a("--render-seconds", type=float, default=1.0, help="emulator render time (default 1)")
    a("--concurrency", type=int, default=100, help="jobs in flight at once (default 100)")
    a("--max-retries", type=int, default=10, help="client max_retries (default 10)")
    a("--json", action="store_true", help="print JSON instead of the table")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chaos scenario; print the findings; return 1 if integrity was violated."""
    args = _parser().parse_args(argv)
    jobs = args.jobs if args.jobs is not None else (30 if args.quick else 1000)
    flags = [
        "--render-seconds", str(args.render_seconds),
        "--fault-rate", str(args.fault_rate),
        "--fail-rate", str(args.fail_rate),
        "--seed", str(args.seed),
        "--rate-limit", str(args.rate_limit),
    ]  # fmt: skip
    command = f"python -m benchmarks.chaos --jobs {jobs}"
    settings = {k: v for k, v in vars(args).items() if k not in ("json", "quick", "jobs")}
    command += "".join(f" --{k.replace('_', '-')} {v}" for k, v in settings.items())
    with tempfile.TemporaryDirectory(prefix="videoclient-chaos-") as tmp, emulator(*flags) as emu:
        out = Path(tmp)
        log(f"chaos: {jobs} jobs against {emu.base_url} ({' '.join(flags)})")
        t0 = time.perf_counter()
        outcome = asyncio.run(
            _run_jobs(emu.base_url, out, jobs, args.concurrency, args.max_retries)
        )
        wall = time.perf_counter() - t0
        peak = peak_rss_mib()
        seen = stats(emu.stats_url)
        log(f"  verifying {len(outcome.downloads)} files")
        corrupt = _verify(emu.stats_url, outcome.downloads)
        expected = {path.name for _, path in outcome.downloads.values()}
        leftovers = [p for p in out.iterdir() if p.name not in expected]
    result = ChaosResult(
        command=command,
        machine=describe(),
        inputs=jobs,
        completed=outcome.completed,
        downloaded=len(outcome.downloads),
        failed=dict(outcome.failed),
        jobs_created=seen["jobs_created"],
        orphans=max(0, seen["jobs_created"] - len(outcome.ids)),
        duplicates=seen["duplicate_prompts"],
        faults=dict(seen["faults_injected"]),
        rate_limited=seen["by_status"].get("429", 0),
        requests=seen["requests"],
        corrupt=corrupt,
        temp_files_left=len(leftovers),
        peak_rss_mib=peak,
        wall_s=wall,
        settings=settings,
    )
    if args.json:
        print(json.dumps({**asdict(result), "intact": result.intact}, indent=2))
    else:
        print(render_chaos(result), end="")
    return 0 if result.intact else 1


if __name__ == "__main__":
    sys.exit(main())
