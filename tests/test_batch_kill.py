"""A batch killed midway (SIGKILL, SIGINT) and run again: every output, and never a job twice.

The emulator runs in a thread of the test process, so it outlives the killed batch process
and counts every job it created.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from videoclient.batch._journal import Journal
from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-kill-test"
LINES = 30
CLI = [sys.executable, "-m", "videoclient.cli"]


@pytest.fixture
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.5, api_key=KEY)).in_thread() as e:
        yield e


def start_batch(emu: EmulatorThread, tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    args = [
        *CLI,
        "--json",
        "batch",
        "prompts.jsonl",
        "-c",
        "6",
        "--out",
        "out",
        "--poll-interval",
        "0.05",
        *extra,
    ]
    return subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def outputs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "out").glob("*.mp4"))


def stop_midway(proc: subprocess.Popen[bytes], tmp_path: Path, sig: int) -> None:
    """Send ``sig`` once a few videos are written but most are not."""
    deadline = time.monotonic() + 60
    while len(outputs(tmp_path)) < 6:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.communicate(timeout=60)


def write_prompts(tmp_path: Path) -> None:
    lines = [json.dumps({"prompt": f"scene {i}", "size": "64x64"}) for i in range(LINES)]
    (tmp_path / "prompts.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("sig", "code"),
    [
        pytest.param(signal.SIGKILL, -signal.SIGKILL, id="sigkill"),
        pytest.param(signal.SIGINT, 130, id="sigint"),
    ],
)
def test_killed_batch_resumes_without_duplicates(
    emu: EmulatorThread, tmp_path: Path, sig: int, code: int
) -> None:
    """Killed midway and rerun: 30 outputs and exactly 30 jobs created at the emulator."""
    write_prompts(tmp_path)
    first = start_batch(emu, tmp_path)
    stop_midway(first, tmp_path, sig)
    assert first.returncode == code
    written = len(outputs(tmp_path))
    assert written < LINES, "the batch finished before it was stopped"
    with Journal(tmp_path / "out" / "videoclient-journal.sqlite") as journal:
        counts = journal.counts()
    assert sum(counts.get(s, 0) for s in ("creating", "waiting", "downloading")) > 0, counts
    second = start_batch(emu, tmp_path)
    stdout, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr.decode()
    summary = json.loads(stdout)
    assert summary["completed"] + summary["skipped"] == LINES and summary["failed"] == 0
    assert summary["skipped"] >= written
    assert len(outputs(tmp_path)) == LINES
    assert emu.jobs_created == LINES
    assert not list((tmp_path / "out").glob(".*.part"))
