"""The batch journal: what each input line has done so far, kept in SQLite so a run can resume.

This module is pure (sqlite3 and the standard library only; no aiohttp, anyio or asyncio).
It holds the per-line state machine and the store that makes each state durable.

The invariant that makes a killed run safe to rerun, written where it lives:

    A line's idempotency key is generated and COMMITTED here before its create is sent,
    and every create of that line sends that key. A create whose response was lost is
    therefore answered by the server with the job it already made, never a second one.

Each line moves through these states (``status``)::

    pending ──► creating ──► waiting ──► downloading ──► completed
                   │            │             │
                   └────────────┴─────────────┴──► failed

What a rerun does next is decided by which fields are set, not by the status alone
(:func:`next_step`): no job id yet → (re)send the create with the committed key; a job id
→ wait for it (at once if it already finished); finished → download. A failure keeps the
key and the job id when they are still good, and drops them when the job itself failed
or expired, so that a rerun retries exactly the step that failed.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

import attrs

__all__ = [
    "COMPLETED",
    "CREATING",
    "DOWNLOADING",
    "FAILED",
    "PENDING",
    "STATUSES",
    "WAITING",
    "Journal",
    "JournalError",
    "JournalRow",
    "Step",
    "begin_create",
    "create_refused",
    "create_unsure",
    "created",
    "downloaded",
    "failed",
    "job_finished",
    "new_idempotency_key",
    "new_row",
    "next_step",
]

PENDING = "pending"
CREATING = "creating"
WAITING = "waiting"
DOWNLOADING = "downloading"
COMPLETED = "completed"
FAILED = "failed"

#: Every status a journal row can have, in lifecycle order.
STATUSES: tuple[str, ...] = (PENDING, CREATING, WAITING, DOWNLOADING, COMPLETED, FAILED)

SCHEMA_VERSION = "1"


class JournalError(Exception):
    """The journal cannot be used: locked by another run, or written by another version."""


class Step(enum.Enum):
    """What a line needs next."""

    CREATE = "create"
    WAIT = "wait"
    DOWNLOAD = "download"
    DONE = "done"


@attrs.frozen
class JournalRow:
    """One input line's record.

    Attributes:
        key: Identity of the line: the request's fingerprint and its occurrence number
            (the same request twice in one input is two lines).
        line: 1-based position in the input the last time it was read.
        request: The request as canonical JSON (for people reading the journal).
        output: Where the video goes.
        status: One of :data:`STATUSES`.
        idempotency_key: Sent with every create of this line; committed before the first.
        video_id: The job the server made for this line: the id its create answered, which
            every later request of the line uses.
        error: Why the line last failed.
        creates: How many creates were sent that may have reached the server (retries of
            one call count once; one refused provably, such as a 429, does not count).
        updated_at: Unix time of the last change.
        answered_id: The id the server's last answer gave the job when it differs from
            ``video_id`` (a gateway that re-stamps ids on every retrieve); None otherwise.

            .. versionadded:: 0.1.0
    """

    key: str
    line: int
    request: str
    output: str
    status: str = PENDING
    idempotency_key: str | None = None
    video_id: str | None = None
    error: str | None = None
    creates: int = 0
    updated_at: float = 0.0
    answered_id: str | None = None


def new_idempotency_key() -> str:
    """A fresh, unguessable idempotency key for one line's job."""
    return f"videoclient-batch-{uuid.uuid4().hex}"


def new_row(key: str, line: int, request: str, output: str) -> JournalRow:
    """A line never seen before: pending, with no key yet."""
    return JournalRow(key=key, line=line, request=request, output=output)


def next_step(row: JournalRow, *, output_exists: bool) -> Step:
    """What ``row`` needs next.

    Args:
        row: The line's record.
        output_exists: Whether ``row.output`` is on disk. Downloads are atomic (written
            aside, then renamed), so a file there is complete.
    """
    if row.status == COMPLETED and output_exists:
        return Step.DONE
    if row.status == DOWNLOADING and output_exists:
        return Step.DONE  # the rename happened; the run was stopped before recording it
    if row.video_id is None:
        return Step.CREATE
    if row.status in (DOWNLOADING, COMPLETED):
        return Step.DOWNLOAD
    return Step.WAIT


def _touch(row: JournalRow, **changes: object) -> JournalRow:
    return attrs.evolve(row, updated_at=time.time(), **changes)  # type: ignore[arg-type]


def begin_create(row: JournalRow, key: str | None = None) -> JournalRow:
    """The line is about to send its create: keep its key, or give it ``key`` if it has none.

    The caller must save (commit) the returned row before sending the create.
    """
    use = row.idempotency_key or key or new_idempotency_key()
    return _touch(row, status=CREATING, idempotency_key=use, error=None, creates=row.creates + 1)


def create_refused(row: JournalRow) -> JournalRow:
    """The create just begun failed in a way that proves no job was made (a 4xx such as
    429, a refused connection, bad input): it is not counted, so the line's fate is as
    certain as before it. The key stays: the next create sends it again."""
    return _touch(row, creates=max(row.creates - 1, 0))


def create_unsure(row: JournalRow) -> bool:
    """Whether a create of the line may have made a job no answer named: a create was
    begun (its key committed), and neither a job id nor a proven refusal came back (an
    answer lost to a 5xx, a broken connection, a timeout, or the run being killed).

    Resending it is safe only where the server deduplicates by that key.
    """
    return row.video_id is None and row.creates > 0


