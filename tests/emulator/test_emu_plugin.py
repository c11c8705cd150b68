"""The pytest plugin, run as a user would: fixtures, options, ini settings and the marker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

USER_TESTS = """
import json, os, time, urllib.request

import pytest

AUTH = {"Authorization": "Bearer sk-user", "Content-Type": "application/json"}


def call(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=AUTH, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def test_a_job_completes(videoclient_emulator, videoclient_emulator_config):
    assert videoclient_emulator_config.render_seconds == 0.1  # the command-line option
    assert videoclient_emulator_config.fail_rate == 0.25  # the ini setting
    assert videoclient_emulator_config.gateway_quirks == {"refuse-delete"}
    video = call(videoclient_emulator.base_url + "/videos", {"prompt": "p", "size": "32x32"})
    for _ in range(200):
        video = call(f"{videoclient_emulator.base_url}/videos/{video['id']}")
        if video["status"] not in ("queued", "in_progress"):
            break
        time.sleep(0.02)
    assert video["status"] in ("completed", "failed")
    assert videoclient_emulator.count("POST", "/v1/videos") == 1
    assert videoclient_emulator.jobs_created == 1


@pytest.mark.videoclient_emulator(api_key="sk-marked", seed=4, fail_rate=0.0)
def test_marker_and_env(videoclient_emulator_env, videoclient_emulator_config):
    assert (videoclient_emulator_config.seed, videoclient_emulator_config.fail_rate) == (4, 0.0)
    assert os.environ["OPENAI_API_KEY"] == "sk-marked"
    assert os.environ["OPENAI_BASE_URL"] == videoclient_emulator_env.base_url


def test_url(videoclient_emulator_url):
    assert videoclient_emulator_url.startswith("http://127.0.0.1:")
    assert videoclient_emulator_url.endswith("/v1")
"""


def test_plugin_fixtures_options_and_marker(tmp_path: Path) -> None:
    """A user's test suite gets a running emulator configured by option, ini and marker."""
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    (tmp_path / "pytest.ini").write_text(
        textwrap.dedent(
            """\
            [pytest]
            videoclient_fail_rate = 0.25
            filterwarnings = error
            asyncio_default_fixture_loop_scope = function
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    # Load the plugin by module name whether or not its entry point is installed.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:videoclient", "-p", "videoclient.testing"]
    command += ["--videoclient-render-seconds", "0.1", str(tmp_path)]
    command += ["--videoclient-gateway-quirks", "refuse-delete"]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
