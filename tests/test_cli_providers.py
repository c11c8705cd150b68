"""``--provider``: every command on Runway or Vertex, and ``--local`` on the emulator's protocols."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from videoclient.cli._app import cli


def _run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    env: dict[str, str | None] | None = None,
):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(cli, list(args), env=env or {})


@pytest.mark.parametrize("provider", ["runway", "vertex"])
def test_local_generate_runs_on_the_providers_protocol(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--local --provider X generate: a real MP4, through that provider's paths."""
    result = _run(
        tmp_path,
        monkeypatch,
        "--local",
        "--provider",
        provider,
        "--local-render-seconds",
        "0.2",
        "--json",
        "generate",
        "a kite",
        "--size",
        "1280x720",
        "--seconds",
        "4",
        "--poll-interval",
        "0.05",
        "-o",
        "kite.mp4",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kite.mp4").read_bytes()[4:8] == b"ftyp"
    assert json.loads(result.stdout)["video"]["status"] == "completed"


def test_an_operation_the_provider_lacks_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--provider runway list: one line naming the provider and the operation; exit 2."""
    result = _run(tmp_path, monkeypatch, "--local", "--provider", "runway", "list")
    assert result.exit_code == 2
    assert "runway" in result.stderr and "'list'" in result.stderr


def test_each_provider_names_its_own_key_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key, the message names RUNWAYML_API_SECRET / GOOGLE_API_KEY and --local."""
    for provider, var in (("runway", "RUNWAYML_API_SECRET"), ("vertex", "GOOGLE_API_KEY")):
        env: dict[str, str | None] = {"RUNWAYML_API_SECRET": None, "GOOGLE_API_KEY": None}
        result = _run(tmp_path, monkeypatch, "--provider", provider, "create", "x", env=env)
        assert result.exit_code == 2, result.output
        assert var in result.stderr and "--local" in result.stderr


def test_local_batch_runs_each_line_on_its_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--local batch: a line naming runway or vertex runs on that protocol of the emulator."""
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        '{"prompt": "plain", "size": "64x64", "seconds": 1, "name": "a"}\n'
        '{"prompt": "rw", "provider": "runway", "size": "1280x720", "seconds": 2, "name": "b"}\n'
        '{"prompt": "vx", "provider": "vertex", "size": "1280x720", "seconds": 4, "name": "c"}\n'
    )
    result = _run(
        tmp_path,
        monkeypatch,
        "--local",
        "--local-render-seconds",
        "0.2",
        "--json",
        "batch",
        str(lines),
        "--out",
        "out",
        "--poll-interval",
        "0.05",
    )
    assert result.exit_code == 0, result.output
    for name in ("a", "b", "c"):
        assert (tmp_path / "out" / f"{name}.mp4").read_bytes()[4:8] == b"ftyp"