def created(row: JournalRow, video_id: str) -> JournalRow:
    """The server answered the create with job ``video_id``."""
    return _touch(row, status=WAITING, video_id=video_id, error=None)


def job_finished(row: JournalRow, answered_id: str | None = None) -> JournalRow:
    """The job completed; its video is to be downloaded.

    ``answered_id`` is the id the final answer gave the job; it is kept when it is not
    ``row.video_id`` (the line goes on using ``video_id``).
    """
    other = answered_id if answered_id not in (None, row.video_id) else None
    return _touch(row, status=DOWNLOADING, error=None, answered_id=other)


def downloaded(row: JournalRow) -> JournalRow:
    """The video is at ``row.output``."""
    return _touch(row, status=COMPLETED, error=None)


def failed(row: JournalRow, error: str, *, job_lost: bool) -> JournalRow:
    """The line failed with ``error``.

    Args:
        row: The line's record.
        error: A one-line reason for people.
        job_lost: True when the job cannot be used again (it failed, expired or was
            deleted): the key, the job id and the count of creates are dropped so a rerun
            makes a new job. False keeps them, so a rerun resends the same create
            (answered with the job the server may already have) or resumes waiting and
            downloading.
    """
    if job_lost:
        return _touch(
            row,
            status=FAILED,
            error=error,
            idempotency_key=None,
            video_id=None,
            creates=0,
            answered_id=None,
        )
    return _touch(row, status=FAILED, error=error)


# -- the store -------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lines (
    key TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    request TEXT NOT NULL,
    output TEXT NOT NULL,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    video_id TEXT,
    error TEXT,
    creates INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    answered_id TEXT
);
"""

#: Columns added after schema 1 was first written: a journal without them gets them on open.
_ADDED_COLUMNS = (("answered_id", "TEXT"),)

_COLUMNS = tuple(a.name for a in attrs.fields(JournalRow))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM lines"
_UPSERT = (
    f"INSERT OR REPLACE INTO lines ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)


class Journal:
    """A SQLite file holding one :class:`JournalRow` per input line.

    Every :meth:`save` is its own committed transaction, so a run killed at any point
    (SIGINT, SIGKILL) leaves the journal as of the last step it recorded. The file is
    locked (``flock``, where the platform has it) while open, so two runs cannot share it.

    Args:
        path: The journal file (created with its parent directories if missing), or
            ``":memory:"``.

    Raises:
        JournalError: Another run holds the journal, or it was written by an
            incompatible version.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._lock_file: IO[bytes] | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 5000")
            if self.path != ":memory:":
                # WAL with synchronous=NORMAL: a commit survives the process being killed
                # (only a power cut can lose the last ones), without an fsync per step.
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_version()
            self._add_columns()
        except sqlite3.Error as exc:
            self._close_quietly()
            raise JournalError(f"cannot use {self.path} as a batch journal: {exc}") from exc
        except BaseException:
            self._close_quietly()
            raise

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return
        lock_file = open(self.path + ".lock", "ab")  # noqa: SIM115 - held while open
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock_file.close()
            raise JournalError(f"{self.path} is in use by another batch run") from exc
        self._lock_file = lock_file

    def _check_version(self) -> None:
        got = self._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if got is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif got[0] != SCHEMA_VERSION:
            raise JournalError(
                f"{self.path} was written with journal schema {got[0]}, "
                f"this version reads {SCHEMA_VERSION}"
            )

    def _add_columns(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(lines)")}
        for name, kind in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE lines ADD COLUMN {name} {kind}")

    @contextlib.contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        """The connection, with SQLite's errors (a full disk, a lost file) as JournalError."""
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise JournalError(f"batch journal {self.path}: {exc}") from exc

    def get(self, key: str) -> JournalRow | None:
        """The row for ``key``, if the journal has one."""
        with self._sql() as db:
            found = db.execute(_SELECT + " WHERE key = ?", (key,)).fetchone()
        return None if found is None else JournalRow(*found)

    def rows(self) -> list[JournalRow]:
        """Every row, by line number."""
        with self._sql() as db:
            return [JournalRow(*r) for r in db.execute(_SELECT + " ORDER BY line, key")]

    def save(self, row: JournalRow) -> JournalRow:
        """Write ``row`` (insert or replace) and commit before returning it.

        Raises:
            JournalError: SQLite could not write it.
        """
        with self._sql() as db:
            db.execute(_UPSERT, attrs.astuple(row, recurse=False))
        return row

    def save_many(self, rows: Iterable[JournalRow]) -> None:
        """Write several rows in one committed transaction.

        Raises:
            JournalError: SQLite could not write them (nothing was written).
        """
        values = [attrs.astuple(r, recurse=False) for r in rows]
        with self._sql() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(_UPSERT, values)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def counts(self) -> dict[str, int]:
        """How many rows are in each status."""
        with self._sql() as db:
            found = db.execute("SELECT status, COUNT(*) FROM lines GROUP BY status").fetchall()
        return {status: n for status, n in found}

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def close(self) -> None:
        """Close the database and release the lock. Idempotent."""
        self._close_quietly()
        self._db = None  # type: ignore[assignment]

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"
