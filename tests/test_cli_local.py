"""``--local`` is one emulator whose jobs outlive each command, and ``generate --resume``."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from videoclient.cli._app import cli
from videoclient.cli._local import announce, own_local_dir
from videoclient.emulator import Emulator, EmulatorConfig

FAST = ["--local", "--local-render-seconds", "0.2"]
SMALL = ["--size", "64x64", "--poll-interval", "0.05"]
CLI = [sys.executable, "-m", "videoclient.cli"]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Invoke the CLI in tmp_path with no key or base URL in the environment."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        env = {"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None}
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_local_jobs_outlive_the_command_that_made_them(run: Any, local_dir: Path) -> None:
    """create --local makes a job that later list/get/wait/download --local commands see."""
    video = as_json(run(*FAST, "--json", "create", "a kite", "--size", "64x64"))
    listed = as_json(run("--local", "--json", "list"))
    assert [v["id"] for v in listed] == [video["id"]]
    assert as_json(run("--local", "--json", "get", video["id"]))["prompt"] == "a kite"
    done = as_json(run("--local", "--json", "wait", video["id"], "--poll-interval", "0.05"))
    assert done["status"] == "completed"
    got = as_json(run("--local", "--json", "download", video["id"], "-o", "kite.mp4"))
    assert got["bytes"] > 0 and (local_dir / "jobs.jsonl").exists()


def test_an_id_the_local_emulator_never_made_is_said_so(run: Any, local_dir: Path) -> None:
    """A --local 404 for an unknown id says the local emulator never made it, and where it lives."""
    result = run("--local", "get", "video_from_elsewhere")
    assert result.exit_code == 3
    assert "local emulator" in result.stderr and "never made it" in result.stderr
    assert str(local_dir) in result.stderr


def test_a_second_local_command_at_once_is_refused_clearly(run: Any, local_dir: Path) -> None:
    """While one --local command owns the emulator, another is a usage error saying so."""
    with own_local_dir(local_dir) as owned:
        assert owned
        result = run("--local", "list")
    assert result.exit_code == 2 and "another --local command" in result.stderr
    assert "serve --local" in result.stderr
    assert run("--local", "list").exit_code == 0  # free again


def test_local_commands_share_a_running_serve_local(run: Any, local_dir: Path) -> None:
    """While a serve --local owns the directory, --local commands talk to that server."""
    with (
        Emulator(EmulatorConfig(render_seconds=0.2, data_dir=local_dir)).in_thread() as emu,
        own_local_dir(local_dir) as owned,
        announce(local_dir, emu.base_url),
    ):
        assert owned
        video = as_json(run("--local", "--json", "create", "shared", "--size", "64x64"))
        assert emu.jobs_created == 1 and emu.video(video["id"]).prompt == "shared"
    assert not (local_dir / "server.json").exists()


def test_an_interrupted_local_batch_resumes_on_the_rerun(tmp_path: Path, local_dir: Path) -> None:
    """Ctrl-C during batch --local, then the same command: every line completes, none twice."""
    lines = [json.dumps({"prompt": f"scene {i}", "size": "64x64"}) for i in range(3)]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    args = [*CLI, "--local", "--local-render-seconds", "1.5", "batch", "p.jsonl"]
    proc = subprocess.Popen(
        [*args, "--poll-interval", "0.05"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        waiting: set[str] = set()
        while len(waiting) < 3:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            if match := re.match(r"line (\d): waiting", line):
                waiting.add(match.group(1))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 130, err
    rerun = subprocess.run(
        [*args, "--json", "--poll-interval", "0.05"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    summary = json.loads(rerun.stdout)
    assert rerun.returncode == 0 and summary["completed"] == 3, rerun.stderr
    jobs = {
        json.loads(x)["value"]["id"] for x in (local_dir / "jobs.jsonl").read_text().splitlines()
    }
    assert jobs == {r["video_id"] for r in summary["results"]}  # three jobs, each made once


def test_generate_resume_finishes_a_job_without_a_new_one(run: Any, tmp_path: Path) -> None:
    """The hint after a cut-short generate is a command that waits for and downloads that job."""
    first = run(
        *FAST, "generate", "slow [emulator:slow]", *SMALL, "-o", "boat.mp4", "--timeout", "0.1"
    )
    assert first.exit_code == 1 and not (tmp_path / "boat.mp4").exists()
    (hint,) = re.findall(r"with: (videoclient .+)$", first.stderr, re.MULTILINE)
    words = shlex.split(hint)
    assert words[:4] == ["videoclient", "--local", "generate", "--resume"]
    done = as_json(run("--json", *words[1:], "--poll-interval", "0.05"))
    assert done["files"] == {"video": "boat.mp4"} and (tmp_path / "boat.mp4").stat().st_size > 0
    assert len(as_json(run("--local", "--json", "list"))) == 1  # the same job, not another


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        pytest.param(["a prompt"], "not both", id="prompt-and-resume"),
        pytest.param(["--size", "64x64"], "--size cannot change it", id="create-option"),
    ],
)
def test_generate_resume_refuses_what_cannot_apply(run: Any, extra: list[str], needle: str) -> None:
    """--resume with a prompt or a create option is a usage error naming it."""
    result = run("--local", "generate", "--resume", "video_1", *extra)
    assert result.exit_code == 2 and needle in result.stderr


def test_generate_needs_a_prompt_without_resume(run: Any) -> None:
    """generate without PROMPT and without --resume is click's missing-argument error."""
    result = run("--local", "generate")
    assert result.exit_code == 2 and "Missing argument 'PROMPT'" in result.stderr
