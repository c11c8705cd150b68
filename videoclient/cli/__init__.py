"""The ``videoclient`` command line: every operation, ``generate``, ``batch`` and ``serve``.

Needs the ``[cli]`` extra (click and rich), imported only when :func:`main` runs, so a
missing extra gets a one-line hint instead of a traceback.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = "videoclient: the command line needs click and rich: pip install 'videoclient[cli]'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 ok, 1 a job failed (or did not finish in time), 2 usage (bad arguments,
    no API key, missing files), 3 API error, 130 interrupted.
    """
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    from ._app import run

    return run(argv)
