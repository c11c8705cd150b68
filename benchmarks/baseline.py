"""``--baseline REV``: the same drivers run against videoclient as it was at another commit.

The package at ``REV`` is extracted (``git archive``) into a temporary directory and put first
on the drivers' import path, so one run measures both commits on the same machine, with the same
peers and the same drivers: before/after figures that are comparable.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._procs import ROOT, DriverError
from .drivers._common import IMPORT_FROM as IMPORT_FROM_ENV

__all__ = ["IMPORT_FROM_ENV", "SUFFIX", "checkout", "driver", "labels_with", "split"]

#: Appended to a client id to run it on the baseline package.
SUFFIX = "@base"


def checkout(rev: str) -> tuple[str, str]:
    """Extract ``videoclient/`` at ``rev``; return (its short commit, the directory to import from).

    Raises:
        DriverError: ``rev`` is not a commit of this repository, or it has no package.
    """

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)

    found = git("rev-parse", "--short", "--verify", f"{rev}^{{commit}}")
    if found.returncode != 0:
        raise DriverError(f"--baseline {rev}: not a commit of {ROOT}")
    short = found.stdout.decode().strip()
    where = Path(tempfile.mkdtemp(prefix=f"videoclient-baseline-{short}-"))
    atexit.register(shutil.rmtree, where, True)
    archive = git("archive", "--format=tar", short, "videoclient")
    if archive.returncode != 0:
        raise DriverError(f"--baseline {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return short, str(where)


def labels_with(labels: Mapping[str, str], short: str | None) -> dict[str, str]:
    """``labels`` plus, after each videoclient client, its baseline twin (when there is one)."""
    out: dict[str, str] = {}
    for client, label in labels.items():
        out[client] = label
        if short is not None and client.startswith("videoclient"):
            out[client + SUFFIX] = f"{label} @ {short}"
    return out


def split(client: str) -> tuple[str, bool]:
    """The driver's client id, and whether it runs on the baseline package."""
    if client.endswith(SUFFIX):
        return client[: -len(SUFFIX)], True
    return client, False


def driver(client: str, found: tuple[str, str] | None) -> tuple[str, str | None]:
    """The driver's client id, and the directory to import videoclient from (None: this one).

    ``found`` is :attr:`Settings.baseline <benchmarks.settings.Settings.baseline>`.
    """
    name, on_base = split(client)
    return name, (found[1] if on_base and found is not None else None)
