"""What the emulator saw: one record per request, readable from any thread."""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Iterator, Mapping

import attrs

__all__ = ["RequestLog", "RequestRecord"]


@attrs.frozen
class RequestRecord:
    """One request as the emulator received and answered it.

    Attributes:
        time: ``time.monotonic()`` when the request arrived.
        method: HTTP method.
        path: The path as sent (``/v1/videos/video_...``).
        route: The route it matched, without the base prefix (``/videos/{video_id}``), or None.
        query: Query parameters.
        headers: Request headers, names lower-cased.
        status: The status answered, or None when a fault dropped the answer.
        fault: The fault injected into this request, if any.
        video_id: The id the request was about (or created), if any.
    """

    time: float
    method: str
    path: str
    route: str | None
    query: Mapping[str, str]
    headers: Mapping[str, str]
    status: int | None
    fault: str | None = None
    video_id: str | None = None


class RequestLog:
    """A thread-safe, append-only list of :class:`RequestRecord`.

    Args:
        limit: Keep only the newest ``limit`` records (None keeps all).
    """

    def __init__(self, limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=limit)

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of every record so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]

    def filter(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        route: str | None = None,
        status: int | None = None,
    ) -> list[RequestRecord]:
        """Records matching every given criterion.

        ``path`` matches the path as sent, or as a glob if it contains ``*``, ``?`` or ``[``
        (``/v1/videos/*/content``). ``route`` matches the route template
        (``/videos/{video_id}/content``), whatever the base prefix.
        """
        glob = path is not None and any(c in path for c in "*?[")
        return [
            r
            for r in self.snapshot()
            if (method is None or r.method == method.upper())
            and (path is None or (fnmatch.fnmatchcase(r.path, path) if glob else r.path == path))
            and (route is None or r.route == route)
            and (status is None or r.status == status)
        ]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        route: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many records :meth:`filter` would return."""
        return len(self.filter(method, path, route=route, status=status))
