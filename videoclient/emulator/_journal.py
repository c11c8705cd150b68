"""Persistence for ``--data-dir``: an append-only JSON-lines journal of job changes.

Each line is the whole new state of one job or character, or a deletion. Loading replays the
lines (the last one for an id wins) and rewrites the file compactly. Lines are short and
written unbuffered-per-line, so a crash loses at most the line being written; a torn last
line is skipped on load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

import cattrs

from ._store import Character, Job

__all__ = ["Journal"]

_converter = cattrs.Converter()


class Journal:
    """The journal file ``jobs.jsonl`` in ``directory``; implements the store's JournalSink."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "jobs.jsonl"
        self._file: IO[str] | None = None

    def load(self) -> tuple[list[Job], list[Character]]:
        """Read what was kept, compact the file, and open it for appending."""
        jobs: dict[str, Job] = {}
        characters: dict[str, Character] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                        kind, value = entry["kind"], entry["value"]
                        if kind == "job":
                            job = _converter.structure(value, Job)
                            jobs[job.id] = job
                        elif kind == "character":
                            character = _converter.structure(value, Character)
                            characters[character.id] = character
                        elif kind == "deleted":
                            jobs.pop(value, None)
                    except (ValueError, KeyError, TypeError, cattrs.BaseValidationError):
                        continue  # a torn line from a crash
        tmp = self.path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for job in jobs.values():
                f.write(self._line("job", _converter.unstructure(job)))
            for character in characters.values():
                f.write(self._line("character", _converter.unstructure(character)))
        os.replace(tmp, self.path)
        self._file = self.path.open("a", encoding="utf-8")
        return list(jobs.values()), list(characters.values())

    @staticmethod
    def _line(kind: str, value: Any) -> str:
        return json.dumps({"kind": kind, "value": value}, separators=(",", ":")) + "\n"

    def _write(self, kind: str, value: Any) -> None:
        if self._file is None:
            return
        self._file.write(self._line(kind, value))
        self._file.flush()

    def put_job(self, job: Job) -> None:
        self._write("job", _converter.unstructure(job))

    def delete_job(self, video_id: str) -> None:
        self._write("deleted", video_id)

    def put_character(self, character: Character) -> None:
        self._write("character", _converter.unstructure(character))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
