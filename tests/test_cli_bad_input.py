"""Bad input on the command line: a clear one-line message, exit 2, and nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from videoclient.cli._app import cli
from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-cli-bad-input"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.2, api_key=KEY)).in_thread() as e:
        yield e


ROWS = [
    pytest.param(["create", ""], "prompt", id="empty-prompt"),
    pytest.param(["create", "x" * 40000], "32000", id="40k-prompt"),
    pytest.param(["create", "p", "--seconds", "0"], "seconds", id="seconds-0"),
    pytest.param(["create", "p", "--seconds", "-4"], "seconds", id="seconds-neg"),
    pytest.param(["create", "p", "--seconds", "abc"], "seconds", id="seconds-abc"),
    pytest.param(["create", "p", "--size", "big"], "size", id="size-big"),
    pytest.param(["create", "p", "--size", "1280*720"], "1280x720", id="size-star"),
    pytest.param(
        ["create", "p", "--input-reference", "{tmp}/missing.png"], "missing.png", id="missing-file"
    ),
    pytest.param(["create", "p", "--input-reference", "{tmp}"], "director", id="directory"),
    pytest.param(
        ["create", "p", "--input-reference", "{tmp}/empty.png"], "empty", id="zero-byte-file"
    ),
    pytest.param(
        ["create", "p", "--input-reference", "{tmp}/notes.txt"],
        "unsupported",
        id="unsupported-type",
    ),
    pytest.param(["get", "a/b"], "not a valid id", id="id-slash"),
    pytest.param(["get", ".."], "not a valid id", id="id-dotdot"),
    pytest.param(["get", "video 1"], "not a valid id", id="id-space"),
    pytest.param(["download", "video_1", "--variant", "poster"], "poster", id="variant-poster"),
    pytest.param(["list", "--limit", "-1"], "limit", id="limit-neg"),
    pytest.param(["list", "--limit", "101"], "limit", id="limit-101"),
]


@pytest.mark.parametrize(("args", "needle"), ROWS)
def test_bad_cli_input_exits_2_before_any_request(
    emu: EmulatorThread, tmp_path: Path, args: list[str], needle: str
) -> None:
    """Each bad argument exits 2 with a message naming the problem, and no request reaches the server."""
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = len(emu.request_log)
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    result = CliRunner().invoke(cli, argv, env=env)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert needle.lower() in message.lower()
    assert "Traceback" not in result.output
    assert len(emu.request_log) == before
