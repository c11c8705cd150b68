"""Every batch line is checked before anything is sent, and every bad line is reported at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from videoclient.batch import BatchInputError, read_requests
from videoclient.cli._app import cli
from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-batch-check"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.1, api_key=KEY)).in_thread() as e:
        yield e


def batch(emu: EmulatorThread, tmp_path: Path, lines: list[str], *args: str) -> Result:
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}
    return CliRunner().invoke(
        cli, [*args, "batch", str(tmp_path / "p.jsonl"), "--out", str(tmp_path / "out")], env=env
    )


GOOD = json.dumps({"prompt": "fine", "size": "64x64"})
BAD = [
    GOOD,
    '{"prompt": "broken",',  # 2: not JSON
    json.dumps({"promt": "typo"}),  # 3: unknown key
    json.dumps({"prompt": "star", "size": "64*64"}),  # 4: the client's size check
    json.dumps({"prompt": "img", "size": "64x64", "input_reference": "missing.png"}),  # 5
    json.dumps({"prompt": "fit", "input_reference": "ref.png", "fit": "cover"}),  # 6: no size
    json.dumps({"prompt": "zero", "seconds": 0}),  # 7
]


def test_every_bad_line_is_reported_at_once_before_sending(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    """Parse errors and the client's own checks are reported together, by line; exit 2; nothing sent."""
    from PIL import Image

    Image.new("RGB", (40, 20)).save(tmp_path / "ref.png")
    before = len(emu.request_log)
    result = batch(emu, tmp_path, BAD)
    assert result.exit_code == 2, result.output
    for line in range(2, 8):
        assert f"p.jsonl:{line}: " in result.stderr, line
    assert "p.jsonl:1:" not in result.stderr and "6 bad lines" in result.stderr
    assert "(did you mean '64x64'?)" in result.stderr and "missing.png" in result.stderr
    assert len(emu.request_log) == before and not (tmp_path / "out").exists()


def test_bad_lines_as_json_name_line_field_and_reason(emu: EmulatorThread, tmp_path: Path) -> None:
    """Under --json the problems are a list of {line, field, reason}."""
    from PIL import Image

    Image.new("RGB", (40, 20)).save(tmp_path / "ref.png")
    result = batch(emu, tmp_path, BAD, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    problems = json.loads(result.stderr)["error"]["problems"]
    fields = {p["line"]: p["field"] for p in problems}
    assert fields == {
        2: None,
        3: "promt",
        4: "size",
        5: "input_reference",
        6: "fit",
        7: "seconds",
    }
    assert all(p["reason"] for p in problems)


def test_a_line_the_server_would_refuse_never_starts_the_batch(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    """One bad size among good lines: no good line is created either (nothing to rerun)."""
    before = emu.jobs_created
    result = batch(emu, tmp_path, [GOOD, GOOD.replace("fine", "other"), BAD[3]])
    assert result.exit_code == 2 and "p.jsonl:3: size must be" in result.stderr
    assert emu.jobs_created == before


def test_read_requests_reports_every_bad_line(tmp_path: Path) -> None:
    """read_requests raises one BatchInputError listing each malformed line, in order."""
    (tmp_path / "p.csv").write_text("prompt,size,fit\nok,64x64,\n,64x64,\nx,64x64,zoom\n")
    with pytest.raises(BatchInputError) as caught:
        read_requests(tmp_path / "p.csv")
    problems = caught.value.problems
    assert [(p.line, p.field) for p in problems] == [(3, "prompt"), (4, "fit")]
    assert str(caught.value).startswith("2 bad lines; nothing was sent:\n  p.csv:3: ")
