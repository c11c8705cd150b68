"""What every driver shares: self-measurement, the one line of output, the bare-aiohttp floor.

Stdlib only at import: aiohttp is imported by the one function that uses it.
"""

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
    "bare_create_and_poll",
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


async def bare_create_and_poll(session: Any, base_url: str, body: dict[str, Any]) -> dict[str, Any]:
    """The floor: create a job and poll it, honouring every ``openai-poll-after-ms``, no checks.

    ``session`` is an ``aiohttp.ClientSession`` carrying the key; returns the final job JSON.
    """
    import asyncio

    async with session.post(f"{base_url}/videos", json=body) as resp:
        resp.raise_for_status()
        video: dict[str, Any] = await resp.json()
        hint = resp.headers.get("openai-poll-after-ms")
    while video["status"] in ("queued", "in_progress"):
        await asyncio.sleep(int(hint or 1000) / 1000)
        async with session.get(f"{base_url}/videos/{video['id']}") as resp:
            resp.raise_for_status()
            video = await resp.json()
            hint = resp.headers.get("openai-poll-after-ms")
    return video
