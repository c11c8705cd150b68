"""The OpenAI request builders as the client runs them: with the caller's files read.

The builders are pure and leave a file the caller passed as a ``PendingFile``; the client
reads it (off the event loop) before sending. Tests of what a request holds go through
both steps.
"""

from __future__ import annotations

from typing import Any

from videoclient._io.inputs import resolve_request
from videoclient._providers.openai import protocol as _protocol


class _ReadFiles:
    """``protocol`` with every ``build_*`` followed by :func:`resolve_request`."""

    def __getattr__(self, name: str) -> Any:
        fn = getattr(_protocol, name)
        if name.startswith("build_"):
            return lambda *a, **k: resolve_request(fn(*a, **k))
        return fn


proto: Any = _ReadFiles()
