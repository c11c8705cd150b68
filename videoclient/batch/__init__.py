"""Run many generations at once, resumably: ``await run_batch(client, requests, out_dir=...)``.

Each request (a prompt plus create arguments, optionally an output name) becomes one line of a
journal (SQLite, in the output directory by default). A line's idempotency key is committed to
the journal before its create is sent, and every create of that line sends it; so a run that
was killed (SIGINT, SIGKILL, a crash) can be started again with the same journal and never
submits a line twice: lines whose create was in flight are answered by the server with the job
it already made, lines that were waiting go on waiting, finished downloads are skipped, and
only what failed is retried.

Concurrency is a limit on lines in flight (create, wait, download). It halves when the server
answers 429 and grows back by one after each calm stretch.

This package owns the public ``videoclient.batch`` (input reading, the journal, the runner,
the shared waiter, adaptive concurrency); it may import ``_sync``, ``_client`` and the folders
below them, and nothing imports it but the CLI and user code.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from .._io.disk import leftover_temp_files
from . import _journal as jr
from ._check import check_requests
from ._concurrency import AdaptiveConcurrency
from ._input import (
    BatchInputError,
    BatchRequest,
    InputProblem,
    coerce_request,
    output_names,
    read_requests,
    same_file_key,
)
from ._journal import Journal, JournalError, JournalRow, Step
from ._models import SKIPPED, BatchEvent, BatchSummary, LineResult
from ._run import Runner

if TYPE_CHECKING:
    from .._client.client import AsyncVideoClient

__all__ = [
    "DEFAULT_JOURNAL_NAME",
    "SKIPPED",
    "AdaptiveConcurrency",
    "BatchEvent",
    "BatchInputError",
    "BatchRequest",
    "BatchSummary",
    "InputProblem",
    "JournalError",
    "LineResult",
    "read_requests",
    "run_batch",
]

#: The journal's file name inside the output directory when no journal path is given.
DEFAULT_JOURNAL_NAME = "videoclient-journal.sqlite"


def _open_rows(
    journal: Journal,
    requests: list[BatchRequest],
    reserved: Mapping[str, str] | None = None,
) -> list[JournalRow]:
    """The journal row of each request, new ones inserted, line numbers brought up to date.

    ``reserved`` maps the :func:`same_file_key` of output names no line may write (the
    journal's own files) to what they are.
    """
    names = output_names(requests)
    seen: dict[str, int] = {}
    rows: list[JournalRow] = []
    for line, (request, name) in enumerate(zip(requests, names, strict=True), start=1):
        fingerprint = request.fingerprint()
        seen[fingerprint] = seen.get(fingerprint, 0) + 1
        key = f"{fingerprint}-{seen[fingerprint]}"
        row = journal.get(key)
        if row is None:
            row = jr.new_row(key, line, request.canonical(), name)
        elif row.line != line:
            row = attrs.evolve(row, line=line)
        rows.append(row)
    outputs: dict[str, int] = {}
    for row in rows:
        key = same_file_key(row.output)
        if reserved and key in reserved:
            raise ValueError(
                f"line {row.line} would write {row.output}, the {reserved[key]}; give it "
                "another name"
            )
        if key in outputs:
            raise ValueError(
                f"lines {outputs[key]} and {row.line} would both write {row.output}; "
                "give them distinct names or use a new journal"
            )
        outputs[key] = row.line
    journal.save_many(rows)
    return rows


async def run_batch(
    client: AsyncVideoClient,
    requests: Iterable[BatchRequest | Mapping[str, Any] | str],
    *,
    out_dir: str | os.PathLike[str],
    journal: str | os.PathLike[str] | None = None,
    concurrency: int = 4,
    overwrite: bool = False,
    on_event: Callable[[BatchEvent], None] | None = None,
    wait_timeout: float | None = None,
    poll_interval: float | None = None,
    retries: int = 2,
    clients: Mapping[str, AsyncVideoClient] | None = None,
    resend_uncertain: bool = False,
) -> BatchSummary:
    """Generate a video for every request, ``concurrency`` at a time, resumably.

    Args:
        client: The client to use (it is not closed).
        requests: :class:`BatchRequest` values, mappings of their fields, or bare prompts
            (see :func:`read_requests` for files).
        out_dir: Where the videos go (created if missing).
        journal: The journal file; default ``out_dir/videoclient-journal.sqlite``. Rerun
            with the same journal to resume a stopped run or retry failed lines.
        concurrency: Lines in flight at once (halved on 429, recovering when calm).
        overwrite: Replace an output file that already exists for a line that has not
            been run; by default such a line is skipped.
        on_event: Called (in the event loop) whenever a line changes state or progresses.
        wait_timeout: Seconds to wait for one job before failing its line (rerun resumes it).
        poll_interval: Seconds between rounds of polling when the server gives no
            poll hint (default: 1 s growing to 10 s). All jobs of the run
            are polled together (``client.videos.as_completed``), mostly by listing.
        retries: How often a step that failed transiently (connection errors, 5xx) is tried
            again within this run, after the client's own retries.
        clients: A client for each other provider the lines name (``{"runway":
            AsyncVideoClient.runway(), ...}``; not closed). A line's provider is part of
            its request, so a rerun resumes its job with the same provider.
        resend_uncertain: Send again a line whose earlier create may have made a job (its
            answer was lost: a 5xx, a broken connection, a timeout, a killed run) even
            when its client's ``create_retry`` is ``"conservative"`` (Runway, Vertex, a
            gateway that drops the key). By default such a line fails, saying so: look
            for the job first, since a resend may make (and bill) a second one.

    Returns:
        A :class:`BatchSummary`: completed / failed / skipped lines and their files.

    Raises:
        BatchInputError: Requests the client would refuse (a ``ValueError`` listing every
            one: where, field, reason), found with the client's own checks before
            anything is sent.
        ValueError: Two lines writing one file (before anything is sent).
        JournalError: The journal is in use by another run, unreadable, or could not be
            written (the run stops; rerun once the cause is fixed).
    """
    items = _coerce_all(requests)
    served = {client.provider, *(clients or {})}
    for i, item in enumerate(items, start=1):
        if item.provider is not None and item.provider not in served:
            raise ValueError(
                f"{item.where or f'request {i}'}: provider {item.provider!r} has no client: "
                f"pass clients={{{item.provider!r}: ...}}"
            )
    control = AdaptiveConcurrency(concurrency)  # validates before any file is touched
    await check_requests(client, items, clients)  # every line, with its client's own checks
    out = Path(out_dir)
    journal_path = Path(journal) if journal is not None else out / DEFAULT_JOURNAL_NAME
    with _open_journal(out, journal_path) as store:
        runner = Runner(
            client,
            store,
            out,
            concurrency=control.maximum,
            on_event=on_event,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
            retries=retries,
            clients=clients,
            resend_uncertain=resend_uncertain,
        )
        rows, todo = _plan(runner, items, overwrite=overwrite)
        fatal: list[Exception] = []

        async def guarded(work: Callable[..., Awaitable[None]], *args: Any) -> None:
            # One exception, re-raised as itself below, instead of an ExceptionGroup.
            try:
                await work(*args)
            except Exception as exc:
                fatal.append(exc)
                outer.cancel_scope.cancel()

        async with anyio.create_task_group() as outer:
            for waiter in runner.waiters.values():
                outer.start_soon(guarded, waiter.run)
            async with anyio.create_task_group() as tg:
                for row, request in todo:
                    tg.start_soon(guarded, runner.line, row, request)
            outer.cancel_scope.cancel()
        if fatal:
            raise fatal[0]
        results = tuple(runner.results[row.key] for row in rows)
    return BatchSummary(results=results, journal=journal_path)


def _coerce_all(requests: Iterable[BatchRequest | Mapping[str, Any] | str]) -> list[BatchRequest]:
    items: list[BatchRequest] = []
    problems: list[InputProblem] = []
    for index, request in enumerate(requests, start=1):
        try:
            items.append(coerce_request(request, where=f"request {index}"))
        except BatchInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BatchInputError(problems)
    return items


def _open_journal(out: Path, journal_path: Path) -> Journal:
    out.mkdir(parents=True, exist_ok=True)
    return Journal(journal_path)


def _journal_files(out: Path, journal: Journal) -> dict[str, str]:
    """The output names (:func:`same_file_key`) that are the journal's own files."""
    if journal.path == ":memory:":
        return {}
    main = Path(journal.path).resolve()
    try:
        relative = main.relative_to(out.resolve())
    except ValueError:  # the journal lives outside the output directory
        return {}
    files = {str(relative): "batch's journal"}
    for suffix in ("-wal", "-shm", "-journal", ".lock"):
        files[str(relative) + suffix] = "batch's journal (its " + suffix.lstrip("-.") + " file)"
    return {same_file_key(name): what for name, what in files.items()}


