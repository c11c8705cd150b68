"""Where downloads land: target names, temporary files beside them, and the final rename.

Every download writes to a hidden temporary file beside its target and renames it into
place only when complete, so a target is either absent, as it was, or whole. The output
checks of ``generate`` and ``download`` are one helper (:func:`check_output`), so both
word their errors alike.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO

__all__ = [
    "EXTENSIONS",
    "check_output",
    "default_filename",
    "leftover_temp_files",
    "publish",
    "refuse_existing",
    "sync_file",
    "temp_path",
]

#: The file extension of each content variant.
EXTENSIONS: Mapping[str, str] = {"video": ".mp4", "thumbnail": ".webp", "spritesheet": ".jpg"}

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def default_filename(video_id: str, variant: str) -> str:
    """The file name :meth:`~videoclient.AsyncVideos.download` uses inside a directory.

    The id (its last ``/`` part) with anything but letters, digits, ``.``, ``_`` and ``-``
    replaced by ``_`` (and no leading dot), plus ``.mp4`` / ``.webp`` / ``.jpg`` for the variant.
    """
    # An id that is a resource path (Vertex's operation name) is named for its last part.
    stem = _UNSAFE_NAME.sub("_", video_id.rpartition("/")[2]).lstrip(".") or "video"
    return stem + EXTENSIONS.get(variant, ".bin")


def temp_path(path: Path) -> Path:
    """A new temporary file name for a download to ``path``: hidden, beside it."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def leftover_temp_files(path: Path) -> list[Path]:
    """Temporary files of downloads to ``path`` that were never finished or removed.

    Only a process that was killed outright (SIGKILL, power loss) leaves one behind; a
    caller that knows no download to ``path`` is running (a batch holding its journal)
    may delete them.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.part")
    try:
        names = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return []
    return sorted(names)


def check_output(target: object, *, what: str = "target", directory: bool = False) -> Path:
    """Check where a download may go, before anything is sent or paid for.

    Args:
        target: A file path, or an existing directory (a trailing slash says a
            directory is meant).
        what: The argument's name, for messages.
        directory: Only an existing directory will do (several files go there).

    Returns:
        The path as given (a directory, or a file whose directory exists).

    Raises:
        TypeError: ``target`` is not a str or PathLike.
        ValueError: It is empty.
        FileNotFoundError: The directory (or the file's directory) does not exist.
        NotADirectoryError: ``directory`` is set and the path is not an existing directory.
    """
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path (str or PathLike), not {type(target).__name__}")
    raw = os.fspath(target)
    if not raw:
        raise ValueError(f"{what} must not be empty")
    path = Path(raw)
    if path.is_dir():
        return path
    if raw.endswith(("/", os.sep)):  # Path() would drop the slash
        raise FileNotFoundError(f"{what} directory does not exist: {raw!r}")
    if directory:
        raise NotADirectoryError(f"{what} must be an existing directory here: {raw!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the directory of {what} does not exist: {str(path.parent)!r}")
    return path


def refuse_existing(path: Path, *, overwrite: bool) -> None:
    """FileExistsError when ``path`` exists and may not be replaced."""
    if not overwrite and path.exists():
        raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True")


def publish(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """Move the finished temporary file to ``path`` in one step."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no window where another file is clobbered
    except FileExistsError:
        raise FileExistsError(
            f"{str(path)!r} appeared during the download; not overwritten"
        ) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def sync_file(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())
