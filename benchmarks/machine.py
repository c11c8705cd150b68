"""The machine line printed with every report: CPUs, Python, platform, library versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

__all__ = ["describe"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _curl() -> str:
    if shutil.which("curl") is None:
        return "absent"
    try:
        out = subprocess.run(
            ["curl", "--version"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.split()[1] if out.split() else "unknown"


def describe() -> str:
    """e.g. ``2 CPUs (AMD EPYC ...), Python 3.11.7, Linux-6.1-x86_64; videoclient 0.1.0, ...``."""
    names = ["videoclient", "openai", "aiohttp"]
    names += [n for n in ("httpx", "httpx2") if _version(n) != "absent"]  # openai's HTTP library
    libs = ", ".join(f"{name} {_version(name)}" for name in names)
    return (
        f"{os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"{platform.platform()}; {libs}, curl {_curl()}"
    )
