"""Starting servers and drivers in their own processes, and reading what they report (stdlib only)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .drivers._common import IMPORT_FROM, RESULT_PREFIX
from .samples import Samples

__all__ = [
    "ROOT",
    "DriverError",
    "Server",
    "asset_sha256",
    "attempt",
    "child_env",
    "emulator",
    "log",
    "rounds",
    "run_driver",
    "stats",
]

#: The repository root: every child runs there, so ``-m benchmarks...`` resolves.
ROOT = Path(__file__).resolve().parent.parent


class DriverError(RuntimeError):
    """A driver or server process failed; the message ends with its stderr."""


def log(message: str) -> None:
    """Progress, on stderr (stdout carries the report)."""
    print(message, file=sys.stderr, flush=True)


_pycache: str | None = None


def _pycache_dir() -> str:
    """A bytecode cache for the children, outside the repository, kept between runs."""
    global _pycache
    if _pycache is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        _pycache = os.path.join(base, "videoclient-benchmarks", "pycache")
        os.makedirs(_pycache, exist_ok=True)
    return _pycache


def child_env(import_from: str | None = None) -> dict[str, str]:
    """The environment of every child: this repository importable, no OpenAI settings.

    Bytecode is cached (under ``~/.cache/videoclient-benchmarks/pycache``, even when
    ``PYTHONDONTWRITEBYTECODE`` is set), so processes import as an installed package does,
    without compiling; nothing is written into the repository.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _pycache_dir()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.pop(IMPORT_FROM, None)
    if import_from is not None:
        env[IMPORT_FROM] = import_from
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        env.pop(name, None)
    return env


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_driver(
    module: str, args: Sequence[str], *, timeout: float, import_from: str | None = None
) -> dict[str, Any]:
    """Run ``python -m benchmarks.drivers.<module> ARGS`` and return its result line.

    ``import_from``: a directory holding another ``videoclient`` package for the driver
    to import (``--baseline``); the result then names where it came from.

    Raises:
        DriverError: The driver exited non-zero, timed out, or printed no result.
    """
    cmd = [sys.executable, "-m", f"benchmarks.drivers.{module}", *args]
    try:
        done = subprocess.run(
            cmd,
            cwd=ROOT,
            env=child_env(import_from),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DriverError(f"{module} {' '.join(args)}: timed out after {timeout:g} s") from exc
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX) and done.returncode == 0:
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            came_from = result.get("videoclient_from")
            if import_from is not None and came_from and not came_from.startswith(import_from):
                raise DriverError(f"{module}: imported videoclient from {came_from}")
            return result
    raise DriverError(
        f"{module} {' '.join(args)}: exit {done.returncode}, no result\n{_tail(done.stderr)}"
    )


def stats(stats_url: str, since: int = 0) -> dict[str, Any]:
    """The emulator's counters since log index ``since`` (see :mod:`benchmarks.emulator_proc`)."""
    with urllib.request.urlopen(f"{stats_url}/stats?since={since}", timeout=30) as resp:
        result: dict[str, Any] = json.load(resp)
    return result


def asset_sha256(stats_url: str, video_id: str) -> str | None:
    """The SHA-256 of a job's MP4 as the emulator holds it (None if it has none)."""
    try:
        with urllib.request.urlopen(f"{stats_url}/asset/{video_id}", timeout=120) as resp:
            digest: str = json.load(resp)["sha256"]
    except OSError:
        return None
    return digest


class Server:
    """A server module run as a child process until the ``with`` block ends.

    Args:
        module: ``benchmarks.emulator_proc`` or ``benchmarks.fileserver``.
        args: Its command-line arguments.
        startup_timeout: Seconds to wait for its JSON ready line.

    Attributes:
        info: The ready line it printed (``base_url``, maybe ``stats_url``).
    """

    def __init__(self, module: str, args: Sequence[str], *, startup_timeout: float = 60.0) -> None:
        self._cmd = [sys.executable, "-m", module, *args]
        self._timeout = startup_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.info: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        url: str = self.info["base_url"]
        return url

    @property
    def stats_url(self) -> str:
        url: str = self.info["stats_url"]
        return url

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> Server:
        self._stderr = tempfile.TemporaryFile("w+")
        self._proc = subprocess.Popen(
            self._cmd,
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(
                self._proc.stdout.readline() if self._proc and self._proc.stdout else ""
            ),
            daemon=True,
        )
        reader.start()
        reader.join(self._timeout)
        if not line or not line[0].strip():
            self._stop()
            raise DriverError(f"{' '.join(self._cmd)} did not start\n{self._stderr_text()}")
        self.info = json.loads(line[0])
        return self

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return _tail(self._stderr.read())

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()


def emulator(*flags: str) -> Server:
    """The emulator with its stats side door, on a free port, with these extra flags."""
    return Server("benchmarks.emulator_proc", ["--port", "0", *flags])


def rotation(clients: Sequence[str], run: int) -> list[str]:
    """The order of the clients in run ``run``: each run starts one client further on.

    A client's figures can depend on the one before it (a 512 MiB file it just freed, the
    memory it gave back), so no client may always follow the same one.
    """
    if not clients:
        return []
    shift = run % len(clients)
    return [*clients[shift:], *clients[:shift]]


def rounds(samples: Samples, runs: int, scenario: str) -> Iterator[str]:
    """Each client still active, run after run (round-robin, rotated, so noise spreads evenly)."""
    for run in range(runs):
        for client in rotation(list(samples.clients), run):
            if samples.active(client):
                log(f"  {scenario}: {client} (run {run + 1}/{runs})")
                yield client


def attempt(
    samples: Samples, client: str, measure: Callable[[], dict[str, Any]]
) -> dict[str, Any] | None:
    """Run ``measure``; record a skip or a failure instead of raising.

    Returns:
        The driver's result, or None when it skipped or failed.
    """
    began = time.perf_counter()
    try:
        result = measure()
        log(f"    {time.perf_counter() - began:.1f} s")
    except DriverError as exc:
        log(f"  FAILED: {exc}")
        samples.fail(client, str(exc))
        return None
    if "skipped" in result:
        samples.skip(client, str(result["skipped"]))
        return None
    return result
