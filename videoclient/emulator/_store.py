"""The job store: a pure state machine on an injectable clock (no I/O, no event loop).

A job is a plan fixed at creation (``queue_seconds`` queued, then ``run_seconds`` rendering,
ending ``completed`` or ``failed``). Its status at any moment follows from that plan, the clock
and the ``max_active`` slots. :meth:`Store.advance` replays the start and end events up to
"now" in time order, so the store needs no timers: whoever holds it calls ``advance`` before
looking (the routes do, and a background ticker does so webhooks fire on time).

Invariants kept here:
- ``seq`` orders jobs by creation; list pagination and cursors use it, never wall time.
- Every id ever issued keeps its ``seq`` (tombstones), so a cursor outlives a deleted job.
- Only ``completed`` or ``failed`` jobs can be deleted, so the scheduling heaps never hold
  a deleted job.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import secrets
from collections.abc import Callable, Iterable
from typing import Protocol

import attrs

from .._sansio.models import Video, VideoCharacter, VideoError
from ._errors import ApiError, bad_request, conflict, not_found

__all__ = [
    "FAIL_TRIGGER",
    "SLOW_TRIGGER",
    "Character",
    "Job",
    "JournalSink",
    "NewJob",
    "Segment",
    "Store",
]

#: A prompt containing this ends its job ``failed`` with a moderation-like error.
FAIL_TRIGGER = "[emulator:fail]"
#: A prompt containing this makes its job take ten times longer.
SLOW_TRIGGER = "[emulator:slow]"

#: Share of a job's time spent ``queued`` before it may start rendering.
QUEUED_SHARE = 0.1
#: A failing job stops at this share of its run.
FAIL_AT = 0.5


@attrs.frozen
class Segment:
    """A stretch of the rendered video: what to draw and for how long.

    ``reference`` is the file name of an input asset (an image, or a video whose first
    frame is used), or None.
    """

    prompt: str
    seconds: int
    reference: str | None = None


@attrs.frozen(kw_only=True)
class NewJob:
    """What a create, remix, edit or extension asks for, already validated."""

    prompt: str
    model: str
    width: int
    height: int
    segments: tuple[Segment, ...]
    remixed_from: str | None = None
    source_id: str | None = None
    kind: str = "create"
    idempotency_key: str | None = None
    fingerprint: str | None = None


@attrs.define(kw_only=True)
class Job:
    """The emulator's record of one job (mutable; only the store changes it)."""

    id: str
    seq: int
    kind: str
    model: str
    prompt: str
    width: int
    height: int
    segments: tuple[Segment, ...]
    created_at: float
    queue_seconds: float
    run_seconds: float
    error_code: str | None = None
    error_message: str | None = None
    remixed_from: str | None = None
    source_id: str | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    #: When a cancel (Runway's DELETE of a pending task) stopped it.
    cancelled_at: float | None = None

    @property
    def seconds(self) -> int:
        """Total duration of the clip."""
        return sum(s.seconds for s in self.segments)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def will_fail(self) -> bool:
        return self.error_code is not None

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if self.finished_at is not None:
            return "failed" if self.will_fail else "completed"
        return "queued" if self.started_at is None else "in_progress"

    @property
    def busy_seconds(self) -> float:
        """How long the job renders once started (a failing job stops part-way)."""
        return self.run_seconds * (FAIL_AT if self.will_fail else 1.0)


@attrs.define(kw_only=True)
class Character:
    """A character made from an uploaded video."""

    id: str
    name: str
    created_at: float
    idempotency_key: str | None = None
    fingerprint: str | None = None


class JournalSink(Protocol):
    """Where the store reports changes that must survive a restart."""

    def put_job(self, job: Job) -> None: ...
    def delete_job(self, video_id: str) -> None: ...
    def put_character(self, character: Character) -> None: ...


