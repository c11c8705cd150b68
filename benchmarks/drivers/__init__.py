"""One small program per scenario, run in its own process for one client at a time.

Each is started as ``python -m benchmarks.drivers.<scenario> --client NAME ...``, imports
only the client under test, measures itself (``resource.getrusage``, ``perf_counter``) and
prints one ``BENCH-RESULT {json}`` line (see :mod:`benchmarks.drivers._common`).
"""
