"""``python -m benchmarks [--quick] [--json] [--runs N] [--only a,b]``: every scenario, one table.

Prints the report (Markdown, ratios first, absolute figures second, the machine noted) on
stdout and progress on stderr. Goals are reported, never asserted: the exit code is 0 even
when a goal is missed, and 1 only when a measurement could not be made (a driver failed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import baseline, inflight, lifecycle, overhead, providers, scale, transfers, waiting
from ._procs import DriverError, log
from .machine import describe
from .report import Report, Section, render_markdown, report_to_json
from .settings import Settings

__all__ = ["SCENARIOS", "main"]


def _one(
    fn: Callable[[Settings], tuple[Section, list[str]]],
) -> Callable[[Settings], tuple[list[Section], list[str]]]:
    def run(settings: Settings) -> tuple[list[Section], list[str]]:
        section, errors = fn(settings)
        return [section], errors

    return run


def _both(
    settings: Settings, *fns: Callable[[Settings], tuple[Section, list[str]]]
) -> tuple[list[Section], list[str]]:
    sections: list[Section] = []
    errors: list[str] = []
    for fn in fns:
        section, failed = fn(settings)
        sections.append(section)
        errors += failed
    return sections, errors


#: Scenario name -> what runs it, in report order.
SCENARIOS: dict[str, Callable[[Settings], tuple[list[Section], list[str]]]] = {
    "lifecycle": _one(lifecycle.run),
    "inflight": _one(inflight.run),
    "scale": _one(scale.run),
    "transfers": transfers.run,
    "waiting": _one(waiting.run),
    "imports": _one(overhead.run_imports),
    "calls": _one(overhead.run_calls),
    "providers": lambda settings: _both(settings, providers.run, providers.run_inline),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="videoclient side by side with openai-python, bare aiohttp and curl.",
    )
    p.add_argument("--quick", action="store_true", help="CI-sized smoke (one run, small sizes)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the tables")
    p.add_argument("--runs", type=int, default=None, help="runs per figure (default 5; quick 1)")
    p.add_argument(
        "--transfer-dir",
        default=None,
        metavar="DIR",
        help="where transfer files are written (default: /dev/shm when it has room, so the "
        "figures compare the clients, not the disk; pass a disk directory to include it)",
    )
    p.add_argument(
        "--baseline",
        default=None,
        metavar="REV",
        help="also measure videoclient as it was at commit REV (lifecycle, inflight and calls "
        "gain a row per videoclient client), for before/after figures from one run",
    )
    p.add_argument(
        "--only",
        default=None,
        metavar="A,B",
        help=f"scenarios to run, of: {','.join(SCENARIOS)}",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; print the report; return the exit code."""
    args = _parser().parse_args(argv)
    names = list(SCENARIOS) if args.only is None else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        _parser().error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    if args.runs is not None and args.runs < 1:
        _parser().error("--runs must be at least 1")
    settings = Settings.for_mode(quick=args.quick, runs=args.runs)
    if args.transfer_dir is not None:
        settings = replace(settings, transfer_dir=args.transfer_dir)
    if args.baseline is not None:
        try:
            settings = replace(settings, baseline=baseline.checkout(args.baseline))
        except DriverError as exc:
            _parser().error(str(exc))
    sections: list[Section] = []
    errors: list[str] = []
    started = time.perf_counter()
    for name in names:
        log(f"{name}...")
        began = time.perf_counter()
        try:
            found, failed = SCENARIOS[name](settings)
        except DriverError as exc:  # a server that would not start
            errors.append(f"{name}: {exc}")
            log(f"  FAILED: {exc}")
            continue
        sections += found
        errors += failed
        log(f"  {name}: {time.perf_counter() - began:.0f} s")
    log(f"done in {time.perf_counter() - started:.0f} s")
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    if args.runs is not None:
        command += f" --runs {args.runs}"
    if args.transfer_dir is not None:
        command += f" --transfer-dir {args.transfer_dir}"
    if args.baseline is not None:
        command += f" --baseline {args.baseline}"
    report = Report(
        command=command,
        machine=describe(),
        mode="quick" if args.quick else "full",
        runs=settings.runs,
        sections=tuple(sections),
    )
    if args.json:
        print(json.dumps({**report_to_json(report), "errors": errors}, indent=2))
    else:
        print(render_markdown(report), end="")
        for error in errors:
            print(f"ERROR: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
