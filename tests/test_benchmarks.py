"""The benchmarks' pure parts: medians, ratios, goals and the printed tables, on canned numbers.

No timing is measured or asserted here; ``python -m benchmarks --quick`` is the smoke run.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

# ``benchmarks`` is a top-level package of the repository, not of the installed project.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import baseline  # noqa: E402
from benchmarks._procs import DriverError, child_env, rotation  # noqa: E402
from benchmarks.chaos import ChaosResult, render_chaos  # noqa: E402
from benchmarks.report import (  # noqa: E402
    Goal,
    Metric,
    Ratio,
    Report,
    Row,
    Section,
    format_number,
    goal_outcome,
    median,
    ratio,
    render_markdown,
    report_to_json,
)
from benchmarks.samples import Samples  # noqa: E402
from benchmarks.settings import MIB, Settings  # noqa: E402

VC, OA, AIO = "videoclient async", "openai-python async", "bare aiohttp"


def lifecycle_section() -> Section:
    return Section(
        key="lifecycle",
        title="Lifecycle",
        what="CPU per job.",
        metrics=(Metric("cpu_ms", "CPU/job", "ms", 2), Metric("requests", "requests/job")),
        rows=(
            Row(VC, {"cpu_ms": 6.0, "requests": 7.0}),
            Row(OA, {"cpu_ms": 20.0, "requests": 5.0}),
            Row(AIO, {"cpu_ms": 5.0, "requests": 7.0}),
            Row("videoclient sync", {}, note="skipped: no sync client"),
        ),
        ratios=(Ratio("cpu_ms", OA), Ratio("cpu_ms", AIO)),
        goals=(
            Goal(VC, "cpu_ms", 0.4, peer=OA),
            Goal(VC, "cpu_ms", 1.1, peer=AIO),
            Goal("videoclient sync", "cpu_ms", 0.4, peer=OA),
            Goal(VC, "requests", 7),
        ),
        notes=("a note",),
    )


def a_report(*sections: Section) -> Report:
    return Report(
        command="python -m benchmarks --quick",
        machine="2 CPUs (canned), Python 3.11.7, Linux",
        mode="quick",
        runs=1,
        sections=sections or (lifecycle_section(),),
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([3.0, 1.0, 2.0], 2.0, id="odd"),
        pytest.param([4.0, 1.0, 2.0, 3.0], 2.5, id="even"),
        pytest.param([1.0, math.nan, 3.0], 2.0, id="nan-ignored"),
    ],
)
def test_median(values: list[float], expected: float) -> None:
    """The median is taken over the finite values."""
    assert median(values) == expected


def test_median_of_nothing_is_nan() -> None:
    """No finite value gives NaN, which prints as n/a."""
    assert math.isnan(median([]))
    assert format_number(median([])) == "n/a"


@pytest.mark.parametrize(
    ("label", "peer", "expected"),
    [
        pytest.param(VC, OA, 0.3, id="vs-openai"),
        pytest.param(VC, AIO, 1.2, id="vs-floor"),
        pytest.param(OA, OA, 1.0, id="self"),
        pytest.param("videoclient sync", OA, None, id="skipped-row"),
        pytest.param(VC, "nobody", None, id="unknown-peer"),
    ],
)
def test_ratio(label: str, peer: str, expected: float | None) -> None:
    """A ratio divides a row's figure by the peer's; a missing figure gives None."""
    got = ratio(lifecycle_section(), label, "cpu_ms", peer)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_ratio_against_zero_is_missing() -> None:
    """A peer figure of zero gives no ratio rather than a division error."""
    section = Section(
        "s", "S", "w", (Metric("m", "M"),), (Row("a", {"m": 1.0}), Row("b", {"m": 0.0}))
    )
    assert ratio(section, "a", "m", "b") is None


@pytest.mark.parametrize(
    ("goal", "figure", "met"),
    [
        pytest.param(Goal(VC, "cpu_ms", 0.4, peer=OA), 0.3, True, id="ratio-met"),
        pytest.param(Goal(VC, "cpu_ms", 1.1, peer=AIO), 1.2, False, id="ratio-missed"),
        pytest.param(Goal(VC, "requests", 7), 7.0, True, id="absolute-bound-inclusive"),
        pytest.param(Goal(VC, "cpu_ms", 0.9, peer=AIO, at_least=True), 1.2, True, id="at-least"),
        pytest.param(Goal("videoclient sync", "cpu_ms", 0.4, peer=OA), None, None, id="unmeasured"),
    ],
)
def test_goal_outcome(goal: Goal, figure: float | None, met: bool | None) -> None:
    """A goal compares a ratio (or an absolute figure) with its limit, in its direction."""
    got_figure, got_met = goal_outcome(lifecycle_section(), goal)
    assert got_met is met
    assert got_figure == pytest.approx(figure) if figure is not None else got_figure is None


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        pytest.param(1234.567, 1, "1,234.6", id="thousands"),
        pytest.param(0.125, 2, "0.12", id="digits"),
        pytest.param(None, 1, "n/a", id="missing"),
        pytest.param(math.inf, 1, "n/a", id="infinite"),
    ],
)
def test_format_number(value: float | None, digits: int, text: str) -> None:
    """Numbers print with the metric's decimals and thousands separators."""
    assert format_number(value, digits) == text