def _plan(
    runner: Runner, items: list[BatchRequest], *, overwrite: bool
) -> tuple[list[JournalRow], list[tuple[JournalRow, BatchRequest]]]:
    """Every line's row, and the lines that have work left (the others are reported skipped)."""
    rows = _open_rows(runner.journal, items, _journal_files(runner.out_dir, runner.journal))
    current = {row.key for row in rows}
    # Outputs that requests no longer in the input wrote (a line edited since): not foreign
    # files to keep quietly, but old videos the edited line would be skipped over.
    earlier = {
        same_file_key(row.output): row
        for row in runner.journal.rows()
        if row.status == jr.COMPLETED and row.key not in current
    }
    todo: list[tuple[JournalRow, BatchRequest]] = []
    for row, request in zip(rows, items, strict=True):
        path = runner.output(row)
        if row.status == jr.DOWNLOADING:
            # A run killed mid-download (SIGKILL) could not remove its temporary file. This
            # run holds the journal, so no other download to this path is running.
            for stale in leftover_temp_files(path):
                stale.unlink(missing_ok=True)
        step = jr.next_step(row, output_exists=path.exists())
        # a file there that no run of this line wrote: not ours to replace, unless asked
        foreign = row.status not in (jr.DOWNLOADING, jr.COMPLETED) and path.exists()
        if foreign and overwrite:
            runner.replace.add(row.key)
            todo.append((row, request))
        elif foreign and (old := earlier.get(same_file_key(row.output))) is not None:
            error = (
                f"{row.output} holds the video of an earlier version of this line "
                f"({old.video_id}); pass overwrite=True (--overwrite) to replace it, or give "
                "the line a name"
            )
            runner.results[row.key] = LineResult(
                line=row.line, request=request, output=path, status=jr.FAILED, error=error
            )
            runner.emit(attrs.evolve(row, error=error), jr.FAILED)
        elif step is Step.DONE or foreign:
            if step is Step.DONE and row.status != jr.COMPLETED:
                row = runner.journal.save(jr.downloaded(row))  # renamed, then stopped
            runner.results[row.key] = LineResult(
                line=row.line,
                request=request,
                output=path,
                status=SKIPPED,
                video_id=row.video_id,
                answered_id=row.answered_id,
            )
            runner.emit(row, SKIPPED)
        else:
            todo.append((row, request))
    return rows, todo
