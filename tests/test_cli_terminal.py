"""Progress bars in a real terminal (a pty driven by pexpect): they draw, then end cleanly."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

pexpect = pytest.importorskip("pexpect")

KEY = "sk-terminal-test"
BAR = "\u2501".encode()  # the heavy horizontal line rich draws bars with
HIDE, SHOW = b"\x1b[?25l", b"\x1b[?25h"


@pytest.fixture
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.5, api_key=KEY)).in_thread() as e:
        yield e


def in_terminal(emu: EmulatorThread, cwd: Path, *args: str) -> tuple[int, bytes]:
    """Run the CLI in an 100x24 pty; return its exit status and everything it drew."""
    env = {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": emu.base_url,
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "videoclient.cli", *args],
        env=env,
        cwd=str(cwd),
        dimensions=(24, 100),
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


def plain(screen: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode())


def test_generate_draws_job_and_download_bars_and_ends_clean(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    """generate draws a job bar to 100% and a full byte bar, restores the cursor, then prints the file."""
    status, screen = in_terminal(
        emu,
        tmp_path,
        "generate",
        "a boat",
        "--size",
        "64x64",
        "-o",
        "b.mp4",
        "--poll-interval",
        "0.05",
    )
    assert status == 0
    text = plain(screen)
    assert BAR in screen and HIDE in screen
    assert re.search(r"video_\w+ .*100% completed", text)
    assert re.search(r"downloading b\.mp4 .*?(\d+\.\d)/\1 kB", text)  # every byte arrived
    assert screen.count(HIDE) == screen.count(SHOW) == 2  # each bar started and stopped
    assert text.rstrip().splitlines()[-1].startswith("saved b.mp4 (")
    assert screen.rindex(SHOW) < screen.rindex(b"saved b.mp4")


def test_batch_draws_one_overall_bar_with_counts(emu: EmulatorThread, tmp_path: Path) -> None:
    """batch draws an overall bar that ends at N/N with the counts by status."""
    lines = [json.dumps({"prompt": f"scene {i}", "size": "64x64"}) for i in range(4)]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    status, screen = in_terminal(
        emu, tmp_path, "batch", "p.jsonl", "-c", "2", "--poll-interval", "0.05"
    )
    assert status == 0
    text = plain(screen)
    assert BAR in screen and re.search(r"batch .*4/4 .*4 completed", text)
    assert screen.count(HIDE) == screen.count(SHOW) == 1
    assert text.rstrip().splitlines()[-1].startswith("4 completed, 0 failed, 0 skipped")


def test_wait_draws_a_bar_per_job(emu: EmulatorThread, tmp_path: Path) -> None:
    """wait on two jobs draws one bar for each."""
    ids = []
    for prompt in ("one", "two"):
        status, screen = in_terminal(emu, tmp_path, "--quiet", "create", prompt, "--size", "64x64")
        assert status == 0
        ids.append(plain(screen).strip())
    status, screen = in_terminal(emu, tmp_path, "wait", *ids, "--poll-interval", "0.05")
    assert status == 0
    text = plain(screen)
    for video_id in ids:
        assert re.search(rf"{video_id} .*100% completed", text)
    assert screen.count(HIDE) == screen.count(SHOW) == 1