def test_markdown_puts_ratios_before_absolute_figures() -> None:
    """The ratio table comes first, then the absolute table, then the goals and notes."""
    text = render_markdown(a_report())
    ratios = text.index("| client | CPU/job vs openai-python async | CPU/job vs bare aiohttp |")
    absolute = text.index("| client | CPU/job (ms) | requests/job | note |")
    goals = text.index("Goals:")
    assert ratios < absolute < goals < text.index("> a note")


def test_markdown_shows_machine_command_and_mode() -> None:
    """The heading names the mode and runs; the next line the command and the machine."""
    lines = render_markdown(a_report()).splitlines()
    assert lines[0] == "## Benchmarks (quick, median of 1 run)"
    assert lines[2] == "`python -m benchmarks --quick` on 2 CPUs (canned), Python 3.11.7, Linux"


def test_markdown_rows_and_goals() -> None:
    """Rows carry ratios and absolute figures; goals say met, MISSED or not measured."""
    text = render_markdown(a_report())
    assert f"| {VC} | 0.30x | 1.20x |" in text
    assert f"| {VC} | 6.00 | 7.0 |  |" in text
    assert "| videoclient sync | n/a | n/a | skipped: no sync client |" in text
    assert f"- {VC}: CPU/job <= 0.4x {OA}: met (0.30x)" in text
    assert f"- {VC}: CPU/job <= 1.1x {AIO}: MISSED (1.20x)" in text
    assert f"- videoclient sync: CPU/job <= 0.4x {OA}: not measured" in text
    assert f"- {VC}: requests/job <= 7: met (7.0)" in text


@pytest.mark.parametrize(
    ("cpu", "verdict"),
    [
        pytest.param(6.2, "MISSED (1.24x)", id="plain"),
        pytest.param(5.76, "MISSED (1.152x)", id="one-more-digit-when-it-rounds-to-the-limit"),
        pytest.param(5.75, "met (1.15x)", id="exactly-the-limit"),
    ],
)
def test_goal_figure_never_rounds_onto_its_limit(cpu: float, verdict: str) -> None:
    """A missed goal never prints the limit itself as its figure."""
    section = Section(
        "s",
        "S",
        "w",
        (Metric("cpu_ms", "CPU/job", "ms", 2),),
        (Row(VC, {"cpu_ms": cpu}), Row(AIO, {"cpu_ms": 5.0})),
        goals=(Goal(VC, "cpu_ms", 1.15, peer=AIO),),
    )
    assert f"- {VC}: CPU/job <= 1.15x {AIO}: {verdict}" in render_markdown(a_report(section))


def test_skipped_row_is_left_out_of_the_ratio_table() -> None:
    """A row without figures appears in the absolute table only."""
    text = render_markdown(a_report())
    assert text.count("| videoclient sync |") == 1


def test_markdown_tables_are_well_formed() -> None:
    """Every table line has as many cells as its header."""
    lines = [line for line in render_markdown(a_report()).splitlines() if line.startswith("|")]
    widths = {line.count("|") for line in lines if "---" not in line}
    assert len(widths) == 2  # the ratio table (3 columns) and the absolute table (4)


def test_json_report() -> None:
    """The JSON report keeps rows, ratios and goal outcomes, with NaN as null."""
    section = lifecycle_section()
    nan_row = Row("broken", {"cpu_ms": math.nan})
    section = Section(**{**section.__dict__, "rows": (*section.rows, nan_row)})
    data = report_to_json(a_report(section))
    json.dumps(data, allow_nan=False)  # strict JSON
    (s,) = data["sections"]
    assert s["rows"][0] == {"label": VC, "values": {"cpu_ms": 6.0, "requests": 7.0}, "note": ""}
    assert s["rows"][-1]["values"] == {"cpu_ms": None}
    assert s["ratios"][0]["values"][VC] == pytest.approx(0.3)
    assert [g["met"] for g in s["goals"]] == [True, False, None, True]
    assert data["mode"] == "quick" and data["runs"] == 1


def test_samples_take_the_median_per_figure() -> None:
    """Rows hold the median of each figure over the runs of that client."""
    samples = Samples({"a": "client A", "b": "client B"})
    for cpu in (3.0, 1.0, 2.0):
        samples.add("a", {"cpu": cpu})
    samples.add("b", {"cpu": 5.0, "rss": 40.0})
    samples.add("b", {"cpu": 7.0})
    a, b = samples.rows()
    assert a == Row("client A", {"cpu": 2.0})
    assert b == Row("client B", {"cpu": 6.0, "rss": 40.0})
    assert samples.runs("a") == 3


