"""Usage errors speak the command line: flags named as typed, JSON under --json, one wording;
missing directories refused; ``serve`` a click command like the others."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from videoclient.cli._app import cli
from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread
from videoclient.emulator import main as emulator_main

KEY = "sk-cli-usage"
SMALL = ["--size", "64x64", "--poll-interval", "0.05"]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.1, api_key=KEY)).in_thread() as e:
        yield e


@pytest.fixture
def run(emu: EmulatorThread, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (40, 20), (10, 200, 30)).save(tmp_path / "frame.png")
    return tmp_path / "frame.png"


@pytest.mark.parametrize(
    ("args", "said", "not_said"),
    [
        pytest.param(
            ["-i", "first-frame.png"], "-i: no such file", "input_reference", id="short-i"
        ),
        pytest.param(
            ["--input-reference", "first-frame.png"],
            "--input-reference: no such file",
            "input_reference",
            id="long-i",
        ),
        pytest.param(
            ["-i", "{img}", "--fit", "contain"], "--fit needs --size", "fit=", id="fit-no-size"
        ),
        pytest.param(
            ["-i", "{img}", "--size", "64x64"],
            "pass --fit contain, cover or stretch",
            "fit='",
            id="fit-hint",
        ),
        pytest.param(["--seconds", "0"], "--seconds must be positive", ": seconds", id="seconds"),
        pytest.param(["--size", "64*64"], "--size must be 'WIDTHxHEIGHT'", ": size", id="size"),
    ],
)
def test_usage_errors_name_the_flag_the_user_typed(
    run: Any, emu: EmulatorThread, image: Path, args: list[str], said: str, not_said: str
) -> None:
    """Each bad value is reported with the flag as typed (-i or --input-reference), exit 2."""
    before = emu.count("POST")
    argv = [a.replace("{img}", str(image)) for a in args]
    result = run("generate", "x", *argv)
    assert result.exit_code == 2 and said in result.stderr, result.stderr
    assert not_said not in result.stderr
    assert emu.count("POST") == before


def test_an_empty_prompt_is_named_as_the_argument(run: Any) -> None:
    """The positional PROMPT is named as help shows it."""
    result = run("create", "")
    assert result.exit_code == 2 and "PROMPT must not be empty" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--json", "generate", "--sise", "3", "x"], id="unknown-option"),
        pytest.param(["generate", "--json", "--sise", "3", "x"], id="json-after-command"),
        pytest.param(["--json", "create"], id="missing-argument"),
        pytest.param(["--json", "list", "--limit", "0"], id="bad-value"),
        pytest.param(["--json", "nosuchcommand"], id="unknown-command"),
        pytest.param(["--json", "download", "v", "-o", "no/dir/x.mp4"], id="command-usage"),
    ],
)
def test_json_usage_errors_are_one_json_document(run: Any, args: list[str]) -> None:
    """Under --json every usage error is one JSON document on stderr, nothing on stdout; exit 2."""
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["message"] and error["type"]


def test_a_misspelt_option_gets_the_one_close_match(run: Any) -> None:
    """--sise suggests --size only (not --quiet too)."""
    result = run("generate", "--sise", "3", "x")
    assert result.exit_code == 2 and "Did you mean '--size'?" in result.stderr
    assert "--quiet" not in result.stderr


def test_help_lists_every_exit_code(run: Any) -> None:
    """--help names the exit codes, 130 included."""
    text = " ".join(run("--help").stdout.split())
    assert "0 ok, 1 a job failed or timed out, 2 usage, 3 API error, 130 interrupted" in text


def test_already_exists_is_worded_one_way(run: Any, tmp_path: Path) -> None:
    """generate's early check and download's late refusal say 'X already exists (pass --overwrite)'."""
    (tmp_path / "taken.mp4").write_bytes(b"mine")
    early = run("generate", "x", *SMALL, "-o", "taken.mp4")
    video = json.loads(run("--json", "create", "x", *SMALL, "--wait").stdout)["id"]
    late = run("download", video, "-o", "taken.mp4")
    wording = "taken.mp4 already exists (pass --overwrite)"
    assert early.exit_code == late.exit_code == 2
    assert wording in early.stderr and wording in late.stderr


@pytest.mark.parametrize("command", ["generate", "download"])
def test_a_missing_output_directory_is_refused_unless_asked(
    run: Any, emu: EmulatorThread, tmp_path: Path, command: str
) -> None:
    """-o under a missing directory is exit 2 naming it, creating nothing; --create-dirs makes it."""
    video = json.loads(run("--json", "create", "x", *SMALL, "--wait").stdout)["id"]
    args = ["generate", "a cat", *SMALL] if command == "generate" else ["download", video]
    before = emu.count("POST")
    result = run(*args, "-o", "nonexistent/dir/x.mp4")
    assert result.exit_code == 2 and "nonexistent/dir does not exist" in result.stderr
    assert "--create-dirs" in result.stderr and not (tmp_path / "nonexistent").exists()
    assert emu.count("POST") == before
    made = run(*args, "-o", "nonexistent/dir/x.mp4", "--create-dirs")
    assert made.exit_code == 0 and (tmp_path / "nonexistent/dir/x.mp4").stat().st_size > 0


def test_serve_refuses_base_url_naming_it(run: Any) -> None:
    """serve honours the shared options that fit a server and refuses --base-url clearly."""
    result = run("--base-url", "http://x/v1", "serve")
    assert result.exit_code == 2 and "--base-url does not apply" in result.stderr


def test_serve_on_a_port_in_use_is_a_usage_error(run: Any) -> None:
    """A taken port exits 2 (usage) naming the port, as JSON under --json."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--json", "serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"port {port}" in json.loads(result.stderr)["error"]["message"]


def test_serve_json_prints_its_address_as_json(tmp_path: Path) -> None:
    """serve --json announces the base URLs as one JSON line, and --local shares its jobs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "videoclient.cli", "--json", "serve", "--local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["base_url"].endswith("/v1") and doc["azure_base_url"].endswith("/openai/v1")
        listed = subprocess.run(
            [sys.executable, "-m", "videoclient.cli", "--local", "--json", "list"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stderr
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_python_m_emulator_refuses_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without av/Pillow the emulator refuses at start with the pip line (exit 2), serving nothing."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "av" else real(name, *a)
    )
    assert emulator_main(["--port", "0"], prog="python -m videoclient.emulator") == 2
    err = capsys.readouterr().err
    assert "pip install 'videoclient[emulator]'" in err and "missing: av" in err


def test_an_interrupt_under_json_is_a_json_error(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C under --json: one JSON document on stderr too, exit 130."""
    from videoclient.cli._settings import Settings

    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Settings, "run", interrupted)
    result = run("--json", "get", "video_1")
    assert result.exit_code == 130
    assert json.loads(result.stderr)["error"]["message"] == "interrupted"
