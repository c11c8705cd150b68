"""Collecting each run's figures per client, and turning them into median rows (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .report import Row, median

__all__ = ["Samples"]


class Samples:
    """Figures of several runs, per client; a client may be skipped or fail instead.

    Args:
        labels: Client id -> the label printed in tables, in table order.
    """

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)
        self._runs: dict[str, list[Mapping[str, float]]] = {c: [] for c in labels}
        self._skipped: dict[str, str] = {}
        self._failed: dict[str, str] = {}
        self._notes: dict[str, str] = {}

    @property
    def clients(self) -> Sequence[str]:
        """Client ids, in table order."""
        return list(self._labels)

    @property
    def errors(self) -> list[str]:
        """One line per client that failed."""
        return [f"{self._labels[c]}: {msg}" for c, msg in self._failed.items()]

    def active(self, client: str) -> bool:
        """True unless the client was skipped or failed (then it is not run again)."""
        return client not in self._skipped and client not in self._failed

    def add(self, client: str, values: Mapping[str, float]) -> None:
        """Record one run's figures."""
        self._runs[client].append(dict(values))

    def annotate(self, client: str, note: str) -> None:
        """Attach a note to the client's row (the last one given wins)."""
        self._notes[client] = note

    def skip(self, client: str, reason: str) -> None:
        """Record that the client cannot be measured here."""
        self._skipped[client] = reason

    def fail(self, client: str, message: str) -> None:
        """Record that the client's driver failed (first line of the message is kept)."""
        self._failed[client] = message.strip().splitlines()[0] if message.strip() else "failed"

    def runs(self, client: str) -> int:
        """How many runs were recorded for the client."""
        return len(self._runs[client])

    def rows(self, notes: Mapping[str, str] | None = None) -> tuple[Row, ...]:
        """One row per client: the median of each figure over its runs.

        Args:
            notes: Client id -> a default note for its row (one given to :meth:`annotate`
                wins over it, and a skip or failure note over both).
        """
        notes = notes or {}
        rows = []
        for client, label in self._labels.items():
            runs = self._runs[client]
            keys = sorted({k for run in runs for k in run})
            values = {k: median(run[k] for run in runs if k in run) for k in keys}
            note = self._notes.get(client) or notes.get(client, "")
            if client in self._skipped:
                note = f"skipped: {self._skipped[client]}"
            elif client in self._failed:
                note = f"FAILED: {self._failed[client]}"
            rows.append(Row(label, values, note))
        return tuple(rows)