def test_samples_skip_and_fail() -> None:
    """Skipped and failed clients stop running and say why in their row; failures are errors."""
    samples = Samples({"a": "A", "b": "B", "c": "C"})
    samples.skip("a", "not installed")
    samples.fail("b", "exit 1, no result\nTraceback ...")
    samples.annotate("c", "from a private module")
    assert [c for c in samples.clients if samples.active(c)] == ["c"]
    rows = samples.rows({"a": "default", "c": "default"})
    assert [r.note for r in rows] == [
        "skipped: not installed",
        "FAILED: exit 1, no result",
        "from a private module",
    ]
    assert samples.errors == ["B: exit 1, no result"]


@pytest.mark.parametrize(
    ("quick", "runs", "expected_runs"),
    [
        pytest.param(True, None, 1, id="quick"),
        pytest.param(False, None, 5, id="full"),
        pytest.param(False, 2, 2, id="override"),
    ],
)
def test_settings(quick: bool, runs: int | None, expected_runs: int) -> None:
    """Full runs take the median of 5 with the issue's sizes; quick runs are CI-sized."""
    settings = Settings.for_mode(quick=quick, runs=runs)
    assert settings.runs == expected_runs
    if quick:
        assert (settings.download_bytes, settings.upload_bytes) == (32 * MIB, 16 * MIB)
    else:
        assert (settings.download_bytes, settings.upload_bytes) == (512 * MIB, 256 * MIB)
        assert settings.scale_jobs == 2000 and settings.waiting_jobs == 300
        assert (settings.inflight_jobs, settings.inflight_concurrency) == (150, 50)
        assert settings.inflight_render == 0.5


def chaos_result(**changes: object) -> ChaosResult:
    fields: dict[str, object] = {
        "command": "python -m benchmarks.chaos --jobs 30",
        "machine": "2 CPUs (canned)",
        "inputs": 30,
        "completed": 29,
        "downloaded": 29,
        "failed": {"wait: InternalServerError": 1},
        "jobs_created": 30,
        "orphans": 0,
        "duplicates": 0,
        "faults": {"http_500": 3, "reset": 2},
        "rate_limited": 4,
        "requests": 250,
        "corrupt": 0,
        "temp_files_left": 0,
        "peak_rss_mib": 39.94,
        "wall_s": 6.93,
    }
    fields.update(changes)
    return ChaosResult(**fields)  # type: ignore[arg-type]


def test_chaos_table() -> None:
    """The chaos table lists jobs, faults by kind, integrity figures and peak RSS."""
    text = render_chaos(chaos_result())
    assert text.startswith("`python -m benchmarks.chaos --jobs 30` on 2 CPUs (canned)\n")
    assert "| failed after retries | 1 (wait: InternalServerError 1) |" in text
    assert "| faults injected | 5 (http_500 3, reset 2) |" in text
    assert "| requests at the emulator | 250 (8.3/job) |" in text
    assert "| client peak RSS | 39.9 MiB |" in text
    assert text.rstrip().endswith("Integrity: intact")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"corrupt": 1}, id="corrupt-file"),
        pytest.param({"duplicates": 1}, id="duplicate-job"),
        pytest.param({"temp_files_left": 1}, id="temp-file-left"),
    ],
)
def test_chaos_integrity_violations(change: dict[str, int]) -> None:
    """A corrupt file, a duplicate job or a leftover temporary file violates integrity."""
    result = chaos_result(**change)
    assert not result.intact
    assert "Integrity: VIOLATED" in render_chaos(result)


def test_each_run_starts_one_client_further_on() -> None:
    """Over as many runs as clients, every client runs once in every position."""
    clients = ["a", "b", "c"]
    orders = [rotation(clients, run) for run in range(3)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert all(sorted(order) == clients for order in orders)
    assert rotation(clients, 4) == ["b", "c", "a"] and rotation([], 2) == []


def test_baseline_twins_follow_each_videoclient_client() -> None:
    """--baseline adds a row after each videoclient client only, and its id maps back."""
    labels = {"videoclient-async": "videoclient async", "aiohttp": "bare aiohttp"}
    assert baseline.labels_with(labels, None) == labels
    twins = baseline.labels_with(labels, "10843bb")
    assert list(twins) == ["videoclient-async", "videoclient-async@base", "aiohttp"]
    assert twins["videoclient-async@base"] == "videoclient async @ 10843bb"
    assert baseline.split("videoclient-async@base") == ("videoclient-async", True)
    assert baseline.split("aiohttp") == ("aiohttp", False)


def test_baseline_checkout_extracts_the_package_at_a_commit() -> None:
    """The package at HEAD is extracted for the drivers; a name that is no commit is refused."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    short, where = baseline.checkout("HEAD")
    assert (Path(where) / "videoclient" / "__init__.py").is_file() and short
    with pytest.raises(DriverError, match="not a commit"):
        baseline.checkout("no-such-commit-anywhere")


def test_a_driver_imports_videoclient_from_where_it_is_told(tmp_path: Path) -> None:
    """The drivers' environment names the baseline package; without it, the repository's."""
    assert baseline.IMPORT_FROM_ENV not in child_env()
    assert child_env(str(tmp_path))[baseline.IMPORT_FROM_ENV] == str(tmp_path)