class Store:
    """All jobs and characters of one emulator, and their lifecycle.

    Args:
        clock: Wall-clock seconds (``time.time``); injectable for tests.
        render_seconds: A job's time from creation to its end.
        max_active: How many jobs may render at once (None: no limit).
        asset_ttl: Seconds from completion until assets expire.
        poll_after_ms: (min, max) bounds of the poll hint.
        seed: Makes ids reproducible.
        journal: Receives every change (persistence); None keeps everything in memory.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        render_seconds: float = 5.0,
        max_active: int | None = None,
        asset_ttl: float = 3600.0,
        poll_after_ms: tuple[int, int] = (100, 5000),
        seed: int | None = None,
        journal: JournalSink | None = None,
    ) -> None:
        self.clock = clock
        self.render_seconds = render_seconds
        self.max_active = max_active
        self.asset_ttl = asset_ttl
        self._poll_bounds = poll_after_ms
        self._rng = random.Random(seed) if seed is not None else None
        self._journal = journal
        self._jobs: dict[str, Job] = {}
        self._characters: dict[str, Character] = {}
        self._seqs: list[int] = []  # live jobs' seqs, ascending
        self._by_seq: dict[int, Job] = {}
        self._seq_of: dict[str, int] = {}  # every id ever issued, deleted ones too
        self._next_seq = 1
        self._pending: list[tuple[float, int, str]] = []  # (may start at, seq, id)
        self._active: list[tuple[float, int, str]] = []  # (ends at, seq, id)
        self._last_event = -math.inf
        self._idempotency: dict[str, tuple[str, str | None]] = {}  # key -> (id, fingerprint)
        self.jobs_created = 0

    # -- ids ---------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        while True:
            bits = self._rng.getrandbits(128) if self._rng else secrets.randbits(128)
            ident = f"{prefix}_{bits:032x}"
            if ident not in self._seq_of and ident not in self._characters:
                return ident

    # -- creating ----------------------------------------------------------------------------

    def create(self, new: NewJob, *, doomed: bool = False) -> Job:
        """Add a job. ``doomed`` (a ``fail_rate`` decision) makes it end failed.

        The prompt triggers are read here: :data:`FAIL_TRIGGER` and :data:`SLOW_TRIGGER`.
        """
        now = self.clock()
        total = self.render_seconds * (10 if SLOW_TRIGGER in new.prompt else 1)
        code = message = None
        if FAIL_TRIGGER in new.prompt:
            code = "moderation_blocked"
            message = (
                "Your request was blocked by our moderation system. "
                f"(emulator: the prompt contains {FAIL_TRIGGER})"
            )
        elif doomed:
            code = "generation_failed"
            message = "Video generation failed. Please try again. (emulator: --fail-rate)"
        job = Job(
            id=self._new_id("video"),
            seq=self._next_seq,
            kind=new.kind,
            model=new.model,
            prompt=new.prompt,
            width=new.width,
            height=new.height,
            segments=new.segments,
            created_at=now,
            queue_seconds=total * QUEUED_SHARE,
            run_seconds=total * (1 - QUEUED_SHARE),
            error_code=code,
            error_message=message,
            remixed_from=new.remixed_from,
            source_id=new.source_id,
            idempotency_key=new.idempotency_key,
            fingerprint=new.fingerprint,
        )
        self.jobs_created += 1
        self._insert(job)
        if self._journal:
            self._journal.put_job(job)
        return job

    def _insert(self, job: Job) -> None:
        self._jobs[job.id] = job
        self._by_seq[job.seq] = job
        self._seq_of[job.id] = job.seq
        bisect.insort(self._seqs, job.seq)
        self._next_seq = max(self._next_seq, job.seq + 1)
        if job.idempotency_key:
            self._idempotency[job.idempotency_key] = (job.id, job.fingerprint)
        if job.started_at is None:
            heapq.heappush(self._pending, (job.created_at + job.queue_seconds, job.seq, job.id))
        elif job.finished_at is None:
            heapq.heappush(self._active, (job.started_at + job.busy_seconds, job.seq, job.id))

    def restore(self, jobs: Iterable[Job], characters: Iterable[Character]) -> None:
        """Load what a journal kept (before any other call)."""
        for job in sorted(jobs, key=lambda j: j.seq):
            self._insert(job)
        for character in characters:
            self._add_character(character)

    def replay(self, idempotency_key: str | None, fingerprint: str | None) -> str | None:
        """The id an ``Idempotency-Key`` already produced, if any.

        Raises:
            ApiError: 422 if the key was used with different parameters.
        """
        if idempotency_key is None or idempotency_key not in self._idempotency:
            return None
        ident, seen = self._idempotency[idempotency_key]
        if seen != fingerprint:
            raise ApiError(
                422,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with.",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        return ident

    # -- the clock ---------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> list[Job]:
        """Apply every start and end due by ``now``; return the jobs that ended, in order."""
        now = self.clock() if now is None else now
        ended: list[Job] = []
        while True:
            t_end = self._active[0][0] if self._active else math.inf
            free = self.max_active is None or len(self._active) < self.max_active
            t_start = self._pending[0][0] if self._pending and free else math.inf
            if min(t_end, t_start) > now:
                return ended
            if t_end <= t_start:
                _, _, ident = heapq.heappop(self._active)
                job = self._jobs[ident]
                if job.cancelled_at is not None:
                    continue  # it stopped earlier; its slot is free now
                job.finished_at = t_end
                self._last_event = t_end
                ended.append(job)
            else:
                _, _, ident = heapq.heappop(self._pending)
                job = self._jobs[ident]
                if job.cancelled_at is not None:
                    continue
                # A job that waited for a slot starts when the slot freed, not when it queued.
                job.started_at = max(t_start, self._last_event)
                self._last_event = job.started_at
                heapq.heappush(self._active, (job.started_at + job.busy_seconds, job.seq, ident))
            if self._journal:
                self._journal.put_job(job)

    def next_deadline(self) -> float | None:
        """When the next start or end is due (None when nothing is pending)."""
        t_end = self._active[0][0] if self._active else math.inf
        free = self.max_active is None or len(self._active) < self.max_active
        t_start = self._pending[0][0] if self._pending and free else math.inf
        t = min(t_end, t_start)
        return None if t == math.inf else t

    # -- reading -----------------------------------------------------------------------------

    def find(self, video_id: str) -> Job | None:
        """The job, or None."""
        return self._jobs.get(video_id)

    def get(self, video_id: str, *, param: str | None = None) -> Job:
        """The job (call :meth:`advance` first for its current state).

        Raises:
            ApiError: 404 ``video_not_found``.
        """
        job = self._jobs.get(video_id)
        if job is None:
            raise not_found("video", video_id, param=param)
        return job

    def expires_at(self, job: Job) -> float | None:
        if job.status != "completed" or job.finished_at is None:
            return None
        return job.finished_at + self.asset_ttl

    def progress(self, job: Job, now: float) -> int:
        if job.started_at is None:
            return 0
        if job.status == "completed":
            return 100
        end = job.finished_at if job.finished_at is not None else now
        share = (end - job.started_at) / job.run_seconds if job.run_seconds > 0 else 1.0
        return max(0, min(99, int(100 * share)))

    def view(self, job: Job, now: float | None = None) -> Video:
        """The job as the API shows it."""
        now = self.clock() if now is None else now
        expires = self.expires_at(job)
        return Video(
            id=job.id,
            status=job.status,
            model=job.model,
            progress=self.progress(job, now),
            created_at=int(job.created_at),
            completed_at=None if job.finished_at is None else int(job.finished_at),
            expires_at=None if expires is None else int(expires),
            prompt=job.prompt,
            size=job.size,
            seconds=str(job.seconds),
            remixed_from_video_id=job.remixed_from,
            error=(
                VideoError(code=job.error_code, message=job.error_message or "")
                if job.status == "failed"
                else None
            ),
        )

    def poll_after_ms(self, job: Job, now: float | None = None) -> int | None:
        """The ``openai-poll-after-ms`` hint: a share of the work left, within bounds.

        None for a finished job (nothing left to wait for).
        """
        if job.finished_at is not None:
            return None
        now = self.clock() if now is None else now
        start = job.started_at
        if start is None:
            start = max(now, job.created_at + job.queue_seconds)
        left = max(0.0, start + job.busy_seconds - now)
        low, high = self._poll_bounds
        return int(min(high, max(low, left * 1000 / 4)))

    def page(
        self, *, limit: int = 20, order: str = "desc", after: str | None = None
    ) -> tuple[list[Job], bool]:
        """One page of jobs by creation order, and whether more follow.

        Raises:
            ApiError: 400 (param ``after``) for a cursor this emulator never issued.
        """
        seqs = self._seqs
        cursor = None
        if after is not None:
            cursor = self._seq_of.get(after)
            if cursor is None:
                raise bad_request(f"Invalid 'after': no video with id '{after}'.", param="after")
        if order == "asc":
            start = 0 if cursor is None else bisect.bisect_right(seqs, cursor)
            chosen = seqs[start : start + limit]
            more = start + limit < len(seqs)
        else:
            end = len(seqs) if cursor is None else bisect.bisect_left(seqs, cursor)
            begin = max(0, end - limit)
            chosen = seqs[begin:end][::-1]
            more = begin > 0
        return [self._by_seq[s] for s in chosen], more

    # -- state checks for the calls that need a finished job --------------------------------

    def source(self, video_id: str, *, param: str) -> Job:
        """A job to remix, edit or extend: it must exist and be completed.

        Raises:
            ApiError: 404 if unknown; 409 ``video_not_completed`` otherwise.
        """
        job = self.get(video_id, param=param)
        if job.status != "completed":
            raise conflict(
                f"Video '{video_id}' is {job.status}; only a completed video can be used here.",
                code="video_not_completed",
                param=param,
            )
        return job

    def downloadable(self, video_id: str, now: float | None = None) -> Job:
        """A job whose content can be downloaded.

        Raises:
            ApiError: 404 unknown or ``video_expired``; 409 ``video_not_ready``/``video_failed``.
        """
        now = self.clock() if now is None else now
        job = self.get(video_id)
        if job.status == "failed":
            raise conflict(f"Video '{video_id}' failed and has no content.", code="video_failed")
        if job.status == "cancelled":
            raise conflict(f"Video '{video_id}' was cancelled.", code="video_cancelled")
        if job.status != "completed":
            raise conflict(
                f"Video '{video_id}' is not ready yet ({job.status}, "
                f"{self.progress(job, now)}%). Poll GET /videos/{video_id} until it completes.",
                code="video_not_ready",
            )
        expires = self.expires_at(job)
        if expires is not None and now >= expires:
            raise ApiError(
                404,
                f"The content of video '{video_id}' expired at {int(expires)}.",
                code="video_expired",
            )
        return job

    def cancel(self, video_id: str, now: float | None = None) -> Job:
        """Stop a pending job (Runway's DELETE of a task that has not finished).

        Raises:
            ApiError: 404 if unknown; 409 ``video_not_pending`` if it already ended.
        """
        job = self.get(video_id)
        if job.finished_at is not None:
            raise conflict(f"Video '{video_id}' is {job.status}.", code="video_not_pending")
        job.cancelled_at = job.finished_at = self.clock() if now is None else now
        if self._journal:
            self._journal.put_job(job)
        return job

    def delete(self, video_id: str) -> Job:
        """Remove a completed or failed job.

        Raises:
            ApiError: 404 if unknown; 409 ``video_not_finished`` while it is pending.
        """
        job = self.get(video_id)
        if job.finished_at is None:
            raise conflict(
                f"Video '{video_id}' is {job.status}; only a completed or failed video "
                "can be deleted.",
                code="video_not_finished",
            )
        del self._jobs[video_id]
        del self._by_seq[job.seq]
        self._seqs.pop(bisect.bisect_left(self._seqs, job.seq))
        if job.idempotency_key:
            self._idempotency.pop(job.idempotency_key, None)
        if self._journal:
            self._journal.delete_job(video_id)
        return job

    def __len__(self) -> int:
        return len(self._jobs)

    def jobs(self) -> list[Job]:
        """Every live job, oldest first."""
        return [self._by_seq[s] for s in self._seqs]

    # -- characters --------------------------------------------------------------------------

    def _add_character(self, character: Character) -> None:
        self._characters[character.id] = character
        if character.idempotency_key:
            self._idempotency[character.idempotency_key] = (character.id, character.fingerprint)

    def create_character(
        self, name: str, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> Character:
        """Add a character."""
        character = Character(
            id=self._new_id("char"),
            name=name,
            created_at=self.clock(),
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
        self._add_character(character)
        if self._journal:
            self._journal.put_character(character)
        return character

    def character(self, character_id: str) -> Character:
        """A character by id.

        Raises:
            ApiError: 404 ``character_not_found``.
        """
        found = self._characters.get(character_id)
        if found is None:
            raise not_found("character", character_id)
        return found

    @staticmethod
    def character_view(character: Character) -> VideoCharacter:
        return VideoCharacter(
            id=character.id, name=character.name, created_at=int(character.created_at)
        )
