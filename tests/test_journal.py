"""The batch journal: its pure state machine and its SQLite store (no event loop)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest

from videoclient.batch import _journal as jr
from videoclient.batch._journal import Journal, JournalError, JournalRow, Step


def row(**changes: object) -> JournalRow:
    base = jr.new_row("fp-1", 1, '{"prompt":"a"}', "0001-a.mp4")
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "exists", "step"),
    [
        pytest.param({}, False, Step.CREATE, id="new-line-creates"),
        pytest.param({}, True, Step.CREATE, id="new-line-with-stray-file-still-creates"),
        pytest.param(
            {"status": jr.CREATING, "idempotency_key": "k"},
            False,
            Step.CREATE,
            id="lost-create-resent",
        ),
        pytest.param(
            {"status": jr.WAITING, "idempotency_key": "k", "video_id": "v"},
            False,
            Step.WAIT,
            id="waiting-waits",
        ),
        pytest.param(
            {"status": jr.DOWNLOADING, "idempotency_key": "k", "video_id": "v"},
            False,
            Step.DOWNLOAD,
            id="downloading-downloads",
        ),
        pytest.param(
            {"status": jr.DOWNLOADING, "idempotency_key": "k", "video_id": "v"},
            True,
            Step.DONE,
            id="renamed-before-recorded-is-done",
        ),
        pytest.param(
            {"status": jr.COMPLETED, "idempotency_key": "k", "video_id": "v"},
            True,
            Step.DONE,
            id="completed-done",
        ),
        pytest.param(
            {"status": jr.COMPLETED, "idempotency_key": "k", "video_id": "v"},
            False,
            Step.DOWNLOAD,
            id="completed-but-file-gone-downloads-again",
        ),
        pytest.param(
            {"status": jr.FAILED, "idempotency_key": "k"},
            False,
            Step.CREATE,
            id="failed-create-resent",
        ),
        pytest.param(
            {"status": jr.FAILED, "idempotency_key": "k", "video_id": "v"},
            False,
            Step.WAIT,
            id="failed-with-job-resumes-waiting",
        ),
    ],
)
def test_next_step(state: dict[str, object], exists: bool, step: Step) -> None:
    """next_step picks the step from which fields are set and whether the output exists."""
    assert jr.next_step(row(**state), output_exists=exists) is step


def test_begin_create_generates_a_key_once_and_keeps_it() -> None:
    """A line gets one idempotency key, kept by every later create of it."""
    first = jr.begin_create(row())
    assert first.status == jr.CREATING and first.idempotency_key and first.creates == 1
    again = jr.begin_create(first)
    assert again.idempotency_key == first.idempotency_key and again.creates == 2


def test_new_keys_are_distinct() -> None:
    """Fresh idempotency keys never repeat."""
    assert len({jr.new_idempotency_key() for _ in range(200)}) == 200


def test_happy_path_transitions() -> None:
    """created → job_finished → downloaded walk the statuses in order and clear errors."""
    r = jr.begin_create(row(error="earlier failure"))
    assert r.error is None
    r = jr.created(r, "video_1")
    assert (r.status, r.video_id) == (jr.WAITING, "video_1")
    r = jr.job_finished(r)
    assert r.status == jr.DOWNLOADING
    r = jr.downloaded(r)
    assert r.status == jr.COMPLETED and r.updated_at > 0


@pytest.mark.parametrize(
    ("job_lost", "next_step"),
    [
        pytest.param(True, Step.CREATE, id="lost-job-makes-a-new-one"),
        pytest.param(False, Step.WAIT, id="kept-job-resumes"),
    ],
)
def test_failed_keeps_or_drops_the_job(job_lost: bool, next_step: Step) -> None:
    """A failure drops key and job only when the job cannot be used again."""
    r = jr.created(jr.begin_create(row()), "video_1")
    f = jr.failed(r, "boom", job_lost=job_lost)
    assert f.status == jr.FAILED and f.error == "boom"
    assert (f.idempotency_key is None) is job_lost and (f.video_id is None) is job_lost
    assert jr.next_step(f, output_exists=False) is next_step
    if job_lost:
        assert jr.begin_create(f).idempotency_key != r.idempotency_key


def test_store_round_trips_and_commits_every_save(tmp_path: Path) -> None:
    """A saved row is readable at once by another connection (it was committed)."""
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        saved = journal.save(jr.begin_create(row()))
        other = sqlite3.connect(path)
        try:
            (key,) = other.execute("SELECT idempotency_key FROM lines").fetchone()
        finally:
            other.close()
        assert key == saved.idempotency_key
        assert journal.get("fp-1") == saved and journal.get("nope") is None
    with Journal(path) as journal:
        assert journal.rows() == [saved]
        assert journal.counts() == {jr.CREATING: 1}


def test_save_many_orders_rows_by_line(tmp_path: Path) -> None:
    """save_many writes rows in one transaction; rows() returns them by line number."""
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.save_many([jr.new_row("b", 2, "{}", "b.mp4"), jr.new_row("a", 1, "{}", "a.mp4")])
        assert [r.key for r in journal.rows()] == ["a", "b"]


def test_a_second_run_cannot_open_a_journal_in_use(tmp_path: Path) -> None:
    """The journal is locked while open, and free again once closed."""
    path = tmp_path / "j.sqlite"
    with Journal(path), pytest.raises(JournalError, match="in use"):
        Journal(path)
    Journal(path).close()


def test_other_schema_version_is_refused(tmp_path: Path) -> None:
    """A journal written by an incompatible version is refused, not misread."""
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE name = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="schema 99"):
        Journal(path)


def test_not_a_database_is_a_journal_error(tmp_path: Path) -> None:
    """A file that is not SQLite gives a JournalError naming it."""
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match=r"j\.sqlite"):
        Journal(path)


def test_close_is_idempotent_and_memory_journals_work() -> None:
    """An in-memory journal works (no lock file); closing twice is harmless."""
    journal = Journal(":memory:")
    journal.save(row())
    assert len(journal.rows()) == 1
    journal.close()
    journal.close()


def test_sqlite_failures_surface_as_journal_errors(tmp_path: Path) -> None:
    """A write SQLite refuses is a JournalError naming the journal, never a sqlite3 error."""
    journal = Journal(tmp_path / "j.sqlite")
    journal._db.execute("DROP TABLE lines")
    with pytest.raises(JournalError, match=r"j\.sqlite: no such table"):
        journal.save(row())
    with pytest.raises(JournalError):
        journal.save_many([row()])
    with pytest.raises(JournalError):
        journal.rows()
    journal.close()
