"""What every driver shares: self-measurement and the one line of output (stdlib only)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = [
    "KEY",
    "RESULT_PREFIX",
    "base_parser",
    "cpu_seconds",
    "emit",
    "import_sync_client",
    "missing_peer",
    "peak_rss_mib",
    "quiet_warnings",
    "skip",
]

#: Set by ``--baseline``: import videoclient from this directory (before the repository).
IMPORT_FROM = "VIDEOCLIENT_BENCH_IMPORT_FROM"
if os.environ.get(IMPORT_FROM):
    sys.path.insert(0, os.environ[IMPORT_FROM])

#: Every benchmark client uses this key; the servers accept any key.
KEY = "sk-videoclient-bench"
#: The prefix of the line a driver prints its result on.
RESULT_PREFIX = "BENCH-RESULT "


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (every thread)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # KiB on Linux, bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def emit(result: dict[str, Any]) -> None:
    """Print the result line the orchestrator reads (with where videoclient came from)."""
    module = sys.modules.get("videoclient")
    if module is not None and getattr(module, "__file__", None):
        result = {**result, "videoclient_from": module.__file__}
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def skip(reason: str) -> None:
    """Report that this client cannot be measured here (not an error)."""
    emit({"skipped": reason})


def quiet_warnings() -> None:
    """Silence warnings (openai's deprecation notices on every Videos call)."""
    warnings.simplefilter("ignore")


def base_parser(description: str, clients: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with the options every driver takes: ``--client`` and ``--base-url``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--client", required=True, choices=list(clients))
    p.add_argument("--base-url", required=True, help="the API base, ending in /v1")
    return p


def import_sync_client() -> tuple[Any, str] | None:
    """videoclient's blocking client class and where it came from, or None if there is none."""
    try:
        from videoclient import VideoClient  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        try:
            from videoclient._sync.client import VideoClient
        except ImportError:
            return None
        return VideoClient, "videoclient._sync.client.VideoClient"
    return VideoClient, "videoclient.VideoClient"


def missing_peer(client: str) -> str | None:
    """Why ``client`` cannot run here (its library is not installed), or None."""
    from importlib.util import find_spec

    if client.startswith("openai") and find_spec("openai") is None:
        return "openai is not installed (pip install openai)"
    return None
