"""The command line: every flag reaches EmulatorConfig, and `python -m videoclient.emulator` serves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from videoclient.emulator import FAULT_KINDS, EmulatorConfig
from videoclient.emulator._cli import build_parser, config_from_args, main

SECRET = "whsec_c2VjcmV0"


def test_every_flag_reaches_the_config(tmp_path: Path) -> None:
    """Each `videoclient serve` flag sets the EmulatorConfig field of the same name."""
    argv = [
        "--host", "0.0.0.0", "--port", "0", "--render-seconds", "1.5", "--api-key", "k",
        "--redirect-content", "--signed-url-ttl", "30", "--seed", "7", "--rate-limit", "60",
        "--max-active", "4", "--fail-rate", "0.1", "--fault-rate", "0.2",
        "--fault-kinds", "reset,http_503", "--data-dir", str(tmp_path),
        "--webhook-url", "http://127.0.0.1:1/hook", "--webhook-secret", SECRET,
        "--poll-after-min-ms", "10", "--poll-after-max-ms", "900", "--asset-ttl", "120",
        "--prerender", "--render-workers", "3", "--fps", "12", "--max-upload-bytes", "1000",
        "--access-log", "--gateway-quirks", "restamp-ids,refuse-list",
        "--gateway-error-shape", "problem",
    ]  # fmt: skip
    config = config_from_args(build_parser().parse_args(argv))
    assert config == EmulatorConfig(
        host="0.0.0.0",
        port=0,
        render_seconds=1.5,
        api_key="k",
        redirect_content=True,
        signed_url_ttl=30,
        seed=7,
        rate_limit=60,
        max_active=4,
        fail_rate=0.1,
        fault_rate=0.2,
        fault_kinds={"reset", "http_503"},
        data_dir=tmp_path,
        webhook_url="http://127.0.0.1:1/hook",
        webhook_secret=SECRET,
        poll_after_min_ms=10,
        poll_after_max_ms=900,
        asset_ttl=120,
        prerender=True,
        render_workers=3,
        fps=12,
        max_upload_bytes=1000,
        access_log=True,
        gateway_quirks={"restamp-ids", "refuse-list"},
        gateway_error_shape="problem",
        request_log_limit=1000,
    )


def test_gateway_quirks_alone_turns_every_quirk_on() -> None:
    """`--gateway-quirks` without a value (or with `all`) plays every gateway quirk."""
    from videoclient.emulator import GATEWAY_QUIRKS

    for argv in (["--gateway-quirks"], ["--gateway-quirks", "all"], ["--gateway-quirks="]):
        config = config_from_args(build_parser().parse_args(argv))
        expected = frozenset() if argv[-1].endswith("=") else GATEWAY_QUIRKS
        assert config.gateway_quirks == expected, argv


def test_defaults_match_the_config_except_the_port() -> None:
    """Without flags the CLI uses EmulatorConfig's defaults, on port 8000."""
    config = config_from_args(build_parser().parse_args([]))
    assert config == EmulatorConfig(port=8000, request_log_limit=1000)
    assert config.fault_kinds == FAULT_KINDS


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--fail-rate", "2"], id="rate"),
        pytest.param(["--fault-kinds", "meteor"], id="kind"),
        pytest.param(["--port", "eighty"], id="port"),
        pytest.param(["--gateway-quirks", "teleport"], id="quirk"),
        pytest.param(["--gateway-error-shape", "xml"], id="shape"),
    ],
)
def test_bad_flags_exit_with_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed flag value stops with exit status 2 and a message."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and "error" in capsys.readouterr().err


def test_invalid_combination_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A value the config rejects (a secret without whsec_) returns 2 with the reason."""
    assert main(["--webhook-secret", "plain"]) == 2
    assert "whsec_" in capsys.readouterr().err


def test_python_dash_m_serves_until_interrupted() -> None:
    """`python -m videoclient.emulator --port 0` prints its base URL, serves, and exits 0 on SIGINT."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "videoclient.emulator", "--port", "0", "--render-seconds", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving http://127.0.0.1:" in line, line
        base = line.split("serving ", 1)[1].split()[0]
        assert base.endswith("/v1")
        with urllib.request.urlopen(
            base.removesuffix("/v1") + "/_emulator/health", timeout=10
        ) as r:
            assert json.load(r)["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
