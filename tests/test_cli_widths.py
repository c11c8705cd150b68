"""What people see at common terminal widths (80 and 120 columns), read off a real tmux screen."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from videoclient.cli._app import cli
from videoclient.cli._output import Output
from videoclient.cli._progress import BatchBoard
from videoclient.cli._settings import Settings
from videoclient.emulator import FAIL_TRIGGER, Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-widths"
TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.2, api_key=KEY)).in_thread() as e:
        yield e


def cli_json(emu: EmulatorThread, *args: str) -> object:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    result = CliRunner().invoke(cli, ["--json", *args], env=env)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def on_screen(emu: EmulatorThread, cwd: Path, width: int, *args: str) -> list[str]:
    """Run the CLI in a tmux pane ``width`` columns wide; return the screen's lines."""
    assert TMUX is not None
    sock = f"videoclient-test-{uuid.uuid4().hex[:8]}"
    tmux = [TMUX, "-L", sock, "-f", os.devnull]
    env = {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": emu.base_url,
        "TERM": "xterm-256color",
    }
    env.pop("TMUX", None)
    command = shlex.join([sys.executable, "-m", "videoclient.cli", *args])
    done = shlex.join([*tmux, "wait-for", "-S", "done"])
    script = f"cd {shlex.quote(str(cwd))} && {command}; {done}; sleep 60"
    try:
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", "t", "-x", str(width), "-y", "50", script],
            env=env,
            check=True,
            timeout=30,
        )
        subprocess.run([*tmux, "wait-for", "done"], timeout=60, check=True)
        screen = subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", "t"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=30)
    return [line.rstrip() for line in screen.splitlines() if line.strip()]


def table_rows(screen: list[str]) -> list[str]:
    return [line for line in screen if line.startswith(("ID ", "video_"))]


@needs_tmux
@pytest.mark.parametrize("width", [80, 120])
def test_list_fits_the_terminal_without_splitting_words(
    emu: EmulatorThread, tmp_path: Path, width: int
) -> None:
    """list at 80 and 120 columns: one screen line per row, whole column names, no wrap."""
    for prompt in ("a paper boat sailing on a rainy street at dusk", "a kite"):
        cli_json(emu, "create", prompt, "--size", "1280x720", "--seconds", "12")
    screen = on_screen(emu, tmp_path, width, "list", "--limit", "2")
    rows = table_rows(screen)
    assert len(rows) == 3 and len(screen) == 3, screen  # header + 2, nothing wrapped
    assert rows[0].split()[:2] == ["ID", "STATUS"] and "PROMPT" in rows[0]
    assert all(len(line) <= width for line in screen)
    if width == 120:
        assert "SECONDS" in rows[0] and "SIZE" in rows[0]


@needs_tmux
@pytest.mark.parametrize("width", [80, 120])
def test_wait_shows_bars_a_whole_table_and_why_a_job_failed(
    emu: EmulatorThread, tmp_path: Path, width: int
) -> None:
    """wait on a failing and a slow job: the failed bar's clock stopped when it failed, the
    summary table fits, and a line gives the failure reason."""
    bad = cli_json(emu, "create", f"doomed {FAIL_TRIGGER}", "--size", "64x64")
    slow = cli_json(emu, "create", "slow [emulator:slow]", "--size", "64x64")
    assert isinstance(bad, dict) and isinstance(slow, dict)
    screen = on_screen(
        emu, tmp_path, width, "wait", bad["id"], slow["id"], "--poll-interval", "0.05"
    )
    text = "\n".join(screen)
    bad_bar = next(line for line in screen if line.startswith(bad["id"]) and "0:00:" in line)
    slow_bar = next(line for line in screen if line.startswith(slow["id"]) and "0:00:" in line)
    assert bad_bar.rstrip().endswith("0:00:00"), bad_bar  # frozen when it failed
    assert not slow_bar.rstrip().endswith("0:00:00"), slow_bar  # ran ~2 s
    rows = [line for line in table_rows(screen) if "0:00:" not in line and "):" not in line]
    assert len(rows) == 3 and all(len(line) <= width for line in screen), screen
    assert re.search(rf"{bad['id']} failed \(moderation_blocked\): Your", text)


@needs_tmux
def test_a_thumbnail_download_shows_a_rate_not_a_question_mark(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    """A small file that arrives at once still shows its average rate when done."""
    video = cli_json(emu, "create", "thumb", "--size", "64x64", "--wait", "--poll-interval", "0.05")
    assert isinstance(video, dict)
    screen = on_screen(emu, tmp_path, 80, "download", video["id"], "--variant", "thumbnail")
    bar = next(line for line in screen if line.startswith("downloading"))
    assert bar.startswith(f"downloading thumbnail {video['id'][:8]}") and len(bar) <= 80, bar
    assert "?" not in bar and re.search(r"\d+(\.\d)? (bytes|kB|MB|GB)/s", bar), bar


def test_the_batch_board_counts_lines_not_started_yet() -> None:
    """Before any line starts all are pending; as lines start, the rest stay counted."""
    from videoclient.batch import BatchEvent

    board = BatchBoard(Output(Settings(quiet=True)), total=5)
    assert board.counts() == {"pending": 5}
    board(BatchEvent(line=1, status="creating", output=Path("a.mp4")))
    assert board.counts() == {"creating": 1, "pending": 4}


def test_a_plain_multi_job_wait_says_why_a_job_failed(emu: EmulatorThread) -> None:
    """Without a terminal too, the wait table is followed by each failure's reason."""
    bad = cli_json(emu, "create", f"doomed {FAIL_TRIGGER}", "--size", "64x64")
    good = cli_json(emu, "create", "fine", "--size", "64x64")
    assert isinstance(bad, dict) and isinstance(good, dict)
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    result = CliRunner().invoke(
        cli, ["wait", bad["id"], good["id"], "--poll-interval", "0.05"], env=env
    )
    assert result.exit_code == 1
    assert f"{bad['id']} failed (moderation_blocked): Your request" in result.stdout
