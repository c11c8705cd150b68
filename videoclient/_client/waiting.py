"""Waiting for jobs: ``poll``, the ``*_and_poll`` methods, ``as_completed`` and ``wait_all``.

The loops they run are in :mod:`videoclient._client.waiters`; the pacing decisions are
the pure :mod:`videoclient._sansio.pacing`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._sansio.files import FileInput
from .._sansio.models import Video
from .operations import VideoOperations
from .raw import with_raw
from .waiters import (
    PollOptions,
    ProgressCallback,
    StartOptions,
    _AsCompleted,
    _OneJob,
    _target,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._sansio.images import Colour, Fit

__all__ = ["PollOptions", "ProgressCallback", "StartOptions", "WaitingOperations"]


class WaitingOperations(VideoOperations):
    """``poll``, ``*_and_poll``, ``as_completed`` and ``wait_all``.

    Pacing: between requests a wait sleeps what the latest answer's poll hint (the
    provider's poll-after header) asks (never less), else ``poll_interval``, else 1 s
    growing by half each time up to 10 s. Unless ``poll_interval`` is given, the job's
    ``progress`` refines this: once it
    has risen by a few points, the linear extrapolation of it predicts the end, and a
    hint is stretched up to that end (polls the job cannot be done by are skipped; at
    most 10 s, never reaching past a deadline the hint's poll would meet, and not when
    ``on_progress`` is given: a watcher wants each update), a back-off step is cut short
    to it. ``on_progress`` is called on the event loop with each Video
    whose status or progress changed; an async callable is awaited; a plain one runs
    inline and must be quick (hand slow work to ``anyio.to_thread.run_sync`` or a task of
    your own). An exception it raises ends the wait and propagates.
    """

    async def poll(
        self,
        video: str | Video,
        *,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[PollOptions],
    ) -> Video:
        """Wait until a job leaves the pending statuses; return its final state.

        The job is retrieved at once (a :class:`Video` already in a terminal status is
        returned as it is, without a request), then again after each wait, always by the
        id passed in (a Video's ``requested_id`` if it has one): when the server answers
        with another id, the result has it as ``id`` and the one passed in as
        ``requested_id``.

        Args:
            video: The job's id, or a :class:`Video`.
            poll_interval: Seconds between polls when the server sends no
                poll hint (default: 1 s growing to 10 s, and predictions
                from progress; giving an interval turns those off).
            timeout: Overall deadline in seconds; None waits as long as it takes.
            on_progress: Called with each Video whose status or progress changed.
            pending_statuses: Statuses that mean "not finished"; default
                :data:`~videoclient.PENDING_STATUSES`. Any other status ends the wait.
            **options: :class:`PollOptions` for each request.

        Returns:
            The job in its final status: ``completed``, ``failed`` (with ``.error``) or
            any other status that is not pending. A failed job is returned, not raised.

        Raises:
            WaitTimeoutError: The deadline passed; ``.video`` is the last state seen.
            APIError: A request failed after its retries.
            ValueError, TypeError: Bad arguments, before any request.

        .. versionadded:: 0.1.0
        """
        video_id, known = _target(video, self._session.provider.check_id)
        waiter = self._waiter(poll_interval, timeout, on_progress, pending_statuses, options)
        waiter.last = known
        return await waiter.run(video_id, known, None)

    def _waiter(
        self,
        poll_interval: float | None,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        pending_statuses: Collection[str] | None,
        options: Mapping[str, Any],
    ) -> _OneJob:
        return _OneJob(
            self,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            pending_statuses=pending_statuses,
            options=options,
        )

    async def create_and_poll(
        self,
        *,
        prompt: str,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: FileInput | Mapping[str, Any] | None = None,
        fit: Fit | None = None,
        fit_background: Colour = "#000000",
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[StartOptions],
    ) -> Video:
        """:meth:`create` a job, then :meth:`poll` it (first poll after the create's hint).

        ``on_progress`` first receives the new job (so its id is known at once);
        ``timeout`` counts from when the create returned, so a
        :class:`~videoclient.WaitTimeoutError` always carries the job.

        Returns:
            The job in its final status (``failed`` jobs are returned, not raised).

        .. versionadded:: 0.1.0
        """
        waiter = self._waiter(poll_interval, timeout, on_progress, pending_statuses, options)
        raw = await with_raw(self.create)(
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            fit=fit,
            fit_background=fit_background,
            **options,
        )
        return await waiter.started(raw)

    async def remix_and_poll(
        self,
        video_id: str,
        *,
        prompt: str,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[StartOptions],
    ) -> Video:
        """:meth:`remix` a completed job, then :meth:`poll` the new one.

        .. versionadded:: 0.1.0
        """
        waiter = self._waiter(poll_interval, timeout, on_progress, pending_statuses, options)
        raw = await with_raw(self.remix)(video_id, prompt=prompt, **options)
        return await waiter.started(raw)

    async def edit_and_poll(
        self,
        *,
        video: Any,
        prompt: str,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[StartOptions],
    ) -> Video:
        """:meth:`edit` a video, then :meth:`poll` the new job.

        .. versionadded:: 0.1.0
        """
        waiter = self._waiter(poll_interval, timeout, on_progress, pending_statuses, options)
        raw = await with_raw(self.edit)(video=video, prompt=prompt, **options)
        return await waiter.started(raw)

    async def extend_and_poll(
        self,
        *,
        video: Any,
        prompt: str,
        seconds: int | str,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[StartOptions],
    ) -> Video:
        """:meth:`extend` a completed video, then :meth:`poll` the new job.

        .. versionadded:: 0.1.0
        """
        waiter = self._waiter(poll_interval, timeout, on_progress, pending_statuses, options)
        raw = await with_raw(self.extend)(video=video, prompt=prompt, seconds=seconds, **options)
        return await waiter.started(raw)

    def as_completed(
        self,
        videos: Iterable[str | Video],
        *,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[PollOptions],
    ) -> AsyncIterator[Video]:
        """Each job, once, as it reaches a terminal status: ``async for v in ...``.

        With two or more pending jobs, one round refreshes them all through the list
        endpoint (pages of 100, newest first, stopping once every pending id was seen)
        and retrieves only the jobs the listing did not show. Rounds are paced by the
        smallest poll hint among the pending jobs' latest answers when
        those were retrieves (a listing carries none), else ``poll_interval``, else the
        1 s → 10 s back-off, cut short when progress predicts that a job is about to
        finish (the round then comes at that time, at least 0.1 s and 2 % of the time
        waited so far after the last one).
        Jobs already terminal (a :class:`Video` passed in) come first, without a request;
        within a round, jobs come in input order. A repeated id is waited for once. Each
        job is keyed by the id passed in (a Video's ``requested_id`` if it has one) and
        polled by it, so a server that answers with another id each time (a gateway
        re-stamping ids) still ends each job once; the Video yielded has the new ``id``
        and the one passed in as ``requested_id``.

        Arguments are checked now; nothing is sent until iteration starts, and the
        ``timeout`` deadline counts from the first ``__anext__``.

        Args:
            videos: Ids and/or :class:`Video` objects.
            poll_interval, timeout, on_progress, pending_statuses, **options: As for
                :meth:`poll`; ``timeout`` covers the whole iteration.

        Raises:
            WaitTimeoutError: (From iteration) the deadline passed; ``.video`` is the last
                state seen of the first job, in input order, still pending.

        .. versionadded:: 0.1.0
        """
        return _AsCompleted(
            self,
            videos,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            pending_statuses=pending_statuses,
            options=options,
        )

    async def wait_all(
        self,
        videos: Iterable[str | Video],
        *,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        pending_statuses: Collection[str] | None = None,
        **options: Unpack[PollOptions],
    ) -> list[Video]:
        """Wait for every job (as :meth:`as_completed` does); return them in input order.

        Returns:
            One final Video per input item, in the same order (a repeated id repeats),
            matched by the id passed in even when the server answered with another
            (the Video then has the new ``id`` and the old one as ``requested_id``).

        Raises:
            WaitTimeoutError: The deadline passed before every job finished. To keep
                the jobs that did finish, iterate :meth:`as_completed` instead.

        .. versionadded:: 0.1.0
        """
        waiting = _AsCompleted(
            self,
            videos,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            pending_statuses=pending_statuses,
            options=options,
        )
        async for _ in waiting:
            pass
        return [waiting.results[video_id] for video_id in waiting.order]
