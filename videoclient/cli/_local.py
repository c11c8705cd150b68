"""``--local``: one emulator per user whose jobs outlive the command that made them.

Every ``--local`` command runs the emulator with the same data directory (``--data-dir``
persistence: jobs, idempotency keys and assets), so ``create --local`` makes a job that
``list --local``, ``get --local`` and a rerun of ``batch --local`` see later. The directory is
``$VIDEOCLIENT_LOCAL_DIR``, else ``$XDG_DATA_HOME/videoclient/emulator``, else
``~/.local/share/videoclient/emulator``.

Only one process may own the directory at a time (an advisory lock on ``DIR/lock``): while a
``videoclient serve --local`` owns it, it writes its address to ``DIR/server.json`` and
``--local`` commands talk to it instead of starting their own; while another command owns
it, a second one is refused with a usage error saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import click

__all__ = ["LOCAL_DIR_ENV", "LocalBusy", "local_data_dir", "own_local_dir", "serving_url"]

#: The environment variable that moves the ``--local`` emulator's data directory.
LOCAL_DIR_ENV = "VIDEOCLIENT_LOCAL_DIR"

_LOCK = "lock"
_SERVER = "server.json"


def local_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the ``--local`` emulator keeps its jobs (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get(LOCAL_DIR_ENV):
        return Path(env[LOCAL_DIR_ENV]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(base) / "videoclient" / "emulator"


class LocalBusy(click.UsageError):
    """Another process owns the ``--local`` data directory."""


def _try_lock(fh: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, as before
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def serving_url(directory: Path) -> str | None:
    """The base URL a ``serve --local`` running on ``directory`` announced, if any."""
    try:
        data = json.loads((directory / _SERVER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("base_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


@contextlib.contextmanager
def own_local_dir(directory: Path) -> Iterator[bool]:
    """Hold ``directory``'s lock for the block and yield True, or yield False when a
    ``serve --local`` owns it (use :func:`serving_url` then).

    Raises:
        LocalBusy: Another ``--local`` command owns it.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(
            f"cannot use {directory} for the --local emulator ({exc.strerror}); "
            f"set {LOCAL_DIR_ENV} to another directory"
        ) from None
    with (directory / _LOCK).open("a+", encoding="utf-8") as fh:
        if _try_lock(fh):
            (directory / _SERVER).unlink(missing_ok=True)  # left by a serve that was killed
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield True
            return
        if serving_url(directory) is not None:
            yield False
            return
        fh.seek(0)
        owner = fh.read().strip() or "?"
    raise LocalBusy(
        f"another --local command (pid {owner}) is using the local emulator in {directory}; "
        "wait for it to end, or run 'videoclient serve --local' in another terminal and every "
        "--local command will share it"
    )


@contextlib.contextmanager
def announce(directory: Path, base_url: str) -> Iterator[None]:
    """Tell ``--local`` commands where this ``serve --local`` listens, until the block ends."""
    path = directory / _SERVER
    path.write_text(json.dumps({"base_url": base_url, "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
